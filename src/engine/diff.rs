//! Desired (source, through the mapping) versus actual (what the endpoint returned) → attribute
//! changes. Pure: no runtime, no socket (STYLE C2.3).
//!
//! Rules (ENTRA.md 3.1, 3.2, 3.4): null source values are never exported; comparison is
//! case-insensitive unless the target attribute is `caseExact`; booleans, numbers and strings compare by
//! their text (`"False"` equals `false`); multi-valued values compare as sets; the op is `Add` when
//! the target has no value and `Replace` when it has one.

use serde_json::Value as Json;

use crate::engine::dialect::{AttrChange, OpKind};

/// One mapped attribute to compare.
#[derive(Debug, Clone, PartialEq)]
pub struct Desired {
    /// Target path.
    pub path: String,
    /// Value Entra wants (already in the dialect's type); `Null` is never exported.
    pub value: Json,
    /// The target attribute's `caseExact`.
    pub case_exact: bool,
    /// The target's current value (`None` when absent).
    pub current: Option<Json>,
    /// Flow only when the target has no value (`ValueAddOnly` / `AttributeAddOnly`).
    pub only_if_target_empty: bool,
    /// Re-send even when equal (`FlowAlways`).
    pub flow_always: bool,
}

/// The changes to send for an object: every desired attribute whose value differs from the target's.
pub fn plan_update(desired: &[Desired]) -> Vec<AttrChange> {
    desired
        .iter()
        .filter(|d| !is_empty(&d.value))
        .filter(|d| !(d.only_if_target_empty && d.current.as_ref().is_some_and(|c| !is_empty(c))))
        .filter(|d| d.flow_always || !d.current.as_ref().is_some_and(|c| values_equal(&d.value, c, d.case_exact)))
        .map(|d| {
            let has_value = d.current.as_ref().is_some_and(|c| !is_empty(c));
            AttrChange {
                path: d.path.clone(),
                op: if has_value { OpKind::Replace } else { OpKind::Add },
                value: d.value.clone(),
                old: d.current.clone().filter(|c| !is_empty(c)),
            }
        })
        .collect()
}

/// With the `clear_with_remove` switch: a desired value that is now null while the target still has one
/// becomes a `Remove` of the path carrying the old value, as captured traffic shows (ENTRA.md 1.4).
pub fn plan_clears(desired: &[Desired]) -> Vec<AttrChange> {
    desired
        .iter()
        .filter(|d| is_empty(&d.value))
        .filter_map(|d| {
            let old = d.current.clone().filter(|c| !is_empty(c))?;
            Some(AttrChange { path: d.path.clone(), op: OpKind::Remove, value: old.clone(), old: Some(old) })
        })
        .collect()
}

/// True for `null`, `""`, `[]` and `{}`.
pub fn is_empty(value: &Json) -> bool {
    match value {
        Json::Null => true,
        Json::String(s) => s.is_empty(),
        Json::Array(a) => a.is_empty(),
        Json::Object(o) => o.is_empty(),
        _ => false,
    }
}

/// Entra's comparison of a desired value with the target's value.
pub fn values_equal(desired: &Json, actual: &Json, case_exact: bool) -> bool {
    match (desired, actual) {
        (Json::Array(d), Json::Array(a)) => {
            d.len() == a.len()
                && d.iter().all(|x| a.iter().any(|y| values_equal(x, y, case_exact)))
                && a.iter().all(|y| d.iter().any(|x| values_equal(x, y, case_exact)))
        }
        (Json::Array(d), other) if d.len() == 1 => values_equal(&d[0], other, case_exact),
        (Json::Object(d), Json::Object(a)) => {
            d.iter().all(|(k, v)| {
                a.iter()
                    .find(|(ak, _)| ak.eq_ignore_ascii_case(k))
                    .is_some_and(|(_, av)| values_equal(v, av, case_exact))
            }) && d.len() == a.len()
        }
        (Json::Object(_), _) | (_, Json::Object(_)) | (_, Json::Array(_)) | (Json::Array(_), _) => false,
        (d, a) => match (scalar_text(d), scalar_text(a)) {
            (Some(x), Some(y)) if case_exact => x == y,
            (Some(x), Some(y)) => x.to_lowercase() == y.to_lowercase(),
            _ => false,
        },
    }
}

fn scalar_text(value: &Json) -> Option<String> {
    match value {
        Json::String(s) => Some(s.clone()),
        Json::Bool(b) => Some(if *b { "True" } else { "False" }.to_string()),
        Json::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn d(path: &str, value: Json, current: Option<Json>) -> Desired {
        Desired {
            path: path.into(),
            value,
            case_exact: false,
            current,
            only_if_target_empty: false,
            flow_always: false,
        }
    }

    #[test]
    fn only_differing_attributes_are_sent() {
        let changes = plan_update(&[
            d("displayName", json!("Alice Doe"), Some(json!("alice doe"))),
            d("title", json!("Engineer"), Some(json!("Intern"))),
            d("nickName", json!("Ally"), None),
            d("preferredLanguage", Json::Null, Some(json!("en-US"))),
        ]);
        let summary: Vec<(&str, OpKind)> = changes.iter().map(|c| (c.path.as_str(), c.op)).collect();
        assert_eq!(summary, vec![("title", OpKind::Replace), ("nickName", OpKind::Add)]);
        assert_eq!(changes[0].old, Some(json!("Intern")));
    }

    #[test]
    fn case_exact_attributes_compare_exactly() {
        let mut attr = d("userName", json!("Alice@contoso.com"), Some(json!("alice@contoso.com")));
        assert!(plan_update(std::slice::from_ref(&attr)).is_empty());
        attr.case_exact = true;
        assert_eq!(plan_update(&[attr])[0].op, OpKind::Replace);
    }

    #[test]
    fn flow_rules_follow_the_mapping() {
        let mut only_empty = d("nickName", json!("New"), Some(json!("Old")));
        only_empty.only_if_target_empty = true;
        assert!(plan_update(std::slice::from_ref(&only_empty)).is_empty());
        only_empty.current = None;
        assert_eq!(plan_update(&[only_empty])[0].op, OpKind::Add);
        let mut always = d("title", json!("Same"), Some(json!("Same")));
        always.flow_always = true;
        assert_eq!(plan_update(&[always])[0].op, OpKind::Replace);
    }

    #[test]
    fn booleans_compare_with_their_string_forms() {
        assert!(values_equal(&json!("False"), &json!(false), false));
        assert!(values_equal(&json!(true), &json!("true"), false));
        assert!(!values_equal(&json!("True"), &json!(false), false));
        assert!(values_equal(&json!(7), &json!("7"), true));
    }

    #[test]
    fn empty_target_values_get_add() {
        let changes = plan_update(&[d("title", json!("X"), Some(json!("")))]);
        assert_eq!((changes[0].op, changes[0].old.clone()), (OpKind::Add, None));
    }

    #[test]
    fn multi_values_compare_as_sets() {
        assert!(values_equal(&json!(["a", "B"]), &json!(["b", "a"]), false));
        assert!(!values_equal(&json!(["a"]), &json!(["a", "b"]), false));
        assert!(values_equal(&json!({"value": "1"}), &json!({"Value": "1"}), false));
    }
}
