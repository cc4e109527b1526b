//! The in-memory resource store of the embedded endpoint: users and groups as JSON documents (stored as
//! sent, after the shape normalisation of [`patch::normalize_resource`]), server-owned `id` and `meta`, and the
//! indexes that make Entra's matching queries O(1): unique name (`userName` / group `displayName`,
//! case-insensitive), `externalId` and `id`. A reverse membership index lets a user's deletion leave every group
//! it was in without scanning.
//!
//! Every write prepares the new document on a copy and commits only when all checks pass (required attributes,
//! uniqueness, member references), so a failed request leaves the store unchanged. The store has no locks and no
//! I/O; the caller holds it behind a lock for the length of one call.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde_json::{json, Map, Value};

use crate::scim::filter::{CompareOp, EvalOptions, Filter, Literal};
use crate::scim::model::{self, ScimType};
use crate::scim::patch::{self, ApplyOptions, PatchOperation};
use crate::scim::schema;
use crate::server::error::ApiError;

/// A resource type served by the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Kind {
    User,
    Group,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::User => "User",
            Kind::Group => "Group",
        }
    }

    pub fn endpoint(self) -> &'static str {
        match self {
            Kind::User => "Users",
            Kind::Group => "Groups",
        }
    }

    pub fn schema(self) -> &'static str {
        match self {
            Kind::User => model::USER_SCHEMA,
            Kind::Group => model::GROUP_SCHEMA,
        }
    }

    /// The attribute that must be unique (case-insensitively) and is required.
    pub fn unique_attr(self) -> &'static str {
        match self {
            Kind::User => "userName",
            Kind::Group => "displayName",
        }
    }
}

struct Record {
    doc: Value,
    seq: u64,
    version: u64,
}

#[derive(Default)]
struct Table {
    by_id: HashMap<String, Record>,
    order: BTreeMap<u64, String>,
    by_name: HashMap<String, String>,
    by_external: HashMap<String, Vec<String>>,
}

/// Store behaviour taken from the switches, and the shaping of request bodies into stored documents (which
/// needs no store, so handlers do it before taking the lock).
#[derive(Debug, Clone, Default)]
pub(crate) struct StoreOptions {
    /// The endpoint's base URL, for `meta.location` and `$ref`s.
    pub base_url: String,
    pub keep_attributes: Option<Vec<String>>,
    pub patch: ApplyOptions,
}

impl StoreOptions {
    /// Turns a request body into a storable document (without `id` and `meta`).
    pub fn prepare(&self, kind: Kind, body: Value) -> Result<Value, ApiError> {
        let Value::Object(mut obj) = body else {
            return Err(ApiError::bad(ScimType::InvalidSyntax, "the request body must be a JSON object"));
        };
        model::remove_ci(&mut obj, "id");
        model::remove_ci(&mut obj, "meta");
        let mut doc = Value::Object(obj);
        patch::normalize_resource(&mut doc)?;
        if kind == Kind::User {
            self.keep_only(&mut doc);
        }
        validate_required(kind, &doc)?;
        self.finish(kind, &mut doc);
        Ok(doc)
    }

