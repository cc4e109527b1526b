//! PATCH (RFC 7644 §3.5.2): the wire types and a lenient applier that accepts both of Entra's dialects
//! (ENTRA.md 1.4–1.8, 2.2, 2.3, 8.1–8.6):
//!
//! - `op` in any case (`Replace`, `replace`);
//! - string booleans (`"False"`) for boolean attributes, stored as JSON booleans;
//! - path-less `add`/`replace` whose object value is keyed by plain names, RFC nesting, dotted sub-attribute
//!   paths (`"name.givenName"`) or URN paths (`"urn:…:User:employeeNumber"`);
//! - `add` on a single-valued attribute replaces it;
//! - `members` given as value arrays, single objects or bare ids; removal by value array (legacy) or by
//!   `members[value eq "…"]` (compliant); `remove` of `members` with no value removes all;
//! - filtered paths create the element they describe when none matches;
//! - `roles` elements whose `value` is the JSON text of a role (the legacy role PATCH) stored as that role;
//! - the manager given as a bare id, `{"value": id}` or a one-element array, always stored as `{"value": id}`;
//!   an empty id removes it.
//!
//! [`apply`] is atomic: it works on a copy and changes the resource only when every operation succeeded.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::scim::model::{self, ScimType};
use crate::scim::path::{AttrPath, PathError, SetMode};
use crate::scim::schema::{self, AttrDef, AttrType, Mutability};

/// A PATCH request body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PatchRequest {
    /// Normally `[PATCH_OP_SCHEMA]` (not enforced on input).
    #[serde(default)]
    pub schemas: Vec<String>,
    /// The operations, applied in order.
    #[serde(rename = "Operations", alias = "operations")]
    pub operations: Vec<PatchOperation>,
}

impl PatchRequest {
    /// A request with the `PatchOp` schema.
    pub fn new(operations: Vec<PatchOperation>) -> Self {
        PatchRequest { schemas: vec![model::PATCH_OP_SCHEMA.to_string()], operations }
    }
}

/// One PATCH operation as sent (the `op` text is kept, so `Replace` and `replace` survive a round trip).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PatchOperation {
    /// `add`, `replace` or `remove`, in whatever case the client used.
    #[serde(alias = "Op")]
    pub op: String,
    /// The target path; absent for path-less operations.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "Path")]
    pub path: Option<String>,
    /// The value; absent for most removals.
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "Value")]
    pub value: Option<Value>,
}

impl PatchOperation {
    /// An operation.
    pub fn new(op: impl Into<String>, path: Option<&str>, value: Option<Value>) -> Self {
        PatchOperation { op: op.into(), path: path.map(str::to_string), value }
    }

    /// The parsed operation kind.
    pub fn kind(&self) -> Option<Op> {
        Op::parse(&self.op)
    }
}

/// A PATCH operation kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `add`
    Add,
    /// `replace`
    Replace,
    /// `remove`
    Remove,
}

impl Op {
    /// Parses an `op` value case-insensitively.
    pub fn parse(text: &str) -> Option<Op> {
        match text.trim().to_ascii_lowercase().as_str() {
            "add" => Some(Op::Add),
            "replace" => Some(Op::Replace),
            "remove" => Some(Op::Remove),
            _ => None,
        }
    }
}

/// Endpoint behaviours the applier can imitate (see the server's switches).
#[derive(Debug, Clone, Copy, Default)]
pub struct ApplyOptions {
    /// Treat `remove` of `members` with a value array as "remove all members" (the RFC-literal hazard,
    /// ENTRA.md 8.4).
    pub remove_all_members_on_legacy_remove: bool,
    /// Skip path-less `replace` operations (an endpoint that silently ignores them, ENTRA.md 8.3).
    pub ignore_pathless_replace: bool,
}

/// Why a PATCH failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct PatchError {
    /// The SCIM error keyword.
    pub kind: ScimType,
    /// 0-based index of the failing operation.
    pub operation: usize,
    /// Byte offset into the operation's path, for path syntax errors.
    pub offset: Option<usize>,
    /// What went wrong.
    pub message: String,
}

impl fmt::Display for PatchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "operation {}: {}", self.operation + 1, self.message)?;
        if let Some(o) = self.offset {
            write!(f, " (at byte {o} of the path)")?;
        }
        Ok(())
    }
}

