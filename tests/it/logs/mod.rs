//! Provisioning logs: the three formats read into one model, summaries, replayed scenarios, anonymisation
//! and located diagnostics for malformed files. Property tests are in `fuzz`, runs of replayed scenarios on
//! the embedded endpoint in `run`.

mod fuzz;
mod run;

use std::path::{Path, PathBuf};

use entrasim::diagnostic::render_all;
use entrasim::logs::{self, replay, Action, Anonymizer, LogFormat, LogRecord, Status};

pub(crate) fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/logs").join(name)
}

fn read(name: &str) -> Vec<LogRecord> {
    match logs::read(&fixture(name)) {
        Ok(r) => r,
        Err(d) => panic!("{}", render_all(&d, false)),
    }
}

pub(crate) fn graph() -> Vec<LogRecord> {
    read("graph.json")
}

#[test]
fn each_format_reads_into_the_same_records() {
    let graph = graph();
    let portal = read("admin-center.json");
    let csv = read("csv/ProvisioningLogs_2026-11-20.csv");
    assert_eq!(graph.len(), 16);
    assert_eq!(graph, portal);
    assert_eq!(graph, csv);
}

#[test]
fn several_files_read_as_one_log_without_duplicates() {
    let files = [fixture("graph.json"), fixture("admin-center.json")];
    assert_eq!(logs::read_all(&files).map_err(|d| render_all(&d, false)), Ok(graph()));
    let missing = logs::read_all(&[fixture("graph.json"), fixture("missing.json")]).expect_err("fails");
    assert!(render_all(&missing, false).contains("missing.json"));
}

#[test]
fn formats_are_detected() {
    let format = |name: &str| logs::read_detailed(&fixture(name)).map(|r| r.format).ok();
    assert_eq!(format("graph.json"), Some(LogFormat::GraphJson));
    assert_eq!(format("admin-center.json"), Some(LogFormat::AdminCenterJson));
    assert_eq!(format("csv/ProvisioningLogs_2026-11-20.csv"), Some(LogFormat::AdminCenterCsv));
}

#[test]
fn records_carry_actions_statuses_errors_and_steps() {
    let records = graph();
    let dan = records.iter().find(|r| r.source.display_name == "Dan Brown").expect("Dan is logged");
    assert_eq!((dan.action, dan.status), (Action::Create, Status::Failure));
    assert_eq!(dan.error_code(), Some("EntryConflict"));
    assert_eq!(dan.steps.len(), 4);
    assert_eq!(dan.modified_properties[0].name, "userName");
    let carol_disable = records.iter().find(|r| r.action == Action::Disable).expect("a disable is logged");
    assert_eq!(carol_disable.source.display_name, "Carol White");
}

#[test]
fn bare_arrays_and_lists_of_pages_are_read() {
    let text = std::fs::read_to_string(fixture("graph.json")).expect("fixture");
    let page: serde_json::Value = serde_json::from_str(&text).expect("fixture is JSON");
    let bare = serde_json::to_string(&page["value"]).expect("serialise");
    let pages = serde_json::to_string(&serde_json::json!([page, {"value": []}])).expect("serialise");
    for text in [bare, pages] {
        let read = logs::parse_str("x.json", &text).map(|r| r.records).map_err(|d| render_all(&d, false));
        assert_eq!(read, Ok(graph()));
    }
}

#[test]
fn written_graph_json_reads_back_the_same() {
    let records = graph();
    let text = logs::to_graph_json(&records);
    let back = logs::parse_str("out.json", &text).map(|r| r.records).map_err(|d| render_all(&d, false));
    assert_eq!(back, Ok(records));
}

