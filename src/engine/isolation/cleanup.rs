//! After a scenario's last step (also after a failure, an abort or Ctrl-C): delete by id everything it
//! seeded, linked or created (groups first, so no group still references a user being deleted), then
//! look its values up again and delete whatever is still there — an object whose create answer never
//! came back. `--keep` lists the objects instead of deleting them.

use std::collections::BTreeSet;

use futures::StreamExt as _;
use serde_json::Value as Json;

use super::find::{find, IN_FLIGHT};
use super::setup::Prepared;
use super::{IsolationOptions, IsolationReport, TargetObject, Undeletable};
use crate::engine::action::{describe_failure, Sent};
use crate::engine::cds::Cds;
use crate::engine::result::{Abort, AbortKind, Finding, FindingKind, ObjectKind};
use crate::scim::client::{Client, Exchange, Method, Request};

/// What cleanup found to report: its findings, and an abort when something could not be deleted.
pub struct Cleaned {
    /// What isolation did around the scenario, setup included.
    pub report: IsolationReport,
    /// Objects that could not be deleted, one error each.
    pub findings: Vec<Finding>,
    /// Set when something could not be deleted (exit 4).
    pub abort: Option<Abort>,
}

/// Deletes (or, under `--keep`, lists) what the scenario left in the target. `transcript` is the run's
/// Entra traffic; creates whose answer carried an `id` are found there.
pub async fn cleanup(
    setup: &Client,
    prepared: Prepared,
    cds: &Cds,
    transcript: &[Exchange],
    options: &IsolationOptions,
) -> Cleaned {
    let mut report = prepared.report;
    let mut findings = Vec::new();
    let created = created_objects(&prepared.seeded, cds, transcript);
    if options.keep {
        report.kept = created;
        return Cleaned { report, findings, abort: None };
    }
    let undeletable_before = report.undeletable.len();
    let answering = delete_all(setup, created, &mut report).await;
    // Objects created without an answer (a timeout) are found by value. When no object held the
    // scenario's values before its first step, whatever holds them now is the scenario's; otherwise
    // (leftovers kept, or a search the endpoint refused) only what is known by id is.
    let sweep =
        if prepared.clean_start && answering { find(setup, &prepared.keys).await } else { Ok((Vec::new(), None)) };
    match sweep {
        Ok((remaining, _)) => {
            let remaining = remaining.into_iter().filter(|o| !report.undeletable.iter().any(|u| u.object.id == o.id));
            delete_all(setup, remaining.collect(), &mut report).await;
        }
        Err(abort) => findings.push(Finding::warning(
            FindingKind::Setup,
            format!("cleanup could not look for objects created without an answer: {}", abort.message),
        )),
    }
    let undeletable = &report.undeletable[undeletable_before..];
    for u in undeletable {
        findings.push(Finding::error(
            FindingKind::Cleanup,
            format!("cleanup could not delete {}: {}", u.object.describe(), u.reason),
        ));
    }
    let abort = (!undeletable.is_empty()).then(|| Abort {
        kind: AbortKind::CleanupFailed,
        message: format!("cleanup could not delete {} object(s) the scenario created", undeletable.len()),
    });
    Cleaned { report, findings, abort }
}

/// Seeded ids, then ids of creates in the transcript, then linked ones; each once, groups first.
fn created_objects(seeded: &[TargetObject], cds: &Cds, transcript: &[Exchange]) -> Vec<TargetObject> {
    let mut objects: Vec<TargetObject> = seeded.to_vec();
    objects.extend(transcript.iter().filter_map(created_by));
    let linked_users = cds.users.sorted().into_iter().map(|(_, u)| (ObjectKind::User, &u.target_id, &u.alias));
    let linked_groups = cds.groups.values().map(|g| (ObjectKind::Group, &g.target_id, &g.alias));
    objects.extend(linked_users.chain(linked_groups).map(|(kind, id, alias)| TargetObject {
        kind,
        id: id.clone(),
        name: Some(format!("source {alias}")),
    }));
    let mut seen = BTreeSet::new();
    let mut unique: Vec<TargetObject> = Vec::with_capacity(objects.len());
    for object in objects {
        if !object.id.is_empty() && seen.insert((object.kind, object.id.clone())) {
            unique.push(object);
        }
    }
    // Stable: groups before users, each in the order they were seeded or created.
    unique.sort_by_key(|o| o.kind != ObjectKind::Group);
    unique
}

/// The object a successful `POST /Users` or `POST /Groups` created.
fn created_by(e: &Exchange) -> Option<TargetObject> {
    if e.method != Method::Post || !e.is_success() {
        return None;
    }
    let kind = match e.path.trim_end_matches('/').rsplit('/').next() {
        Some("Users") => ObjectKind::User,
        Some("Groups") => ObjectKind::Group,
        _ => return None,
    };
    let body = e.response_body.json()?;
    let id = body.get("id").and_then(Json::as_str)?;
    let attribute = super::values::unique_attribute(kind);
    let name = body.get(attribute).and_then(Json::as_str).map(|v| format!("{attribute} {v:?}"));
    Some(TargetObject { kind, id: id.to_string(), name })
}

/// Deletes the objects, groups before users, [`IN_FLIGHT`] at a time; after the first DELETE without
/// an answer the rest are not tried (each would wait out the timeout too). False when that happened.
async fn delete_all(setup: &Client, objects: Vec<TargetObject>, report: &mut IsolationReport) -> bool {
    let (groups, users): (Vec<_>, Vec<_>) = objects.into_iter().partition(|o| o.kind == ObjectKind::Group);
    for batch in [groups, users] {
        let mut answers = futures::stream::iter(batch.iter().enumerate())
            .map(|(i, object)| async move { (i, delete(setup, object).await) })
            .buffered(IN_FLIGHT);
        let mut stopped_at = None;
        while let Some((i, outcome)) = answers.next().await {
            let object = batch[i].clone();
            match outcome {
                Ok(true) => report.deleted.push(object),
                Ok(false) => {}
                Err(Failure::Answered(reason)) => report.undeletable.push(Undeletable { object, reason }),
                Err(Failure::NoAnswer(reason)) => {
                    report.undeletable.push(Undeletable { object, reason });
                    stopped_at = Some(i);
                    break;
                }
            }
        }
        drop(answers);
        if let Some(i) = stopped_at {
            // Requests still in flight are dropped: whether they deleted anything is unknown.
            let reason = "not confirmed: the target stopped answering";
            report.undeletable.extend(
                batch[i + 1..].iter().map(|object| Undeletable { object: object.clone(), reason: reason.into() }),
            );
            return false;
        }
    }
    true
}

/// Why a DELETE did not delete.
pub(super) enum Failure {
    /// The endpoint answered something other than success or 404.
    Answered(String),
    /// No HTTP answer.
    NoAnswer(String),
}

impl Failure {
    /// The reason, one line.
    pub(super) fn reason(self) -> String {
        match self {
            Failure::Answered(r) | Failure::NoAnswer(r) => r,
        }
    }
}

/// `DELETE` by id: `Ok(true)` when deleted, `Ok(false)` when it was already gone (404), else why not.
pub(super) async fn delete(setup: &Client, object: &TargetObject) -> Result<bool, Failure> {
    match setup.send(&Request::new(Method::Delete, object.path())).await {
        Ok(e) if e.is_success() => Ok(true),
        Ok(e) if e.status == Some(404) => Ok(false),
        Ok(e) => Err(Failure::Answered(describe_failure(&Sent::Answer(e)))),
        Err(err) => Err(Failure::NoAnswer(err.to_string())),
    }
}
