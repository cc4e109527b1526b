//! The in-memory resource store of the embedded endpoint: users and groups as JSON documents (stored as
//! sent, after the shape normalisation of [`patch::normalize_resource`]), server-owned `id` and `meta`, and the
//! indexes that make Entra's matching queries O(1): unique name (`userName` / group `displayName`,
//! case-insensitive), `externalId`, `id` and user `emails.value` (case-insensitive, for
//! `emails[type eq "work"].value eq "…"` matching). An `eq` on one of them, alone or inside an `and`, picks the
//! candidates; the whole filter is then evaluated on those. Every other filter scans. A reverse membership
//! index lets a user's deletion leave every group it was in without scanning.
//!
//! Every write prepares the new document on a copy and commits only when all checks pass (required attributes,
//! uniqueness, member references), so a failed request leaves the store unchanged. The store has no locks and no
//! I/O; the caller holds it behind a lock for the length of one call.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde_json::{json, Map, Value};

use crate::scim::filter::{EvalOptions, Filter};
use crate::scim::model::{self, ScimType};
use crate::scim::patch::{self, ApplyOptions, PatchOperation};
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
    /// Lower-cased `emails[].value` → ids (users only).
    by_email: HashMap<String, Vec<String>>,
}

/// Store behaviour taken from the switches, and the shaping of request bodies into stored documents (which
/// needs no store, so handlers do it before taking the lock).
#[derive(Debug, Clone, Default)]
pub(crate) struct StoreOptions {
    /// The endpoint's base URL, for `meta.location` and `$ref`s.
    pub base_url: String,
    pub keep_attributes: Option<Vec<String>>,
    pub keep_group_attributes: Option<Vec<String>>,
    pub patch: ApplyOptions,
    /// Groups need not have unique names (the `duplicate_group_names` switch): no 409, and name lookups scan.
    pub duplicate_group_names: bool,
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

    /// True when [`Store::render`] gives the stored document unchanged (no computed `groups` to add).
    pub fn renders_as_stored(&self, kind: Kind, id: &str) -> bool {
        kind != Kind::User || self.member_of.get(id).is_none_or(HashSet::is_empty)
    }

    /// A stored resource as read back: users get their computed, read-only `groups` (direct memberships,
    /// RFC 7643 §4.1.2) from the membership index.
    pub fn render(&self, kind: Kind, doc: &Value) -> Value {
        let mut out = doc.clone();
        let Some(groups) = model::id(doc).and_then(|id| self.member_of.get(id)).filter(|_| kind == Kind::User) else {
            return out;
        };
        let mut list: Vec<(&u64, Value)> = groups
            .iter()
            .filter_map(|gid| self.groups.by_id.get(gid).map(|g| (gid, g)))
            .map(|(gid, g)| {
                let mut entry = Map::new();
                entry.insert("value".into(), json!(gid));
                entry.insert("$ref".into(), json!(format!("{}/Groups/{gid}", self.opts.base_url)));
                if let Some(name) = str_at(&g.doc, "displayName") {
                    entry.insert("display".into(), json!(name));
                }
                entry.insert("type".into(), json!("direct"));
                (&g.seq, Value::Object(entry))
            })
            .collect();
        list.sort_by_key(|(seq, _)| **seq);
        if let (Some(obj), false) = (out.as_object_mut(), list.is_empty()) {
            let meta = obj.shift_remove("meta");
            obj.insert("groups".into(), Value::Array(list.into_iter().map(|(_, v)| v).collect()));
            if let Some(meta) = meta {
                obj.insert("meta".into(), meta);
            }
        }
        out
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

    /// Creates a resource from a request body; returns it as stored.
    pub fn create(&mut self, kind: Kind, body: Value) -> Result<Value, ApiError> {
        let doc = self.opts.prepare(kind, body)?;
        let id = self.create_prepared(kind, doc)?;
        Ok(self.get(kind, &id).cloned().unwrap_or_default())
    }

    /// Stores a document made by [`StoreOptions::prepare`]; returns the new id.
    pub fn create_prepared(&mut self, kind: Kind, mut doc: Value) -> Result<String, ApiError> {
        self.check_unique(kind, &doc, None)?;
        self.check_members(kind, &doc, None)?;
        let id = uuid::Uuid::new_v4().to_string();
        let ts = now();
        self.stamp(kind, &mut doc, &id, &ts, &ts, 1);
        self.commit(kind, id.clone(), doc, 1);
        Ok(id)
    }

    #[cfg(test)]
    pub fn replace(&mut self, kind: Kind, id: &str, body: Value) -> Result<Value, ApiError> {
        let doc = self.opts.prepare(kind, body)?;
        self.replace_prepared(kind, id, doc)?;
        Ok(self.get(kind, id).cloned().unwrap_or_default())
    }

    /// Replaces a resource with a document made by [`StoreOptions::prepare`] (PUT).
    pub fn replace_prepared(&mut self, kind: Kind, id: &str, mut doc: Value) -> Result<(), ApiError> {
        let old = self.table(kind).by_id.get(id).ok_or_else(|| Self::missing(kind, id))?;
        let created = old.doc.pointer("/meta/created").and_then(Value::as_str).unwrap_or_default().to_string();
        let version = old.version + 1;
        self.check_unique(kind, &doc, Some(id))?;
        self.check_members(kind, &doc, Some(id))?;
        self.stamp(kind, &mut doc, id, &created, &now(), version);
        self.commit(kind, id.to_string(), doc, version);
        Ok(())
    }

    #[cfg(test)]
    pub fn patch(&mut self, kind: Kind, id: &str, ops: &[PatchOperation]) -> Result<Value, ApiError> {
        self.patch_in_place(kind, id, ops)?;
        Ok(self.get(kind, id).cloned().unwrap_or_default())
    }

    /// Applies a PATCH. The working copy is the only copy of the document made; the stored original stays
    /// untouched until every check passed.
    pub fn patch_in_place(&mut self, kind: Kind, id: &str, ops: &[PatchOperation]) -> Result<(), ApiError> {
        let old = self.table(kind).by_id.get(id).ok_or_else(|| Self::missing(kind, id))?;
        let version = old.version;
        let mut doc = patch::apply_owned(old.doc.clone(), ops, self.opts.patch)?;
        self.opts.keep_only(kind, &mut doc);
        validate_required(kind, &doc)?;
        self.opts.finish(kind, &mut doc);
        let old = self.table(kind).by_id.get(id).ok_or_else(|| Self::missing(kind, id))?;
        if doc == old.doc {
            return Ok(());
        }
        let created = old.doc.pointer("/meta/created").and_then(Value::as_str).unwrap_or_default().to_string();
        self.check_unique(kind, &doc, Some(id))?;
        self.check_members(kind, &doc, Some(id))?;
        self.stamp(kind, &mut doc, id, &created, &now(), version + 1);
        self.commit(kind, id.to_string(), doc, version + 1);
        Ok(())
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
            if filter.is_none_or(|f| f.matches_with(&rec.doc, opts)) {
                total += 1;
                if total >= start && page.len() < count {
                    page.push(&rec.doc);
                }
            }
        }
        (total, page)
    }

