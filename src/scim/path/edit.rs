//! Edits inside one attribute's JSON: case-insensitive sets, merges, de-duplicating appends, and the element a
//! value filter describes.

use serde_json::{Map, Value};

use super::{PathError, ScimType};
use crate::scim::filter::{CompareOp, Filter, Literal};
use crate::scim::model;
use crate::scim::schema::{self, AttrDef};

pub(super) fn set_ci(obj: &mut Map<String, Value>, key: &str, value: Value) {
    let k = model::key_ci(obj, key).unwrap_or_else(|| key.to_string());
    if value.is_null() {
        obj.shift_remove(&k);
    } else {
        obj.insert(k, value);
    }
}

/// Merges `fields` into `target` key by key (case-insensitive keys; `null` removes).
pub(super) fn merge(target: &mut Map<String, Value>, fields: Map<String, Value>) {
    for (k, v) in fields {
        set_ci(target, &k, v);
    }
}

pub(super) fn set_element(elem: &mut Map<String, Value>, sub: Option<&str>, value: Value) -> Result<(), PathError> {
    match (sub, value) {
        (Some(sub), value) => set_ci(elem, sub, value),
        (None, Value::Object(fields)) => merge(elem, fields),
        (None, _) => {
            return Err(PathError::new(
                ScimType::InvalidValue,
                "a filtered path without sub-attribute needs an object value",
            ))
        }
    }
    Ok(())
}

pub(super) fn drop_if_empty(container: &mut Map<String, Value>, key: &str) {
    if container.get(key).is_some_and(|v| matches!(v, Value::Array(a) if a.is_empty())) {
        container.shift_remove(key);
    }
}

/// Appends values not already present; complex values with a `value` sub-attribute are compared by it.
pub(super) fn append_unique(existing: &mut Vec<Value>, new: Vec<Value>) {
    use std::collections::HashSet;
    // Decide first (borrowing only), then move: no key of the existing elements is copied.
    let keep: Vec<bool> = {
        let new_keys: Vec<model::ElementKey<'_>> = new.iter().map(model::element_key).collect();
        let wanted: HashSet<&model::ElementKey<'_>> = new_keys.iter().collect();
        let present: HashSet<&model::ElementKey<'_>> =
            existing.iter().map(model::element_key).filter_map(|k| wanted.get(&k).copied()).collect();
        let mut seen = HashSet::new();
        new_keys.iter().map(|k| !present.contains(k) && seen.insert(k)).collect()
    };
    existing.extend(new.into_iter().zip(keep).filter_map(|(v, keep)| keep.then_some(v)));
}

/// The element a filter of equality terms describes (`type eq "work" and primary eq true`), if it is one.
/// Boolean sub-attributes take JSON booleans even when the filter says `primary eq "True"` (Entra's roles path).
pub(super) fn template(f: &Filter, def: Option<&AttrDef>) -> Option<Map<String, Value>> {
    let mut out = Map::new();
    fn walk(f: &Filter, def: Option<&AttrDef>, out: &mut Map<String, Value>) -> bool {
        match f {
            Filter::And(a, b) => walk(a, def, out) && walk(b, def, out),
            Filter::Compare { attr, op: CompareOp::Eq, value } if attr.urn.is_none() && attr.sub.is_none() => {
                let v = match value {
                    Literal::Str(s) => Value::String(s.clone()),
                    Literal::Bool(b) => Value::Bool(*b),
                    Literal::Num(n) => Value::Number(n.clone()),
                    Literal::Null => return false,
                };
                let is_bool = def.and_then(|d| d.sub(&attr.name)).is_some_and(|d| d.kind == schema::AttrType::Boolean);
                let v = match (is_bool, model::lenient_bool(&v)) {
                    (true, Some(b)) => Value::Bool(b),
                    _ => v,
                };
                out.insert(attr.name.clone(), v);
                true
            }
            _ => false,
        }
    }
    walk(f, def, &mut out).then_some(out)
}
