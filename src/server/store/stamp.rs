//! What the store writes into every document it keeps: `schemas` first, the `id` after it and `meta` last
//! ([`Store::stamp`] on a tree), and the text of `meta` for writers of text ([`Store::write_meta`]: the
//! create fast path and the manager splice).

use std::fmt::Write;

use serde_json::{json, Value};

use super::record::{self, Id};
use super::{Kind, Store};

impl Store {
    pub(super) fn stamp(&self, kind: Kind, doc: &mut Value, id: Id, created: &str, modified: &str, version: u64) {
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
        obj.shift_insert(at, "id".into(), json!(id.to_string()));
        obj.insert("meta".into(), self.meta(kind, id, created, modified, version));
    }

    /// The `meta` the store writes.
    fn meta(&self, kind: Kind, id: Id, created: &str, modified: &str, version: u64) -> Value {
        json!({
            "resourceType": kind.name(),
            "created": created,
            "lastModified": modified,
            "location": self.location(kind, id),
            "version": record::etag(version),
        })
    }

    /// Appends the text of the `meta` the store writes (what [`Store::meta`] serializes to).
    pub(super) fn write_meta(&self, out: &mut String, kind: Kind, id: Id, created: &str, modified: &str, version: u64) {
        out.push_str("{\"resourceType\":\"");
        out.push_str(kind.name());
        out.push_str("\",\"created\":");
        push_json_str(out, created);
        out.push_str(",\"lastModified\":");
        push_json_str(out, modified);
        // `location` is the base URL (its JSON text kept by the store), the endpoint and the id: no escapes.
        for part in [",\"location\":\"", &self.base_text, "/", kind.endpoint(), "/"] {
            out.push_str(part);
        }
        id.push_to(out);
        let _ = write!(out, "\",\"version\":\"W/\\\"{version}\\\"\"}}");
    }
}

/// The bytes JSON writes escaped: `"`, `\\` and the control characters (a run of plain string text ends
/// at one of them).
pub(super) const ESCAPED: [bool; 256] = {
    let mut escaped = [false; 256];
    let mut b = 0;
    while b < 0x20 {
        escaped[b] = true;
        b += 1;
    }
    escaped[b'"' as usize] = true;
    escaped[b'\\' as usize] = true;
    escaped
};

/// A string's JSON text without its quotes.
pub(super) fn json_text(s: &str) -> std::borrow::Cow<'_, str> {
    if s.bytes().any(|b| ESCAPED[usize::from(b)]) {
        let quoted = serde_json::to_string(s).unwrap_or_default();
        std::borrow::Cow::Owned(quoted[1..quoted.len() - 1].to_string())
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

/// Appends `s` as a JSON string.
pub(super) fn push_json_str(out: &mut String, s: &str) {
    out.push('"');
    out.push_str(&json_text(s));
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::store::StoreOptions;

    #[test]
    fn meta_text_is_what_the_meta_tree_serializes() {
        let store = Store::new("http://127.0.0.1:9/scim/v2".into(), StoreOptions::default());
        let id = Id::random();
        for (created, version) in [("2026-12-07T18:00:00.123Z", 1), ("a \"q\" \\ \u{1}\n é😀", u64::MAX), ("", 0)] {
            for kind in [Kind::User, Kind::Group] {
                let mut text = String::new();
                store.write_meta(&mut text, kind, id, created, "2026-12-07T18:00:01.000Z", version);
                let tree = store.meta(kind, id, created, "2026-12-07T18:00:01.000Z", version);
                assert_eq!(text, serde_json::to_string(&tree).expect("json"), "{created}");
            }
        }
    }
}