fn op_err(operation: usize, kind: ScimType, message: impl Into<String>) -> PatchError {
    PatchError { kind, operation, offset: None, message: message.into() }
}

fn from_path(operation: usize, e: PathError) -> PatchError {
    PatchError { kind: e.kind, operation, offset: e.offset, message: e.message }
}

/// Applies the operations to `resource`, all or nothing.
pub fn apply(resource: &mut Value, operations: &[PatchOperation], opts: ApplyOptions) -> Result<(), PatchError> {
    *resource = apply_owned(resource.clone(), operations, opts)?;
    Ok(())
}

/// Applies the operations to a resource the caller owns (no copy is made; on error the resource is dropped,
/// so callers keep their own original when they need atomicity).
pub fn apply_owned(
    mut resource: Value,
    operations: &[PatchOperation],
    opts: ApplyOptions,
) -> Result<Value, PatchError> {
    for (i, operation) in operations.iter().enumerate() {
        apply_one(&mut resource, i, operation, opts)?;
    }
    Ok(resource)
}

fn apply_one(res: &mut Value, i: usize, operation: &PatchOperation, opts: ApplyOptions) -> Result<(), PatchError> {
    let Some(op) = operation.kind() else {
        return Err(op_err(
            i,
            ScimType::InvalidSyntax,
            format!("unknown op `{}` (expected add, replace or remove)", operation.op),
        ));
    };
    let Some(path_text) = operation.path.as_deref().filter(|p| !p.trim().is_empty()) else {
        return apply_pathless(res, i, op, operation.value.as_ref(), opts);
    };
    let path = AttrPath::parse(path_text).map_err(|e| from_path(i, e))?;
    check_mutability(&path, i, res, operation.value.as_ref())?;
    match op {
        Op::Add | Op::Replace => {
            let Some(value) = operation.value.clone() else {
                return Err(op_err(
                    i,
                    ScimType::InvalidValue,
                    format!("`{}` of `{path_text}` needs a value", operation.op),
                ));
            };
            set(res, i, &path, value, if op == Op::Add { SetMode::Add } else { SetMode::Replace })
        }
        Op::Remove => {
            remove(res, &path, operation.value.as_ref(), opts);
            Ok(())
        }
    }
}

fn check_mutability(path: &AttrPath, i: usize, res: &Value, value: Option<&Value>) -> Result<(), PatchError> {
    if path.is_server_owned() {
        // Tolerate a client echoing the current id back.
        if path.name.eq_ignore_ascii_case("id") && value.is_some() && value.and_then(Value::as_str) == model::id(res) {
            return Ok(());
        }
        return Err(op_err(i, ScimType::Mutability, format!("`{}` is read-only", path.name)));
    }
    if path.def().is_some_and(|d| d.mutability == Mutability::ReadOnly) {
        return Err(op_err(i, ScimType::Mutability, format!("`{path}` is read-only")));
    }
    Ok(())
}

fn set(res: &mut Value, i: usize, path: &AttrPath, value: Value, mode: SetMode) -> Result<(), PatchError> {
    let value = if roles::is_roles(path) { roles::decode(value) } else { value };
    let value = normalize_value(path, value).map_err(|e| from_path(i, e))?;
    if is_manager(path) {
        // A new manager replaces the old one whole: merging would keep a stale `$ref` or `displayName`.
        path.remove(res);
    }
    if roles::is_roles(path) {
        let added = value.clone();
        path.set(res, value, mode).map_err(|e| from_path(i, e))?;
        roles::keep_one_primary(res, &added);
        return Ok(());
    }
    path.set(res, value, mode).map_err(|e| from_path(i, e))
}

