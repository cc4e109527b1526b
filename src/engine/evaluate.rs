//! Evaluating an object's mapping: every target attribute's value (or only the matching ones), with the
//! evaluation errors and, when roles are mapped, the user's app role assignments: an [`Evaluated`], which
//! the create body, the update's diff and matching read.

use std::borrow::Cow;
use std::sync::Arc;

use serde_json::Value as Json;

use crate::directory::AppRole;
use crate::engine::result::ObjectKind;
use crate::engine::source::{AttrSpec, Mapper};
use crate::mapping::{SourceObject, Value};

/// A user's mapping, evaluated.
#[derive(Debug, Clone)]
pub struct Evaluated {
    /// Specs in mapping order.
    pub specs: Arc<[AttrSpec]>,
    /// Values (`Null` when the source value is null).
    pub values: Vec<Json>,
    /// Evaluation errors.
    pub errors: Vec<String>,
    /// The user's app role assignments, when the mapping maps roles (the legacy role PATCH carries their
    /// ids and display names).
    pub assigned: Vec<AppRole>,
}

impl Evaluated {
    /// The value of the spec targeting `path` (case-insensitive).
    pub fn value_of(&self, path: &str) -> Option<&Json> {
        self.specs.iter().position(|s| s.target.eq_ignore_ascii_case(path)).map(|i| &self.values[i])
    }

    /// The manager spec's value: the manager's source objectId.
    pub fn manager(&self) -> Option<Option<String>> {
        let i = self.specs.iter().position(AttrSpec::is_manager)?;
        Some(self.values[i].as_str().map(str::to_string).filter(|s| !s.is_empty()))
    }

    /// True when some matching attribute has a value (what [`Evaluated::matching`] would list), without
    /// copying any.
    pub fn has_matching(&self) -> bool {
        self.specs.iter().zip(&self.values).any(|(s, v)| {
            s.matching_priority.is_some_and(|p| p > 0)
                && match v {
                    Json::String(s) => !s.is_empty(),
                    Json::Number(_) | Json::Bool(_) => true,
                    _ => false,
                }
        })
    }

    /// Matching attributes with a value, lowest precedence first.
    pub fn matching(&self) -> Vec<(String, String)> {
        let mut m: Vec<(u32, String, String)> = self
            .specs
            .iter()
            .zip(&self.values)
            .filter_map(|(s, v)| {
                // The precedence first: only the one or two matching attributes have their value copied.
                let priority = s.matching_priority.filter(|p| *p > 0)?;
                let text = matching_text(v)?;
                Some((priority, s.target.clone(), text.into_owned()))
            })
            .collect();
        m.sort_by_key(|t| t.0);
        m.into_iter().map(|(_, a, v)| (a, v)).collect()
    }
}

/// A value as matching compares it: strings, numbers and booleans as text, when not empty.
fn matching_text(value: &Json) -> Option<Cow<'_, str>> {
    let text = match value {
        Json::String(s) => Cow::Borrowed(s.as_str()),
        Json::Number(n) => Cow::Owned(n.to_string()),
        Json::Bool(b) => Cow::Owned(b.to_string()),
        _ => return None,
    };
    Some(text).filter(|t| !t.is_empty())
}

/// Evaluates every attribute of an object mapping with `IsSoftDeleted` set as given; `evaluation` numbers
/// the evaluation (see [`Mapper::evaluate`]).
pub fn evaluate(
    mapper: &dyn Mapper,
    kind: ObjectKind,
    attrs: &SourceObject,
    soft_deleted: bool,
    evaluation: u64,
) -> Evaluated {
    let source = flagged(kind, attrs, soft_deleted);
    let specs = mapper.specs(kind);
    let mut values = Vec::with_capacity(specs.len());
    let mut errors = Vec::new();
    for (i, spec) in specs.iter().enumerate() {
        match mapper.evaluate(kind, i, &source, evaluation) {
            Ok(v) if keeps_own_form(spec) => values.push(v.to_json()),
            Ok(v) => values.push(mapper.typed(kind, i, v)),
            Err(e) => {
                errors.push(format!("`{}`: {e}", spec.target));
                values.push(Json::Null);
            }
        }
    }
    let assigned = match specs.iter().any(|s| s.roles.is_some()) {
        true => AppRole::all_of(source.get("appRoleAssignments")),
        false => Vec::new(),
    };
    Evaluated { specs, values, errors, assigned }
}

