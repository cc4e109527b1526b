//! Format tests: every step kind parses, every error class renders with its position.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use super::*;
use crate::diagnostic::render_all;
use crate::directory::Mutation;
use crate::mapping::Value;

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/scenarios").join(rel)
}

fn parse(text: &str) -> Result<Loaded, Vec<crate::diagnostic::Diagnostic>> {
    parse_str("test.toml", text, Path::new("."))
}

fn errors(text: &str) -> String {
    match parse(text) {
        Ok(loaded) => panic!("expected errors, got a scenario with {} steps", loaded.scenario.steps.len()),
        Err(diags) => render_all(&diags, false),
    }
}

#[test]
fn joiner_mover_leaver_fixture_loads() {
    let loaded =
        load(&fixture("valid/joiner_mover_leaver.toml")).unwrap_or_else(|d| panic!("{}", render_all(&d, false)));
    let s = &loaded.scenario;
    assert!(loaded.warnings.is_empty());
    assert_eq!(s.steps.len(), 10);
    assert_eq!(s.directory.user_count(), 2);
    let labels: Vec<String> = s.steps.iter().map(Step::label).collect();
    insta::assert_debug_snapshot!(labels);
}

#[test]
fn every_mistake_is_reported_with_its_position() {
    let text = std::fs::read_to_string(fixture("invalid/many_mistakes.toml")).unwrap();
    insta::assert_snapshot!(errors(&text));
}

#[test]
fn every_step_kind_parses() {
    let loaded = load(&fixture("valid/every_step_kind.toml")).unwrap_or_else(|d| panic!("{}", render_all(&d, false)));
    assert!(loaded.warnings.is_empty(), "{}", render_all(&loaded.warnings, false));
    let s = &loaded.scenario;
    assert_eq!(s.mapping.spec, "mappings/custom.toml");
    assert!(s.base_dir.ends_with("tests/fixtures/scenarios/valid"));
    assert_eq!(s.dialect.as_ref().map(|d| d.value), Some(Dialect::Compliant));
    let expected = Settings {
        scope: Scope::All,
        actions: TargetActions { create: true, update: true, delete: false },
        skip_out_of_scope_deletions: true,
        provision_groups: true,
        deletion_threshold: Some(10),
        concurrency: Some(2),
        escrow_retry: EscrowRetry::Backoff,
        wire: vec![
            crate::fidelity::Override::new("member_ref_null", "true").expect("switch"),
            crate::fidelity::Override::new("linked_user_lookup", "filter").expect("switch"),
        ],
    };
    assert_eq!(s.settings, expected);
    let embedded = s.embedded.as_ref().unwrap();
    assert_eq!(embedded.table["remove_all_members_on_remove"], toml::Value::Boolean(true));
    let key = embedded.span_of_key("remove_all_members_on_remove");
    assert_eq!(&s.file.text[key.start..key.end], "remove_all_members_on_remove");
    assert_eq!(embedded.span_of_key("missing"), embedded.span);
    assert_eq!(s.target.users[0].value["emails"][0]["type"], "work");
    assert_eq!(s.target.groups[0].value, serde_json::json!({"displayName": "Legacy"}));
    let actions: Vec<String> = s.steps.iter().map(|st| st.action.to_string()).collect();
    insta::assert_debug_snapshot!(actions);
    let keys: HashSet<&str> = s.steps.iter().map(|st| st.action.key()).collect();
    assert_eq!(keys.len(), step::ACTION_KEYS.len(), "one step of each kind");
}

