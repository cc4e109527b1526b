//! The defect switches that change how a request is answered rather than how the store keeps resources: PATCH
//! operations a defective endpoint drops or refuses, paging that ignores `startIndex`, DELETE answers for ids
//! that do not exist, and discovery documents that leave attributes out. Each one reproduces a failure
//! Microsoft's validators look for, so that `entrasim check` can be shown to catch it; all are off by default.

use std::collections::HashSet;
use std::sync::{Mutex, PoisonError};

use serde_json::Value;

use crate::scim::model::ScimType;
use crate::scim::patch::{Op, PatchOperation};
use crate::server::error::ApiError;
use crate::server::store::Kind;
use crate::server::switches::Switches;

/// Ids deleted so far, kept only while a DELETE switch needs to tell "deleted" from "never existed".
#[derive(Default)]
pub(crate) struct Tombstones(Mutex<HashSet<String>>);

impl Tombstones {
    /// Remembers a deleted id when `switches` need it.
    pub fn bury(&self, switches: &Switches, id: &str) {
        if switches.delete_unknown_succeeds || switches.delete_twice_succeeds {
            self.0.lock().unwrap_or_else(PoisonError::into_inner).insert(id.to_string());
        }
    }

    /// True when a DELETE of the missing `id` is answered 204 anyway.
    pub fn delete_succeeds(&self, switches: &Switches, id: &str) -> bool {
        let deleted = self.0.lock().unwrap_or_else(PoisonError::into_inner).contains(id);
        if deleted {
            switches.delete_twice_succeeds
        } else {
            switches.delete_unknown_succeeds
        }
    }
}

/// The `startIndex` a list answer starts at: the requested one, or 1 when paging ignores it.
pub(crate) fn start_index(switches: &Switches, requested: usize) -> usize {
    if switches.paging_ignores_start_index {
        1
    } else {
        requested
    }
}

/// A PATCH body before it is parsed: an operation assigning `null` to a path becomes a `remove` of that path
/// (RFC 7643 §2.5: assigning null clears an attribute), and with `ignore_null_updates` a user operation
/// whose value is `null` or `""` is dropped instead.
pub(crate) fn patch_body(switches: &Switches, kind: Kind, mut body: Value) -> Value {
    let ops = body.as_object_mut().and_then(|o| {
        let key = o.keys().find(|k| k.eq_ignore_ascii_case("Operations"))?.clone();
        o.get_mut(&key)?.as_array_mut()
    });
    let Some(ops) = ops else { return body };
    if kind == Kind::User && switches.ignore_null_updates {
        ops.retain(|op| !op_value(op).is_some_and(|v| v.is_null() || v.as_str() == Some("")));
    }
    for op in ops.iter_mut() {
        let has_path = op.as_object().is_some_and(|o| o.keys().any(|k| k.eq_ignore_ascii_case("path")));
        if let (Some(obj), true) = (op.as_object_mut(), has_path) {
            if obj.iter().any(|(k, v)| k.eq_ignore_ascii_case("value") && v.is_null()) {
                obj.retain(|k, _| !k.eq_ignore_ascii_case("value") && !k.eq_ignore_ascii_case("op"));
                obj.insert("op".into(), Value::from("remove"));
            }
        }
    }
    body
}

fn op_value(op: &Value) -> Option<&Value> {
    op.as_object()?.iter().find(|(k, _)| k.eq_ignore_ascii_case("value")).map(|(_, v)| v)
}

/// The PATCH operations the endpoint applies, after the switches that drop or refuse some of them.
pub(crate) fn patch_operations(
    switches: &Switches,
    kind: Kind,
    mut ops: Vec<PatchOperation>,
) -> Result<Vec<PatchOperation>, ApiError> {
    match kind {
        Kind::Group => {
            if switches.group_patch_first_op_only {
                ops.truncate(1);
            }
        }
        Kind::User => {
            if switches.reject_mixed_patch_ops {
                let first: Option<Option<Op>> = ops.first().map(PatchOperation::kind);
                if ops.iter().any(|op| Some(op.kind()) != first) {
                    return Err(ApiError::bad(
                        ScimType::InvalidSyntax,
                        "a PATCH request may carry operations of one kind only (add, replace or remove)",
                    ));
                }
            }
            if switches.first_op_per_path {
                let mut seen = HashSet::new();
                ops.retain(|op| seen.insert(op.path.as_deref().map(str::to_ascii_lowercase)));
            }
            if switches.ignore_empty_manager {
                ops.retain(|op| !(targets_manager(op) && is_empty_reference(op.value.as_ref())));
            }
        }
    }
    Ok(ops)
}

fn targets_manager(op: &PatchOperation) -> bool {
    op.path.as_deref().is_some_and(|p| p.to_ascii_lowercase().ends_with("manager"))
}

fn is_empty_reference(value: Option<&Value>) -> bool {
    value.and_then(Value::as_object).and_then(|o| o.get("value")).is_some_and(|v| v.is_null() || v.as_str() == Some(""))
}

