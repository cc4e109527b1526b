//! Round trips of every preset and mapping fixture through [`export_schema`] and the importer, and the
//! shapes of the exported JSON.

use std::path::{Path, PathBuf};

use super::*;
use crate::diagnostic::{render_all, Diagnostic, SourceFile};
use crate::mapping::load::load_source;
use crate::mapping::model::Expression;
use crate::mapping::parse::parse_expression;
use crate::mapping::{import_schema, presets};

/// Exports `set`, imports the result and returns it with the import's diagnostics (no errors allowed).
fn round_trip(set: &MappingSet) -> (MappingSet, Vec<Diagnostic>) {
    let text = serde_json::to_string_pretty(&export_schema(set)).expect("serialises");
    let (back, diags) = import_schema(&SourceFile::new("exported.json", text));
    assert!(!diags.iter().any(Diagnostic::is_error), "{}", render_all(&diags, false));
    (back.expect("imports"), diags)
}

/// `set` with the documented differences of a Graph round trip (module docs) applied. Expressions are
/// also re-parsed from their text: one imported from a `parameters` tree has no text positions.
fn as_graph_returns_it(set: &MappingSet) -> MappingSet {
    let mut set = set.clone();
    let objects = std::iter::once(&mut set.users).chain(set.groups.as_mut());
    for m in objects.flat_map(|om| om.attributes.iter_mut()) {
        m.default = m.default.take().filter(|d| !d.is_empty());
        m.matching_priority = m.matching_priority.filter(|p| *p > 0);
        if let MappingSource::Expression(e) = &m.source {
            let ast = parse_expression(&e.text).0.expect("a loaded expression parses");
            m.source = match &ast.kind {
                ExprKind::Call { .. } => MappingSource::Expression(Expression { text: e.text.clone(), ast }),
                ExprKind::Attribute(name) => MappingSource::Direct(name.clone()),
                ExprKind::Str(s) => MappingSource::Constant(s.clone()),
                _ => MappingSource::Constant(ast.to_string()),
            };
        }
    }
    set
}

fn assert_round_trips(name: &str, file: &SourceFile) {
    let loaded = load_source(file).unwrap_or_else(|d| panic!("{name}: {}", render_all(&d, false)));
    let (back, diags) = round_trip(&loaded.set);
    assert_eq!(back, as_graph_returns_it(&loaded.set), "{name}");
    // The export adds no problem of its own: every warning of the re-import was a warning of the original.
    for d in &diags {
        assert!(loaded.warnings.iter().any(|w| w.message == d.message), "{name}: new warning {}", d.message);
    }
    assert_eq!(export_schema(&back), export_schema(&as_graph_returns_it(&loaded.set)), "{name}: stable");
}

#[test]
fn every_preset_round_trips() {
    for name in presets::names() {
        assert_round_trips(name, &presets::source(name).expect("preset exists"));
    }
}