#[test]
fn step_details_are_kept() {
    let loaded = load(&fixture("valid/every_step_kind.toml")).unwrap_or_else(|d| panic!("{}", render_all(&d, false)));
    let steps = &loaded.scenario.steps;
    let Action::Change(Mutation::Update { user, set, unset }) = &steps[3].action else { panic!("{:?}", steps[3]) };
    assert_eq!(user, "carol");
    let set: Vec<String> = set.iter().map(|(k, v)| format!("{k}={v}")).collect();
    assert_eq!(set, ["department=\"Sales\"", "manager=\"bob\"", "accountEnabled=true"]);
    assert_eq!(unset, &["mobile"]);
    assert_eq!(steps[10].action, Action::OnDemand(ObjectAlias::User("carol".into())));
    assert_eq!(steps[10].expect.as_ref().unwrap().action.as_ref().unwrap().value, OnDemandAction::Create);
    let Action::TargetEdit(edit) = &steps[17].action else { panic!("{:?}", steps[17]) };
    assert_eq!(edit.set, vec![("title".into(), "Drifted".into()), ("name.givenName".into(), "Al".into())]);
    assert_eq!(edit.unset, ["nickName"]);
    assert_eq!(steps[18].action, Action::Restart(Restart::KeepLinks));
    assert_eq!(steps[19].action, Action::Restart(Restart::Full));
    let steady = steps[20].expect.as_ref().unwrap();
    assert!(!steady.steady.as_ref().unwrap().value);
    assert_eq!(steady.flapping[0].value, "title");
    let cycle = steps[1].expect.as_ref().unwrap();
    assert_eq!(cycle.skips.as_ref().map(|c| c.value), Some(1));
    assert_eq!(cycle.outcome.as_ref().map(|o| o.value), Some(Outcome::Success));
    let pattern = &steps[0].expect.as_ref().unwrap().requests[0];
    assert!(pattern.matches("GET", "/Users?filter=userName+eq+%22x%22"));
    // Positions point into the file: the action span covers `key = value`.
    let file = &loaded.scenario.file;
    let st = &steps[4];
    assert_eq!(&file.text[st.action_span.start..st.action_span.end], "assign = \"carol\"");
    assert_eq!(st.label(), "step 5: assign carol");
    assert_eq!(steps[steps.len() - 4].label(), "the deletion flows");
}

#[test]
fn initial_directory_holds_users_groups_and_attributes() {
    let loaded = load(&fixture("valid/every_step_kind.toml")).unwrap_or_else(|d| panic!("{}", render_all(&d, false)));
    let dir = &loaded.scenario.directory;
    let alice = dir.user_id("alice").unwrap();
    let obj = dir.source_object(alice);
    assert_eq!(obj.get("objectId"), &Value::from("2819c223-7f76-453a-919d-413861904646"));
    assert_eq!(
        obj.get("proxyAddresses"),
        &Value::Multi(vec!["SMTP:alice@contoso.com".into(), "smtp:a@contoso.com".into()])
    );
    assert_eq!(obj.get("extension_0123456789abcdef0123456789abcdef_badge"), &Value::Int(1234));
    assert!(dir.is_assigned_via_group(alice));
    assert!(!dir.is_assigned(dir.user_id("bob").unwrap()));
    assert!(dir.changed_since(dir.watermark()).is_empty(), "the log starts empty");
    assert_eq!(dir.user_id("carol"), None, "steps do not change the initial directory");
}

#[test]
fn toml_syntax_errors_are_all_reported() {
    let text = "description = \"unterminated\n[[steps]]\ncycle = initial\n[settings\nscope = \"all\"\n";
    insta::assert_snapshot!(errors(text));
}

#[test]
fn wrong_value_types_are_reported_with_the_expected_type() {
    let text = r#"
description = 3
[settings]
scope = 1
provision_groups = "yes"
[[users]]
id = "alice"
assigned = "no"
[[groups]]
id = "eng"
displayName = "Engineering"
members = "alice"
[[steps]]
cycle = 1
[[steps]]
update = ["alice"]
set = { department = "x" }
[[steps]]
restart = 2
[[steps]]
test_connection = false
"#;
    insta::assert_snapshot!(errors(text));
}

#[test]
fn references_follow_earlier_steps() {
    let text = r#"
[[users]]
id = "alice"
userPrincipalName = "alice@contoso.com"
[[steps]]
disable = "carol"
[[steps]]
add = { id = "carol", userPrincipalName = "carol@contoso.com", manager = "alcie" }
[[steps]]
disable = "carol"
[[steps]]
hard_delete = "carol"
[[steps]]
on_demand = "carol"
[[steps]]
enable = "carl"
[[steps]]
add_member = "alice"
user = "carol"
[[steps]]
assign_group = "alice"
"#;
    insta::assert_snapshot!(errors(text));
}

#[test]
fn duplicate_ids_and_bad_identities_are_reported() {
    let text = r#"
[generate]
users = 3
[[users]]
id = "u000002"
[[users]]
id = "alice"
objectId = "not-a-guid"
manager = "alice"
[[groups]]
id = "alice"
displayName = "Alice's group"
[[groups]]
id = "nameless"
[[users]]
userPrincipalName = "no-id@contoso.com"
"#;
    insta::assert_snapshot!(errors(text));
}

#[test]
fn warnings_for_nested_groups_and_steps_that_change_nothing() {
    let text = r#"
[[users]]
id = "alice"
[[groups]]
id = "eng"
displayName = "Engineering"
members = ["alice"]
[[groups]]
id = "all"
displayName = "Everyone"
members = ["eng"]
[[steps]]
enable = "alice"
[[steps]]
add_member = "all"
user = "eng"
[[steps]]
cycle = "initial"
"#;
    let loaded = parse(text).unwrap_or_else(|d| panic!("{}", render_all(&d, false)));
    insta::assert_snapshot!(render_all(&loaded.warnings, false));
}

