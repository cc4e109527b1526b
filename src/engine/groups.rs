//! Groups (ENTRA.md 1.7): processed after users. Matched with `excludedAttributes=members`, created
//! without members, then members added by PATCH with the members' cached target ids, batched
//! [`crate::engine::state::Settings::member_batch`] per operation. Membership is never read back: the
//! connector data store is the only record. Unassigned or deleted groups are deleted.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value as Json};

use crate::engine::action::{describe_failure, failure_code, list_resources, resource_with_id, single_match, Sent};
use crate::engine::cds::GroupEntry;
use crate::engine::dialect;
use crate::engine::diff::{self, Desired};
use crate::engine::log::{CycleLog, Failed};
use crate::engine::matching;
use crate::engine::resource;
use crate::engine::result::{
    CycleKind, ErrorCode, Finding, FindingKind, LogAction, ModifiedProperty, ObjectKind, ObjectRef, RequestRef,
};
use crate::engine::source::{group_fingerprint, Mapper, SourceGroup, SourceSnapshot};
use crate::engine::state::Engine;
use crate::engine::users::{evaluate, Evaluated};
use crate::fidelity::Fidelity;
use crate::scim::client::{Method, Request};

pub use crate::engine::dialect::GROUP_URN;

fn group_ref(alias: &str, object_id: &str, target_id: Option<&str>) -> ObjectRef {
    ObjectRef {
        kind: ObjectKind::Group,
        alias: alias.to_string(),
        source_id: object_id.to_string(),
        target_id: target_id.map(str::to_string),
    }
}

fn is_members(target: &str) -> bool {
    target.eq_ignore_ascii_case("members")
}

/// The POST body for a group: no members (ENTRA.md 1.7).
pub fn group_post_body(eval: &Evaluated, fidelity: &Fidelity) -> Json {
    let mut attrs = Map::new();
    for (spec, value) in eval.specs.iter().zip(&eval.values) {
        if is_members(&spec.target) || diff::is_empty(value) {
            continue;
        }
        if let Some(path) = &spec.path {
            resource::set(&mut attrs, path, value.clone());
        }
    }
    let mut body = Map::new();
    body.insert("schemas".into(), dialect::group_schemas(fidelity));
    body.extend(attrs);
    body.insert("meta".into(), json!({"resourceType": "Group"}));
    Json::Object(body)
}

impl Engine {
    fn group_in_scope(&self, group: &SourceGroup, mapper: &dyn Mapper) -> bool {
        (self.settings.scope_all || group.assigned) && mapper.scope(ObjectKind::Group, &group.attrs).in_scope
    }

    /// Linked groups that this cycle would delete (for the accidental-deletion threshold).
    pub fn planned_group_deletions(&self, snapshot: &SourceSnapshot<'_>, mapper: &dyn Mapper) -> usize {
        if !self.settings.provision_groups || mapper.specs(ObjectKind::Group).is_empty() {
            return 0;
        }
        self.cds
            .groups
            .keys()
            .filter(|id| !matches!(snapshot.group(id), Some(g) if self.group_in_scope(g, mapper)))
            .count()
    }

    /// Processes groups after users.
    pub async fn run_groups(
        &mut self,
        kind: CycleKind,
        snapshot: &SourceSnapshot<'_>,
        mapper: &dyn Mapper,
        staged: bool,
        log: &mut CycleLog,
    ) {
        let full = kind == CycleKind::Initial || !self.cds.initialized;
        let candidates: Vec<&SourceGroup> = snapshot
            .groups
            .iter()
            .filter(|g| {
                full || self.escrow_due(&g.object_id)
                    || self.cds.fingerprints.get(&g.object_id) != Some(&group_fingerprint(g))
            })
            .collect();
        for group in &candidates {
            if self.group_in_scope(group, mapper) {
                self.export_group(group, mapper, log).await;
            } else if self.cds.groups.contains_key(&group.object_id) {
                self.delete_group(&group.object_id, mapper, staged, log).await;
            } else {
                let obj = group_ref(&group.alias, &group.object_id, None);
                log.skip(&obj, ErrorCode::EntrySynchronizationSkipped, "out of scope");
            }
            if !log.failed.contains(&group.object_id) {
                self.cds.fingerprints.insert(&group.object_id, group_fingerprint(group));
            }
        }
        let gone: Vec<String> = self
            .cds
            .groups
            .keys()
            .filter(|id| snapshot.group(id).is_none() && (full || !self.escrow_held(id)))
            .cloned()
            .collect();
        for id in gone {
            self.delete_group(&id, mapper, staged, log).await;
        }
    }