fn repo_files(dir: &str, keep: &dyn Fn(&Path) -> bool) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join(dir)];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("fixture directory exists").flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if keep(&path) {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

fn source_file(path: &Path) -> SourceFile {
    let text = std::fs::read_to_string(path).expect("readable fixture");
    SourceFile::new(path.file_name().expect("a file").to_string_lossy(), text)
}

#[test]
fn every_mapping_and_schema_fixture_round_trips() {
    let mappings = repo_files("scenarios", &|p| p.extension().is_some_and(|e| e == "mapping"));
    let schemas = repo_files("tests/fixtures", &|p| {
        p.extension().is_some_and(|e| e == "json")
            && std::fs::read_to_string(p).is_ok_and(|t| t.contains("synchronizationRules"))
    });
    assert!(mappings.len() >= 7 && schemas.len() >= 3, "{mappings:?} {schemas:?}");
    for path in mappings.iter().chain(&schemas) {
        assert_round_trips(&path.display().to_string(), &source_file(path));
    }
}

#[test]
fn the_documented_mapping_file_example_round_trips() {
    let doc = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/mapping-format.md"))
        .expect("docs/mapping-format.md");
    let example = doc.split("```toml\n").nth(1).and_then(|b| b.split("```").next()).expect("a toml block");
    assert_round_trips("docs/mapping-format.md", &SourceFile::new("format.toml", example));
}

const EVERYTHING: &str = r#"
[users]
actions = ["create", "update"]

[[users.attributes]]
target = "userName"
expression = 'ToLower(Join("", Replace([userPrincipalName], "@contoso.onmicrosoft.com", , , "", , ), ""), )'
matching = 2

[[users.attributes]]
target = "externalId"
source = "objectId"
matching = 1
case_exact = true
apply = "on_create"

[[users.attributes]]
target = "active"
expression = 'IIF([accountEnabled] = "True", Switch([IsSoftDeleted], , "False", "True", "True", "False"), "False")'

[[users.attributes]]
target = "title"
source = "jobTitle"
default = "Staff"
flow = "always"

[[users.attributes]]
target = "nickName"
default = "n/a"

[[users.attributes]]
target = "displayName"
expression = 'Mid(PCase([displayName]), 1, InStr([displayName], " ", 1, vbTextCompare))'
apply = "value_add_only"

[[users.attributes]]
target = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCenter"
constant = 'Say "hi" \ bye'

[[users.attributes]]
target = "roles"
expression = "AppRoleAssignmentsComplex([appRoleAssignments])"
apply = "multi_value_add_only"

[[users.attributes]]
target = "emails[type eq \"work\"].value"
expression = '[mail]'
default = ""

[[users.scope]]
title = "Engineering, enabled"
clauses = [
  { attribute = "department", operator = "EQUALS", value = "Engineering" },
  { attribute = "accountEnabled", operator = "IS TRUE" },
]

[[users.scope]]
title = "Contractors"
clauses = [{ attribute = "userPrincipalName", operator = "REGEX MATCH", value = '.*@contractors\.contoso\.com' }]

[groups]
actions = []

[[groups.attributes]]
target = "displayName"
source = "displayName"
matching = 1
case_exact = true

[[groups.attributes]]
target = "members"
source = "members"
apply = "attribute_add_only"

[[groups.scope]]
title = "Big"
clauses = [{ attribute = "displayName", operator = "NOT REGEX MATCH", value = "^tmp" }]
"#;

fn everything() -> MappingSet {
    let loaded = load_source(&SourceFile::new("everything.toml", EVERYTHING))
        .unwrap_or_else(|d| panic!("{}", render_all(&d, false)));
    loaded.set
}

#[test]
fn every_mapping_feature_round_trips() {
    assert_round_trips("everything", &SourceFile::new("everything.toml", EVERYTHING));
    let (back, _) = round_trip(&everything());
    let mail = back.users.attributes.last().expect("mapped");
    assert_eq!((&mail.source, &mail.default), (&MappingSource::Direct("mail".into()), &None));
    assert_eq!(back.groups.expect("enabled").actions, TargetActions { create: false, update: false, delete: false });
}

#[test]
fn object_mappings_have_graphs_shape() {
    let schema = export_schema(&everything());
    let rule = &schema["synchronizationRules"][0];
    assert_eq!(rule["targetDirectoryName"], json!(TARGET_DIRECTORY));
    let users = &rule["objectMappings"][0];
    assert_eq!(users["flowTypes"], json!("Add, Update"));
    assert_eq!(users["targetObjectName"], json!(ENTERPRISE_USER));
    assert_eq!(rule["objectMappings"][1]["flowTypes"], json!("None"));
    assert_eq!(rule["objectMappings"][1]["targetObjectName"], json!(CORE_GROUP));
    let external_id = &users["attributeMappings"][1];
    assert_eq!(
        external_id,
        &json!({"defaultValue": null, "exportMissingReferences": false, "flowBehavior": "FlowWhenChanged",
            "flowType": "ObjectAddOnly", "matchingPriority": 1, "targetAttributeName": "externalId",
            "source": {"expression": "[objectId]", "name": "objectId", "parameters": [], "type": "Attribute"}})
    );
    let title = &users["attributeMappings"][3];
    assert_eq!((&title["defaultValue"], &title["flowBehavior"]), (&json!("Staff"), &json!("FlowAlways")));
    assert_eq!(users["attributeMappings"][4]["source"], Json::Null, "mapping type None");
    let constant = &users["attributeMappings"][6]["source"];
    assert_eq!(constant["name"], json!(r#"Say "hi" \ bye"#));
    assert_eq!(constant["expression"], json!(r#""Say \"hi\" \\ bye""#));
    let clause = &users["scope"]["groups"][0]["clauses"][1];
    assert_eq!(
        clause,
        &json!({"operatorName": "IS TRUE", "sourceOperandName": "accountEnabled", "targetOperand": {"values": []}})
    );
    assert_eq!(users["scope"]["groups"][1]["name"], json!("Contractors"));
}

#[test]
fn function_sources_carry_graphs_parameter_tree() {
    let schema = export_schema(&everything());
    let mappings = &schema["synchronizationRules"][0]["objectMappings"][0]["attributeMappings"];
    let user_name = &mappings[0]["source"];
    assert_eq!(user_name["name"], json!("ToLower"));
    let join = &user_name["parameters"][0];
    assert_eq!(join["key"], json!("source"));
    let keys = |v: &Json| -> Vec<String> {
        v["parameters"].as_array().expect("list").iter().map(|p| p["key"].as_str().expect("key").into()).collect()
    };
    assert_eq!(keys(&join["value"]), ["separator", "source", "source"]);
    let replace = &join["value"]["parameters"][1]["value"];
    assert_eq!(replace["expression"], json!(r#"Replace([userPrincipalName], "@contoso.onmicrosoft.com", , , "", , )"#));
    assert_eq!(keys(replace), ["source", "find", "replacement"]);
    assert_eq!(
        replace["parameters"][2]["value"],
        json!({"expression": "\"\"", "name": "", "parameters": [], "type": "Constant"})
    );
    assert_eq!(mappings[2]["source"]["parameters"], json!([]), "a comparison has no tree form");
    let mid = &mappings[5]["source"];
    assert_eq!(keys(mid), ["source", "start", "length"]);
    assert_eq!(mid["parameters"][1]["value"]["name"], json!("1"), "numbers are Constant strings");
    assert_eq!(keys(&mid["parameters"][2]["value"]), ["value1", "value2", "start", "compareType"]);
}

/// Removes the `expression` text of every top-level function source that has a tree (a comparison has
/// none), so the importer has to read the tree.
fn tree_only(mut schema: Json) -> Json {
    for om in schema["synchronizationRules"][0]["objectMappings"].as_array_mut().expect("mappings") {
        for am in om["attributeMappings"].as_array_mut().expect("attribute mappings") {
            let has_tree = am["source"]["parameters"].as_array().is_some_and(|p| !p.is_empty());
            if am["source"]["type"] == json!("Function") && has_tree {
                am["source"].as_object_mut().expect("source").remove("expression");
            }
        }
    }
    schema
}

#[test]
fn the_parameter_tree_alone_imports_to_the_same_function() {
    let text = tree_only(export_schema(&everything())).to_string();
    let (back, diags) = import_schema(&SourceFile::new("tree.json", text));
    let back = back.unwrap_or_else(|| panic!("{}", render_all(&diags, false)));
    let texts: Vec<String> = back.users.attributes.iter().map(AttributeMapping::source_text).collect();
    assert_eq!(
        texts[0], r#"ToLower(Join("", Replace([userPrincipalName], "@contoso.onmicrosoft.com", , , ""), ""))"#,
        "omitted arguments at the end are not in the tree"
    );
    assert_eq!(texts[5], r#"Mid(PCase([displayName]), "1", InStr([displayName], " ", "1", "vbTextCompare"))"#);
    let preset = presets::source("entra-default").expect("preset");
    let set = load_source(&preset).expect("loads").set;
    let (back, _) = import_schema(&SourceFile::new("tree.json", tree_only(export_schema(&set)).to_string()));
    let canonical = |s: &MappingSet| -> Vec<String> {
        s.users
            .attributes
            .iter()
            .map(|a| match &a.source {
                MappingSource::Expression(e) => e.ast.to_string(),
                _ => a.source_text(),
            })
            .collect()
    };
    assert_eq!(canonical(&back.expect("imports")), canonical(&set));
}

#[test]
fn case_exact_is_defined_once_per_target_attribute() {
    let schema = export_schema(&everything());
    let target = &schema["directories"][1];
    assert_eq!(target["name"], json!(TARGET_DIRECTORY));
    let users = &target["objects"][0];
    assert_eq!(users["name"], json!(ENTERPRISE_USER));
    let external_id = users["attributes"].as_array().expect("list").iter().find(|a| a["name"] == json!("externalId"));
    assert_eq!(external_id.expect("defined")["caseExact"], json!(true));
    let source = &schema["directories"][0]["objects"][0]["attributes"];
    let names: Vec<&str> = source.as_array().expect("list").iter().filter_map(|a| a["name"].as_str()).collect();
    assert_eq!(&names[..3], ["userPrincipalName", "objectId", "accountEnabled"]);
    assert!(names.contains(&"department"), "scoping attributes are defined too");
}

#[test]
fn version_follows_the_content() {
    let set = everything();
    let version = |s: &MappingSet| export_schema(s)["version"].as_str().expect("a string").to_string();
    assert_eq!(version(&set), version(&set.clone()));
    let mut changed = set.clone();
    changed.users.attributes[3].default = Some("Employee".into());
    assert_ne!(version(&set), version(&changed));
    assert!(version(&set).starts_with("Hash:"));
}

#[test]
fn a_disabled_group_mapping_is_exported_disabled() {
    let mut set = everything();
    set.groups = None;
    let schema = export_schema(&set);
    let groups = &schema["synchronizationRules"][0]["objectMappings"][1];
    assert_eq!((&groups["enabled"], &groups["sourceObjectName"]), (&json!(false), &json!("Group")));
    assert_eq!(round_trip(&set).0, as_graph_returns_it(&set));
}