fn apply_pathless(
    res: &mut Value,
    i: usize,
    op: Op,
    value: Option<&Value>,
    opts: ApplyOptions,
) -> Result<(), PatchError> {
    if op == Op::Remove {
        return Err(op_err(i, ScimType::NoTarget, "`remove` needs a `path`"));
    }
    if op == Op::Replace && opts.ignore_pathless_replace {
        return Ok(());
    }
    let Some(Value::Object(fields)) = value else {
        return Err(op_err(i, ScimType::InvalidValue, "an operation without `path` needs an object `value`"));
    };
    let mode = if op == Op::Add { SetMode::Add } else { SetMode::Replace };
    for (key, v) in fields {
        if key.eq_ignore_ascii_case("schemas") || key.eq_ignore_ascii_case("meta") {
            continue;
        }
        if key.eq_ignore_ascii_case("id") {
            if v.as_str() != model::id(res) {
                return Err(op_err(i, ScimType::Mutability, "`id` is read-only"));
            }
            continue;
        }
        // A URN key with an object value is an extension root (`{"urn:…:User": {"department": …}}`); custom
        // extension attributes are never complex (ENTRA.md 1.11), so this reading is unambiguous.
        let is_urn = key.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("urn:"));
        let extension =
            (is_urn && v.is_object()).then(|| schema::schema(key).map_or_else(|| key.clone(), |s| s.id.to_string()));
        match (extension, v) {
            (Some(urn), Value::Object(inner)) => {
                for (k2, v2) in inner {
                    let path = AttrPath::parse(&format!("{urn}:{k2}")).map_err(|e| from_path(i, e))?;
                    set(res, i, &path, v2.clone(), mode)?;
                }
            }
            (_, v) => {
                let path = AttrPath::parse(key).map_err(|e| from_path(i, e))?;
                check_mutability(&path, i, res, Some(v))?;
                set(res, i, &path, v.clone(), mode)?;
            }
        }
    }
    Ok(())
}

fn remove(res: &mut Value, path: &AttrPath, value: Option<&Value>, opts: ApplyOptions) {
    let values: Vec<&Value> = match value {
        Some(Value::Array(a)) => a.iter().collect(),
        Some(Value::Null) | None => Vec::new(),
        Some(v) => vec![v],
    };
    let multi = path.def().map_or_else(|| matches!(path.get(res), Some(Value::Array(_))), |d| d.multi_valued);
    if values.is_empty() || path.filter.is_some() || path.sub.is_some() || !multi {
        // Entra's `Remove` of a typed email carries the old value: clearing the path is what it means.
        path.remove(res);
        return;
    }
    if opts.remove_all_members_on_legacy_remove && path.name.eq_ignore_ascii_case("members") {
        path.remove(res);
        return;
    }
    let wanted: std::collections::HashSet<model::ElementKey<'_>> =
        values.iter().map(|v| model::element_key(v)).collect();
    let Some(container) = path_container_mut(res, path) else { return };
    let Some(key) = model::key_ci(container, &path.name) else { return };
    if let Some(Value::Array(elems)) = container.get_mut(&key) {
        elems.retain(|e| !wanted.contains(&model::element_key(e)));
        if elems.is_empty() {
            container.shift_remove(&key);
        }
    }
}

fn path_container_mut<'a>(res: &'a mut Value, path: &AttrPath) -> Option<&'a mut Map<String, Value>> {
    let obj = res.as_object_mut()?;
    match path.container_key() {
        None => Some(obj),
        Some(k) => model::get_ci_mut(obj, &k)?.as_object_mut(),
    }
}

/// Brings a value for `path` into its stored shape: drops nulls inside it, turns string booleans into booleans
/// and bare ids of multi-valued complex attributes into `{"value": id}`, and normalises the manager (bare id,
/// object, one-element array → `{"value": id}`; empty → `null`, i.e. remove).
pub fn normalize_value(path: &AttrPath, value: Value) -> Result<Value, PathError> {
    let mut value = value;
    strip_nulls(&mut value);
    if is_manager(path) {
        return Ok(normalize_manager(value));
    }
    let Some(def) = path.def() else { return Ok(value) };
    let name = || path.to_string();
    match (&path.sub, &path.filter) {
        (Some(sub), _) => match def.sub(sub) {
            Some(sd) => coerce(sd, value, false, &name),
            None => Ok(value),
        },
        (None, Some(_)) => coerce(def, value, true, &name),
        (None, None) => coerce(def, value, false, &name),
    }
}

/// [`normalize_value`] for a plain attribute `name` of the resource's top level (`urn: None`) or of an
/// extension object, without building its path.
fn normalize_attribute(urn: Option<&'static str>, name: &str, value: Value) -> Result<Value, PathError> {
    let mut value = value;
    strip_nulls(&mut value);
    // As `AttrPath::container_key` and `AttrPath::def` would locate it.
    let located = schema::locate(urn, name);
    let container = located.container.or(urn.filter(|u| !schema::is_core(u)));
    if name.eq_ignore_ascii_case("manager") && container == Some(model::ENTERPRISE_USER_SCHEMA) {
        return Ok(normalize_manager(value));
    }
    let Some(def) = located.def else { return Ok(value) };
    let full = || urn.map_or_else(|| name.to_string(), |u| format!("{u}:{name}"));
    coerce(def, value, false, &full)
}

