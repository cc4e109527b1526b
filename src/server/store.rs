//! The in-memory resource store of the embedded endpoint: users and groups as JSON documents (stored as
//! sent, after the shape normalisation of [`patch::normalize_resource`]), server-owned `id` and `meta`, and the
//! indexes that make Entra's matching queries O(1): unique name (`userName` / group `displayName`,
//! case-insensitive), `externalId`, `id` and user `emails.value` (case-insensitive, for
//! `emails[type eq "work"].value eq "…"` matching). An `eq` on one of them, alone or inside an `and`, picks the
//! candidates; the whole filter is then evaluated on those. Every other filter scans (and parses every
//! document it looks at). A reverse membership index lets a user's deletion leave every group it was in
//! without scanning.
//!
//! Each document is kept as its compact JSON text ([`record`]), ~1.1 KB for a user, and is parsed only where
//! it is examined or edited; an answer that needs no change is the text itself. Records sit in a vector in
//! creation order and the indexes map to their slot numbers. A group's members are kept beside its text as
//! an ordered id set ([`members`]), so a member PATCH does not read the list; a user PATCH that only sets
//! the manager is spliced into the text ([`manager`]); a user create in the common form is written straight
//! from the body's tokens ([`direct`]). The name, `externalId` and email indexes keep key
//! hashes, not keys ([`keys`]).
//!
//! Every write prepares the new document on a copy and commits only when all checks pass (required attributes,
//! uniqueness, member references), so a failed request leaves the store unchanged. The store has no locks and no
//! I/O; the caller holds it behind a lock for the length of one call.

use rustc_hash::{FxHashMap, FxHashSet};
use serde_json::{json, Value};

use crate::scim::filter::{EvalOptions, Filter};
use crate::scim::model::{self, ScimType};
use crate::scim::patch::{self, ApplyOptions, PatchOperation};
use crate::server::error::ApiError;
use keys::KeyIndex;
use record::{Id, Record};
pub(crate) use stored::Stored;

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

#[derive(Default)]
struct Table {
    /// Records in creation order (a slot is its creation sequence number); deleted ones leave `None`.
    slots: Vec<Option<Record>>,
    by_id: FxHashMap<Id, u32>,
    /// Lower-cased unique name → slots (may list others with the same key hash, as the other two).
    by_name: KeyIndex,
    /// `externalId` → slots.
    by_external: KeyIndex,
    /// Lower-cased `emails[].value` → slots (users only).
    by_email: KeyIndex,
}

impl Table {
    fn slot(&self, id: &str) -> Option<u32> {
        self.by_id.get(&Id::parse(id)?).copied()
    }

    fn at(&self, slot: u32) -> Option<&Record> {
        self.slots.get(slot as usize).and_then(Option::as_ref)
    }

    fn find(&self, id: &str) -> Option<(u32, &Record)> {
        let slot = self.slot(id)?;
        Some((slot, self.at(slot)?))
    }
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
    member_of: FxHashMap<Id, FxHashSet<Id>>,
    opts: StoreOptions,
    /// The base URL's JSON text (without quotes), for `meta` written as text.
    base_text: String,
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn str_at<'a>(doc: &'a Value, key: &str) -> Option<&'a str> {
    doc.as_object().and_then(|o| model::get_ci(o, key)).and_then(Value::as_str)
}

impl Store {
    pub fn new(base_url: String, opts: StoreOptions) -> Self {
        let base_text = stamp::json_text(&base_url).into_owned();
        let opts = StoreOptions { base_url, ..opts };
        Store { users: Table::default(), groups: Table::default(), member_of: FxHashMap::default(), opts, base_text }
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

    /// A stored resource.
    pub fn stored(&self, kind: Kind, id: &str) -> Option<Stored<'_>> {
        let (_, rec) = self.table(kind).find(id)?;
        Some(Stored { store: self, kind, rec, parsed: None })
    }

    /// A stored document as a JSON tree (without the computed `groups`).
    pub fn get(&self, kind: Kind, id: &str) -> Option<Value> {
        self.stored(kind, id).map(Stored::into_doc)
    }

