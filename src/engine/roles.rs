//! App roles on the wire (ENTRA.md 1.9, 2.3): which role function a mapping uses, the `roles` of a create,
//! and the role operation of an update, in both dialects.
//!
//! | function | POST `roles` | legacy PATCH | compliant PATCH |
//! |---|---|---|---|
//! | `SingleAppRoleAssignment` (`roles[primary eq "True"].value`) | `[{"primary": true, "type": "WindowsAzureActiveDirectoryRole", "value": …}]` | `Add roles [{"value": "<{id, value, displayName} as JSON text>"}]` | `add roles [<role object as in the POST>]` |
//! | `AppRoleAssignmentsComplex` (`roles`) | every role, `primary: false`, with `display` | `Add` of the roles the target lacks, each as JSON text; never removes | `add` of the missing role objects |
//! | `AssertiveAppRoleAssignmentsComplex` (`roles`) | as the complex function | `Replace roles` with every role, each as JSON text: roles no longer assigned go | `replace roles` with every role object |
//!
//! Comparison [INF]: roles are compared by `value`, case-insensitively. The `Add` functions are in sync
//! when every assigned role is in the target (they never remove one); the assertive function when the
//! target has exactly the assigned roles. A user left with no role sends nothing: Entra does not flow
//! null values (ENTRA.md 1.4).

use serde_json::{json, Value as Json};

use crate::directory::AppRole;
use crate::engine::dialect::{Dialect, OpKind};
use crate::engine::result::ModifiedProperty;
use crate::engine::source::AttrSpec;
pub use crate::engine::source::RoleFunction;

pub use crate::mapping::ROLE_TYPE;

/// The roles an evaluation asks for.
#[derive(Debug, Clone, PartialEq)]
pub struct Desired {
    /// The role function.
    pub function: RoleFunction,
    /// Role objects in the POST shape, in mapping order.
    pub roles: Vec<Json>,
}

/// The roles mapped by `specs` with their evaluated `values`; `None` when no role is mapped.
pub fn desired(specs: &[AttrSpec], values: &[Json]) -> Option<Desired> {
    let mut function = None;
    let mut single = serde_json::Map::new();
    let mut roles = Vec::new();
    for (spec, value) in specs.iter().zip(values) {
        let Some(f) = spec.roles else { continue };
        function = Some(f);
        match f {
            RoleFunction::Single => {
                let sub = spec.target.rsplit_once("].").map_or("value", |(_, s)| s).to_string();
                if !value.is_null() {
                    single.insert(sub, value.clone());
                }
            }
            RoleFunction::Complex | RoleFunction::Assertive => match value {
                Json::Array(items) => roles.extend(items.iter().filter(|r| role_value(r).is_some()).cloned()),
                Json::Object(_) if role_value(value).is_some() => roles.push(value.clone()),
                _ => {}
            },
        }
    }
    let function = function?;
    if single.get("value").is_some_and(|v| v.as_str().is_some_and(|s| !s.is_empty())) {
        let mut role = serde_json::Map::new();
        role.insert("primary".into(), Json::Bool(true));
        role.insert("type".into(), single.remove("type").unwrap_or_else(|| json!(ROLE_TYPE)));
        for (k, v) in single {
            role.insert(k, v);
        }
        roles.push(Json::Object(role));
    }
    Some(Desired { function, roles })
}

/// A role object's `value`.
fn role_value(role: &Json) -> Option<&str> {
    role.as_object()?.iter().find(|(k, _)| k.eq_ignore_ascii_case("value"))?.1.as_str()
}

fn role_display(role: &Json) -> Option<&str> {
    role.as_object()?.iter().find(|(k, _)| k.eq_ignore_ascii_case("display"))?.1.as_str()
}