fn is_manager(path: &AttrPath) -> bool {
    path.sub.is_none()
        && path.filter.is_none()
        && path.name.eq_ignore_ascii_case("manager")
        && path.container_key().as_deref() == Some(model::ENTERPRISE_USER_SCHEMA)
}

fn normalize_manager(value: Value) -> Value {
    match value {
        Value::String(s) if s.is_empty() => Value::Null,
        Value::String(s) => Value::Object(Map::from_iter([("value".to_string(), Value::String(s))])),
        Value::Array(mut a) if !a.is_empty() => normalize_manager(a.swap_remove(0)),
        Value::Array(_) => Value::Null,
        Value::Object(o) => match model::get_ci(&o, "value") {
            Some(Value::String(s)) if !s.is_empty() => Value::Object(o),
            _ => Value::Null,
        },
        other => other,
    }
}

/// Drops nulls inside `v`, in place.
fn strip_nulls(v: &mut Value) {
    match v {
        Value::Object(o) => {
            o.retain(|_, v| !v.is_null());
            o.values_mut().for_each(strip_nulls);
        }
        Value::Array(a) => {
            a.retain(|v| !v.is_null());
            a.iter_mut().for_each(strip_nulls);
        }
        _ => {}
    }
}

/// Coerces `value` to `def`'s shape; `element` means the value is one element of a multi-valued attribute.
/// `name` spells the attribute for error messages (built only when there is an error).
fn coerce(def: &AttrDef, value: Value, element: bool, name: &dyn Fn() -> String) -> Result<Value, PathError> {
    if def.multi_valued && !element {
        return match value {
            Value::Array(mut a) => {
                for e in &mut a {
                    *e = coerce(def, std::mem::take(e), true, name)?;
                }
                Ok(Value::Array(a))
            }
            other => coerce(def, other, true, name),
        };
    }
    match (def.kind, value) {
        (AttrType::Boolean, v) => model::lenient_bool(&v).map(Value::Bool).ok_or_else(|| PathError {
            kind: ScimType::InvalidValue,
            offset: None,
            message: format!("`{}` must be a boolean, found {v}", name()),
        }),
        (AttrType::Complex, Value::Object(mut o)) => {
            for (k, v) in o.iter_mut() {
                if let Some(sd) = def.sub(k) {
                    *v = coerce(sd, std::mem::take(v), false, &|| format!("{}.{k}", name()))?;
                }
            }
            Ok(Value::Object(o))
        }
        (AttrType::Complex, v @ (Value::String(_) | Value::Number(_)))
            if def.multi_valued && def.sub("value").is_some() =>
        {
            Ok(Value::Object(Map::from_iter([("value".to_string(), v)])))
        }
        (AttrType::Complex, v) => Err(PathError {
            kind: ScimType::InvalidValue,
            offset: None,
            message: format!("`{}` must be an object, found {v}", name()),
        }),
        (_, v) => Ok(v),
    }
}

/// Brings a whole resource (a POST or PUT body) into its stored shape with [`normalize_value`] applied to every
/// attribute, core and extension.
pub fn normalize_resource(resource: &mut Value) -> Result<(), PathError> {
    let Some(obj) = resource.as_object_mut() else {
        return Err(PathError {
            kind: ScimType::InvalidSyntax,
            offset: None,
            message: "expected a JSON object".into(),
        });
    };
    for (key, slot) in obj.iter_mut() {
        let v = std::mem::take(slot);
        *slot = match schema::schema(key).filter(|s| !schema::is_core(s.id)) {
            Some(ext) => match v {
                Value::Object(mut inner) => {
                    for (k, v) in inner.iter_mut() {
                        *v = normalize_attribute(Some(ext.id), k, std::mem::take(v))?;
                    }
                    inner.retain(|_, v| !v.is_null());
                    Value::Object(inner)
                }
                other => other,
            },
            None if key.eq_ignore_ascii_case("schemas") || key.eq_ignore_ascii_case("meta") => v,
            None => normalize_attribute(None, key, v)?,
        };
    }
    obj.retain(|_, v| !v.is_null());
    Ok(())
}

mod roles;
#[cfg(test)]
mod tests;