    async fn delete_group(&mut self, object_id: &str, mapper: &dyn Mapper, staged: bool, log: &mut CycleLog) {
        let Some(entry) = self.cds.groups.get(object_id).cloned() else { return };
        let obj = group_ref(&entry.alias, object_id, Some(&entry.target_id));
        if staged {
            log.skip(&obj, ErrorCode::StagedAction, "held back by the accidental-deletion threshold");
            return;
        }
        if !mapper.actions(ObjectKind::Group).delete {
            log.skip(&obj, ErrorCode::EntrySynchronizationSkipped, "delete pending but the Delete action is off");
            return;
        }
        let sent = self.actor.send(Request::new(Method::Delete, format!("/Groups/{}", entry.target_id))).await;
        let requests = vec![RequestRef::of(sent.exchange())];
        if sent.exchange().is_success() {
            self.cds.groups.remove(object_id);
            log.success(&obj, LogAction::Delete, "deleted", Vec::new(), requests);
        } else {
            let f = Finding::error(FindingKind::ObjectFailure, describe_failure(&sent))
                .with_code(failure_code(&sent))
                .with_request(sent.exchange());
            log.fail(&obj, &requests, f);
        }
    }

    async fn find_group(
        &mut self,
        group: &SourceGroup,
        eval: &Evaluated,
        obj: &ObjectRef,
        requests: &mut Vec<RequestRef>,
        log: &mut CycleLog,
    ) -> Result<Option<(String, Json)>, Failed> {
        let (sent, by_id) = if let Some(entry) = self.cds.groups.get(&group.object_id) {
            let req = Request::new(Method::Get, format!("/Groups/{}", entry.target_id))
                .query("excludedAttributes", "members");
            (Some(self.actor.send(req).await), true)
        } else {
            (None, false)
        };
        let mut answers = Vec::new();
        if let Some(sent) = sent {
            answers.push(sent);
        } else {
            for (attr, value) in eval.matching() {
                let req = Request::new(Method::Get, "/Groups")
                    .query("excludedAttributes", "members")
                    .query("filter", matching::filter(&attr, &value));
                let sent = self.actor.send(req).await;
                let hit = matches!(&sent, Sent::Answer(e) if list_resources(e).is_ok_and(|h| !h.is_empty()));
                answers.push(sent);
                if hit {
                    break;
                }
            }
        }
        let mut found = None;
        for sent in &answers {
            requests.push(RequestRef::of(sent.exchange()));
            let e = match sent {
                Sent::Answer(e) if by_id && e.status == Some(200) => {
                    found = Some(
                        resource_with_id(e).map(|(id, r)| (id, r.clone())).map_err(|f| log.fail(obj, requests, f))?,
                    );
                    continue;
                }
                Sent::Answer(e) if !by_id => e,
                _ => {
                    let f = Finding::error(FindingKind::ObjectFailure, describe_failure(sent))
                        .with_code(failure_code(sent))
                        .with_request(sent.exchange());
                    return Err(log.fail(obj, requests, f));
                }
            };
            let hits = list_resources(e).map_err(|f| log.fail(obj, requests, f))?;
            if let Some(hit) = single_match(e, hits, "group", "groups").map_err(|f| log.fail(obj, requests, f))? {
                found = Some(hit);
            }
        }
        if let (Some((_, res)), Some(last)) = (&found, answers.last()) {
            if res.get("members").is_some_and(|m| !diff::is_empty(m)) {
                log.findings.push(
                    Finding::warning(
                        FindingKind::NonCompliance,
                        format!(
                            "{} returned `members` despite `excludedAttributes=members`",
                            last.exchange().request_line()
                        ),
                    )
                    .with_code(ErrorCode::SystemForCrossDomainIdentityManagementMultipleEntriesInResponse)
                    .with_request(last.exchange())
                    .with_object(obj.clone()),
                );
            }
        }
        Ok(found)
    }

