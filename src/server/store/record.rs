//! The compact form of a stored resource. A document is kept as its compact JSON text (keys in the order the
//! answers give them), not as a `serde_json::Value`: a user of ~1 KB of JSON took ~11 KB as a `Value` tree of
//! insertion-ordered maps, and most requests never need the tree (an answer is the stored text). The text is
//! parsed back only where a document is examined or edited (filter evaluation, PATCH, PUT, delete).
//!
//! Ids are the random UUIDs the store makes, kept as 128-bit numbers: an id a client names that is not in
//! that canonical form (lower-case, hyphenated) cannot be one the store made.
//!
//! The text itself lives in the table's chunks ([`texts`](super::texts)); a [`Record`] names where, and a
//! [`RecordView`] is a record with its text, as every reader sees it.

use std::fmt;
use std::ops::Deref;

use serde_json::Value;

use super::members::Members;
use super::partial::Partial;
use super::texts::TextRef;
use super::Kind;
use crate::scim::model;

/// A resource id the store made: its 128 bits as two halves (high, low), so that it aligns to 8 bytes, not
/// 16 as a `u128` does (which made every [`Record`] 16 bytes longer).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct Id(u64, u64);

impl Id {
    fn from_u128(n: u128) -> Self {
        Id((n >> 64) as u64, n as u64)
    }

    /// A fresh random (version 4) id, from the thread's generator: `Uuid::new_v4` asked the kernel for every
    /// id, a system call per create.
    pub fn random() -> Self {
        let bytes: [u8; 16] = rand::random();
        Id::from_u128(uuid::Builder::from_random_bytes(bytes).into_uuid().as_u128())
    }

    /// The id `text` names, or `None` when `text` is not in the canonical form the store writes ids in.
    pub fn parse(text: &str) -> Option<Id> {
        if text.len() != 36 || text.bytes().any(|b| b.is_ascii_uppercase()) {
            return None;
        }
        uuid::Uuid::try_parse(text).ok().map(|u| Id::from_u128(u.as_u128()))
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = (u128::from(self.0) << 64) | u128::from(self.1);
        fmt::Display::fmt(&uuid::Uuid::from_u128(n).hyphenated(), f)
    }
}

/// One stored resource.
pub(super) struct Record {
    pub id: Id,
    /// Where the document's text is (with `id` and `meta`; without the members when they are split off):
    /// compact JSON, read through [`RecordView::json`].
    pub text: TextRef,
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
    /// A record of `doc`, whose `opaque` keys hold stored text ([`Partial`]), and the text to store for it
    /// (the table places it: [`Table::put`](super::Table::put)).
    pub fn new(kind: Kind, id: Id, mut doc: Value, name: &str, version: u64, opaque: &[String]) -> (Self, Box<str>) {
        let has_password = doc.as_object().is_some_and(|o| model::get_ci(o, "password").is_some());
        let members = if kind == Kind::Group { Members::split(&mut doc).map(Box::new) } else { None };
        let json = Partial::encode(&doc, opaque);
        (Record { id, text: TextRef::default(), members, name: name.into(), version, has_password }, json)
    }
}

impl Record {
    /// A user's record whose text the create fast path wrote ([`super::direct`]); the table places the text.
    pub fn from_text(id: Id, version: u64, has_password: bool) -> Self {
        Record { id, text: TextRef::default(), members: None, name: "".into(), version, has_password }
    }
}

/// A stored record with its text, as readers see it (the record's fields through `Deref`).
#[derive(Clone, Copy)]
pub(super) struct RecordView<'a> {
    pub rec: &'a Record,
    /// The stored document as compact JSON text.
    pub json: &'a str,
}

impl Deref for RecordView<'_> {
    type Target = Record;

    fn deref(&self) -> &Record {
        self.rec
    }
}

impl RecordView<'_> {
    /// The whole document as a JSON tree.
    pub fn doc(&self) -> Value {
        let mut doc = decode(self.json);
        if let Some(members) = &self.rec.members {
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
    format!("W/\"{version}\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_ids_are_version_4() {
        let text = Id::random().to_string();
        let uuid = uuid::Uuid::parse_str(&text).expect("uuid");
        assert_eq!(uuid.get_version_num(), 4);
        assert_eq!(uuid.get_variant(), uuid::Variant::RFC4122);
        assert_ne!(Id::random(), Id::random());
    }

    #[test]
    fn records_are_64_bytes() {
        assert_eq!(std::mem::size_of::<Record>(), 64);
        assert_eq!(std::mem::size_of::<Option<Record>>(), 64);
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
        let (rec, json) = Record::new(Kind::User, Id::random(), doc.clone(), "n", 1, &[]);
        assert_eq!(&*json, r#"{"z":1,"a":{"y":[1.5,-2,"x"],"b":null},"m":true}"#);
        assert_eq!(RecordView { rec: &rec, json: &json }.doc(), doc);
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
        let (rec, json) = Record::new(Kind::Group, Id::random(), doc.clone(), "g", 1, &[]);
        assert_eq!(&*json, r#"{"schemas":[],"id":"g","meta":{}}"#);
        assert_eq!(rec.members.as_deref().map(Members::ids), Some(vec![a, b]));
        assert_eq!(serde_json::to_string(&RecordView { rec: &rec, json: &json }.doc()).expect("json"), text);
        let dup = serde_json::json!({"members": [{"value": a.to_string()}, {"value": a.to_string()}]});
        assert!(
            Record::new(Kind::Group, Id::random(), dup, "g", 1, &[]).0.members.is_none(),
            "duplicates stay in the text"
        );
        let odd = serde_json::json!({"members": [{"value": "not-an-id"}]});
        assert!(Record::new(Kind::Group, Id::random(), odd, "g", 1, &[]).0.members.is_none());
    }
}