mod never_panics;

#[test]
fn wait_and_embedded_steps_keep_their_values() {
    let loaded = load(&fixture("valid/every_step_kind.toml")).unwrap_or_else(|d| panic!("{}", render_all(&d, false)));
    let steps = &loaded.scenario.steps;
    let n = steps.len();
    assert_eq!(steps[n - 3].action, Action::Wait(std::time::Duration::from_secs(36 * 3600)));
    let change = FaultChange { error_rate: Some(0.5), retry_after_secs: Some(2), ..FaultChange::default() };
    assert_eq!(steps[n - 2].action, Action::Embedded(change));
    let expect = steps[n - 1].expect.as_ref().unwrap();
    assert_eq!(expect.quarantine.as_ref().map(|q| q.value.as_str()), Some("none"));
    assert_eq!(expect.interval.as_ref().map(|i| i.value.as_secs()), Some(36 * 3600));
    assert_eq!(expect.job.as_ref().map(|j| j.value.as_str()), Some("active"));
    assert_eq!(expect.not_due.as_ref().map(|x| x.value), Some(0));
}

#[test]
fn bad_escrow_settings_waits_and_fault_changes_are_located() {
    let text = r#"
[settings]
escrow_retry = "backof"

[embedded]
error_rate = 0.5

[[users]]
id = "alice"

[[steps]]
wait = "6x"

[[steps]]
wait = "0m"

[[steps]]
wait = 6

[[steps]]
embedded = { error_rat = 0.0, keep_attributes = ["userName"] }

[[steps]]
embedded = { timeout_rate = 1.5 }

[[steps]]
embedded = { rate_limit_rate = 0.6 }

[[steps]]
embedded = {}

[[steps]]
wait = "1h"
expect = { creates = 0 }

[[steps]]
cycle = "incremental"
expect = { quarantine = "EncounteredEscrowThreshold", interval = "12h1d", job = "stopped", not_due = -1 }
"#;
    insta::assert_snapshot!(errors(text));
}

#[test]
fn a_scenario_without_steps_loads_with_a_warning() {
    let loaded = parse("description = \"only a directory\"\n").unwrap_or_else(|d| panic!("{}", render_all(&d, false)));
    assert!(loaded.scenario.steps.is_empty());
    assert_eq!(loaded.scenario.mapping, MappingRef { spec: MappingRef::DEFAULT.into(), span: None });
    assert_eq!(loaded.scenario.settings, Settings::default());
    insta::assert_snapshot!(render_all(&loaded.warnings, false), @r#"
    warning: the scenario has no steps
     --> test.toml:1:1
      |
    1 | description = "only a directory"
      | ^ add `[[steps]]` tables, e.g. `cycle = "initial"`
    "#);
}

#[test]
fn discover_finds_toml_files_below_directories_in_sorted_order() {
    let root = fixture("");
    let found = discover(&[root.join("valid"), root.join("invalid/many_mistakes.toml")]).unwrap();
    let names: Vec<String> =
        found.iter().map(|p| p.strip_prefix(&root).unwrap().to_string_lossy().replace('\\', "/")).collect();
    let mut sorted_valid: Vec<&String> = names.iter().filter(|n| n.starts_with("valid/")).collect();
    sorted_valid.sort();
    assert_eq!(names.iter().filter(|n| n.starts_with("valid/")).collect::<Vec<_>>(), sorted_valid);
    assert!(names.contains(&"valid/every_step_kind.toml".to_string()));
    assert_eq!(names.last().map(String::as_str), Some("invalid/many_mistakes.toml"));
    assert!(matches!(discover(&[root.join("missing")]), Err(DiscoverError::NotFound(_))));
}

#[test]
fn unreadable_files_are_a_diagnostic() {
    let diags = load(&fixture("missing.toml")).unwrap_err();
    assert_eq!(diags.len(), 1);
    assert!(diags[0].message.starts_with("cannot read `"), "{}", diags[0].message);
}

#[test]
fn example_scenarios_load_without_warnings() {
    for name in ["group_assignment", "drift_on_generated_tenant"] {
        let loaded = load(&fixture(&format!("valid/{name}.toml")))
            .unwrap_or_else(|d| panic!("{name}: {}", render_all(&d, false)));
        assert!(loaded.warnings.is_empty(), "{name}: {}", render_all(&loaded.warnings, false));
    }
    let generated = load(&fixture("valid/drift_on_generated_tenant.toml")).unwrap().scenario;
    assert_eq!(generated.directory.user_count(), 501);
    let auditor = generated.directory.user_id("auditor").unwrap();
    let manager = generated.directory.source_object(auditor).get("manager").to_text();
    assert_eq!(manager, Some(crate::directory::ObjectId::derive("u000001").to_string()));
}

/// The `toml` code blocks of a Markdown text (or of `//!` docs with the prefix removed).
fn toml_blocks(text: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        let line = line.strip_prefix("//! ").or_else(|| line.strip_prefix("//!")).unwrap_or(line);
        match (&mut current, line.trim_end()) {
            (None, "```toml") => current = Some(String::new()),
            (Some(block), "```") => {
                blocks.push(std::mem::take(block));
                current = None;
            }
            (Some(block), _) => {
                block.push_str(line);
                block.push('\n');
            }
            (None, _) => {}
        }
    }
    blocks
}

