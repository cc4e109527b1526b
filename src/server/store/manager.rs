//! A user's manager set by splicing the stored text. Entra's manager PATCH (one `add` or `replace` of
//! `urn:…:enterprise:2.0:User:manager` with an id) changes one value of the enterprise extension and the
//! version in `meta`; the general PATCH reads the document (in part), applies the operation, completes it
//! and writes it all out again (~100,000 instructions for a `bench` user). [`Store::patch_manager`] finds the
//! extension and `meta` in the stored text without building any tree, and writes the text the general PATCH
//! would write: the manager removed from where it was and appended to the extension as
//! `{"value":…,"$ref":…}`, `meta` stamped anew. Every other shape — another value form, keys in another case,
//! no extension object yet, a manager that is the extension's only entry, `keep_attributes` — returns `None`
//! and takes the general PATCH.
//! `manager_patches_match_the_general_patch` holds the two ways to the same text, version and no-change verdict.

use std::borrow::Cow;
use std::ops::Range;

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::Value;

use super::{now, Store};
use crate::scim::model;
use crate::scim::patch::{Op, PatchOperation};
use crate::server::error::ApiError;

/// The one path the splice serves, as Entra writes it.
const MANAGER_PATH: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager";

/// The top-level entries of a compact JSON object: each key and the byte range of its value.
struct Entries<'a>(Vec<(Cow<'a, str>, &'a RawValue)>);

impl<'de> Deserialize<'de> for Entries<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Entries<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Entries<'de>, A::Error> {
                let mut out = Vec::with_capacity(16);
                while let Some(key) = map.next_key::<Cow<'de, str>>()? {
                    out.push((key, map.next_value::<&'de RawValue>()?));
                }
                Ok(Entries(out))
            }
        }
        d.deserialize_map(V)
    }
}

impl<'a> Entries<'a> {
    fn parse(text: &'a str) -> Option<Self> {
        serde_json::from_str(text).ok()
    }

    /// The one entry whose key is `key`; `None` when a key differs from it only in case (the general PATCH
    /// picks such keys by its own rules) or when it is missing.
    fn exactly(&self, key: &str) -> Option<Option<usize>> {
        let mut found = None;
        for (i, (k, _)) in self.0.iter().enumerate() {
            if k.eq_ignore_ascii_case(key) {
                if k != key || found.is_some() {
                    return None;
                }
                found = Some(i);
            }
        }
        Some(found)
    }

    /// The byte range of entry `i`'s value within `text` (the text these entries were read from).
    fn range(&self, text: &str, i: usize) -> Range<usize> {
        let raw = self.0[i].1.get();
        let start = raw.as_ptr() as usize - text.as_ptr() as usize;
        start..start + raw.len()
    }
}

/// The manager id an operation sets, when it is Entra's manager PATCH in a shape the splice serves.
fn manager_id(op: &PatchOperation) -> Option<&str> {
    if !matches!(Op::parse(&op.op), Some(Op::Add | Op::Replace)) || op.path.as_deref() != Some(MANAGER_PATH) {
        return None;
    }
    let id = match op.value.as_ref()? {
        Value::String(id) => id,
        Value::Object(o) if o.len() == 1 => o.get("value")?.as_str()?,
        _ => return None,
    };
    (!id.is_empty()).then_some(id)
}