/// A discovery list (`/Schemas` or `/ResourceTypes`) without what `schemas_omit` names: whole schemas by URN,
/// attributes by name (`title`, `emails`) or by their full URN path (`urn:…:enterprise:2.0:User:department`).
pub(crate) fn omit_from_discovery(switches: &Switches, mut list: Value) -> Value {
    let Some(omit) = switches.schemas_omit.as_ref().filter(|o| !o.is_empty()) else { return list };
    let omitted = |name: &str| omit.iter().any(|o| o.eq_ignore_ascii_case(name));
    let Some(resources) = list.get_mut("Resources").and_then(Value::as_array_mut) else { return list };
    resources.retain(|r| {
        let id = r.get("id").and_then(Value::as_str).unwrap_or_default();
        let schema = r.get("schema").and_then(Value::as_str).unwrap_or_default();
        !omitted(id) && !omitted(schema)
    });
    for resource in resources.iter_mut() {
        let urn = resource.get("id").and_then(Value::as_str).unwrap_or_default().to_string();
        if let Some(attributes) = resource.get_mut("attributes").and_then(Value::as_array_mut) {
            attributes.retain(|a| {
                let name = a.get("name").and_then(Value::as_str).unwrap_or_default();
                !omitted(name) && !omitted(&format!("{urn}:{name}"))
            });
        }
    }
    let total = resources.len();
    if let Some(obj) = list.as_object_mut() {
        obj.insert("totalResults".into(), Value::from(total));
        obj.insert("itemsPerPage".into(), Value::from(total));
    }
    list
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn op(op: &str, path: Option<&str>, value: Option<Value>) -> PatchOperation {
        PatchOperation::new(op, path, value)
    }

    #[test]
    fn switches_drop_or_refuse_operations() {
        let s = Switches { ignore_empty_manager: true, ..Switches::default() };
        let ops = vec![
            op("replace", Some("urn:x:manager"), Some(json!({"value": ""}))),
            op("replace", Some("displayName"), Some(json!("kept"))),
        ];
        let kept = patch_operations(&s, Kind::User, ops.clone()).unwrap();
        assert_eq!(kept, vec![ops[1].clone()]);
        let mixed = Switches { reject_mixed_patch_ops: true, ..Switches::default() };
        assert!(patch_operations(&mixed, Kind::User, vec![op("add", None, None), op("remove", None, None)]).is_err());
        assert!(patch_operations(&mixed, Kind::Group, vec![op("add", None, None), op("remove", None, None)]).is_ok());
        let first = Switches { first_op_per_path: true, group_patch_first_op_only: true, ..Switches::default() };
        let same = vec![op("add", Some("title"), Some(json!("a"))), op("replace", Some("Title"), Some(json!("b")))];
        assert_eq!(patch_operations(&first, Kind::User, same.clone()).unwrap().len(), 1);
        assert_eq!(patch_operations(&first, Kind::Group, same).unwrap().len(), 1);
        assert_eq!(patch_operations(&Switches::default(), Kind::User, ops.clone()).unwrap(), ops);
    }

    #[test]
    fn null_clears_unless_nulls_are_ignored() {
        let body = json!({"Operations": [
            {"op": "Replace", "path": "title", "value": null},
            {"op": "replace", "path": "nickName", "value": ""},
            {"op": "replace", "value": {"displayName": null}}
        ]});
        let cleared = patch_body(&Switches::default(), Kind::User, body.clone());
        assert_eq!(cleared["Operations"][0], json!({"path": "title", "op": "remove"}));
        assert_eq!(cleared["Operations"][1], body["Operations"][1]);
        let s = Switches { ignore_null_updates: true, ..Switches::default() };
        let ignored = patch_body(&s, Kind::User, body.clone());
        assert_eq!(ignored["Operations"], json!([body["Operations"][2]]));
        assert_eq!(patch_body(&s, Kind::Group, body)["Operations"].as_array().map(Vec::len), Some(3));
    }

    #[test]
    fn tombstones_tell_deleted_from_unknown() {
        let s = Switches { delete_twice_succeeds: true, ..Switches::default() };
        let t = Tombstones::default();
        t.bury(&s, "a");
        assert!(t.delete_succeeds(&s, "a") && !t.delete_succeeds(&s, "b"));
        let s = Switches { delete_unknown_succeeds: true, ..Switches::default() };
        assert!(!t.delete_succeeds(&s, "a") && t.delete_succeeds(&s, "b"));
    }

    #[test]
    fn discovery_omits_schemas_and_attributes() {
        let list = json!({"totalResults": 2, "Resources": [
            {"id": "urn:u", "attributes": [{"name": "title"}, {"name": "department"}]},
            {"id": "urn:g", "attributes": [{"name": "displayName"}]}
        ]});
        let s = Switches { schemas_omit: Some(vec!["urn:g".into(), "urn:u:department".into()]), ..Switches::default() };
        let out = omit_from_discovery(&s, list);
        assert_eq!(out["totalResults"], json!(1));
        assert_eq!(out["Resources"][0]["attributes"], json!([{"name": "title"}]));
    }
}
