//! Tests of the schema importer.

use super::*;
use crate::mapping::model::{Apply, MappingSource};

fn import(text: &str) -> (Option<MappingSet>, Vec<Diagnostic>) {
    import_schema(&SourceFile::new("schema.json", text))
}

#[test]
fn imports_attribute_constant_and_function_sources() {
    let text = r#"{"synchronizationRules":[{"name":"USER","objectMappings":[{"enabled":true,"flowTypes":"Add, Update",
          "sourceObjectName":"User","targetObjectName":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
          "attributeMappings":[
            {"targetAttributeName":"userName","matchingPriority":1,"flowType":"Always","source":{"type":"Attribute","name":"userPrincipalName","expression":"[userPrincipalName]","parameters":[]}},
            {"targetAttributeName":"title","defaultValue":"Staff","flowType":"ObjectAddOnly","source":{"type":"Constant","name":"Engineer","expression":"\"Engineer\""}},
            {"targetAttributeName":"name.formatted","source":{"type":"Function","name":"Join","parameters":[
               {"key":"separator","value":{"type":"Constant","name":" "}},
               {"key":"source","value":{"type":"Attribute","name":"givenName"}},
               {"key":"source","value":{"type":"Attribute","name":"surname"}}]}}
          ]}]}]}"#;
    let (set, diags) = import(text);
    assert!(diags.is_empty(), "{diags:?}");
    let set = set.expect("imported");
    assert_eq!(set.users.actions, TargetActions { create: true, update: true, delete: false });
    let a = &set.users.attributes;
    assert_eq!(a[0].matching_priority, Some(1));
    assert_eq!(a[1].source, MappingSource::Constant("Engineer".into()));
    assert_eq!((a[1].apply, a[1].default.as_deref()), (Apply::OnCreate, Some("Staff")));
    assert_eq!(a[2].source_text(), r#"Join(" ", [givenName], [surname])"#);
    assert!(set.groups.is_none());
}

#[test]
fn semantic_problems_are_located_in_the_json() {
    let text = r#"{"synchronizationRules": [{"objectMappings": [
  {"sourceObjectName": "User", "flowTypes": "Add, Update, Delete", "attributeMappings": [
    {"targetAttributeName": "userName", "matchingPriority": 1, "source": {"type": "Attribute", "name": "userPrincipalName"}},
    {"targetAttributeName": "title", "source": {"type": "Attribute", "name": "jobTtle"}},
    {"targetAttributeName": "displayName", "source": {"type": "Lookup", "name": "x"}}
  ],
  "scope": {"groups": [{"clauses": [
    {"operatorName": "STARTS_WITH", "sourceOperandName": "mail", "targetOperand": {"values": ["a"]}},
    {"operatorName": "Greater_Than", "sourceOperandName": "department", "targetOperand": {"values": ["ten"]}}
  ]}]}},
  {"sourceObjectName": "User", "name": "Second users", "attributeMappings": []}
]}]}"#;
    let (set, diags) = import(text);
    assert!(set.is_none());
    let found: Vec<String> =
        diags.iter().map(|d| format!("{} {}", d.position().unwrap_or_default(), d.message)).collect();
    assert_eq!(
        found,
        [
            "schema.json:4:78 unknown source attribute `jobTtle`",
            "schema.json:5:63 unknown source type \"Lookup\"",
            "schema.json:8:22 unknown scoping operator \"STARTS_WITH\"",
            "schema.json:9:59 `Greater_Than` needs an integer value, found \"ten\"",
            "schema.json:11:40 a second user object mapping was ignored",
        ]
    );
}

#[test]
fn json_syntax_errors_have_positions() {
    let (_, diags) = import("{\n  \"synchronizationRules\": [\n    {,}\n  ]\n}");
    assert_eq!(diags.len(), 1);
    assert_eq!(diags[0].position().as_deref(), Some("schema.json:3:6"));
}