#[test]
fn summary_counts_cycles_errors_and_hints() {
    let summary = logs::summarize(&graph());
    insta::assert_snapshot!("summary", summary.render(false));
    assert_eq!(summary.cycles.len(), 3);
    insta::assert_json_snapshot!("summary_json", summary.cycles[2]);
    let json = serde_json::to_value(&summary).expect("summary serialises");
    assert_eq!(json["cycles"][0]["actions"][0]["action"], "create");
    let ansi = regex::Regex::new("\u{1b}\\[[0-9;]*m").expect("regex");
    assert_eq!(ansi.replace_all(&summary.render(true), ""), summary.render(false), "colour only adds styles");
}

#[test]
fn one_users_history_across_cycles() {
    // See: ticket "user X never gets updated"
    let histories = logs::history(&graph(), "alice.smith@contoso");
    assert_eq!(histories.len(), 1);
    insta::assert_snapshot!("history_alice", histories[0].render());
    assert!(logs::history(&graph(), "nobody").is_empty());
}

#[test]
fn replay_with_schema_emits_the_customer_mapping() {
    let schema = fixture("schema.json");
    let options = replay::ReplayOptions { format: Some(LogFormat::GraphJson), ..Default::default() };
    let replay = replay::build(&graph(), Some(&schema), &options).expect("replay builds");
    insta::assert_snapshot!("replay_with_schema", replay.scenario_toml);
    let (name, contents) = replay.schema_copy.expect("schema copy");
    assert_eq!(name, "schema.json");
    assert!(contents.contains("synchronizationRules"));
    let parsed: toml::Table = toml::from_str(&replay.scenario_toml).expect("emitted TOML parses");
    assert_eq!(parsed["mapping"].as_str(), Some("schema.json"));
}

#[test]
fn replay_without_schema_uses_the_preset_and_says_so() {
    let replay = replay::build(&graph(), None, &replay::ReplayOptions::default()).expect("replay builds");
    assert!(replay.scenario_toml.contains("mapping = \"entra-default\""));
    assert!(replay.notes.iter().any(|n| n.contains("no synchronization schema")), "{:?}", replay.notes);
    assert!(replay.schema_copy.is_none());
    insta::assert_snapshot!("replay_without_schema", replay.scenario_toml);
}

/// Every emitted scenario must load with the scenario parser (errors fail; warnings are allowed).
pub(crate) fn assert_scenario_parses(toml: &str) {
    let base = fixture("");
    if let Err(d) = entrasim::scenario::parse_str("replay.toml", toml, &base) {
        panic!("emitted scenario does not parse:\n{}\n{toml}", render_all(&d, false));
    }
}

#[test]
fn emitted_scenarios_parse_as_scenarios() {
    let schema = fixture("schema.json");
    for format in ["graph.json", "admin-center.json", "csv/ProvisioningLogs_2026-11-20.csv"] {
        let records = read(format);
        for schema in [Some(schema.as_path()), None] {
            let replay = replay::build(&records, schema, &replay::ReplayOptions::default()).expect("replay builds");
            assert_scenario_parses(&replay.scenario_toml);
        }
        let mut anonymizer = Anonymizer::default();
        let anon = anonymizer.anonymize_records(&records);
        let options = replay::ReplayOptions { anonymizer: Some(&anonymizer), ..Default::default() };
        let replay = replay::build(&anon, Some(&schema), &options).expect("replay builds");
        assert_scenario_parses(&replay.scenario_toml);
    }
}

/// A Graph record, for small hand-written logs.
pub(crate) fn record(
    cycle: &str,
    time: &str,
    kind: &str,
    id: &str,
    name: &str,
    action: &str,
    status: &str,
) -> serde_json::Value {
    serde_json::json!({
        "id": format!("{cycle}-{id}-{action}"), "activityDateTime": time, "jobId": "scim.job", "cycleId": cycle,
        "changeId": format!("{cycle}-{id}"), "provisioningAction": action,
        "provisioningStatusInfo": {"status": status},
        "sourceIdentity": {"id": id, "displayName": name, "identityType": kind, "details": {}},
        "targetIdentity": {"id": format!("t-{id}"), "displayName": "", "identityType": kind, "details": {}},
        "modifiedProperties": [], "provisioningSteps": []
    })
}

