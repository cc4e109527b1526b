//! Provision on demand (ENTRA.md 6.2): one user, the five steps the portal shows — test connection
//! (only when it fails), import user, determine scope, match user, perform action. Always the legacy
//! dialect: the `aadOptscim062020` flag is not honoured on demand (ENTRA.md 2.1).

use serde_json::{json, Value as Json};

use crate::engine::dialect::Dialect;
use crate::engine::log::CycleLog;
use crate::engine::result::ObjectRef;
use crate::engine::result::{
    Detail, ErrorCode, Finding, LogAction, LogStatus, ModifiedProperty, ObjectKind, OnDemandResult, OnDemandStep,
    OnDemandStepKind, RequestRef,
};
use crate::engine::source::{Mapper, ScopeCheck, SourceGroup, SourceSnapshot, SourceUser};

use crate::engine::probe::Probe;
use crate::engine::state::Engine;
use crate::engine::users::{evaluate, user_ref};
use crate::scim::client::Method;

/// Most members a group may have for on-demand provisioning (ENTRA.md 6.2).
pub const ON_DEMAND_GROUP_MEMBERS: usize = 5;

fn step(
    kind: OnDemandStepKind,
    title: &str,
    status: LogStatus,
    details: Vec<Detail>,
    requests: Vec<RequestRef>,
) -> OnDemandStep {
    OnDemandStep { kind, title: title.to_string(), status, details, requests }
}

/// The "Test connection" step of a failed probe (the portal shows the step only when it fails, ENTRA.md
/// 6.2), with the probe's findings.
fn failed_connection(probe: Probe) -> (OnDemandStep, Vec<Finding>) {
    let details = vec![detail("error", json!(probe.result.message.unwrap_or_default()), Some(false))];
    let failed =
        step(OnDemandStepKind::TestConnection, "Test connection", LogStatus::Failure, details, probe.result.probes);
    (failed, probe.findings)
}

/// The scope step's details of each scoping-filter clause.
fn clause_details(scope: &ScopeCheck) -> impl Iterator<Item = Detail> + '_ {
    scope.clauses.iter().map(|c| detail(format!("Scoping filter: {}", c.text), json!(c.passed), Some(c.passed)))
}

fn detail(name: impl Into<String>, value: Json, passed: Option<bool>) -> Detail {
    Detail { name: name.into(), value, passed }
}

impl Engine {
    /// Provisions one user on demand. Returns the result and the findings raised.
    pub async fn provision_on_demand(
        &mut self,
        user: &SourceUser,
        mapper: &dyn Mapper,
    ) -> (OnDemandResult, Vec<Finding>) {
        let saved = self.dialect;
        self.dialect = Dialect::Legacy;
        let outcome = self.on_demand_steps(user, mapper).await;
        self.dialect = saved;
        outcome
    }

    async fn on_demand_steps(&mut self, user: &SourceUser, mapper: &dyn Mapper) -> (OnDemandResult, Vec<Finding>) {
        let obj = user_ref(&user.alias, &user.object_id, self.cds.user_target(&user.object_id));
        let mut steps = Vec::new();
        let mut findings = Vec::new();
        let finish = |steps, action, status, modified, findings| {
            (OnDemandResult { object: obj.clone(), steps, action, status, modified }, findings)
        };
        if let Some((failed, probe_findings)) = self.connection_failure(mapper).await {
            steps.push(failed);
            findings.extend(probe_findings);
            return finish(steps, LogAction::Skip, LogStatus::Failure, Vec::new(), findings);
        }
        let eval = evaluate(mapper, ObjectKind::User, &user.attrs, false, self.next_evaluation());
        let imported: Vec<Detail> = user.attrs.iter().map(|(k, v)| detail(k, v.to_json(), None)).collect();
        let import_ok = !eval.matching().is_empty() || self.cds.user_target(&user.object_id).is_some();
        let import_status = if import_ok { LogStatus::Success } else { LogStatus::Failure };
        steps.push(step(OnDemandStepKind::ImportUser, "Import user", import_status, imported, Vec::new()));
        if !import_ok {
            return finish(steps, LogAction::Skip, LogStatus::Skipped, Vec::new(), findings);
        }
        let scope = mapper.scope(ObjectKind::User, &user.attrs);
        let active = user.enabled() && !user.soft_deleted;
        let assigned = self.settings.scope_all || user.assigned;
        let mut conditions = vec![
            detail("Active in source system", json!(active), Some(active)),
            detail("Assigned to application", json!(user.assigned), Some(assigned)),
            detail("Scope sync all", json!(self.settings.scope_all), None),
        ];
        conditions.extend(clause_details(&scope));
        let in_scope = assigned && scope.in_scope;
        let scope_status = if in_scope && active { LogStatus::Success } else { LogStatus::Skipped };
        steps.push(step(
            OnDemandStepKind::DetermineScope,
            "Determine if user is in scope",
            scope_status,
            conditions,
            Vec::new(),
        ));
        let mut log = CycleLog::default();
        let linked = self.cds.users.contains_key(&user.object_id);
        let export = in_scope && active;
        if !export && !linked {
            return finish(steps, LogAction::Skip, LogStatus::Skipped, Vec::new(), findings);
        }
        if export {
            let exported = self.export_user(user, mapper, &mut log).await;
            self.link_managers(&exported.into_iter().collect::<Vec<_>>(), &mut log).await;
        } else {
            self.deprovision_user(&user.object_id, mapper, Some(&user.attrs), !in_scope, &mut log).await;
        }
        let (action, status, modified) =
            self.action_steps(&log, &mut steps, "Match user between source and target system", None);
        findings.extend(log.findings);
        finish(steps, action, status, modified, findings)
    }

