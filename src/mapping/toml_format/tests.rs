//! Tests of the mapping file parser.

use super::*;
use crate::diagnostic::render_all;

fn parse(text: &str) -> (Option<MappingSet>, Vec<Diagnostic>) {
    parse_mapping_toml(&SourceFile::new("m.toml", text))
}

#[test]
fn structural_mistakes_are_all_reported() {
    let text = r#"colour = "blue"

[users]
enabled = false

[[users.attributes]]
target = "userName"
source = "mail"
matching = "1"

[[users.attributes]]
source = "displayName"

[[users.attributes]]
target = "title"
source = "jobTitle"
constant = "x"
flow = "sometimes"

[[users.scope]]
title = "empty"
"#;
    let (set, diags) = parse(text);
    assert!(set.is_none());
    insta::assert_snapshot!(render_all(&diags, false));
}

#[test]
fn multi_line_literal_expressions_keep_exact_positions() {
    let text = "[users]\n[[users.attributes]]\ntarget = \"userName\"\nmatching = 1\nexpression = '''\nJoin(\"\",\n     [mailNickame])'''\n";
    let (_, diags) = parse(text);
    assert_eq!(diags.len(), 1, "{diags:?}");
    assert_eq!(diags[0].position().as_deref(), Some("m.toml:7:6"));
}

#[test]
fn basic_strings_with_unicode_escapes_map_positions() {
    let text = "[users]\n[[users.attributes]]\ntarget = \"userName\"\nmatching = 1\nexpression = \"Join(\\u0022 \\u0022, [givenNme])\"\n";
    let (_, diags) = parse(text);
    assert_eq!(diags.len(), 1, "{diags:?}");
    assert_eq!(diags[0].message, "unknown attribute `[givenNme]`");
    assert_eq!(diags[0].position().as_deref(), Some("m.toml:5:35"));
}

#[test]
fn whole_mapping_rules() {
    let text = r#"[users]
[[users.attributes]]
target = "userName"
source = "userPrincipalName"
matching = 1
[[users.attributes]]
target = "externalId"
source = "objectId"
matching = 1
[[users.attributes]]
target = "userName"
expression = 'Guid()'
[[users.attributes]]
target = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager"
expression = 'Coalesce([manager], "none")'

[groups]
enabled = false
"#;
    let (set, diags) = parse(text);
    assert!(set.is_none());
    let messages: Vec<&str> = diags.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(
            messages,
            [
                "matching precedence 1 is used twice",
                "duplicate mapping for target `userName`",
                "`userName` changes on every evaluation",
                "reference attribute `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager` is not mapped directly",
            ]
        );
}

#[test]
fn unknown_scim_attributes_are_warnings_at_the_target() {
    let text = "[users]\n[[users.attributes]]\ntarget = \"userName\"\nsource = \"userPrincipalName\"\nmatching = 1\n[[users.attributes]]\ntarget = \"name.givenNme\"\nsource = \"givenName\"\n";
    let (set, diags) = parse(text);
    assert!(set.is_some(), "warnings do not stop loading");
    insta::assert_snapshot!(render_all(&diags, false), @r#"
        warning: unknown SCIM attribute `name.givenNme`
         --> m.toml:7:10
          |
        7 | target = "name.givenNme"
          |          ^^^^^^^^^^^^^^^ did you mean `givenName`?
        "#);
}

#[test]
fn disabled_groups_and_actions() {
    let text = "[users]\nactions = [\"update\"]\n[[users.attributes]]\ntarget = \"userName\"\nsource = \"userPrincipalName\"\nmatching = 1\n[groups]\nenabled = false\n";
    let (set, diags) = parse(text);
    assert!(diags.is_empty(), "{diags:?}");
    let set = set.expect("valid");
    assert!(set.groups.is_none());
    assert_eq!(set.users.actions, TargetActions { create: false, update: true, delete: false });
}

#[test]
fn toml_syntax_errors_are_located() {
    let (set, diags) = parse("[users\ntarget = 1\n");
    assert!(set.is_none());
    assert_eq!(diags[0].position().as_deref(), Some("m.toml:1:7"));
}
