//! The compact form of a stored resource. A document is kept as its compact JSON text (keys in the order the
//! answers give them), not as a `serde_json::Value`: a user of ~1 KB of JSON took ~11 KB as a `Value` tree of
//! insertion-ordered maps, and most requests never need the tree (an answer is the stored text). The text is
//! parsed back only where a document is examined or edited (filter evaluation, PATCH, PUT, delete).
//!
//! Ids are the random UUIDs the store makes, kept as 128-bit numbers: an id a client names that is not in
//! that canonical form (lower-case, hyphenated) cannot be one the store made.

use std::fmt;

use serde_json::Value;

use super::members::Members;
use super::partial::Partial;
use super::Kind;
use crate::scim::model;

/// A resource id the store made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct Id(u128);

impl Id {
    /// A fresh random (version 4) id, from the thread's generator: `Uuid::new_v4` asked the kernel for every
    /// id, a system call per create.
    pub fn random() -> Self {
        let bytes: [u8; 16] = rand::random();
        Id(uuid::Builder::from_random_bytes(bytes).into_uuid().as_u128())
    }

    /// The id `text` names, or `None` when `text` is not in the canonical form the store writes ids in.
    pub fn parse(text: &str) -> Option<Id> {
        if text.len() != 36 || text.bytes().any(|b| b.is_ascii_uppercase()) {
            return None;
        }
        uuid::Uuid::try_parse(text).ok().map(|u| Id(u.as_u128()))
    }
}

impl Id {
    /// Appends the id's text, what `Display` writes, without going through `fmt`.
    pub fn push_to(self, out: &mut String) {
        out.push_str(uuid::Uuid::from_u128(self.0).hyphenated().encode_lower(&mut uuid::Uuid::encode_buffer()));
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&uuid::Uuid::from_u128(self.0).hyphenated(), f)
    }
}

/// One stored resource.
pub(super) struct Record {
    pub id: Id,
    /// The document (with `id` and `meta`; without the members when they are split off) as compact JSON text.
    pub json: Box<str>,
    /// A group's members, when kept apart from the text.
    pub members: Option<Box<Members>>,
    /// The unique attribute as stored (a group's `displayName` is the `display` of users' `groups`).
    pub name: Box<str>,
    /// The number in `meta.version` (`W/"<version>"`).
    pub version: u64,
    /// The document has a `password`, which answers never return.
    pub has_password: bool,
}

impl Record {
    /// A record of `doc`, whose `opaque` keys hold stored text ([`Partial`]).
    pub fn new(kind: Kind, id: Id, mut doc: Value, name: &str, version: u64, opaque: &[String]) -> Self {
        let has_password = doc.as_object().is_some_and(|o| model::get_ci(o, "password").is_some());
        let members = if kind == Kind::Group { Members::split(&mut doc).map(Box::new) } else { None };
        Record { id, json: Partial::encode(&doc, opaque), members, name: name.into(), version, has_password }
    }

    /// A user's record of its stored text, as the create fast path writes it ([`super::direct`]).
    pub fn from_text(id: Id, json: String, version: u64, has_password: bool) -> Self {
        Record { id, json: json.into_boxed_str(), members: None, name: "".into(), version, has_password }
    }

    /// The whole document as a JSON tree.
    pub fn doc(&self) -> Value {
        let mut doc = decode(&self.json);
        if let Some(members) = &self.members {
            members.join(&mut doc);
        }
        doc
    }
}

pub(super) fn encode(doc: &Value) -> Box<str> {
    // Serializing a `Value` cannot fail (its map keys are strings).
    serde_json::to_string(doc).unwrap_or_default().into_boxed_str()
}

pub(super) fn decode(json: &str) -> Value {
    // The text was written by `encode`, so it parses.
    serde_json::from_str(json).unwrap_or(Value::Null)
}

/// The entity tag of a version.
pub(crate) fn etag(version: u64) -> String {
    let mut tag = String::with_capacity(24);
    push_etag(&mut tag, version);
    tag
}

/// Appends the entity tag of a version (allocated once, not grown as `format!` would).
pub(super) fn push_etag(out: &mut String, version: u64) {
    use fmt::Write;
    let _ = write!(out, "W/\"{version}\"");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_tags_are_written_as_formatted() {
        for id in [Id::random(), Id(0), Id(u128::MAX)] {
            let mut text = "x".to_string();
            id.push_to(&mut text);
            assert_eq!(text, format!("x{id}"));
        }
        for version in [0, 1, 42, u64::MAX] {
            assert_eq!(etag(version), format!("W/\"{version}\""));
        }
    }

    #[test]
    fn random_ids_are_version_4() {
        let text = Id::random().to_string();
        let uuid = uuid::Uuid::parse_str(&text).expect("uuid");
        assert_eq!(uuid.get_version_num(), 4);
        assert_eq!(uuid.get_variant(), uuid::Variant::RFC4122);
        assert_ne!(Id::random(), Id::random());
    }

    #[test]
    fn ids_round_trip_only_in_canonical_form() {
        let id = Id::random();
        let text = id.to_string();
        assert_eq!(Id::parse(&text), Some(id));
        assert_eq!(Id::parse(&text.to_uppercase()), None);
        assert_eq!(Id::parse(&text.replace('-', "")), None);
        assert_eq!(Id::parse(&format!("{{{text}}}")), None);
        assert_eq!(Id::parse("mine"), None);
    }

    #[test]
    fn documents_round_trip_with_their_key_order() {
        let doc: Value = serde_json::from_str(r#"{"z":1,"a":{"y":[1.5,-2,"x"],"b":null},"m":true}"#).expect("json");
        let rec = Record::new(Kind::User, Id::random(), doc.clone(), "n", 1, &[]);
        assert_eq!(&*rec.json, r#"{"z":1,"a":{"y":[1.5,-2,"x"],"b":null},"m":true}"#);
        assert_eq!(rec.doc(), doc);
    }

    #[test]
    fn decimals_read_back_exactly() {
        for x in [0.1, 1.0 / 3.0, 2.2250738585072014e-308, 9007199254740993.0, 5e-324, 1.7976931348623157e308] {
            let doc = serde_json::json!({ "x": x });
            assert_eq!(decode(&encode(&doc))["x"].as_f64(), Some(x), "{x:e}");
        }
    }

    #[test]
    fn group_members_split_off_and_join_in_place() {
        let (a, b) = (Id::random(), Id::random());
        let text = format!(
            r#"{{"schemas":[],"id":"g","members":[{{"value":"{a}"}},{{"value":"{b}","display":"B"}}],"meta":{{}}}}"#
        );
        let doc: Value = serde_json::from_str(&text).expect("json");
        let rec = Record::new(Kind::Group, Id::random(), doc.clone(), "g", 1, &[]);
        assert_eq!(&*rec.json, r#"{"schemas":[],"id":"g","meta":{}}"#);
        assert_eq!(rec.members.as_deref().map(Members::ids), Some(vec![a, b]));
        assert_eq!(serde_json::to_string(&rec.doc()).expect("json"), text);
        let dup = serde_json::json!({"members": [{"value": a.to_string()}, {"value": a.to_string()}]});
        assert!(
            Record::new(Kind::Group, Id::random(), dup, "g", 1, &[]).members.is_none(),
            "duplicates stay in the text"
        );
        let odd = serde_json::json!({"members": [{"value": "not-an-id"}]});
        assert!(Record::new(Kind::Group, Id::random(), odd, "g", 1, &[]).members.is_none());
    }
}