    fn check_unique(&self, kind: Kind, doc: &Value, own: Option<&str>) -> Result<(), ApiError> {
        if kind == Kind::Group && self.opts.duplicate_group_names {
            return Ok(());
        }
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
    fn check_members(&self, kind: Kind, doc: &Value, own: Option<&str>) -> Result<(), ApiError> {
        if kind != Kind::Group {
            return Ok(());
        }
        let Some(members) = doc.as_object().and_then(|o| model::get_ci(o, "members")) else { return Ok(()) };
        let Value::Array(members) = members else {
            return Err(ApiError::bad(ScimType::InvalidValue, "`members` must be an array"));
        };
        for m in members {
            let Some(id) = m.as_object().and_then(|o| model::get_ci(o, "value")).and_then(Value::as_str) else {
                return Err(ApiError::bad(ScimType::InvalidValue, format!("member {m} has no string `value`")));
            };
            // Already a member: known without a lookup in the resource tables.
            let already = own.is_some_and(|g| self.member_of.get(id).is_some_and(|groups| groups.contains(g)));
            if !already && !self.users.by_id.contains_key(id) && !self.groups.by_id.contains_key(id) {
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
        // `schemas`, `id`, the attributes, `meta`: entries move within the map, no key is hashed again.
        obj.shift_remove("id");
        obj.shift_remove("meta");
        if obj.keys().next().is_some_and(|k| k != "schemas") {
            if let Some(schemas) = obj.shift_remove("schemas") {
                obj.shift_insert(0, "schemas".into(), schemas);
            }
        }
        let at = usize::from(obj.contains_key("schemas"));
        obj.shift_insert(at, "id".into(), json!(id));
        obj.insert(
            "meta".into(),
            json!({
                "resourceType": kind.name(),
                "created": created,
                "lastModified": modified,
                "location": format!("{}/{}/{id}", self.opts.base_url, kind.endpoint()),
                "version": format!("W/\"{version}\""),
            }),
        );
    }

    /// Stores `doc` under `id`, replacing any previous version, and moves the indexes.
    fn commit(&mut self, kind: Kind, id: String, doc: Value, version: u64) {
        let old = self.table_mut(kind).by_id.remove(&id);
        let seq = match &old {
            Some(r) => r.seq,
            None => {
                self.seq += 1;
                self.seq
            }
        };
        self.reindex(kind, &id, old.as_ref().map(|r| &r.doc), Some(&doc));
        let table = self.table_mut(kind);
        table.order.insert(seq, id.clone());
        table.by_id.insert(id, Record { doc, seq, version });
    }
}

/// Whether a comma-separated entity-tag list (`If-Match` / `If-None-Match`) names `current` (weak comparison).
pub(crate) fn etag_matches(tags: &str, current: &str) -> bool {
    let opaque = |t: &str| t.trim().trim_start_matches("W/").to_string();
    tags.split(',').any(|t| t.trim() == "*" || opaque(t) == opaque(current))
}

mod index;
mod shape;

use shape::validate_required;

#[cfg(test)]
mod tests;