    pub(crate) async fn export_group(&mut self, group: &SourceGroup, mapper: &dyn Mapper, log: &mut CycleLog) {
        let eval = evaluate(mapper, ObjectKind::Group, &group.attrs, false, self.next_evaluation());
        let mut obj = group_ref(
            &group.alias,
            &group.object_id,
            self.cds.groups.get(&group.object_id).map(|g| g.target_id.as_str()),
        );
        if eval.matching().is_empty() && !self.cds.groups.contains_key(&group.object_id) {
            log.skip(&obj, ErrorCode::ImportSkipped, "the source group has no value for any matching attribute");
            return;
        }
        let mut requests = Vec::new();
        let Ok(found) = self.find_group(group, &eval, &obj, &mut requests, log).await else { return };
        let actions = mapper.actions(ObjectKind::Group);
        let (target_id, resource) = match found {
            Some(x) => x,
            None if !actions.create => {
                log.skip(&obj, ErrorCode::EntrySynchronizationSkipped, "no match and the Create action is off");
                return;
            }
            None => {
                let body = group_post_body(&eval, &self.settings.fidelity);
                let sent = self.actor.send(Request::new(Method::Post, "/Groups").body(body.clone())).await;
                requests.push(RequestRef::of(sent.exchange()));
                let created = match &sent {
                    Sent::Answer(e) if e.is_success() => resource_with_id(e).map(|(id, r)| (id, r.clone())),
                    _ => Err(Finding::error(FindingKind::ObjectFailure, describe_failure(&sent))
                        .with_code(failure_code(&sent))
                        .with_request(sent.exchange())),
                };
                let (id, res) = match created {
                    Ok(x) => x,
                    Err(f) => {
                        log.fail(&obj, &requests, f);
                        return;
                    }
                };
                obj.target_id = Some(id.clone());
                self.link_group(group, &id);
                let modified = body
                    .as_object()
                    .map(|o| {
                        o.iter()
                            .filter(|(k, _)| !matches!(k.as_str(), "schemas" | "meta"))
                            .map(|(k, v)| ModifiedProperty { name: k.clone(), old: None, new: Some(v.clone()) })
                            .collect()
                    })
                    .unwrap_or_default();
                log.success(&obj, LogAction::Create, "created", modified, std::mem::take(&mut requests));
                (id, res)
            }
        };
        obj.target_id = Some(target_id.clone());
        self.link_group(group, &target_id);
        let changes = self.group_attribute_changes(&eval, &resource);
        let (adds, removes) = self.member_changes(group);
        if changes.is_empty() && adds.is_empty() && removes.is_empty() {
            if !requests.is_empty() {
                log.skip(&obj, ErrorCode::EntrySynchronizationSkipped, "already in sync; no changes required");
            }
            return;
        }
        if !actions.update {
            log.skip(&obj, ErrorCode::EntrySynchronizationSkipped, "changes pending but the Update action is off");
            return;
        }
        let mut ops = dialect::attribute_ops(self.dialect, &changes);
        let add_ids: Vec<String> = adds.values().cloned().collect();
        let remove_ids: Vec<String> = removes.values().cloned().collect();
        let (fidelity, batch) = (&self.settings.fidelity, self.settings.member_batch);
        ops.extend(dialect::members_add_ops(self.dialect, fidelity, &add_ids, batch));
        ops.extend(dialect::members_remove_ops(self.dialect, fidelity, &remove_ids, batch));
        let sent = self
            .actor
            .send(Request::new(Method::Patch, format!("/Groups/{target_id}")).body(dialect::patch_body(ops)))
            .await;
        requests.push(RequestRef::of(sent.exchange()));
        let mut modified: Vec<ModifiedProperty> = changes
            .iter()
            .map(|c| ModifiedProperty { name: c.path.clone(), old: c.old.clone(), new: Some(c.value.clone()) })
            .collect();
        if !adds.is_empty() || !removes.is_empty() {
            let ids = |m: &BTreeMap<String, String>| Json::Array(m.values().map(|v| json!(v)).collect());
            modified.push(ModifiedProperty {
                name: "members".into(),
                old: (!removes.is_empty()).then(|| ids(&removes)),
                new: (!adds.is_empty()).then(|| ids(&adds)),
            });
        }
        if sent.exchange().is_success() {
            if let Some(entry) = self.cds.groups.get_mut(&group.object_id) {
                entry.members.extend(adds);
                for id in removes.keys() {
                    entry.members.remove(id);
                }
            }
            if !remove_ids.is_empty() && self.dialect == dialect::Dialect::Legacy {
                self.legacy_member_removals.insert(target_id.clone());
            }
            log.success(&obj, LogAction::Update, "updated", modified, requests);
        } else {
            let f = Finding::error(FindingKind::ObjectFailure, describe_failure(&sent))
                .with_code(failure_code(&sent))
                .with_request(sent.exchange());
            log.fail_with(&obj, &requests, f, modified);
        }
    }

