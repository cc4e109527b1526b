//! `roles` as Entra's legacy dialect sends them in a PATCH (ENTRA.md 1.9): each element's `value` is the JSON text
//! of `{"id", "value", "displayName"}`. The applier stores the role it describes, `{"value", "display"}`,
//! so the endpoint returns what the POST form would have stored. A role added as primary makes the
//! others non-primary (RFC 7643 §2.4: at most one primary value).

use serde_json::{Map, Value};

use crate::scim::model;
use crate::scim::path::AttrPath;

/// True for the unfiltered `roles` attribute.
pub(super) fn is_roles(path: &AttrPath) -> bool {
    path.urn.is_none() && path.sub.is_none() && path.filter.is_none() && path.name.eq_ignore_ascii_case("roles")
}

/// Decodes legacy role elements: `{"value": "<JSON text of an object>"}` becomes that role.
pub(super) fn decode(value: Value) -> Value {
    match value {
        Value::Array(items) => Value::Array(items.into_iter().map(decode_element).collect()),
        single => decode_element(single),
    }
}

fn decode_element(element: Value) -> Value {
    let Some(text) = element.as_object().and_then(|o| model::get_ci(o, "value")).and_then(Value::as_str) else {
        return element;
    };
    let Some(Value::Object(inner)) = serde_json::from_str::<Value>(text.trim()).ok() else { return element };
    let mut role = Map::new();
    for (key, stored) in [("primary", "primary"), ("type", "type"), ("displayName", "display"), ("display", "display")]
    {
        if let Some(v) = model::get_ci(&inner, key) {
            role.insert(stored.to_string(), v.clone());
        }
    }
    match model::get_ci(&inner, "value") {
        Some(v) => role.insert("value".to_string(), v.clone()),
        None => return element,
    };
    Value::Object(role)
}

/// After `added` went into `roles`: when one of them is primary, every other role is not.
pub(super) fn keep_one_primary(res: &mut Value, added: &Value) {
    let is_primary = |r: &Value| {
        r.as_object().and_then(|o| model::get_ci(o, "primary")).and_then(model::lenient_bool).unwrap_or(false)
    };
    let value_of = |r: &Value| r.as_object().and_then(|o| model::get_ci(o, "value")).cloned();
    let primary = match added {
        Value::Array(items) => items.iter().rev().find(|r| is_primary(r)).and_then(value_of),
        single => Some(single).filter(|r| is_primary(r)).and_then(value_of),
    };
    let Some(primary) = primary else { return };
    let Some(Value::Array(roles)) = res.as_object_mut().and_then(|o| model::get_ci_mut(o, "roles")) else { return };
    for role in roles.iter_mut() {
        if value_of(role).as_ref() != Some(&primary) && is_primary(role) {
            if let Some(o) = role.as_object_mut() {
                o.insert("primary".to_string(), Value::Bool(false));
            }
        }
    }
}