    /// Server-side completion: the core (and, when used, enterprise) schema URN in `schemas`, the manager's
    /// `$ref`.
    fn finish(&self, kind: Kind, doc: &mut Value) {
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
        let mut out = Map::new();
        out.insert("schemas".into(), Value::Array(schemas));
        out.extend(std::mem::take(obj));
        *obj = out;
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

    /// Drops user attributes outside `keep_attributes`.
    fn keep_only(&self, doc: &mut Value) {
        let (Some(keep), Some(obj)) = (&self.keep_attributes, doc.as_object_mut()) else { return };
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

/// Users, groups and their indexes.
pub(crate) struct Store {
    users: Table,
    groups: Table,
    /// Member id → ids of the groups listing it.
    member_of: HashMap<String, HashSet<String>>,
    seq: u64,
    opts: StoreOptions,
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn str_at<'a>(doc: &'a Value, key: &str) -> Option<&'a str> {
    doc.as_object().and_then(|o| model::get_ci(o, key)).and_then(Value::as_str)
}

fn member_ids(doc: &Value) -> HashSet<String> {
    doc.as_object()
        .and_then(|o| model::get_ci(o, "members"))
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|m| m.as_object().and_then(|o| model::get_ci(o, "value"))?.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

impl Store {
    pub fn new(base_url: String, opts: StoreOptions) -> Self {
        let opts = StoreOptions { base_url, ..opts };
        Store { users: Table::default(), groups: Table::default(), member_of: HashMap::new(), seq: 0, opts }
    }

    fn table(&self, kind: Kind) -> &Table {
        match kind {
            Kind::User => &self.users,
            Kind::Group => &self.groups,
        }
    }

    fn table_mut(&mut self, kind: Kind) -> &mut Table {
        match kind {
            Kind::User => &mut self.users,
            Kind::Group => &mut self.groups,
        }
    }

    /// Number of stored resources of a kind.
    #[cfg(test)]
    pub fn len(&self, kind: Kind) -> usize {
        self.table(kind).by_id.len()
    }

    pub fn get(&self, kind: Kind, id: &str) -> Option<&Value> {
        self.table(kind).by_id.get(id).map(|r| &r.doc)
    }

    /// Checks an `If-Match` header (RFC 7644 §3.14) against the current version: 404 for an unknown id, 412 when
    /// none of the listed entity tags matches (weak comparison; `*` matches any).
    pub fn precondition(&self, kind: Kind, id: &str, if_match: Option<&str>) -> Result<(), ApiError> {
        let doc = self.get(kind, id).ok_or_else(|| Self::missing(kind, id))?;
        let Some(tags) = if_match else { return Ok(()) };
        let current = doc.pointer("/meta/version").and_then(Value::as_str).unwrap_or_default();
        if etag_matches(tags, current) {
            Ok(())
        } else {
            Err(ApiError::new(412, None, format!("{} `{id}` changed: its version is now {current}", kind.name())))
        }
    }

    fn missing(kind: Kind, id: &str) -> ApiError {
        ApiError::not_found(format!("{} `{id}` not found", kind.name()))
    }

    pub fn create(&mut self, kind: Kind, body: Value) -> Result<Value, ApiError> {
        let doc = self.opts.prepare(kind, body)?;
        self.create_prepared(kind, doc)
    }

    /// Stores a document made by [`StoreOptions::prepare`].
    pub fn create_prepared(&mut self, kind: Kind, mut doc: Value) -> Result<Value, ApiError> {
        self.check_unique(kind, &doc, None)?;
        self.check_members(kind, &doc, None)?;
        let id = uuid::Uuid::new_v4().to_string();
        let ts = now();
        self.stamp(kind, &mut doc, &id, &ts, &ts, 1);
        self.commit(kind, id, doc, None, 1)
    }

    #[cfg(test)]
    pub fn replace(&mut self, kind: Kind, id: &str, body: Value) -> Result<Value, ApiError> {
        let doc = self.opts.prepare(kind, body)?;
        self.replace_prepared(kind, id, doc)
    }

    /// Replaces a resource with a document made by [`StoreOptions::prepare`] (PUT).
    pub fn replace_prepared(&mut self, kind: Kind, id: &str, mut doc: Value) -> Result<Value, ApiError> {
        let (created, version) = {
            let old = self.table(kind).by_id.get(id).ok_or_else(|| Self::missing(kind, id))?;
            let created = old.doc.pointer("/meta/created").and_then(Value::as_str).unwrap_or_default().to_string();
            (created, old.version + 1)
        };
        self.check_unique(kind, &doc, Some(id))?;
        let old_doc = self.get(kind, id).cloned();
        self.check_members(kind, &doc, old_doc.as_ref())?;
        self.stamp(kind, &mut doc, id, &created, &now(), version);
        self.commit(kind, id.to_string(), doc, old_doc, version)
    }

    pub fn patch(&mut self, kind: Kind, id: &str, ops: &[PatchOperation]) -> Result<Value, ApiError> {
        let old = self.table(kind).by_id.get(id).ok_or_else(|| Self::missing(kind, id))?;
        let (old_doc, version) = (old.doc.clone(), old.version);
        let mut doc = old_doc.clone();
        patch::apply(&mut doc, ops, self.opts.patch)?;
        if kind == Kind::User {
            self.opts.keep_only(&mut doc);
        }
        validate_required(kind, &doc)?;
        self.opts.finish(kind, &mut doc);
        if doc == old_doc {
            return Ok(doc);
        }
        self.check_unique(kind, &doc, Some(id))?;
        self.check_members(kind, &doc, Some(&old_doc))?;
        let created = old_doc.pointer("/meta/created").and_then(Value::as_str).unwrap_or_default().to_string();
        self.stamp(kind, &mut doc, id, &created, &now(), version + 1);
        self.commit(kind, id.to_string(), doc, Some(old_doc), version + 1)
    }

    pub fn delete(&mut self, kind: Kind, id: &str) -> Result<(), ApiError> {
        let rec = self.table_mut(kind).by_id.remove(id).ok_or_else(|| Self::missing(kind, id))?;
        self.table_mut(kind).order.remove(&rec.seq);
        self.reindex(kind, id, Some(&rec.doc), None);
        // Leave every group that listed the deleted resource.
        for gid in self.member_of.remove(id).unwrap_or_default() {
            let ts = now();
            let Some(g) = self.groups.by_id.get_mut(&gid) else { continue };
            if let Some(obj) = g.doc.as_object_mut() {
                if let Some(Value::Array(members)) = model::get_ci_mut(obj, "members") {
                    members.retain(|m| m.get("value").and_then(Value::as_str) != Some(id));
                    if members.is_empty() {
                        model::remove_ci(obj, "members");
                    }
                }
            }
            g.version += 1;
            if let Some(meta) = g.doc.get_mut("meta").and_then(Value::as_object_mut) {
                meta.insert("lastModified".into(), json!(ts));
                meta.insert("version".into(), json!(format!("W/\"{}\"", g.version)));
            }
        }
        Ok(())
    }

    /// Resources matching `filter` in creation order: the total and the page `[start-1, start-1+count)`.
    pub fn query(
        &self,
        kind: Kind,
        filter: Option<&Filter>,
        opts: EvalOptions,
        start: usize,
        count: usize,
    ) -> (usize, Vec<&Value>) {
        let table = self.table(kind);
        let candidates: Box<dyn Iterator<Item = &Record>> = match filter.and_then(|f| self.plan(kind, f)) {
            Some(ids) => {
                let mut recs: Vec<&Record> = ids.iter().filter_map(|id| table.by_id.get(id)).collect();
                recs.sort_by_key(|r| r.seq);
                Box::new(recs.into_iter())
            }
            None => Box::new(table.order.values().filter_map(|id| table.by_id.get(id))),
        };
        let mut total = 0;
        let mut page = Vec::new();
        for rec in candidates {
            if filter.map_or(true, |f| f.matches_with(&rec.doc, opts)) {
                total += 1;
                if total >= start && page.len() < count {
                    page.push(&rec.doc);
                }
            }
        }
        (total, page)
    }

    /// Candidate ids from an index for `attr eq "v"` (alone or inside an `and`), or `None` to scan.
    fn plan(&self, kind: Kind, f: &Filter) -> Option<Vec<String>> {
        let table = self.table(kind);
        match f {
            Filter::And(a, b) => self.plan(kind, a).or_else(|| self.plan(kind, b)),
            Filter::Compare { attr, op: CompareOp::Eq, value: Literal::Str(v) }
                if attr.sub.is_none() && attr.urn.as_deref().map_or(true, schema::is_core) =>
            {
                let name = attr.name.as_str();
                if name.eq_ignore_ascii_case(kind.unique_attr()) {
                    Some(table.by_name.get(&v.to_lowercase()).cloned().into_iter().collect())
                } else if name.eq_ignore_ascii_case("externalId") {
                    Some(table.by_external.get(v).cloned().unwrap_or_default())
                } else if name.eq_ignore_ascii_case("id") {
                    Some(table.by_id.contains_key(v).then(|| v.clone()).into_iter().collect())
                } else {
                    None
                }
            }
            _ => None,
        }
    }

    fn check_unique(&self, kind: Kind, doc: &Value, own: Option<&str>) -> Result<(), ApiError> {
        let Some(name) = str_at(doc, kind.unique_attr()) else { return Ok(()) };
        match self.table(kind).by_name.get(&name.to_lowercase()) {
            Some(other) if Some(other.as_str()) != own => Err(ApiError::conflict(format!(
                "{} `{name}` already exists (`{}` must be unique, case-insensitively)",
                kind.name(),
                kind.unique_attr()
            ))),
            _ => Ok(()),
        }
    }

    /// Members must reference existing users or groups (an unknown id is a 400 `invalidValue`: silently
    /// dropping it would tell Entra the membership landed when it did not).
    fn check_members(&self, kind: Kind, doc: &Value, old: Option<&Value>) -> Result<(), ApiError> {
        if kind != Kind::Group {
            return Ok(());
        }
        let Some(members) = doc.as_object().and_then(|o| model::get_ci(o, "members")) else { return Ok(()) };
        let Value::Array(members) = members else {
            return Err(ApiError::bad(ScimType::InvalidValue, "`members` must be an array"));
        };
        let known = old.map(member_ids).unwrap_or_default();
        for m in members {
            let Some(id) = m.as_object().and_then(|o| model::get_ci(o, "value")).and_then(Value::as_str) else {
                return Err(ApiError::bad(ScimType::InvalidValue, format!("member {m} has no string `value`")));
            };
            if !known.contains(id) && !self.users.by_id.contains_key(id) && !self.groups.by_id.contains_key(id) {
                return Err(ApiError::bad(
                    ScimType::InvalidValue,
                    format!("member `{id}` is not the id of an existing User or Group"),
                ));
            }
        }
        Ok(())
    }

    fn stamp(&self, kind: Kind, doc: &mut Value, id: &str, created: &str, modified: &str, version: u64) {
        let Some(obj) = doc.as_object_mut() else { return };
        let mut out = Map::new();
        if let Some(s) = obj.shift_remove("schemas") {
            out.insert("schemas".into(), s);
        }
        out.insert("id".into(), json!(id));
        obj.shift_remove("meta");
        out.extend(std::mem::take(obj));
        out.insert(
            "meta".into(),
            json!({
                "resourceType": kind.name(),
                "created": created,
                "lastModified": modified,
                "location": format!("{}/{}/{id}", self.opts.base_url, kind.endpoint()),
                "version": format!("W/\"{version}\""),
            }),
        );
        *obj = out;
    }

    fn commit(
        &mut self,
        kind: Kind,
        id: String,
        doc: Value,
        old: Option<Value>,
        version: u64,
    ) -> Result<Value, ApiError> {
        self.reindex(kind, &id, old.as_ref(), Some(&doc));
        let seq = match self.table(kind).by_id.get(&id) {
            Some(r) => r.seq,
            None => {
                self.seq += 1;
                self.seq
            }
        };
        let table = self.table_mut(kind);
        table.order.insert(seq, id.clone());
        table.by_id.insert(id, Record { doc: doc.clone(), seq, version });
        Ok(doc)
    }

    fn reindex(&mut self, kind: Kind, id: &str, old: Option<&Value>, new: Option<&Value>) {
        let name_of = |d: Option<&Value>| d.and_then(|d| str_at(d, kind.unique_attr())).map(str::to_lowercase);
        let ext_of = |d: Option<&Value>| d.and_then(|d| str_at(d, "externalId")).map(str::to_string);
        let (old_name, new_name) = (name_of(old), name_of(new));
        let (old_ext, new_ext) = (ext_of(old), ext_of(new));
        let table = self.table_mut(kind);
        if old_name != new_name {
            if let Some(n) = old_name {
                if table.by_name.get(&n).map(String::as_str) == Some(id) {
                    table.by_name.remove(&n);
                }
            }
            if let Some(n) = new_name {
                table.by_name.insert(n, id.to_string());
            }
        }
        if old_ext != new_ext {
            if let Some(e) = old_ext {
                if let Some(ids) = table.by_external.get_mut(&e) {
                    ids.retain(|x| x != id);
                    if ids.is_empty() {
                        table.by_external.remove(&e);
                    }
                }
            }
            if let Some(e) = new_ext {
                table.by_external.entry(e).or_default().push(id.to_string());
            }
        }
        if kind == Kind::Group {
            let before = old.map(member_ids).unwrap_or_default();
            let after = new.map(member_ids).unwrap_or_default();
            for gone in before.difference(&after) {
                if let Some(set) = self.member_of.get_mut(gone) {
                    set.remove(id);
                    if set.is_empty() {
                        self.member_of.remove(gone);
                    }
                }
            }
            for added in after.difference(&before) {
                self.member_of.entry(added.clone()).or_default().insert(id.to_string());
            }
        }
    }
}

/// Whether a comma-separated entity-tag list (`If-Match` / `If-None-Match`) names `current` (weak comparison).
pub(crate) fn etag_matches(tags: &str, current: &str) -> bool {
    let opaque = |t: &str| t.trim().trim_start_matches("W/").to_string();
    tags.split(',').any(|t| t.trim() == "*" || opaque(t) == opaque(current))
}

fn validate_required(kind: Kind, doc: &Value) -> Result<(), ApiError> {
    let attr = kind.unique_attr();
    match doc.as_object().and_then(|o| model::get_ci(o, attr)) {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(()),
        Some(Value::String(_)) | None => {
            Err(ApiError::bad(ScimType::InvalidValue, format!("`{attr}` is required for a {}", kind.name())))
        }
        Some(other) => Err(ApiError::bad(ScimType::InvalidValue, format!("`{attr}` must be a string, found {other}"))),
    }
}

#[cfg(test)]
mod tests;
