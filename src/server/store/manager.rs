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

use serde_json::Value;

use super::{now, Store};
use crate::scim::model;
use crate::scim::patch::{Op, PatchOperation};
use crate::server::error::ApiError;

/// The one path the splice serves, as Entra writes it.
const MANAGER_PATH: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager";

/// The top-level entries of a compact JSON object (as `serde_json` writes it: no whitespace): each key and
/// the byte range of its value in the text.
struct Entries<'a>(Vec<(Cow<'a, str>, Range<usize>)>);

/// The index just past the string that opens at `at` (a `"`), escapes skipped.
fn string_end(b: &[u8], at: usize) -> Option<usize> {
    let mut i = at + 1;
    loop {
        i += memchr::memchr2(b'"', b'\\', b.get(i..)?)?;
        if b[i] == b'"' {
            return Some(i + 1);
        }
        i += 2;
    }
}

/// The index just past the value that starts at `at`.
fn value_end(b: &[u8], at: usize) -> Option<usize> {
    match *b.get(at)? {
        b'"' => string_end(b, at),
        b'{' | b'[' => {
            let (mut depth, mut i) = (0usize, at);
            loop {
                match *b.get(i)? {
                    b'"' => {
                        i = string_end(b, i)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(i + 1);
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
        }
        _ => Some(at + b.get(at..)?.iter().position(|c| matches!(c, b',' | b'}' | b']'))?),
    }
}

impl<'a> Entries<'a> {
    /// The entries of `text`, or `None` when it is not a compact JSON object.
    fn parse(text: &'a str) -> Option<Self> {
        let b = text.as_bytes();
        let mut out = Vec::with_capacity(16);
        let mut i = 1;
        if b.first() != Some(&b'{') {
            return None;
        }
        if b.get(1) == Some(&b'}') {
            return (b.len() == 2).then_some(Entries(out));
        }
        loop {
            let key_end = string_end(b, i).filter(|_| b[i] == b'"')?;
            let raw = text.get(i..key_end)?;
            let key = if raw.contains('\\') {
                Cow::Owned(serde_json::from_str(raw).ok()?)
            } else {
                Cow::Borrowed(&raw[1..raw.len() - 1])
            };
            (b.get(key_end) == Some(&b':')).then_some(())?;
            let end = value_end(b, key_end + 1)?;
            out.push((key, key_end + 1..end));
            match b.get(end) {
                Some(b',') => i = end + 1,
                Some(b'}') if end + 1 == b.len() => return Some(Entries(out)),
                _ => return None,
            }
        }
    }

    fn raw(&self, text: &'a str, i: usize) -> &'a str {
        &text[self.0[i].1.clone()]
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

    /// The byte range of entry `i`'s value within the text these entries were read from.
    fn range(&self, i: usize) -> Range<usize> {
        self.0[i].1.clone()
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
        let schemas: Vec<&str> = serde_json::from_str(top.raw(text, top.exactly("schemas")??)).ok()?;
        for urn in [model::USER_SCHEMA, model::ENTERPRISE_USER_SCHEMA] {
            schemas.iter().any(|s| s.eq_ignore_ascii_case(urn)).then_some(())?;
        }
        let (ext_at, meta_at) = (top.exactly(model::ENTERPRISE_USER_SCHEMA)??, top.exactly("meta")??);
        let ext_range = top.range(ext_at);
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
            let old: Value = serde_json::from_str(ext.raw(ext_text, i)).ok()?;
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
            let end = ext.range(i).end;
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

        let meta_range = top.range(meta_at);
        #[derive(serde::Deserialize)]
        struct Created<'a> {
            #[serde(borrow)]
            created: Option<Cow<'a, str>>,
        }
        let created: Created<'_> = serde_json::from_str(&text[meta_range.clone()]).ok()?;
        let (rid, version) = (rec.id, rec.version + 1);
        let mut new_meta = String::with_capacity(200);
        let created = created.created.as_deref().unwrap_or_default();
        self.write_meta(&mut new_meta, super::Kind::User, rid, created, &now(), version);

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

#[cfg(test)]
mod tests {
    use super::*;

    /// The scanner finds the entries `serde_json` reads, on the text `serde_json` writes.
    #[test]
    fn entries_are_the_objects_top_level() {
        let docs = [
            serde_json::json!({}),
            serde_json::json!({"a": 1, "b": -2.5e-3, "c": true, "d": null}),
            serde_json::json!({"q\"k\\": "v\\", "e": "", "x": "\\\"}]", "n": {"m": [1, {"z": "}"}], "o": {}}}),
            serde_json::json!({"ü\u{1}": ["", [], {}], "s": "é\n\t", "last": [1, 2]}),
        ];
        for doc in docs {
            let text = serde_json::to_string(&doc).expect("json");
            let entries = Entries::parse(&text).expect("entries");
            let obj = doc.as_object().expect("object");
            assert_eq!(entries.0.len(), obj.len(), "{text}");
            for (i, (key, value)) in obj.iter().enumerate() {
                assert_eq!(entries.0[i].0, *key, "{text}");
                let raw: Value = serde_json::from_str(entries.raw(&text, i)).expect("value");
                assert_eq!(raw, *value, "{text}");
            }
        }
        for bad in ["", "{", "[]", "{\"a\":1", "{\"a\":1}x", "{\"a\"1}", "{a:1}"] {
            assert!(Entries::parse(bad).is_none(), "{bad}");
        }
    }
}