/// The first of [`Evaluated::matching`] of a user who is not soft-deleted, written into `key` (cleared
/// first) as `{target}={value}` with the value lowercased: how Entra compares users for duplicates.
/// False when no matching attribute has a value. Evaluates the matching attributes only, and only until
/// the first is known, and copies nothing but the key's text: the survey builds one for every user.
pub fn first_matching_key(
    mapper: &dyn Mapper,
    kind: ObjectKind,
    attrs: &SourceObject,
    evaluation: u64,
    key: &mut String,
) -> bool {
    let source = flagged(kind, attrs, false);
    let specs = mapper.specs(kind);
    // The lowest precedence wins; among equal ones, the first in mapping order.
    let mut first: Option<(u32, usize, Json)> = None;
    for (i, spec) in specs.iter().enumerate() {
        let Some(priority) = spec.matching_priority.filter(|p| *p > 0) else { continue };
        if first.as_ref().is_some_and(|(p, ..)| *p <= priority) {
            continue;
        }
        let Ok(value) = mapper.evaluate(kind, i, &source, evaluation) else { continue };
        let value = if keeps_own_form(spec) { value.to_json() } else { mapper.typed(kind, i, value) };
        if matching_text(&value).is_some() {
            first = Some((priority, i, value));
        }
    }
    key.clear();
    let Some((text, spec)) = first.as_ref().and_then(|(_, i, v)| Some((matching_text(v)?, specs.get(*i)?))) else {
        return false;
    };
    key.push_str(&spec.target);
    key.push('=');
    if text.is_ascii() {
        let start = key.len();
        key.push_str(&text);
        key[start..].make_ascii_lowercase();
    } else {
        key.push_str(&text.to_lowercase());
    }
    true
}

/// The source expressions read: expressions read an absent `IsSoftDeleted` as false (Entra computes it
/// for every object), so only a soft-deleted user, or a source that carries the attribute itself, needs a
/// copy with it set.
fn flagged(kind: ObjectKind, attrs: &SourceObject, soft_deleted: bool) -> Cow<'_, SourceObject> {
    if kind == ObjectKind::User && (soft_deleted || attrs.has("IsSoftDeleted")) {
        let mut copy = attrs.clone();
        copy.set("IsSoftDeleted", Value::Bool(soft_deleted));
        Cow::Owned(copy)
    } else {
        Cow::Borrowed(attrs)
    }
}

/// `active` keeps the mapping's own form in an evaluation (a legacy `PATCH` sends the `Switch`'s string); the
/// other attributes' values are typed by the mapper.
fn keeps_own_form(spec: &AttrSpec) -> bool {
    spec.target.eq_ignore_ascii_case("active")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::source::{ObjectActions, ScopeCheck};

    /// Values by attribute, the first attribute typed as a boolean (as `active`-like targets are).
    struct Table {
        specs: Arc<[AttrSpec]>,
        values: Vec<Value>,
    }

    impl Mapper for Table {
        fn specs(&self, _: ObjectKind) -> Arc<[AttrSpec]> {
            self.specs.clone()
        }
        fn evaluate(&self, _: ObjectKind, index: usize, source: &SourceObject, _: u64) -> Result<Value, String> {
            match self.values.get(index) {
                Some(Value::Str(s)) if s == "error" => Err("failed".into()),
                Some(Value::Str(s)) if s == "flag" => Ok(source.get("IsSoftDeleted").clone()),
                other => Ok(other.cloned().unwrap_or_default()),
            }
        }
        fn typed(&self, _: ObjectKind, index: usize, value: Value) -> Json {
            match (index, value) {
                (0, Value::Str(s)) => s.parse::<bool>().map_or_else(|_| Json::String(s), Json::Bool),
                (_, value) => value.to_json(),
            }
        }
        fn scope(&self, _: ObjectKind, _: &SourceObject) -> ScopeCheck {
            ScopeCheck { in_scope: true, clauses: Vec::new() }
        }
        fn actions(&self, _: ObjectKind) -> ObjectActions {
            ObjectActions::default()
        }
    }

    fn values() -> impl proptest::strategy::Strategy<Value = Value> {
        use proptest::prelude::*;
        prop_oneof![
            Just(Value::Null),
            Just(Value::from("")),
            Just(Value::from("error")),
            Just(Value::from("flag")),
            Just(Value::from("true")),
            "[a-zA-Z@.]{1,6}".prop_map(Value::from),
            Just(Value::from("ΣΑΣ Straße")),
            Just(Value::from("İx")),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::Int),
            Just(Value::Multi(vec![Value::from("a")])),
        ]
    }

    proptest::proptest! {
        /// The survey's key is the first of what the full evaluation's matching lists, lowercased.
        #[test]
        fn the_first_matching_key_is_the_first_of_the_full_evaluations_matching(
            attrs in proptest::collection::vec(
                (proptest::option::of(0u32..4), values(), proptest::sample::select(vec!["userName", "active", "emails[type eq \"work\"].value", "externalId"])),
                0..6),
            flag in proptest::option::of(proptest::bool::ANY),
        ) {
            let specs = attrs
                .iter()
                .map(|(priority, _, target)| AttrSpec { matching_priority: *priority, ..AttrSpec::for_target(*target) })
                .collect();
            let mapper = Table { specs, values: attrs.iter().map(|(_, v, _)| v.clone()).collect() };
            let mut source = SourceObject::new();
            if let Some(flag) = flag {
                source.set("IsSoftDeleted", Value::Bool(flag));
            }
            let general = evaluate(&mapper, ObjectKind::User, &source, false, 3)
                .matching()
                .into_iter()
                .next()
                .map(|(attr, value)| format!("{attr}={}", value.to_lowercase()));
            let mut key = "stale".to_string();
            let fast = first_matching_key(&mapper, ObjectKind::User, &source, 3, &mut key).then_some(key);
            proptest::prop_assert_eq!(fast, general);
        }
    }
}
