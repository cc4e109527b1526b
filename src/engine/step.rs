//! Running one scenario step: a directory change, Test Connection, a cycle (or a restart and its initial
//! cycle), provision on demand, a steady-state check or a target edit; then checking the step's
//! expectations against what it did.

use std::time::Duration;

use crate::directory::Directory;
use crate::engine::check;
use crate::engine::result::{Abort, CycleKind, Finding, FindingKind, StepDetail, StepResult};
use crate::engine::source::Mapper;
use crate::engine::state::Engine;
use crate::engine::view;
use crate::scenario::{self, Action, ObjectAlias, Restart, Step};
use crate::scim::client::{Client, Method, Request};
use crate::snapshot::Redactor;

/// Cycles run 40 minutes apart (ENTRA.md 6.1).
const CYCLE_INTERVAL: Duration = Duration::from_secs(40 * 60);

#[allow(clippy::too_many_arguments)]
pub(crate) async fn run_step(
    engine: &mut Engine,
    setup: &Client,
    dir: &mut Directory,
    mapper: &dyn Mapper,
    index: usize,
    label: String,
    step: Option<&Step>,
    base: &str,
    secrets: &[String],
) -> (StepResult, Option<Abort>) {
    let first = engine.transcript_len();
    let at = engine.clock.now();
    let mut findings = Vec::new();
    let mut abort = None;
    let action = step.map_or(&Action::Steady, |s| &s.action);
    let detail = match action {
        Action::TestConnection => {
            let probe = engine.test_connection(mapper).await;
            findings.extend(probe.findings);
            abort = probe.abort;
            StepDetail::TestConnection(probe.result)
        }
        Action::Cycle(kind) => {
            let kind = match kind {
                scenario::CycleKind::Initial => CycleKind::Initial,
                scenario::CycleKind::Incremental => CycleKind::Incremental,
            };
            cycle(engine, dir, mapper, kind, &mut findings).await
        }
        Action::Restart(r) => {
            engine.cds.restart(*r == Restart::Full);
            engine.quarantine = None;
            cycle(engine, dir, mapper, CycleKind::Initial, &mut findings).await
        }
        Action::Change(m) => {
            if let Err(e) = dir.apply(m) {
                findings.push(Finding::error(FindingKind::Expectation, format!("directory change failed: {e}")));
            }
            StepDetail::Directory { change: action.to_string() }
        }
        Action::OnDemand(ObjectAlias::User(alias)) => {
            let snapshot = view::snapshot(dir);
            match snapshot.users.iter().find(|u| u.alias == *alias) {
                Some(user) => {
                    let (od, f) = engine.provision_on_demand(user, mapper).await;
                    findings.extend(f);
                    StepDetail::OnDemand(od)
                }
                None => {
                    findings.push(Finding::error(
                        FindingKind::Expectation,
                        format!("user `{alias}` is not in the directory"),
                    ));
                    StepDetail::Directory { change: action.to_string() }
                }
            }
        }
        Action::OnDemand(ObjectAlias::Group(alias)) => {
            let snapshot = view::snapshot(dir);
            match snapshot.groups.iter().find(|g| g.alias == *alias) {
                Some(group) => {
                    let (od, f) = engine.provision_group_on_demand(group, &snapshot, mapper).await;
                    findings.extend(f);
                    StepDetail::OnDemand(od)
                }
                None => {
                    findings.push(Finding::error(
                        FindingKind::Expectation,
                        format!("group `{alias}` is not in the directory"),
                    ));
                    StepDetail::Directory { change: action.to_string() }
                }
            }
        }
        Action::Steady => {
            engine.clock.advance(CYCLE_INTERVAL);
            let snapshot = view::snapshot(dir);
            let (steady, f) = engine.steady_check(&snapshot, mapper).await;
            findings.extend(f);
            StepDetail::Steady(steady)
        }
        Action::TargetEdit(edit) => {
            findings.extend(target_edit(engine, setup, dir, edit).await);
            StepDetail::Directory { change: action.to_string() }
        }
    };
    let end = engine.transcript_len();
    let expect = step.and_then(|s| s.expect.as_ref());
    // Expectations read the step's requests as redacted lines; a step without any needs no copy of them.
    let expectations = match expect {
        None => Vec::new(),
        Some(x) => {
            let exchanges = engine.actor.client().transcript().since(first);
            let mut redactor = Redactor::new(&engine.aliases.list, Some(base), secrets);
            redactor.learn(&exchanges);
            let step_exchanges: Vec<&crate::scim::client::Exchange> = exchanges.iter().take(end - first).collect();
            let line_of = |e: &crate::scim::client::Exchange| redactor.request_line(e);
            check::check(x, &detail, &findings, &step_exchanges, &line_of)
        }
    };
    let outcome = check::outcome(expect, &findings, &expectations);
    let result = StepResult { index, label, at, outcome, detail, expectations, findings, requests: first..end };
    (result, abort)
}

