//! Evaluating an object's mapping: every target attribute's value (or only the matching ones), with the
//! evaluation errors and, when roles are mapped, the user's app role assignments: an [`Evaluated`], which
//! the create body, the update's diff and matching read.

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
                let text = match v {
                    Json::String(s) => s.clone(),
                    Json::Number(n) => n.to_string(),
                    Json::Bool(b) => b.to_string(),
                    _ => return None,
                };
                Some((priority, s.target.clone(), text)).filter(|t| !t.2.is_empty())
            })
            .collect();
        m.sort_by_key(|t| t.0);
        m.into_iter().map(|(_, a, v)| (a, v)).collect()
    }
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
    evaluate_where(mapper, kind, attrs, soft_deleted, evaluation, |_| true)
}

/// Evaluates the matching attributes only (the others are `Null`): enough for [`Evaluated::matching`].
pub fn evaluate_matching(mapper: &dyn Mapper, kind: ObjectKind, attrs: &SourceObject, evaluation: u64) -> Evaluated {
    evaluate_where(mapper, kind, attrs, false, evaluation, |s| s.matching_priority.is_some())
}

fn evaluate_where(
    mapper: &dyn Mapper,
    kind: ObjectKind,
    attrs: &SourceObject,
    soft_deleted: bool,
    evaluation: u64,
    wanted: impl Fn(&AttrSpec) -> bool,
) -> Evaluated {
    // Expressions read an absent `IsSoftDeleted` as false (Entra computes it for every object), so only a
    // soft-deleted user, or a source that carries the attribute itself, needs a copy with it set.
    let with_flag;
    let source = if kind == ObjectKind::User && (soft_deleted || attrs.has("IsSoftDeleted")) {
        let mut copy = attrs.clone();
        copy.set("IsSoftDeleted", Value::Bool(soft_deleted));
        with_flag = copy;
        &with_flag
    } else {
        attrs
    };
    let specs = mapper.specs(kind);
    let mut values = Vec::with_capacity(specs.len());
    let mut errors = Vec::new();
    for (i, spec) in specs.iter().enumerate() {
        if !wanted(spec) {
            values.push(Json::Null);
            continue;
        }
        match mapper.evaluate(kind, i, source, evaluation) {
            // `active` keeps the mapping's own form: legacy PATCHes send the Switch's string.
            Ok(v) if spec.target.eq_ignore_ascii_case("active") => values.push(v.to_json()),
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
