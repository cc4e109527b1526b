//! Property tests: scenario text built from the format's own words, and arbitrary text, never panics the
//! loader, and what it reports renders with positions inside the text.

use proptest::prelude::*;

use super::*;

const WORDS: &[&str] = &[
    "description",
    "mapping",
    "dialect",
    "settings",
    "embedded",
    "generate",
    "target",
    "users",
    "groups",
    "steps",
    "scope",
    "actions",
    "id",
    "objectId",
    "manager",
    "members",
    "assigned",
    "accountEnabled",
    "soft_deleted",
    "displayName",
    "userPrincipalName",
    "proxyAddresses",
    "cycle",
    "add",
    "update",
    "set",
    "unset",
    "disable",
    "enable",
    "soft_delete",
    "restore",
    "hard_delete",
    "on_demand",
    "restart",
    "steady",
    "add_group",
    "rename_group",
    "to",
    "add_member",
    "remove_member",
    "user",
    "assign_group",
    "unassign_group",
    "delete_group",
    "target_edit",
    "test_connection",
    "expect",
    "creates",
    "requests",
    "outcome",
    "flapping",
    "findings",
    "action",
    "alice",
    "bob",
    "eng",
    "initial",
    "incremental",
    "full",
    "legacy",
    "all",
    "seed",
    "IsSoftDeleted",
    "",
    "é",
    "POST /Users",
    "GET /Users?filter=a eq \"b\"",
];

fn word() -> impl Strategy<Value = String> {
    prop::sample::select(WORDS).prop_map(str::to_string)
}

fn value() -> impl Strategy<Value = toml::Value> {
    let leaf = prop_oneof![
        word().prop_map(toml::Value::String),
        any::<i64>().prop_map(toml::Value::Integer),
        (-3i64..5).prop_map(toml::Value::Integer),
        any::<bool>().prop_map(toml::Value::Boolean),
        (-1e6f64..1e6).prop_map(toml::Value::Float),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(toml::Value::Array),
            prop::collection::btree_map(word(), inner, 0..6).prop_map(|m| toml::Value::Table(m.into_iter().collect())),
        ]
    })
}

fn document() -> impl Strategy<Value = String> {
    prop::collection::btree_map(word(), value(), 0..8).prop_map(|m| {
        let table: toml::Table = m.into_iter().collect();
        toml::to_string(&table).unwrap_or_default()
    })
}

/// Loads and renders whatever comes back: neither may panic.
fn load_and_render(text: &str) -> String {
    match parse(text) {
        Ok(loaded) => render_all(&loaded.warnings, false),
        Err(diags) => render_all(&diags, false),
    }
}

proptest! {
    #[test]
    fn arbitrary_text(text in "\\PC*") {
        load_and_render(&text);
    }

    #[test]
    fn arbitrary_toml(text in document()) {
        load_and_render(&text);
    }

    #[test]
    fn a_valid_scenario_with_bytes_changed(edits in prop::collection::vec((any::<prop::sample::Index>(), any::<char>()), 1..6)) {
        let mut text: Vec<char> = std::fs::read_to_string(fixture("valid/every_step_kind.toml")).unwrap().chars().collect();
        for (at, c) in edits {
            let i = at.index(text.len());
            text[i] = c;
        }
        load_and_render(&text.into_iter().collect::<String>());
    }
}

#[test]
fn multibyte_names_render_with_character_columns() {
    let text = "[[users]]\nid = \"\u{e9}\"\nmanager = \"\u{e9}\"\n";
    insta::assert_snapshot!(load_and_render(text));
}