async fn cycle(
    engine: &mut Engine,
    dir: &Directory,
    mapper: &dyn Mapper,
    kind: CycleKind,
    findings: &mut Vec<Finding>,
) -> StepDetail {
    if engine.cycles > 0 {
        engine.clock.advance(CYCLE_INTERVAL + engine.actor.take_waited());
    }
    let snapshot = view::snapshot(dir);
    let (result, log) = engine.run_cycle(kind, &snapshot, mapper).await;
    findings.extend(log.findings);
    if engine.quarantine.is_none() {
        engine.quarantine = quarantine_cause(findings);
    }
    if let Some(q) = &result.quarantine {
        findings.push(Finding::error(FindingKind::Quarantine, format!("the job is quarantined: {q}")));
    }
    StepDetail::Cycle(result)
}

/// Quarantine causes a cycle can show (ENTRA.md 6.5): credentials refused, or a SCIM compliance failure
/// such as 404 on a zero-result query.
fn quarantine_cause(findings: &[Finding]) -> Option<String> {
    let status = |f: &Finding| f.request.as_ref().and_then(|r| r.status);
    if findings.iter().any(|f| matches!(status(f), Some(401) | Some(403))) {
        return Some("EncounteredQuarantineException: the endpoint refused Entra's credentials".into());
    }
    findings.iter().any(|f| f.kind == FindingKind::NonCompliance && status(f) == Some(404)).then(|| {
        "EncounteredQuarantineException: HTTP/404 Not Found was returned rather than the expected HTTP/200 OK".into()
    })
}

async fn target_edit(engine: &Engine, setup: &Client, dir: &Directory, edit: &scenario::TargetEdit) -> Vec<Finding> {
    let (path, target_id) = match &edit.object {
        ObjectAlias::User(a) => {
            let oid = dir.user_id(a).and_then(|id| dir.user(id)).map(|u| u.object_id().to_string());
            ("Users", oid.and_then(|o| engine.cds.user_target(&o).map(str::to_string)))
        }
        ObjectAlias::Group(a) => {
            let oid = dir.group_id(a).and_then(|id| dir.group(id)).map(|g| g.object_id().to_string());
            ("Groups", oid.and_then(|o| engine.cds.groups.get(&o).map(|g| g.target_id.clone())))
        }
    };
    let Some(id) = target_id else {
        return vec![Finding::error(
            FindingKind::Expectation,
            format!("target_edit: `{}` is not linked to a target object yet", edit.object.alias()),
        )];
    };
    let mut ops: Vec<serde_json::Value> =
        edit.set.iter().map(|(p, v)| serde_json::json!({"op": "replace", "path": p, "value": v})).collect();
    ops.extend(edit.unset.iter().map(|p| serde_json::json!({"op": "remove", "path": p})));
    let body = crate::engine::dialect::patch_body(ops);
    match setup.send(Request::new(Method::Patch, format!("/{path}/{id}")).body(body)).await {
        Ok(e) if e.is_success() => Vec::new(),
        Ok(e) => vec![Finding::error(
            FindingKind::Transport,
            format!("target_edit failed: {} returned {}", e.request_line(), e.status.unwrap_or(0)),
        )],
        Err(err) => vec![Finding::error(FindingKind::Transport, format!("target_edit failed: {err}"))],
    }
}
