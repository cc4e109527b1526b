//! `appRoleAssignments` in user tables and `set`: the app roles assigned to a user (ENTRA.md 1.9).
//!
//! ```toml
//! appRoleAssignments = ["Admin", { value = "Reader", displayName = "Read only", id = "…guid…" }]
//! ```
//!
//! A string is a role value; a table gives `value` (required), `displayName` and `id` (a GUID; derived
//! from the value when absent). Every mistake is reported with its position.

use toml::de::DeValue;

use super::raw::{self, get, Node, Sink};
use crate::directory::{AppRole, ObjectId};
use crate::mapping::Value;

/// The attribute this module reads.
pub(crate) const ATTRIBUTE: &str = "appRoleAssignments";

const ROLE_KEYS: &[&str] = &["value", "displayName", "id"];

/// Reads the assignments: an array of role values or role tables (a single one is accepted too).
pub(crate) fn parse_app_roles(sink: &mut Sink, node: &Node<'_>) -> Value {
    let items: Vec<&Node<'_>> = match node.get_ref() {
        DeValue::Array(items) => items.iter().collect(),
        _ => vec![node],
    };
    let mut roles: Vec<AppRole> = Vec::new();
    for item in items {
        let Some(role) = parse_role(sink, item) else { continue };
        if roles.iter().any(|r| r.value.eq_ignore_ascii_case(&role.value)) {
            sink.error(raw::span_of(item), format!("app role `{}` is assigned twice", role.value), "each role once");
            continue;
        }
        roles.push(role);
    }
    AppRole::to_source(&roles)
}

fn parse_role(sink: &mut Sink, item: &Node<'_>) -> Option<AppRole> {
    match item.get_ref() {
        DeValue::String(s) if !s.trim().is_empty() => Some(AppRole::from_value(s.trim())),
        DeValue::String(_) => {
            sink.error(raw::span_of(item), "an app role value must not be empty", "e.g. \"Admin\"");
            None
        }
        DeValue::Table(table) => {
            raw::check_keys(sink, table, ROLE_KEYS, "an app role assignment");
            let Some(value_node) = get(table, "value") else {
                sink.error(
                    raw::span_of(item),
                    "an app role assignment needs a `value`",
                    "add `value = \"Admin\"`: the role's value",
                );
                return None;
            };
            let (value, span) = raw::string(sink, value_node, "value")?;
            if value.trim().is_empty() {
                sink.error(span, "an app role value must not be empty", "e.g. \"Admin\"");
                return None;
            }
            let mut role = AppRole::from_value(value.trim());
            if let Some((display, _)) = get(table, "displayName").and_then(|n| raw::string(sink, n, "displayName")) {
                role.display_name = display;
            }
            if let Some((id, span)) = get(table, "id").and_then(|n| raw::string(sink, n, "id")) {
                match ObjectId::parse(&id) {
                    Some(guid) => role.id = guid.to_string(),
                    None => sink.error(span, format!("app role `id` `{id}` is not a GUID"), "the app role's id"),
                }
            }
            Some(role)
        }
        _ => {
            raw::type_error(sink, item, "appRoleAssignments[]", "a role value or a table with `value`");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::diagnostic::render_all;
    use crate::directory::{role_id, AppRole};
    use crate::scenario::parse_str;

    const HEAD: &str = "[[steps]]\ncycle = \"initial\"\n\n[[users]]\nid = \"alice\"\nuserPrincipalName = \"a@x\"\n";

    #[test]
    fn roles_are_stored_with_ids_and_display_names() {
        let text = format!(
            "{HEAD}appRoleAssignments = [\"Reader\", {{ value = \"Admin\", displayName = \"Administrator\", id = \"06b07648-ecfe-589f-9d2f-6325724a46ee\" }}]\n"
        );
        let loaded =
            parse_str("roles.toml", &text, Path::new(".")).unwrap_or_else(|d| panic!("{}", render_all(&d, false)));
        let dir = &loaded.scenario.directory;
        let alice = dir.source_object(dir.user_id("alice").expect("alice"));
        let roles = AppRole::all_of(alice.get("appRoleAssignments"));
        assert_eq!(roles[0], AppRole { id: role_id("Reader"), value: "Reader".into(), display_name: "Reader".into() });
        assert_eq!(roles[1].id, "06b07648-ecfe-589f-9d2f-6325724a46ee");
        assert_eq!(roles[1].display_name, "Administrator");
    }

    #[test]
    fn every_role_mistake_is_located() {
        let text = format!(
            "{HEAD}appRoleAssignments = [\"\", {{ displayName = \"x\" }}, {{ value = \"A\", id = \"nope\", colour = 1 }}, \"a\", 7]\n"
        );
        let Err(diags) = parse_str("roles.toml", &text, Path::new(".")) else { panic!("expected errors") };
        let out = render_all(&diags, false);
        for expected in [
            "an app role value must not be empty",
            "an app role assignment needs a `value`",
            "app role `id` `nope` is not a GUID",
            "unknown key `colour` in an app role assignment",
            "app role `a` is assigned twice",
            "`appRoleAssignments[]` must be a role value or a table with `value`",
            "--> roles.toml:7:",
        ] {
            assert!(out.contains(expected), "missing {expected:?} in:\n{out}");
        }
    }
}