    fn link_group(&mut self, group: &SourceGroup, target_id: &str) {
        let entry = self.cds.groups.entry(group.object_id.clone()).or_insert_with(|| GroupEntry {
            alias: group.alias.clone(),
            target_id: target_id.to_string(),
            ..GroupEntry::default()
        });
        entry.target_id = target_id.to_string();
        self.aliases.add(target_id, format!("group:{}", group.alias));
    }

    fn group_attribute_changes(&self, eval: &Evaluated, resource: &Json) -> Vec<dialect::AttrChange> {
        let desired: Vec<Desired> = eval
            .specs
            .iter()
            .zip(&eval.values)
            .filter(|(s, _)| !s.on_create_only && !is_members(&s.target))
            .filter_map(|(s, v)| {
                let path = s.path.as_ref()?;
                Some(Desired {
                    path: s.target.clone(),
                    value: v.clone(),
                    case_exact: s.case_exact,
                    current: resource::get(resource, path),
                    only_if_target_empty: s.only_if_target_empty,
                    flow_always: s.flow_always,
                })
            })
            .collect();
        diff::plan_update(&desired)
    }

    /// Members to add and remove (source objectId → target id): desired members are the group's
    /// direct members that Entra has linked; out-of-scope members are left out.
    fn member_changes(&self, group: &SourceGroup) -> (BTreeMap<String, String>, BTreeMap<String, String>) {
        let exported = self.cds.groups.get(&group.object_id).map(|g| g.members.clone()).unwrap_or_default();
        let desired: BTreeMap<String, String> = group
            .members
            .iter()
            .filter_map(|m| self.cds.users.get(m).map(|u| (m.clone(), u.target_id.clone())))
            .collect();
        let adds =
            desired.iter().filter(|(k, _)| !exported.contains_key(*k)).map(|(k, v)| (k.clone(), v.clone())).collect();
        let removes =
            exported.iter().filter(|(k, _)| !desired.contains_key(*k)).map(|(k, v)| (k.clone(), v.clone())).collect();
        (adds, removes)
    }
}
