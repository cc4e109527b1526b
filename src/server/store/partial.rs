//! Editing a stored user without reading all of it. A user PATCH in Entra's shapes names the attributes it
//! changes (`urn:…:enterprise:2.0:User:manager`, `title`, `emails[type eq "work"].value`); every other
//! attribute only has to come through unchanged. [`read`] parses the stored text into a document whose
//! attributes an edit may read are JSON trees and whose other attributes are placeholders holding their
//! stored text ([`Partial`]); [`Partial::encode`] writes the placeholders back as that text. Parsing a
//! `bench` user whole took ~49,000 instructions, most of them building hashed maps for attributes the PATCH
//! never reads.
//!
//! The document keeps every key in its place, so the map operations the PATCH applier makes (inserting at the
//! end, removing) order the keys exactly as they would in the whole tree, and the stored text comes out the
//! same byte for byte. Parsed always: `schemas` (which the store completes), `id`, the unique name and
//! `externalId` (checked and indexed). Kept as text unless an operation names them: `meta` (replaced whole on
//! every write; [`created`] reads its creation time from the text), `emails` and `password` (the store asks
//! only whether they changed or are there, which text answers), and the extensions, except when
//! `keep_attributes` is set (it looks inside them). A placeholder is always a string and `id` is never one,
//! so a value the store writes anew (`meta`, an object; `schemas`, an array) is never taken for one.

use serde::de::{DeserializeSeed, MapAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use super::record::Record;
use super::Kind;
use crate::scim::patch::PatchOperation;
use crate::scim::path::AttrPath;

/// Attributes of a user the store reads around any write.
const ALWAYS_READ: [&str; 4] = ["schemas", "id", "userName", "externalId"];

/// A stored user with the attributes an edit does not touch kept as their text.
pub(super) struct Partial {
    /// The document; the values of the keys in `opaque` are strings holding their stored JSON text.
    pub doc: Value,
    /// The keys kept as text, in no particular order.
    pub opaque: Vec<String>,
}

/// The top-level attributes `ops` may change (lower-cased), or `None` when an operation is outside what a
/// partial read serves (no path, a path that does not parse): the whole document then takes the PATCH,
/// which also words its errors.
pub(super) fn touched(ops: &[PatchOperation]) -> Option<Vec<String>> {
    let mut names = Vec::with_capacity(ops.len());
    for op in ops {
        let text = op.path.as_deref().filter(|p| !p.trim().is_empty())?;
        let path = AttrPath::parse(text).ok()?;
        let key = if path.is_extension_root() { path.urn.clone()? } else { path.container_key().unwrap_or(path.name) };
        names.push(key.to_ascii_lowercase());
    }
    Some(names)
}

/// Reads stored text, parsing only the attributes named in `touched` (lower-cased), those the store reads,
/// and the extensions when `extensions` is set.
pub(super) fn read(json: &str, touched: &[String], extensions: bool) -> Option<Partial> {
    let mut de = serde_json::Deserializer::from_str(json);
    let partial = Reader { touched, extensions }.deserialize(&mut de).ok()?;
    de.end().ok()?;
    Some(partial)
}

impl Partial {
    /// The document as compact JSON text, the placeholders written back as the text they hold: the same
    /// text `serde_json` writes for the whole document.
    pub fn encode(doc: &Value, opaque: &[String]) -> Box<str> {
        let Some(obj) = doc.as_object().filter(|_| !opaque.is_empty()) else { return super::record::encode(doc) };
        let mut out = Vec::with_capacity(1024);
        out.push(b'{');
        for (i, (key, value)) in obj.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            // Writing strings and trees into a vector cannot fail.
            let _ = serde_json::to_writer(&mut out, key);
            out.push(b':');
            match value {
                Value::String(text) if opaque.iter().any(|k| k == key) => out.extend_from_slice(text.as_bytes()),
                other => {
                    let _ = serde_json::to_writer(&mut out, other);
                }
            }
        }
        out.push(b'}');
        String::from_utf8(out).unwrap_or_default().into_boxed_str()
    }
}

