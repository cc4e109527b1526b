//! Replayed scenarios run by the engine against the embedded endpoint reproduce the logged counts.

use std::path::Path;

use entrasim::diagnostic::render_all;
use entrasim::logs::{self, replay, Anonymizer, LogRecord};

use super::{fixture, graph, record};

/// Runs a replayed scenario against the embedded endpoint; returns the expectations that did not hold.
fn run_replay(records: &[LogRecord], dir_name: &str, anonymizer: Option<&Anonymizer>) -> Vec<String> {
    run_replay_with(records, dir_name, Some(&fixture("schema.json")), anonymizer)
}

/// Like [`run_replay`] with any schema (or the preset when `None`).
fn run_replay_with(
    records: &[LogRecord],
    dir_name: &str,
    schema: Option<&Path>,
    anonymizer: Option<&Anonymizer>,
) -> Vec<String> {
    let dir = std::env::temp_dir().join(format!("entrasim-{dir_name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let options = replay::ReplayOptions { anonymizer, ..Default::default() };
    let replay = replay::build(records, schema, &options).expect("builds");
    if let Some((schema_name, schema)) = replay.schema_copy.clone() {
        std::fs::write(dir.join(schema_name), schema).expect("write schema");
    }
    let path = dir.join("replay.toml");
    std::fs::write(&path, &replay.scenario_toml).expect("write scenario");
    let loaded = entrasim::scenario::load(&path).map_err(|d| render_all(&d, false)).expect("scenario loads");
    let scenario = loaded.scenario;
    let mapping = entrasim::mapping::load(&scenario.mapping.spec, &scenario.base_dir)
        .map_err(|d| render_all(&d, false))
        .expect("mapping loads");
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let options = entrasim::engine::RunOptions::default();
    let result = runtime
        .block_on(entrasim::engine::run_scenario(
            &scenario,
            "replay",
            &mapping.set,
            entrasim::engine::Target::Embedded,
            &options,
        ))
        .expect("run starts");
    if std::env::var_os("ENTRASIM_DEBUG_REPLAY").is_some() {
        eprintln!("{}", serde_json::to_string_pretty(&result.steps).unwrap_or_default());
    }
    result
        .steps
        .iter()
        .flat_map(|s| {
            s.expectations.iter().filter(|e| !e.passed).map(move |e| {
                format!("step {} ({}): {} expected {} got {}", s.index, s.label, e.what, e.expected, e.actual)
            })
        })
        .collect()
}

#[test]
fn a_replay_run_on_the_embedded_endpoint_reproduces_the_logged_actions() {
    // The embedded endpoint is healthy: drop what only a failing endpoint reproduces (the 5xx escrow and the
    // cycle where every call got 401). The 409 conflicts stay: the replay reproduces them.
    let records: Vec<LogRecord> = graph()
        .into_iter()
        .filter(|r| !matches!(r.error_code(), Some("InternalServerError" | "Unauthorized")))
        .collect();
    let failed = run_replay(&records, "replay-run", None);
    assert!(failed.is_empty(), "expectations that did not hold:\n{}", failed.join("\n"));

    let mut anonymizer = Anonymizer::new(b"run key");
    let anon = anonymizer.anonymize_records(&records);
    let failed = run_replay(&anon, "replay-run-anon", Some(&anonymizer));
    assert!(failed.is_empty(), "anonymised: expectations that did not hold:\n{}", failed.join("\n"));
}

#[test]
fn a_replayed_disable_and_re_enable_run_as_logged() {
    let with = |mut r: serde_json::Value, props: serde_json::Value, active: Option<bool>| {
        r["modifiedProperties"] = props;
        if let Some(active) = active {
            r["provisioningSteps"] = serde_json::json!([{"name": "EntrySynchronizationScoping", "provisioningStepType": "scoping",
                "status": "success", "description": "", "details": {"Active in the source system": active.to_string(),
                "Assigned to the application": "True"}}]);
        }
        r
    };
    let created = serde_json::json!([
        {"displayName": "userName", "oldValue": null, "newValue": "ann@contoso.com"},
        {"displayName": "displayName", "oldValue": null, "newValue": "Ann Lee"},
        {"displayName": "active", "oldValue": null, "newValue": "True"}
    ]);
    let off = serde_json::json!([{"displayName": "active", "oldValue": "True", "newValue": "False"}]);
    let on = serde_json::json!([{"displayName": "active", "oldValue": "False", "newValue": "True"}]);
    let log = serde_json::json!({"value": [
        with(record("c1", "2026-11-20T08:00:01Z", "User", "u1", "Ann Lee", "create", "success"), created, Some(true)),
        with(record("c2", "2026-11-20T08:40:01Z", "User", "u1", "Ann Lee", "disable", "success"), off, Some(false)),
        with(record("c3", "2026-11-20T09:20:01Z", "User", "u1", "Ann Lee", "update", "success"), on, Some(true)),
    ]});
    let records =
        logs::parse_str("on-off.json", &log.to_string()).map_err(|d| render_all(&d, false)).expect("parses").records;
    let toml = replay::build(&records, None, &replay::ReplayOptions::default()).expect("builds").scenario_toml;
    assert!(toml.contains("disable = \"ann\"") && toml.contains("enable = \"ann\""), "{toml}");
    // Entra logs a re-enable as an update, and the engine counts it as one too (its `enables` needs the old
    // `active = false` in the diff).
    assert!(toml.contains("updates = 1, disables = 0, enables = 0"), "{toml}");
    let failed = run_replay_with(&records, "on-off", None, None);
    assert!(failed.is_empty(), "expectations that did not hold:\n{}\n{toml}", failed.join("\n"));
}
