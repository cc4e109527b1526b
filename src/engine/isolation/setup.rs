//! Before a scenario's first step: look up every value it will use and stop on leftovers (or delete
//! them under `--clean`), then create its `[target]` seeds. A seed the endpoint refuses stops the
//! scenario with a finding that names the seed.

use std::collections::BTreeSet;

use serde_json::Value as Json;

use super::cleanup::delete;
use super::find::find;
use super::values::{scenario_keys, unique_attribute, Key};
use super::{IsolationOptions, IsolationReport, TargetObject, Undeletable};
use crate::engine::action::{describe_failure, Sent};
use crate::engine::result::{Abort, AbortKind, Finding, FindingKind, ObjectKind};
use crate::engine::source::Mapper;
use crate::scenario::Scenario;
use crate::scim::client::{Client, ClientError, Method, Request};

/// What the setup before the first step did, and what cleanup needs afterwards.
#[derive(Debug, Default)]
pub struct Prepared {
    /// The values the scenario's objects will have (empty when the run is not isolated).
    pub keys: BTreeSet<Key>,
    /// The seeds created, by id.
    pub seeded: Vec<TargetObject>,
    /// Leftovers found and cleaned.
    pub report: IsolationReport,
    /// Findings of the setup (leftovers, a failed seed, lookups the endpoint refused).
    pub findings: Vec<Finding>,
    /// Set when the scenario must not run its steps.
    pub stop: Option<Abort>,
    /// True when no object held the scenario's values before its first step (the search was complete
    /// and found none, or all were cleaned): whatever holds them afterwards is the scenario's own.
    pub clean_start: bool,
}

/// Runs the setup: the leftover check when `isolate` (a `--target` run), then the seeds.
pub async fn before_steps(
    setup: &Client,
    scenario: &Scenario,
    mapper: &dyn Mapper,
    options: &IsolationOptions,
    isolate: bool,
) -> Prepared {
    let seeds = seed_resources(scenario, options);
    let mut prepared = Prepared::default();
    if isolate {
        prepared.keys = scenario_keys(scenario, mapper, &seeds);
        check_leftovers(setup, options, &mut prepared).await;
        if prepared.stop.is_some() {
            return prepared;
        }
    }
    seed(setup, &seeds, &mut prepared).await;
    prepared
}

/// The seeds as they will be sent: `schemas` added when absent, names tagged under `--unique-names`.
fn seed_resources(scenario: &Scenario, options: &IsolationOptions) -> Vec<(ObjectKind, Json)> {
    let users = scenario.target.users.iter().map(|u| (ObjectKind::User, u.value.clone()));
    let groups = scenario.target.groups.iter().map(|g| (ObjectKind::Group, g.value.clone()));
    users
        .chain(groups)
        .map(|(kind, mut body)| {
            if let Some(object) = body.as_object_mut() {
                if !object.contains_key("schemas") {
                    let urn = match kind {
                        ObjectKind::User => crate::engine::post::USER_URN,
                        ObjectKind::Group => crate::engine::groups::GROUP_URN,
                    };
                    object.insert("schemas".into(), serde_json::json!([urn]));
                }
            }
            if let Some(tag) = &options.run_tag {
                tag.apply_to_resource(&mut body);
            }
            (kind, body)
        })
        .collect()
}

async fn check_leftovers(setup: &Client, options: &IsolationOptions, prepared: &mut Prepared) {
    let (leftovers, complete) = match find(setup, &prepared.keys).await {
        Ok((found, refused)) => {
            let complete = refused.is_none();
            prepared.findings.extend(refused);
            (found, complete)
        }
        Err(abort) => {
            prepared.stop = Some(abort);
            return;
        }
    };
    if leftovers.is_empty() {
        prepared.clean_start = complete;
        return;
    }
    prepared.report.leftovers = leftovers.clone();
    if !options.clean {
        for object in &leftovers {
            prepared.findings.push(Finding::error(
                FindingKind::Leftover,
                format!("leftover in the target: {} was there before the scenario started", object.describe()),
            ));
        }
        let message = format!(
            "{} leftover object(s) in the target hold values this scenario uses; nothing was written \
             (delete them, or re-run with --clean)",
            leftovers.len()
        );
        prepared.stop = Some(Abort { kind: AbortKind::Leftovers, message });
        return;
    }
    for object in leftovers {
        match delete(setup, &object).await {
            Ok(_) => prepared.report.cleaned.push(object),
            Err(failure) => {
                let reason = failure.reason();
                prepared.findings.push(Finding::error(
                    FindingKind::Cleanup,
                    format!("--clean could not delete leftover {}: {reason}", object.describe()),
                ));
                prepared.report.undeletable.push(Undeletable { object, reason });
            }
        }
    }
    prepared.clean_start = complete && prepared.report.undeletable.is_empty();
    if !prepared.report.undeletable.is_empty() {
        let message = format!(
            "--clean could not delete {} leftover object(s); nothing was written",
            prepared.report.undeletable.len()
        );
        prepared.stop = Some(Abort { kind: AbortKind::Leftovers, message });
    }
}

/// Creates the seeds in order; the first one refused stops the scenario with a finding naming it.
async fn seed(setup: &Client, seeds: &[(ObjectKind, Json)], prepared: &mut Prepared) {
    for (kind, body) in seeds {
        let (table, path) = match kind {
            ObjectKind::User => ("[[target.users]]", "/Users"),
            ObjectKind::Group => ("[[target.groups]]", "/Groups"),
        };
        let name = seed_name(*kind, body);
        let failure = match setup.send(&Request::new(Method::Post, path).body(body.clone())).await {
            Ok(e) if e.is_success() => match e.response_body.json().and_then(|b| b.get("id")).and_then(Json::as_str) {
                Some(id) => {
                    prepared.seeded.push(TargetObject { kind: *kind, id: id.to_string(), name: Some(name) });
                    continue;
                }
                None => format!("{} answered {} without an `id`", e.request_line(), e.status.unwrap_or(0)),
            },
            Ok(e) => describe_failure(&Sent::Answer(e)),
            Err(ClientError::Transport { exchange, kind: why, .. }) => {
                describe_failure(&Sent::NoAnswer(*exchange, why))
            }
            Err(err) => err.to_string(),
        };
        prepared.findings.push(Finding::error(FindingKind::Setup, format!("seeding {table} {name}: {failure}")));
        let message = format!("the seed {table} {name} could not be created; no step ran");
        prepared.stop = Some(Abort { kind: AbortKind::SetupFailed, message });
        return;
    }
}

/// How a seed is named in messages: its unique attribute, else its `externalId`, else its JSON.
fn seed_name(kind: ObjectKind, body: &Json) -> String {
    let attribute = unique_attribute(kind);
    [attribute, "externalId"]
        .iter()
        .find_map(|a| body.get(*a).and_then(Json::as_str).map(|v| format!("{a} {v:?}")))
        .unwrap_or_else(|| body.to_string())
}