/// `meta.created` of a document read whole or in part (`meta` may still be its text).
pub(super) fn created(doc: &Value) -> String {
    #[derive(serde::Deserialize)]
    struct Meta {
        created: Option<Value>,
    }
    let text = |v: Option<&Value>| v.and_then(Value::as_str).unwrap_or_default().to_string();
    match doc.get("meta") {
        Some(Value::String(stored)) => text(serde_json::from_str::<Meta>(stored).ok().and_then(|m| m.created).as_ref()),
        _ => text(doc.pointer("/meta/created")),
    }
}

fn is_read(key: &str, touched: &[String], extensions: bool) -> bool {
    (extensions && key.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("urn:")))
        || ALWAYS_READ.iter().any(|k| k.eq_ignore_ascii_case(key))
        || touched.iter().any(|k| k.eq_ignore_ascii_case(key))
}

struct Reader<'t> {
    touched: &'t [String],
    extensions: bool,
}

impl<'de> DeserializeSeed<'de> for Reader<'_> {
    type Value = Partial;

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Partial, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Reader<'_> {
    type Value = Partial;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a stored resource")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Partial, A::Error> {
        let mut obj = Map::new();
        let mut opaque = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            if is_read(&key, self.touched, self.extensions) {
                let value: Value = map.next_value()?;
                obj.insert(key, value);
            } else {
                let raw: &RawValue = map.next_value()?;
                obj.insert(key.clone(), Value::String(raw.get().to_string()));
                opaque.push(key);
            }
        }
        Ok(Partial { doc: Value::Object(obj), opaque })
    }
}