    /// Provisions one group on demand with its direct members (at most [`ON_DEMAND_GROUP_MEMBERS`], as the
    /// portal allows): in-scope members are exported first, then the group and its membership.
    pub async fn provision_group_on_demand(
        &mut self,
        group: &SourceGroup,
        snapshot: &SourceSnapshot<'_>,
        mapper: &dyn Mapper,
    ) -> (OnDemandResult, Vec<Finding>) {
        let saved = self.dialect;
        self.dialect = Dialect::Legacy;
        let outcome = self.group_on_demand_steps(group, snapshot, mapper).await;
        self.dialect = saved;
        outcome
    }

    async fn group_on_demand_steps(
        &mut self,
        group: &SourceGroup,
        snapshot: &SourceSnapshot<'_>,
        mapper: &dyn Mapper,
    ) -> (OnDemandResult, Vec<Finding>) {
        let obj = ObjectRef {
            kind: ObjectKind::Group,
            alias: group.alias.clone(),
            source_id: group.object_id.clone(),
            target_id: self.cds.groups.get(&group.object_id).map(|g| g.target_id.clone()),
        };
        let mut steps = Vec::new();
        let mut findings = Vec::new();
        let done = |steps, action, status, modified, findings| {
            (OnDemandResult { object: obj.clone(), steps, action, status, modified }, findings)
        };
        if let Some((failed, probe_findings)) = self.connection_failure(mapper).await {
            steps.push(failed);
            findings.extend(probe_findings);
            return done(steps, LogAction::Skip, LogStatus::Failure, Vec::new(), findings);
        }
        let mut imported: Vec<Detail> = group.attrs.iter().map(|(k, v)| detail(k, v.to_json(), None)).collect();
        imported.push(detail("members", json!(group.members.len()), None));
        let too_many = group.members.len() > ON_DEMAND_GROUP_MEMBERS;
        let import_status = if too_many { LogStatus::Failure } else { LogStatus::Success };
        steps.push(step(OnDemandStepKind::ImportUser, "Import group", import_status, imported, Vec::new()));
        if too_many {
            return done(steps, LogAction::Skip, LogStatus::Failure, Vec::new(), findings);
        }
        let scope = mapper.scope(ObjectKind::Group, &group.attrs);
        let assigned = self.settings.scope_all || group.assigned;
        let mut conditions = vec![detail("Assigned to application", json!(group.assigned), Some(assigned))];
        conditions.extend(clause_details(&scope));
        let in_scope = assigned && scope.in_scope;
        let scope_status = if in_scope { LogStatus::Success } else { LogStatus::Skipped };
        steps.push(step(
            OnDemandStepKind::DetermineScope,
            "Determine if group is in scope",
            scope_status,
            conditions,
            Vec::new(),
        ));
        if !in_scope {
            return done(steps, LogAction::Skip, LogStatus::Skipped, Vec::new(), findings);
        }
        let mut log = CycleLog::default();
        for member in group.members.iter().filter_map(|m| snapshot.user(m)) {
            if member.enabled() && !member.soft_deleted {
                self.export_user(&member, mapper, &mut log).await;
            }
        }
        let mut group_log = CycleLog::default();
        self.export_group(group, mapper, &mut group_log).await;
        log.events.extend(group_log.events);
        log.findings.extend(group_log.findings);
        let (action, status, modified) =
            self.action_steps(&log, &mut steps, "Match group between source and target system", Some(&group.object_id));
        findings.extend(log.findings);
        done(steps, action, status, modified, findings)
    }

