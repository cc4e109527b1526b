//! A stored resource as a request sees it ([`Stored`]): its text, entity tag and location without parsing,
//! and its document as read back, with a user's computed `groups`.

use serde_json::{json, Map, Value};

use super::record::{self, Record};
use super::{Kind, Store};

/// A stored resource as a request sees it: its text, entity tag and location without parsing, its document
/// (parsed once, when a filter already needed it, or on demand).
pub(crate) struct Stored<'a> {
    pub(super) store: &'a Store,
    pub(super) kind: Kind,
    pub(super) rec: &'a Record,
    /// The document, when a filter already parsed it.
    pub(super) parsed: Option<Value>,
}

impl Stored<'_> {
    /// The stored document as compact JSON text (without the computed `groups`).
    pub fn json(&self) -> &str {
        &self.rec.json
    }

    /// The entity tag, `meta.version`.
    pub fn etag(&self) -> String {
        record::etag(self.rec.version)
    }

    /// `meta.location`.
    pub fn location(&self) -> String {
        self.store.location(self.kind, self.rec.id)
    }

    /// True when the resource reads back as its stored text: no computed `groups` to add and no `password`
    /// to withhold.
    pub fn reads_as_stored(&self) -> bool {
        !self.rec.has_password && self.rec.members.is_none() && self.store.groups_of(self.kind, self.rec.id).is_none()
    }

    /// The stored document as a JSON tree (without the computed `groups`).
    pub fn into_doc(self) -> Value {
        self.parsed.unwrap_or_else(|| self.rec.doc())
    }

    /// The resource as read back: users get their computed, read-only `groups` (direct memberships,
    /// RFC 7643 §4.1.2) from the membership index.
    pub fn render(self) -> Value {
        let (store, kind, id) = (self.store, self.kind, self.rec.id);
        let mut out = self.into_doc();
        let Some(groups) = store.groups_of(kind, id) else { return out };
        let mut list: Vec<(u32, Value)> = groups
            .iter()
            .filter_map(|gid| store.groups.by_id.get(gid).and_then(|&slot| Some((gid, slot, store.groups.at(slot)?))))
            .map(|(gid, slot, g)| {
                let mut entry = Map::new();
                entry.insert("value".into(), json!(gid.to_string()));
                entry.insert("$ref".into(), json!(format!("{}/Groups/{gid}", store.opts.base_url)));
                if !g.name.is_empty() {
                    entry.insert("display".into(), json!(&*g.name));
                }
                entry.insert("type".into(), json!("direct"));
                (slot, Value::Object(entry))
            })
            .collect();
        list.sort_by_key(|(slot, _)| *slot);
        if let (Some(obj), false) = (out.as_object_mut(), list.is_empty()) {
            let meta = obj.shift_remove("meta");
            obj.insert("groups".into(), Value::Array(list.into_iter().map(|(_, v)| v).collect()));
            if let Some(meta) = meta {
                obj.insert("meta".into(), meta);
            }
        }
        out
    }
}