#[test]
fn replay_rebuilds_group_membership_and_staged_deletes() {
    let user = |cycle: &str, time: &str, id: &str, name: &str, action: &str, upn: &str| {
        let mut r = record(cycle, time, "User", id, name, action, "success");
        r["modifiedProperties"] = serde_json::json!([{"displayName": "userName", "oldValue": null, "newValue": upn}]);
        r
    };
    let mut eng = record("c1", "2026-11-20T08:00:09Z", "Group", "g1", "Engineering", "create", "success");
    eng["modifiedProperties"] = serde_json::json!([
        {"displayName": "displayName", "oldValue": null, "newValue": "Engineering"},
        {"displayName": "members", "oldValue": null, "newValue": "[\"t-u1\",\"t-u2\"]"}
    ]);
    let mut eng2 = record("c2", "2026-11-20T08:40:09Z", "Group", "g1", "Engineering", "update", "success");
    eng2["modifiedProperties"] = serde_json::json!([{"displayName": "members", "oldValue": "t-u2", "newValue": null}]);
    let mut staged = record("c2", "2026-11-20T08:40:12Z", "User", "u1", "Ann Lee", "stagedDelete", "skipped");
    staged["provisioningSteps"] = serde_json::json!([{"name": "EntrySynchronizationScoping", "provisioningStepType": "scoping",
        "status": "success", "description": "", "details": {"Assigned to the application": "False"}}]);
    let log = serde_json::json!({"value": [
        user("c1", "2026-11-20T08:00:01Z", "u1", "Ann Lee", "create", "ann@contoso.com"),
        user("c1", "2026-11-20T08:00:02Z", "u2", "Ben Ode", "create", "ben@contoso.com"),
        eng, eng2, staged,
    ]});
    let records =
        logs::parse_str("small.json", &log.to_string()).map_err(|d| render_all(&d, false)).expect("parses").records;
    let replay = replay::build(&records, None, &replay::ReplayOptions::default()).expect("replay builds");
    let toml = &replay.scenario_toml;
    assert!(toml.contains("members = [\"ann\", \"ben\"]"), "{toml}");
    assert!(toml.contains("remove_member = \"engineering\"\nuser = \"ben\""), "{toml}");
    assert!(toml.contains("deletion_threshold = 1"), "{toml}");
    assert!(toml.contains("unassign = \"ann\""), "{toml}");
    assert_scenario_parses(toml);
}

#[test]
fn replay_reproduces_a_create_conflict_with_a_case_shifted_target_object() {
    let toml = replay::build(&graph(), None, &replay::ReplayOptions::default()).expect("replay builds").scenario_toml;
    assert!(toml.contains("case_exact_filters = true"), "{toml}");
    assert!(toml.contains("userName = \"DAN.BROWN@CONTOSO.COM\""), "{toml}");
}

#[test]
fn replay_of_a_never_steady_endpoint_drops_the_flapping_attributes() {
    // See: ticket "everyone is re-provisioned every cycle"
    let update = |cycle: &str, time: &str| {
        let mut r = record(cycle, time, "User", "u1", "Ann Lee", "update", "success");
        r["modifiedProperties"] = serde_json::json!([{"displayName": "emails[type eq \"work\"].value", "oldValue": null, "newValue": "ann@contoso.com"}]);
        r
    };
    let mut create = record("c1", "2026-11-20T08:00:01Z", "User", "u1", "Ann Lee", "create", "success");
    create["modifiedProperties"] = serde_json::json!([
        {"displayName": "userName", "oldValue": null, "newValue": "ann@contoso.com"},
        {"displayName": "emails[type eq \"work\"].value", "oldValue": null, "newValue": "ann@contoso.com"}
    ]);
    let log = serde_json::json!({"value": [create, update("c2", "2026-11-20T08:40:01Z"), update("c3", "2026-11-20T09:20:01Z")]});
    let records =
        logs::parse_str("flap.json", &log.to_string()).map_err(|d| render_all(&d, false)).expect("parses").records;
    let summary = logs::summarize(&records);
    assert!(summary.hints.iter().any(|h| h.kind == logs::HintKind::NotSteady), "{:?}", summary.hints);
    let toml = replay::build(&records, None, &replay::ReplayOptions::default()).expect("builds").scenario_toml;
    assert!(toml.contains("keep_attributes = ["), "{toml}");
    let keep = toml.lines().find(|l| l.starts_with("keep_attributes")).unwrap_or_default();
    assert!(keep.contains("\"userName\"") && !keep.contains("\"emails\""), "{keep}");
    assert!(toml.contains("updates = 1"), "{toml}");
    assert_scenario_parses(&toml);
}