/// The document `ops` edit, and the keys in it that are kept as stored text: a user's attributes that no
/// operation names stay text ([`read`]; the extensions are read when `keep_attributes` looks inside them);
/// a group, or operations without a path, read the whole document.
pub(super) fn edited(kind: Kind, rec: &Record, ops: &[PatchOperation], extensions: bool) -> (Value, Vec<String>) {
    let partial = (kind == Kind::User).then(|| touched(ops)).flatten();
    match partial.and_then(|names| read(&rec.json, &names, extensions)) {
        Some(p) => (p.doc, p.opaque),
        None => (rec.doc(), Vec::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ops(v: Value) -> Vec<PatchOperation> {
        serde_json::from_value(v).expect("ops")
    }

    #[test]
    fn untouched_attributes_come_back_as_their_text() {
        let text = r#"{"schemas":["s"],"id":"x","userName":"a","name":{"givenName":"Ada","x":[1.5,"é\""]},"title":"T","meta":{"version":"W/\"1\""}}"#;
        let p = read(text, &["title".to_string()], false).expect("reads");
        assert_eq!(p.opaque, vec!["name".to_string(), "meta".to_string()]);
        assert_eq!(p.doc["title"], "T");
        assert_eq!(&*Partial::encode(&p.doc, &p.opaque), text);
        assert_eq!(created(&p.doc), "");
        let dated = r#"{"id":"x","meta":{"created":"2026-01-01T00:00:00Z","Created":"no"}}"#;
        assert_eq!(created(&read(dated, &[], false).expect("reads").doc), "2026-01-01T00:00:00Z");
        assert_eq!(created(&serde_json::from_str(dated).expect("json")), "2026-01-01T00:00:00Z");
    }

    #[test]
    fn operations_name_their_top_level_attribute() {
        let named = touched(&ops(json!([
            {"op": "Add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager", "value": "m"},
            {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "a@b"},
            {"op": "Replace", "path": "Title", "value": "t"},
            {"op": "Replace", "path": "urn:ietf:params:scim:schemas:core:2.0:User:displayName", "value": "d"},
        ])));
        assert_eq!(
            named,
            Some(vec![
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:user".to_string(),
                "emails".to_string(),
                "title".to_string(),
                "displayname".to_string(),
            ])
        );
        assert_eq!(touched(&ops(json!([{"op": "Replace", "value": {"title": "t"}}]))), None);
        assert_eq!(touched(&ops(json!([{"op": "Replace", "path": "title[", "value": "t"}]))), None);
    }

    /// Entra's user `PATCH` requests in both dialects and their edge cases: the partial document comes out as the whole
    /// one would, byte for byte, with the same no-change verdict and the same errors.
    #[test]
    fn a_partial_edit_writes_what_a_whole_edit_writes() {
        use crate::scim::patch::{self, ApplyOptions};
        use crate::server::store::{Kind, StoreOptions};
        let ent = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
        let text = serde_json::to_string(&json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ent],
            "id": "0b0a4d4e-4d3a-4e6b-9a43-0c3f1f4b7d11",
            "userName": "ada@contoso.com", "externalId": "ada", "active": true, "title": "Engineer",
            "name": {"givenName": "Ada", "familyName": "Lovelace", "formatted": "Ada Lovelace"},
            "emails": [{"type": "work", "value": "ada@contoso.com", "primary": true}],
            "addresses": [{"type": "work", "locality": "London", "country": "GB"}],
            "phoneNumbers": [{"type": "work", "value": "+44 20 7946 0000"}],
            "roles": [{"value": "r1", "primary": true}],
            ent: {"department": "R&D", "employeeNumber": "7", "manager": {"value": "m-0", "$ref": "/Users/m-0"}},
            "urn:example:custom:1.0:User": {"badge": "x"},
            "meta": {"resourceType": "User", "created": "2026-01-01T00:00:00.000Z", "version": "W/\"1\""},
        }))
        .expect("json");
        let cases = [
            json!([{"op": "Add", "path": format!("{ent}:manager"), "value": "m-1"}]),
            json!([{"op": "replace", "path": format!("{ent}:manager"), "value": {"value": "m-2"}}]),
            json!([{"op": "Replace", "path": "title", "value": "Engineer"}]),
            json!([{"op": "Replace", "path": "Title", "value": "Lead"}]),
            json!([{"op": "Remove", "path": "title"}]),
            json!([{"op": "Remove", "path": "title"}, {"op": "Add", "path": "title", "value": "Engineer"}]),
            json!([{"op": "Remove", "path": "name"}, {"op": "Add", "path": "nickName", "value": "A"}]),
            json!([{"op": "Replace", "path": "name.givenName", "value": "Augusta"}]),
            json!([{"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "a@b.com"}]),
            json!([{"op": "Add", "path": "phoneNumbers[type eq \"mobile\"].value", "value": "+1"}]),
            json!([{"op": "Replace", "path": "active", "value": "False"}]),
            json!([{"op": "Add", "path": "roles", "value": [{"value": "r2", "primary": true}]}]),
            json!([{"op": "Replace", "path": format!("{ent}:department"), "value": null}]),
            json!([{"op": "Add", "path": "urn:example:custom:1.0:User:badge", "value": "y"}]),
            json!([{"op": "Replace", "path": "urn:ietf:params:scim:schemas:core:2.0:User:displayName", "value": "A"}]),
            json!([{"op": "Add", "path": "password", "value": "p"}]),
            json!([{"op": "Replace", "path": "userName", "value": ""}]),
            json!([{"op": "Replace", "path": "id", "value": "other"}]),
            json!([{"op": "Replace", "path": "meta.version", "value": "x"}]),
            json!([{"op": "Replace", "path": "groups", "value": []}]),
            json!([{"op": "Jump", "path": "title", "value": "x"}]),
            json!([{"op": "Add", "path": "title"}]),
        ];
        let keep = Some(vec!["userName".into(), "title".into(), "emails".into(), format!("{ent}:manager")]);
        for opts in [StoreOptions::default(), StoreOptions { keep_attributes: keep, ..StoreOptions::default() }] {
            for case in &cases {
                let ops = ops(case.clone());
                let edit = |doc: Value| {
                    let mut doc = patch::apply_owned(doc, &ops, ApplyOptions::default())?;
                    opts.keep_only(Kind::User, &mut doc);
                    opts.finish(Kind::User, &mut doc);
                    Ok::<_, patch::PatchError>(doc)
                };
                let whole = super::super::record::decode(&text);
                let names = touched(&ops).expect("every case has paths");
                let part = read(&text, &names, opts.keep_attributes.is_some()).expect("reads");
                match (edit(whole.clone()), edit(part.doc.clone())) {
                    (Ok(w), Ok(p)) => {
                        assert_eq!(
                            serde_json::to_string(&w).expect("json"),
                            &*Partial::encode(&p, &part.opaque),
                            "{case}"
                        );
                        assert_eq!(w == whole, p == part.doc, "no-change verdict of {case}");
                        assert_eq!(created(&w), created(&p), "{case}");
                    }
                    (Err(w), Err(p)) => assert_eq!(w.to_string(), p.to_string(), "{case}"),
                    (w, p) => panic!("{case}: whole {w:?}, partial {p:?}"),
                }
            }
        }
    }
}
