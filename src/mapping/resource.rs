//! Builds the SCIM resource body Entra POSTs when it creates an object (ENTRA.md 1.2 for users, 1.7 for
//! groups) from target paths and their typed values.

use serde_json::{json, Map, Value as Json};

use super::catalog::ObjectKind;
use super::target::{TargetAttr, ENTERPRISE_USER};

/// The core User schema URN.
pub const CORE_USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
/// The core Group schema URN.
pub const CORE_GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
/// The legacy Microsoft group schema URI Entra still lists on group creation (ENTRA.md 1.7).
pub const ADSCIM_GROUP: &str = "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group";

/// The body Entra POSTs: `schemas` (with the enterprise URN only when enterprise attributes are present;
/// custom extension URNs are not listed), the attributes (nulls omitted, typed multi-valued elements built
/// from filtered paths, `primary: true` on the work email and the work address, nested `name`, extension
/// objects), `meta.resourceType`, and for users `roles: []` unless roles are mapped.
pub fn build_resource(kind: ObjectKind, values: &[(TargetAttr, Json)]) -> Json {
    let mut body = Map::new();
    let mut schemas = match kind {
        ObjectKind::User => vec![json!(CORE_USER)],
        ObjectKind::Group => vec![json!(CORE_GROUP), json!(ADSCIM_GROUP)],
    };
    if kind == ObjectKind::User && values.iter().any(|(t, v)| t.is_enterprise() && !v.is_null()) {
        schemas.push(json!(ENTERPRISE_USER));
    }
    body.insert("schemas".into(), Json::Array(schemas));
    for (target, value) in values {
        if value.is_null() {
            continue;
        }
        let container = match &target.schema {
            Some(urn) => object_at(&mut body, urn),
            None => &mut body,
        };
        place(container, target, value.clone());
    }
    body.insert("meta".into(), json!({"resourceType": kind.as_str()}));
    if kind == ObjectKind::User && !body.contains_key("roles") {
        body.insert("roles".into(), json!([]));
    }
    if let Some(Json::Array(roles)) = body.get_mut("roles") {
        roles.iter_mut().filter_map(Json::as_object_mut).for_each(type_primary_role);
    }
    Json::Object(body)
}

/// The single-role form (`roles[primary eq "True"].value`) carries the role `type` Entra sends
/// (ENTRA.md 1.9), as the engine's create does.
fn type_primary_role(role: &mut Map<String, Json>) {
    if role.get("primary") == Some(&Json::Bool(true)) && !role.contains_key("type") {
        let mut typed = Map::new();
        for (k, v) in std::mem::take(role) {
            let is_primary = k == "primary";
            typed.insert(k, v);
            if is_primary {
                typed.insert("type".into(), json!(super::functions::ROLE_TYPE));
            }
        }
        *role = typed;
    }
}

fn object_at<'a>(map: &'a mut Map<String, Json>, key: &str) -> &'a mut Map<String, Json> {
    let slot = map.entry(key.to_string()).or_insert_with(|| json!({}));
    if !slot.is_object() {
        *slot = json!({});
    }
    slot.as_object_mut().expect("invariant: slot was just made an object")
}

fn place(container: &mut Map<String, Json>, target: &TargetAttr, value: Json) {
    let name = target.attribute.clone();
    match (&target.filter, &target.sub_attribute) {
        (Some(filter), Some(sub)) => {
            let slot = container.entry(name.clone()).or_insert_with(|| json!([]));
            if !slot.is_array() {
                *slot = json!([]);
            }
            let items = slot.as_array_mut().expect("invariant: slot was just made an array");
            let index = match items.iter().position(|el| filter.matches(el)) {
                Some(i) => i,
                None => {
                    let mut el = Map::new();
                    el.insert(filter.attribute.clone(), filter.json_value());
                    let primary = filter.attribute == "type"
                        && filter.value == "work"
                        && (name == "emails" || name == "addresses");
                    if primary {
                        el.insert("primary".into(), Json::Bool(true));
                    }
                    items.push(Json::Object(el));
                    items.len() - 1
                }
            };
            if let Some(el) = items[index].as_object_mut() {
                el.insert(sub.clone(), value);
            }
        }
        (None, Some(sub)) => {
            object_at(container, &name).insert(sub.clone(), value);
        }
        _ if target.is_reference() && !target.is_multi_valued() => {
            let v = if value.is_string() { json!({ "value": value }) } else { value };
            container.insert(name, v);
        }
        _ => {
            container.insert(name, value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(path: &str, v: Json) -> (TargetAttr, Json) {
        (TargetAttr::parse(path).expect("valid path"), v)
    }

    #[test]
    fn user_body_has_schemas_meta_roles_and_typed_elements() {
        let body = build_resource(
            ObjectKind::User,
            &[
                pair("userName", json!("alice@contoso.com")),
                pair("active", json!(true)),
                pair("title", Json::Null),
                pair(r#"emails[type eq "work"].value"#, json!("alice@contoso.com")),
                pair("name.givenName", json!("Alice")),
                pair(r#"phoneNumbers[type eq "mobile"].value"#, json!("+1 2")),
                pair(r#"addresses[type eq "work"].locality"#, json!("Redmond")),
                pair(r#"addresses[type eq "work"].country"#, json!("US")),
                pair("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber", json!("1234")),
                pair("urn:ietf:params:scim:schemas:extension:Contoso:2.0:User:badge", json!("b-1")),
            ],
        );
        assert_eq!(
            body,
            json!({
                "schemas": [CORE_USER, ENTERPRISE_USER],
                "userName": "alice@contoso.com",
                "active": true,
                "emails": [{"type": "work", "primary": true, "value": "alice@contoso.com"}],
                "name": {"givenName": "Alice"},
                "phoneNumbers": [{"type": "mobile", "value": "+1 2"}],
                "addresses": [{"type": "work", "primary": true, "locality": "Redmond", "country": "US"}],
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"employeeNumber": "1234"},
                "urn:ietf:params:scim:schemas:extension:Contoso:2.0:User": {"badge": "b-1"},
                "meta": {"resourceType": "User"},
                "roles": []
            })
        );
    }

    #[test]
    fn mapped_roles_replace_the_empty_list() {
        let body = build_resource(ObjectKind::User, &[pair(r#"roles[primary eq "True"].value"#, json!("Admin"))]);
        assert_eq!(
            body["roles"],
            json!([{"primary": true, "type": "WindowsAzureActiveDirectoryRole", "value": "Admin"}])
        );
        assert_eq!(body["schemas"], json!([CORE_USER]));
    }

    #[test]
    fn group_body_matches_the_documented_shape() {
        let body = build_resource(
            ObjectKind::Group,
            &[
                pair("displayName", json!("Engineering")),
                pair("externalId", json!("8aa1a0c0")),
                pair("members", Json::Null),
            ],
        );
        assert_eq!(
            body,
            json!({"schemas": [CORE_GROUP, ADSCIM_GROUP], "displayName": "Engineering", "externalId": "8aa1a0c0", "meta": {"resourceType": "Group"}})
        );
    }

    #[test]
    fn manager_is_written_as_a_complex_reference() {
        let body = build_resource(
            ObjectKind::User,
            &[pair("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", json!("m-1"))],
        );
        assert_eq!(body[ENTERPRISE_USER]["manager"], json!({"value": "m-1"}));
    }
}