#[test]
fn replay_of_no_records_is_an_error() {
    let err = replay::build(&[], None, &replay::ReplayOptions::default()).err();
    assert!(matches!(err, Some(replay::ReplayError::NoRecords)));
}

#[test]
fn replay_reports_a_located_error_for_a_bad_schema() {
    let dir = std::env::temp_dir().join(format!("entrasim-logs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("bad-schema.json");
    std::fs::write(&path, "{\n  \"synchronizationRules\": [\n    {\"objectMappings\": ]\n}\n").expect("write");
    let err = replay::build(&graph(), Some(&path), &replay::ReplayOptions::default()).expect_err("fails");
    let position = err.diagnostics().first().and_then(|d| d.position()).expect("located");
    assert!(position.ends_with(":3:24"), "{position}");
}

#[test]
fn the_schema_fixture_loads_as_a_mapping() {
    let loaded = entrasim::mapping::load("schema.json", &fixture("")).map_err(|d| render_all(&d, false));
    let loaded = loaded.expect("schema fixture loads");
    assert!(loaded.set.users.attributes.iter().any(|a| a.target.to_string() == "userName"));
}

#[test]
fn anonymized_output_contains_no_original_names_emails_or_ids() {
    let records = graph();
    let mut originals: Vec<String> = Vec::new();
    for r in &records {
        originals.extend([
            r.id.clone(),
            r.cycle_id.clone(),
            r.change_id.clone(),
            r.source.id.clone(),
            r.target.id.clone(),
        ]);
        originals.push(r.source.display_name.clone());
        for name in r.source.display_name.split(' ') {
            originals.push(name.to_string());
        }
        originals
            .extend(r.modified_properties.iter().filter(|p| p.name == "userName").filter_map(|p| p.new_value.clone()));
    }
    originals.extend(["contoso".to_string(), "6f3c2a1b".to_string()]);
    originals.retain(|o| !o.is_empty());

    let mut anonymizer = Anonymizer::new(b"test key");
    let anon = anonymizer.anonymize_records(&records);
    let options = replay::ReplayOptions { anonymizer: Some(&anonymizer), ..Default::default() };
    let replay = replay::build(&anon, Some(&fixture("schema.json")), &options).expect("replay builds");
    let outputs = [
        logs::to_graph_json(&anon),
        replay.scenario_toml.clone(),
        replay.schema_copy.map(|(_, c)| c).unwrap_or_default(),
        logs::summarize(&anon).render(false),
    ];
    let patterns: Vec<(String, regex::Regex)> = originals
        .iter()
        .map(|o| (o.clone(), regex::Regex::new(&format!(r"(?i)\b{}\b", regex::escape(o))).expect("regex")))
        .collect();
    for out in &outputs {
        for (o, re) in &patterns {
            assert!(!re.is_match(out), "`{o}` leaked into:\n{out}");
        }
    }
    assert_eq!(logs::summarize(&anon).cycles.len(), 3, "structure survives");
    let email = regex::Regex::new(r"user-[0-9a-f]{4,}@example\.com").expect("regex");
    assert!(email.is_match(&replay.scenario_toml));
    // Same input and key, same pseudonyms.
    let again = Anonymizer::new(b"test key").anonymize_records(&records);
    assert_eq!(again, anon);
}

#[test]
fn malformed_json_names_file_line_and_column() {
    let text = "{\"value\": [\n  {\"cycleId\": \"c1\",\n   \"changeId\": \"x\",,\n";
    let err = logs::parse_str("broken.json", text).expect_err("fails");
    insta::assert_snapshot!("malformed_json", render_all(&err, false));
}

#[test]
fn a_record_missing_fields_is_named_and_located() {
    let text = r#"{"value": [
  {"cycleId": "c1", "changeId": "a", "activityDateTime": "2026-11-20T08:00:00Z",
   "provisioningAction": "create", "provisioningStatusInfo": {"status": "success"}},
  {"cycleId": "c1", "activityDateTime": "soon",
   "provisioningAction": "create", "provisioningStatusInfo": {"status": "done"}}
]}"#;
    let err = logs::parse_str("records.json", text).expect_err("fails");
    insta::assert_snapshot!("record_errors", render_all(&err, false));
}