    /// Test Connection first: the failed step and its findings when it fails, `None` when it passes.
    async fn connection_failure(&mut self, mapper: &dyn Mapper) -> Option<(OnDemandStep, Vec<Finding>)> {
        let probe = self.test_connection(mapper).await;
        (!probe.result.passed).then(|| failed_connection(probe))
    }

    /// The "Match" and "Perform action" steps from what an export logged. With `main_object`, the action
    /// and status are those of that object's entry (a group provisioned with its members).
    fn action_steps(
        &self,
        log: &CycleLog,
        steps: &mut Vec<OnDemandStep>,
        match_title: &str,
        main_object: Option<&str>,
    ) -> (LogAction, LogStatus, Vec<ModifiedProperty>) {
        let requests: Vec<RequestRef> = log.events.iter().flat_map(|e| e.requests.clone()).collect();
        let (match_requests, action_requests): (Vec<RequestRef>, Vec<RequestRef>) =
            requests.into_iter().partition(|r| r.line.starts_with("GET "));
        // Only this object's exchanges are read: the run's earlier traffic may be large.
        let first = match_requests.iter().chain(&action_requests).map(|r| r.index).min().unwrap_or(usize::MAX);
        let exchanges = if first == usize::MAX { Vec::new() } else { self.actor.client().transcript().since(first) };
        // By index: a long-running job's transcript keeps only its most recent exchanges whole.
        let exchange = |index: usize| exchanges.binary_search_by_key(&index, |e| e.index).ok().map(|k| &exchanges[k]);
        let hits: Vec<Detail> = match_requests
            .iter()
            .map(|r| {
                let found = exchange(r.index)
                    .and_then(|e| e.response_body.json().cloned())
                    .map(|b| b.get("Resources").cloned().unwrap_or(b))
                    .unwrap_or(Json::Null);
                detail(r.line.clone(), found, None)
            })
            .collect();
        let failed = log.events.iter().any(|e| e.status == LogStatus::Failure);
        let match_status = if failed && action_requests.is_empty() { LogStatus::Failure } else { LogStatus::Success };
        if !match_requests.is_empty() {
            steps.push(step(OnDemandStepKind::MatchUser, match_title, match_status, hits, match_requests));
        }
        let mine = |e: &&crate::engine::result::ProvisioningEvent| {
            main_object.is_none() || main_object == Some(e.object.source_id.as_str())
        };
        let main = log
            .events
            .iter()
            .filter(mine)
            .find(|e| e.status == LogStatus::Failure)
            .or_else(|| log.events.iter().find(mine));
        let (action, status) = main.map_or((LogAction::Skip, LogStatus::Skipped), |e| (e.action, e.status));
        let modified: Vec<ModifiedProperty> = log.events.iter().flat_map(|e| e.modified.clone()).collect();
        let mut action_details: Vec<Detail> =
            modified.iter().map(|m| detail(m.name.clone(), json!({"old": m.old, "new": m.new}), None)).collect();
        for r in &action_requests {
            if let Some(e) = exchange(r.index) {
                action_details.push(detail(
                    format!("{} → {}", r.line, e.status.map_or("no answer".to_string(), |s| s.to_string())),
                    json!({"request": e.request_body, "response": e.response_body.json()}),
                    Some(e.is_success() || e.method == Method::Get),
                ));
            }
        }
        if let Some(e) = main.filter(|e| e.code == Some(ErrorCode::EntrySynchronizationSkipped)) {
            action_details.push(detail("reason", json!(e.message), None));
        }
        steps.push(step(OnDemandStepKind::PerformAction, "Perform action", status, action_details, action_requests));
        (action, status, modified)
    }
}