fn same(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

/// The `roles` of a create: the desired role objects, or `[]` (which Entra sends when no role is mapped).
pub fn post_roles(desired: Option<&Desired>) -> Json {
    Json::Array(desired.map(|d| d.roles.clone()).unwrap_or_default())
}

/// One role as a PATCH element: compliant sends the role object; legacy sends `{"value": "<JSON text>"}`
/// of the assignment `{"id", "value", "displayName"}`, the id and display name taken from the user's
/// assignments (`assigned`) when the role is among them.
fn element(dialect: Dialect, role: &Json, assigned: &[AppRole]) -> Json {
    match dialect {
        Dialect::Compliant => role.clone(),
        Dialect::Legacy => {
            let value = role_value(role).unwrap_or_default();
            let app_role = assigned.iter().find(|a| same(&a.value, value)).cloned().unwrap_or_else(|| {
                let mut r = AppRole::from_value(value);
                if let Some(d) = role_display(role) {
                    r.display_name = d.to_string();
                }
                r
            });
            json!({"value": app_role.to_json().to_string()})
        }
    }
}

/// The role values in a returned resource's `roles` (objects' `value`, or JSON texts of them).
pub fn current_values(resource: &Json) -> Vec<String> {
    let roles = resource.as_object().and_then(|o| o.iter().find(|(k, _)| k.eq_ignore_ascii_case("roles")));
    let Some((_, Json::Array(items))) = roles else { return Vec::new() };
    items.iter().filter_map(|r| role_value(r).map(str::to_string)).collect()
}

/// The role operation of an update, with what the provisioning log shows; `None` when the target's roles
/// already satisfy the function.
pub fn update_op(
    dialect: Dialect,
    desired: &Desired,
    resource: &Json,
    assigned: &[AppRole],
) -> Option<(Json, ModifiedProperty)> {
    if desired.roles.is_empty() {
        return None;
    }
    let current = current_values(resource);
    let has = |r: &&Json| role_value(r).is_some_and(|v| current.iter().any(|c| same(c, v)));
    let (kind, sent): (OpKind, Vec<&Json>) = match desired.function {
        RoleFunction::Single | RoleFunction::Complex => {
            let missing: Vec<&Json> = desired.roles.iter().filter(|r| !has(r)).collect();
            if missing.is_empty() {
                return None;
            }
            (OpKind::Add, missing)
        }
        RoleFunction::Assertive => {
            let all_there = desired.roles.iter().all(|r| has(&r));
            let nothing_else =
                current.iter().all(|c| desired.roles.iter().any(|r| role_value(r).is_some_and(|v| same(c, v))));
            if all_there && nothing_else {
                return None;
            }
            (OpKind::Replace, desired.roles.iter().collect())
        }
    };
    let value: Vec<Json> = sent.iter().map(|r| element(dialect, r, assigned)).collect();
    let op = json!({"op": dialect.op(kind), "path": "roles", "value": value});
    let old = (!current.is_empty()).then(|| json!(current));
    let new: Vec<Json> = sent.iter().filter_map(|r| role_value(r)).map(|v| json!(v)).collect();
    Some((op, ModifiedProperty { name: "roles".into(), old, new: Some(Json::Array(new)) }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mapping::parse_expression;

    fn role(value: &str) -> Json {
        json!({"primary": false, "type": ROLE_TYPE, "display": value, "value": value})
    }

    fn spec(target: &str, expr: &str) -> AttrSpec {
        let (e, _) = parse_expression(expr);
        AttrSpec { roles: RoleFunction::of(target, e.as_ref()), ..AttrSpec::for_target(target) }
    }

    #[test]
    fn the_function_comes_from_the_target_and_the_expression() {
        assert_eq!(spec(r#"roles[primary eq "True"].value"#, "x").roles, Some(RoleFunction::Single));
        let complex = "AppRoleAssignmentsComplex([appRoleAssignments])";
        assert_eq!(spec("roles", complex).roles, Some(RoleFunction::Complex));
        let assertive = "AssertiveAppRoleAssignmentsComplex([appRoleAssignments])";
        assert_eq!(spec("roles", assertive).roles, Some(RoleFunction::Assertive));
        assert_eq!(spec("title", assertive).roles, None);
    }

    #[test]
    fn single_role_posts_a_primary_role_object() {
        let specs = [spec(r#"roles[primary eq "True"].value"#, "SingleAppRoleAssignment([appRoleAssignments])")];
        let d = desired(&specs, &[json!("Admin")]).expect("mapped");
        assert_eq!(post_roles(Some(&d)), json!([{"primary": true, "type": ROLE_TYPE, "value": "Admin"}]));
    }

    #[test]
    fn legacy_role_elements_are_json_text_of_the_assignment() {
        let specs = [spec("roles", "AppRoleAssignmentsComplex([appRoleAssignments])")];
        let d = desired(&specs, &[json!([role("Admin"), role("Reader")])]).expect("mapped");
        let admin = AppRole { id: "06b0".into(), value: "Admin".into(), display_name: "Administrator".into() };
        let target = json!({"roles": [{"value": "Reader"}]});
        let (op, modified) = update_op(Dialect::Legacy, &d, &target, &[admin]).expect("Admin is missing");
        let text = r#"{"id":"06b0","value":"Admin","displayName":"Administrator"}"#;
        assert_eq!(op, json!({"op": "Add", "path": "roles", "value": [{"value": text}]}));
        assert_eq!(modified.new, Some(json!(["Admin"])));
        let (op, _) = update_op(Dialect::Compliant, &d, &target, &[]).expect("Admin is missing");
        assert_eq!(op, json!({"op": "add", "path": "roles", "value": [role("Admin")]}));
        let both = json!({"roles": [{"value": "admin"}, {"value": "Reader"}, {"value": "Old"}]});
        assert_eq!(update_op(Dialect::Legacy, &d, &both, &[]), None, "an Add function never removes");
    }

    #[test]
    fn assertive_replaces_the_whole_list() {
        let specs = [spec("roles", "AssertiveAppRoleAssignmentsComplex([appRoleAssignments])")];
        let d = desired(&specs, &[json!([role("Admin")])]).expect("mapped");
        let extra = json!({"roles": [{"value": "Admin"}, {"value": "Reader"}]});
        let (op, modified) = update_op(Dialect::Compliant, &d, &extra, &[]).expect("Reader must go");
        assert_eq!(op, json!({"op": "replace", "path": "roles", "value": [role("Admin")]}));
        assert_eq!(modified.old, Some(json!(["Admin", "Reader"])));
        let (legacy, _) = update_op(Dialect::Legacy, &d, &extra, &[]).expect("Reader must go");
        assert_eq!(legacy["op"], json!("Replace"));
        assert!(legacy["value"][0]["value"].is_string());
        assert_eq!(update_op(Dialect::Legacy, &d, &json!({"roles": [{"value": "ADMIN"}]}), &[]), None);
    }
}