#[test]
fn malformed_csv_names_file_and_line() {
    let text = "Date (UTC),Cycle ID,Change ID,Action,Status\n\
                2026-11-20T08:00:00Z,c1,a,Create,Success\n\
                2026-11-20T08:00:01Z,c1,b,Create\n\
                yesterday,c1,c,Create,Fine\n";
    let err = logs::parse_csv_download(("ProvisioningLogs.csv", text), None, None).expect_err("fails");
    insta::assert_snapshot!("malformed_csv", render_all(&err, false));
}

#[test]
fn a_csv_download_without_its_companions_reads_with_warnings() {
    let dir = std::env::temp_dir().join(format!("entrasim-csv-alone-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("ProvisioningLogs_2026-11-20.csv");
    std::fs::copy(fixture("csv/ProvisioningLogs_2026-11-20.csv"), &path).expect("copy");
    let read = logs::read_detailed(&path).map_err(|d| render_all(&d, false)).expect("reads");
    assert_eq!(read.records.len(), 16);
    assert!(read.records.iter().all(|r| r.steps.is_empty() && r.modified_properties.is_empty()));
    let warnings = render_all(&read.warnings, false);
    assert!(
        warnings.contains("ProvisioningLogs_ProvisioningSteps") && warnings.contains("ModifiedProperties"),
        "{warnings}"
    );
}

#[test]
fn a_companion_csv_given_as_the_log_is_explained() {
    let err = logs::read(&fixture("csv/ProvisioningLogs_ProvisioningSteps_2026-11-20.csv")).expect_err("fails");
    let text = render_all(&err, false);
    assert!(text.contains("companion file"), "{text}");
}

#[test]
fn replay_keeps_one_key_when_import_details_differ_in_case_from_the_mapping() {
    let mut r = record("c1", "2026-11-20T08:00:01Z", "User", "u1", "Ann Lee", "create", "success");
    r["provisioningSteps"] = serde_json::json!([{"name": "EntryImportAdd", "provisioningStepType": "import",
        "status": "success", "description": "", "details": {
            "DisplayName": "Ann Lee", "UserPrincipalName": "ann@contoso.com", "Department": "Sales"}}]);
    r["modifiedProperties"] = serde_json::json!([
        {"displayName": "userName", "oldValue": null, "newValue": "ann@contoso.com"},
        {"displayName": "displayName", "oldValue": null, "newValue": "Ann Lee"}
    ]);
    let log = serde_json::json!({"value": [r]});
    let records =
        logs::parse_str("case.json", &log.to_string()).map_err(|d| render_all(&d, false)).expect("parses").records;
    let toml = replay::build(&records, None, &replay::ReplayOptions::default()).expect("replay builds").scenario_toml;
    assert_eq!(toml.matches("displayName = ").count(), 1, "{toml}");
    assert!(toml.contains("department = \"Sales\""), "{toml}");
    assert!(!toml.contains("Department"), "{toml}");
    assert_scenario_parses(&toml);
}