#[test]
fn documented_examples_load() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for doc in ["docs/scenario-format.md", "src/scenario/mod.rs"] {
        let text = std::fs::read_to_string(root.join(doc)).unwrap();
        let blocks = toml_blocks(&text);
        assert!(!blocks.is_empty(), "{doc}: no examples found");
        for (i, block) in blocks.iter().enumerate() {
            if let Err(diags) = parse(block) {
                panic!("{doc}, example {}:\n{block}\n{}", i + 1, render_all(&diags, false));
            }
        }
    }
}

#[test]
fn expect_may_be_a_sub_table() {
    let text = "[[steps]]\ncycle = \"initial\"\n[steps.expect]\ncreates = 2\n";
    let loaded = parse(text).unwrap_or_else(|d| panic!("{}", render_all(&d, false)));
    assert_eq!(loaded.scenario.steps[0].expect.as_ref().unwrap().creates.as_ref().unwrap().value, 2);
}

#[test]
fn update_sets_and_companions_are_checked() {
    let text = r#"
embedded = 3
[generate]
users = 2000000
[target]
users = 1
[[users]]
id = "alice"
[[groups]]
id = "eng"
displayName = "Engineering"
[[steps]]
update = "alice"
set = { jobTitel = "x", assigned = true, IsSoftDeleted = true, accountEnabled = "no" }
unset = ["objectId", "department"]
[[steps]]
update = "alice"
[[steps]]
add_member = "eng"
[[steps]]
target_edit = "alice"
expect = { updates = 1 }
[[steps]]
delete_group = "eng"
[[steps]]
on_demand = "eng"
[[steps]]
steady = true
to = "x"
"#;
    insta::assert_snapshot!(errors(text));
}

#[test]
fn adding_an_existing_id_in_a_step_is_an_error() {
    let text = "[[users]]\nid = \"alice\"\n[[steps]]\nadd = { id = \"alice\" }\n[[steps]]\nadd_group = { id = \"alice\", displayName = \"A\" }\n";
    insta::assert_snapshot!(errors(text), @r#"
    error: id `alice` is already used
     --> test.toml:4:14
      |
    4 | add = { id = "alice" }
      |              ^^^^^^^ ids are unique across users and groups

    error: id `alice` is already used
     --> test.toml:6:20
      |
    6 | add_group = { id = "alice", displayName = "A" }
      |                    ^^^^^^^ ids are unique across users and groups
    "#);
}

#[test]
fn duplicate_user_principal_names_are_reported() {
    let text = "[[users]]\nid = \"alice\"\nuserPrincipalName = \"alice@contoso.com\"\n[[users]]\nid = \"al\"\nuserPrincipalName = \"Alice@contoso.com\"\n[[steps]]\nadd = { id = \"bob\", userPrincipalName = \"alice@contoso.com\" }\n[[steps]]\nupdate = \"alice\"\nset = { userPrincipalName = \"al@contoso.com\" }\n[[steps]]\nadd = { id = \"carl\", userPrincipalName = \"alice@contoso.com\" }\n";
    insta::assert_snapshot!(errors(text));
}

#[test]
fn deeply_nested_values_are_an_error_not_a_crash() {
    let depth = 100_000;
    let text = format!("[embedded]\na = {}1{}\n", "[".repeat(depth), "]".repeat(depth));
    let diags = parse(&text).unwrap_err();
    assert!(diags.len() < 10, "{} diagnostics", diags.len());
    assert!(diags[0].message.contains("recursion"), "{}", diags[0].message);
}