    /// The groups listing a user, when there are any (groups have no computed `groups`).
    fn groups_of(&self, kind: Kind, id: Id) -> Option<&FxHashSet<Id>> {
        self.member_of.get(&id).filter(|groups| kind == Kind::User && !groups.is_empty())
    }

    fn location(&self, kind: Kind, id: Id) -> String {
        let (base, endpoint) = (self.opts.base_url.as_str(), kind.endpoint());
        let mut location = String::with_capacity(base.len() + endpoint.len() + 38);
        for part in [base, "/", endpoint, "/"] {
            location.push_str(part);
        }
        id.push_to(&mut location);
        location
    }

    /// Checks an `If-Match` header (RFC 7644 §3.14) against the current version: 404 for an unknown id, 412 when
    /// none of the listed entity tags matches (weak comparison; `*` matches any).
    pub fn precondition(&self, kind: Kind, id: &str, if_match: Option<&str>) -> Result<(), ApiError> {
        let (_, rec) = self.table(kind).find(id).ok_or_else(|| Self::missing(kind, id))?;
        let Some(tags) = if_match else { return Ok(()) };
        let current = record::etag(rec.version);
        if etag_matches(tags, &current) {
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
        Ok(self.get(kind, &id).unwrap_or_default())
    }

    /// Stores a document made by [`StoreOptions::prepare`]; returns the new id.
    pub fn create_prepared(&mut self, kind: Kind, mut doc: Value) -> Result<String, ApiError> {
        self.check_unique(kind, &doc, None)?;
        self.check_members(kind, &doc, None)?;
        let id = Id::random();
        let ts = now();
        self.stamp(kind, &mut doc, id, &ts, &ts, 1);
        self.commit(kind, id, None, doc, 1, &[]);
        Ok(id.to_string())
    }

    /// Stores a resource this store answered before (its `id`, `meta.created`, `meta.lastModified` and
    /// `meta.version` kept), as a tenant that keeps its state across restarts puts its target back.
    pub fn restore(&mut self, kind: Kind, doc: Value) -> Result<(), ApiError> {
        let id = str_at(&doc, "id").and_then(Id::parse).ok_or_else(|| {
            ApiError::bad(ScimType::InvalidValue, "a restored resource needs the `id` this store gave it")
        })?;
        if self.stored(kind, &id.to_string()).is_some() {
            return Err(ApiError::conflict(format!("`{id}` is stored already")));
        }
        let meta = doc.get("meta").cloned().unwrap_or_default();
        let ts = now();
        let created = meta.get("created").and_then(Value::as_str).unwrap_or(&ts).to_string();
        let modified = meta.get("lastModified").and_then(Value::as_str).unwrap_or(&created).to_string();
        let version = meta
            .get("version")
            .and_then(Value::as_str)
            .and_then(|v| v.trim_start_matches("W/").trim_matches('"').parse().ok())
            .unwrap_or(1);
        let mut doc = self.opts.prepare(kind, doc)?;
        self.check_unique(kind, &doc, None)?;
        self.stamp(kind, &mut doc, id, &created, &modified, version);
        self.commit(kind, id, None, doc, version, &[]);
        Ok(())
    }

    #[cfg(test)]
    pub fn replace(&mut self, kind: Kind, id: &str, body: Value) -> Result<Value, ApiError> {
        let doc = self.opts.prepare(kind, body)?;
        self.replace_prepared(kind, id, doc)?;
        Ok(self.get(kind, id).unwrap_or_default())
    }

    /// Replaces a resource with a document made by [`StoreOptions::prepare`] (PUT).
    pub fn replace_prepared(&mut self, kind: Kind, id: &str, mut doc: Value) -> Result<(), ApiError> {
        let (slot, rec) = self.table(kind).find(id).ok_or_else(|| Self::missing(kind, id))?;
        let (rid, version) = (rec.id, rec.version + 1);
        let old = rec.doc();
        let created = old.pointer("/meta/created").and_then(Value::as_str).unwrap_or_default().to_string();
        self.check_unique(kind, &doc, Some(slot))?;
        self.check_members(kind, &doc, Some(rid))?;
        self.stamp(kind, &mut doc, rid, &created, &now(), version);
        self.commit(kind, rid, Some((slot, &old)), doc, version, &[]);
        Ok(())
    }

    #[cfg(test)]
    pub fn patch(&mut self, kind: Kind, id: &str, ops: &[PatchOperation]) -> Result<Value, ApiError> {
        self.patch_in_place(kind, id, ops)?;
        Ok(self.get(kind, id).unwrap_or_default())
    }

    /// Applies a PATCH. The stored text stays untouched until every check passed.
    pub fn patch_in_place(&mut self, kind: Kind, id: &str, ops: &[PatchOperation]) -> Result<(), ApiError> {
        let slot = self.table(kind).slot(id).filter(|&slot| self.table(kind).at(slot).is_some());
        let slot = slot.ok_or_else(|| Self::missing(kind, id))?;
        let done = match kind {
            Kind::Group => self.patch_members(slot, ops),
            Kind::User => self.patch_manager(slot, ops),
        };
        done.unwrap_or_else(|| self.patch_whole(kind, slot, ops))
    }

    /// The general PATCH: the document (a user's in part) edited as a tree, completed and written again.
    fn patch_whole(&mut self, kind: Kind, slot: u32, ops: &[PatchOperation]) -> Result<(), ApiError> {
        let Some(rec) = self.table(kind).at(slot) else { return Ok(()) };
        let (rid, version) = (rec.id, rec.version);
        let extensions = self.opts.keep_attributes.is_some();
        let (old, opaque) =
            self.table(kind).at(slot).map(|rec| partial::edited(kind, rec, ops, extensions)).unwrap_or_default();
        let mut doc = patch::apply_owned(old.clone(), ops, self.opts.patch)?;
        self.opts.keep_only(kind, &mut doc);
        validate_required(kind, &doc)?;
        self.opts.finish(kind, &mut doc);
        if doc == old {
            return Ok(());
        }
        let created = partial::created(&old);
        self.check_unique(kind, &doc, Some(slot))?;
        self.check_members(kind, &doc, Some(rid))?;
        self.stamp(kind, &mut doc, rid, &created, &now(), version + 1);
        self.commit(kind, rid, Some((slot, &old)), doc, version + 1, &opaque);
        Ok(())
    }

    pub fn delete(&mut self, kind: Kind, id: &str) -> Result<(), ApiError> {
        let slot = self.table(kind).slot(id).ok_or_else(|| Self::missing(kind, id))?;
        let table = self.table_mut(kind);
        let rec = table.slots.get_mut(slot as usize).and_then(Option::take).ok_or_else(|| Self::missing(kind, id))?;
        table.by_id.remove(&rec.id);
        // The indexes need the name, `externalId` and emails; a group's members are in its whole document.
        let indexed = (kind == Kind::User).then(|| partial::read(&rec.json, &["emails".into()], false)).flatten();
        let doc = indexed.map_or_else(|| rec.doc(), |p| p.doc);
        self.reindex(kind, rec.id, slot, Some(&doc), None);
        // Leave every group that listed the deleted resource.
        for gid in self.member_of.remove(&rec.id).unwrap_or_default() {
            let ts = now();
            let Some(&gslot) = self.groups.by_id.get(&gid) else { continue };
            let Some(g) = self.groups.slots.get_mut(gslot as usize).and_then(Option::as_mut) else { continue };
            let mut doc = record::decode(&g.json);
            if let Some(members) = g.members.as_deref_mut() {
                members.remove(rec.id);
                if members.is_empty() {
                    g.members = None;
                }
            } else if let Some(obj) = doc.as_object_mut() {
                if let Some(Value::Array(members)) = model::get_ci_mut(obj, "members") {
                    members.retain(|m| m.get("value").and_then(Value::as_str) != Some(id));
                    if members.is_empty() {
                        model::remove_ci(obj, "members");
                    }
                }
            }
            g.version += 1;
            if let Some(meta) = doc.get_mut("meta").and_then(Value::as_object_mut) {
                meta.insert("lastModified".into(), json!(ts));
                meta.insert("version".into(), json!(record::etag(g.version)));
            }
            g.json = record::encode(&doc);
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
    ) -> (usize, Vec<Stored<'_>>) {
        let table = self.table(kind);
        let candidates: Box<dyn Iterator<Item = &Record>> = match filter.and_then(|f| self.plan(kind, f)) {
            Some(mut slots) => {
                slots.sort_unstable();
                Box::new(slots.into_iter().filter_map(|slot| table.at(slot)))
            }
            None => Box::new(table.slots.iter().flatten()),
        };
        let mut total = 0;
        let mut page = Vec::new();
        for rec in candidates {
            let (matches, parsed) = match filter {
                None => (true, None),
                // A filter that does not look at the members is evaluated without them.
                Some(f) if rec.members.is_some() && !mentions(f, "members") => {
                    (f.matches_with(&record::decode(&rec.json), opts), None)
                }
                Some(f) => {
                    let doc = rec.doc();
                    (f.matches_with(&doc, opts), Some(doc))
                }
            };
            if matches {
                total += 1;
                if total >= start && page.len() < count {
                    page.push(Stored { store: self, kind, rec, parsed });
                }
            }
        }
        (total, page)
    }

    /// Stores `doc` under `id` (in `old`'s slot when it replaces a version, at the end otherwise) and moves
    /// the indexes. The values of the `opaque` keys are stored text ([`partial`]).
    fn commit(&mut self, kind: Kind, id: Id, old: Option<(u32, &Value)>, doc: Value, version: u64, opaque: &[String]) {
        let slot = old.map_or_else(|| self.next_slot(kind), |(slot, _)| slot);
        self.reindex(kind, id, slot, old.map(|(_, d)| d), Some(&doc));
        let name = if kind == Kind::Group { str_at(&doc, kind.unique_attr()).unwrap_or_default() } else { "" };
        let name = name.to_string();
        let rec = Record::new(kind, id, doc, &name, version, opaque);
        self.put(kind, slot, rec);
    }

    /// The slot a new resource takes: the next in creation order.
    fn next_slot(&self, kind: Kind) -> u32 {
        u32::try_from(self.table(kind).slots.len()).unwrap_or(u32::MAX)
    }

    /// Puts `rec` in `slot` (a new one at the end) and maps its id there.
    fn put(&mut self, kind: Kind, slot: u32, rec: Record) {
        let id = rec.id;
        let table = self.table_mut(kind);
        match table.slots.get_mut(slot as usize) {
            Some(place) => *place = Some(rec),
            None => table.slots.push(Some(rec)),
        }
        table.by_id.insert(id, slot);
    }
}

/// Whether `f` refers to attribute `name` anywhere.
fn mentions(f: &Filter, name: &str) -> bool {
    match f {
        Filter::Compare { attr, .. } | Filter::Present { attr } | Filter::ValuePath { attr, .. } => {
            attr.name.eq_ignore_ascii_case(name)
        }
        Filter::And(a, b) | Filter::Or(a, b) => mentions(a, name) || mentions(b, name),
        Filter::Not(a) => mentions(a, name),
    }
}

/// Whether a comma-separated entity-tag list (`If-Match` / `If-None-Match`) names `current` (weak comparison).
pub(crate) fn etag_matches(tags: &str, current: &str) -> bool {
    let opaque = |t: &str| t.trim().trim_start_matches("W/").to_string();
    tags.split(',').any(|t| t.trim() == "*" || opaque(t) == opaque(current))
}

mod checks;
mod direct;
mod index;
mod keys;
mod manager;
mod members;
mod partial;
mod raw;
mod record;
mod shape;
mod stamp;
mod stored;

use shape::validate_required;

#[cfg(test)]
mod tests;