impl Store {
    /// A user PATCH that only sets the manager, spliced into the stored text; `None` when the operations or
    /// the stored document are in another shape (the general PATCH then runs).
    pub(super) fn patch_manager(&mut self, slot: u32, ops: &[PatchOperation]) -> Option<Result<(), ApiError>> {
        let [op] = ops else { return None };
        let id = manager_id(op)?;
        if self.opts.keep_attributes.is_some() {
            return None;
        }
        let rec = self.users.at(slot)?;
        let text: &str = &rec.json;
        let top = Entries::parse(text)?;
        // `schemas` already names both schemas (the general PATCH would add them), `meta` is the store's.
        let schemas: Vec<&str> = serde_json::from_str(top.0.get(top.exactly("schemas")??)?.1.get()).ok()?;
        for urn in [model::USER_SCHEMA, model::ENTERPRISE_USER_SCHEMA] {
            schemas.iter().any(|s| s.eq_ignore_ascii_case(urn)).then_some(())?;
        }
        let (ext_at, meta_at) = (top.exactly(model::ENTERPRISE_USER_SCHEMA)??, top.exactly("meta")??);
        let ext_range = top.range(text, ext_at);
        let ext_text = &text[ext_range.clone()];
        let ext = Entries::parse(ext_text)?;
        let old_at = ext.exactly("manager")?;
        if old_at.is_some() && ext.0.len() == 1 {
            // Removing the manager empties the extension, which the general PATCH then drops and adds anew at
            // the end of the document.
            return None;
        }
        let manager = serde_json::json!({"value": id, "$ref": format!("{}/Users/{id}", self.opts.base_url)});
        if let Some(i) = old_at {
            let old: Value = serde_json::from_str(ext.0[i].1.get()).ok()?;
            if old == manager {
                // The general PATCH compares the documents as trees: nothing changed, nothing is stored.
                return Some(Ok(()));
            }
        }
        // The extension with the manager removed from its place and appended (compact text: an entry runs
        // from after the previous value's comma to the end of its own value).
        let mut new_ext = String::with_capacity(ext_text.len() + 128);
        new_ext.push('{');
        let mut from = 1;
        for i in 0..ext.0.len() {
            let end = ext.range(ext_text, i).end;
            if Some(i) != old_at {
                if new_ext.len() > 1 {
                    new_ext.push(',');
                }
                new_ext.push_str(&ext_text[from..end]);
            }
            from = end + 1;
        }
        if new_ext.len() > 1 {
            new_ext.push(',');
        }
        new_ext.push_str("\"manager\":");
        new_ext.push_str(&serde_json::to_string(&manager).ok()?);
        new_ext.push('}');

        let meta_range = top.range(text, meta_at);
        #[derive(serde::Deserialize)]
        struct Created<'a> {
            #[serde(borrow)]
            created: Option<Cow<'a, str>>,
        }
        let created: Created<'_> = serde_json::from_str(&text[meta_range.clone()]).ok()?;
        let (rid, version) = (rec.id, rec.version + 1);
        let meta = self.meta(super::Kind::User, rid, created.created.as_deref().unwrap_or_default(), &now(), version);
        let new_meta = serde_json::to_string(&meta).ok()?;

        let mut pieces = [(ext_range, new_ext), (meta_range, new_meta)];
        pieces.sort_by_key(|(r, _)| r.start);
        let mut out = String::with_capacity(text.len() + 160);
        let mut at = 0;
        for (range, piece) in &pieces {
            out.push_str(&text[at..range.start]);
            out.push_str(piece);
            at = range.end;
        }
        out.push_str(&text[at..]);
        let rec = self.users.slots.get_mut(slot as usize).and_then(Option::as_mut)?;
        rec.json = out.into_boxed_str();
        rec.version = version;
        Some(Ok(()))
    }
}

/// A user's stored text and version (tests put a record back to run the general PATCH on it).
#[cfg(test)]
pub(super) fn record_of(s: &Store, id: &str) -> Option<(Box<str>, u64)> {
    let (_, rec) = s.users.find(id)?;
    Some((rec.json.clone(), rec.version))
}

/// Puts a user's stored text and version back.
#[cfg(test)]
pub(super) fn put_record(s: &mut Store, id: &str, json: Box<str>, version: u64) {
    let slot = s.users.slot(id).expect("stored");
    let rec = s.users.slots[slot as usize].as_mut().expect("record");
    rec.json = json;
    rec.version = version;
}
