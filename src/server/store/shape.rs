//! Shaping request bodies into stored documents: normalisation, `keep_attributes`, required attributes,
//! schema URNs and the manager's `$ref`. Needs no store, so handlers do it before taking the store lock.

use serde_json::{json, Value};

use super::{Kind, StoreOptions};
use crate::scim::model::{self, ScimType};
use crate::scim::patch;
use crate::server::error::ApiError;

impl StoreOptions {
    /// Turns a request body into a storable document (without `id` and `meta`).
    pub fn prepare(&self, kind: Kind, body: Value) -> Result<Value, ApiError> {
        let Value::Object(mut obj) = body else {
            return Err(ApiError::bad(ScimType::InvalidSyntax, "the request body must be a JSON object"));
        };
        model::remove_ci(&mut obj, "id");
        model::remove_ci(&mut obj, "meta");
        if kind == Kind::User {
            // Read-only and computed from group memberships.
            model::remove_ci(&mut obj, "groups");
        }
        let mut doc = Value::Object(obj);
        patch::normalize_resource(&mut doc)?;
        self.keep_only(kind, &mut doc);
        validate_required(kind, &doc)?;
        self.finish(kind, &mut doc);
        Ok(doc)
    }

    /// Server-side completion: the core (and, when used, enterprise) schema URN in `schemas`, the manager's
    /// `$ref`.
    pub(super) fn finish(&self, kind: Kind, doc: &mut Value) {
        let Some(obj) = doc.as_object_mut() else { return };
        let has_ext = model::get_ci(obj, model::ENTERPRISE_USER_SCHEMA).is_some();
        let mut schemas: Vec<Value> = match model::remove_ci(obj, "schemas") {
            Some(Value::Array(a)) => a,
            _ => Vec::new(),
        };
        for (urn, wanted) in [(kind.schema(), true), (model::ENTERPRISE_USER_SCHEMA, has_ext)] {
            if wanted && !schemas.iter().any(|s| s.as_str().is_some_and(|s| s.eq_ignore_ascii_case(urn))) {
                schemas.push(json!(urn));
            }
        }
        obj.shift_insert(0, "schemas".into(), Value::Array(schemas));
        let base = &self.base_url;
        if let Some(Value::Object(mgr)) = model::get_ci_mut(obj, model::ENTERPRISE_USER_SCHEMA)
            .and_then(Value::as_object_mut)
            .and_then(|e| model::get_ci_mut(e, "manager"))
        {
            if let Some(id) = model::get_ci(mgr, "value").and_then(Value::as_str).map(str::to_string) {
                mgr.insert("$ref".into(), json!(format!("{base}/Users/{id}")));
            }
        }
    }

    /// Drops user attributes outside `keep_attributes` and group attributes outside `keep_group_attributes`.
    pub(super) fn keep_only(&self, kind: Kind, doc: &mut Value) {
        let keep = match kind {
            Kind::User => &self.keep_attributes,
            Kind::Group => &self.keep_group_attributes,
        };
        let (Some(keep), Some(obj)) = (keep, doc.as_object_mut()) else { return };
        let listed = |name: &str| keep.iter().any(|k| k.eq_ignore_ascii_case(name));
        for (key, v) in obj.iter_mut() {
            if let (Value::Object(inner), true) = (v, key.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("urn:"))) {
                if !listed(key) {
                    inner.retain(|k, _| listed(&format!("{key}:{k}")));
                }
            }
        }
        obj.retain(|k, v| {
            ["id", "schemas", "meta"].iter().any(|a| a.eq_ignore_ascii_case(k))
                || listed(k)
                || (v.as_object().is_some_and(|o| !o.is_empty())
                    && k.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("urn:")))
        });
    }
}

pub(super) fn validate_required(kind: Kind, doc: &Value) -> Result<(), ApiError> {
    let attr = kind.unique_attr();
    match doc.as_object().and_then(|o| model::get_ci(o, attr)) {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(()),
        Some(Value::String(_)) | None => {
            Err(ApiError::bad(ScimType::InvalidValue, format!("`{attr}` is required for a {}", kind.name())))
        }
        Some(other) => Err(ApiError::bad(ScimType::InvalidValue, format!("`{attr}` must be a string, found {other}"))),
    }
}
