//! Parsing only the part of an answer the caller reads. A lean transcript keeps no bodies, so for a
//! request that reads, say, just the `id` of a created user, parsing the whole resource into a
//! `serde_json::Value` (an allocation per key and per string) is wasted work. A projection keeps the
//! top-level members it names (case-insensitively, as SCIM attribute names are) and skips the rest with
//! `IgnoredAny`, which still checks that the whole body is valid JSON: a broken body is still reported.
//! (Skipped members are checked for syntax only, without `serde_json`'s nesting limit, which applies to
//! what is kept.)

use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::{Map, Value as Json};

/// What a caller reads of an answer's body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Reads {
    /// The whole body.
    #[default]
    All,
    /// Only these top-level members of a JSON object (an empty list: only that the body is JSON).
    Members(&'static [&'static str]),
}

impl Reads {
    /// Only the status, and that a body is JSON (the answer to a PATCH or DELETE).
    pub const STATUS: Reads = Reads::Members(&[]);
}

/// Parses `bytes` keeping what `reads` names. A body that is not a JSON object is parsed whole.
pub fn parse(bytes: &[u8], reads: Reads) -> Result<Json, serde_json::Error> {
    match reads {
        Reads::All => serde_json::from_slice(bytes),
        Reads::Members(names) => {
            let mut de = serde_json::Deserializer::from_slice(bytes);
            let value = Members(names).deserialize(&mut de)?;
            de.end()?;
            Ok(value)
        }
    }
}

/// A seed that keeps the named members of an object.
struct Members(&'static [&'static str]);

impl<'de> DeserializeSeed<'de> for Members {
    type Value = Json;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Json, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Members {
    type Value = Json;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let mut kept = Map::new();
        while let Some(key) = map.next_key_seed(Key(self.0))? {
            match key {
                Some(key) => {
                    kept.insert(key, map.next_value()?);
                }
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(Json::Object(kept))
    }

    // Anything but an object is kept whole: the caller reports it as the wrong shape.
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, seq: A) -> Result<Json, A::Error> {
        serde::de::Visitor::visit_seq(JsonVisitor, seq)
    }

    fn visit_bool<E>(self, v: bool) -> Result<Json, E> {
        Ok(Json::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Json, E> {
        Ok(Json::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Json, E> {
        Ok(Json::from(v))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Json, E> {
        Ok(Json::from(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Json, E> {
        Ok(Json::String(v.to_string()))
    }

    fn visit_unit<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }
}

/// A member name: `Some` (copied) when it is one of the names kept, `None` otherwise, without copying
/// the names that are skipped.
struct Key(&'static [&'static str]);

impl<'de> DeserializeSeed<'de> for Key {
    type Value = Option<String>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Option<String>, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Key {
    type Value = Option<String>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a member name")
    }

    fn visit_str<E>(self, key: &str) -> Result<Option<String>, E> {
        Ok(self.0.iter().any(|name| name.eq_ignore_ascii_case(key)).then(|| key.to_string()))
    }
}

/// Collects a top-level array whole.
struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON array")
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Json>()? {
            items.push(item);
        }
        Ok(Json::Array(items))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const BODY: &str = r#"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"ID":"7",
        "userName":"a@b.c","name":{"givenName":"A"},"emails":[{"value":"a@b.c"}],
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":{"value":"9"}}}"#;

    #[test]
    fn keeps_the_named_members_case_insensitively() {
        let kept = parse(
            BODY.as_bytes(),
            Reads::Members(&["id", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]),
        )
        .expect("valid JSON");
        assert_eq!(
            kept,
            json!({"ID": "7", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"manager": {"value": "9"}}})
        );
        assert_eq!(parse(BODY.as_bytes(), Reads::Members(&[])).expect("valid JSON"), json!({}));
    }

    #[test]
    fn still_rejects_what_is_not_json() {
        for broken in [r#"{"id":"7","x":[1,2"#, r#"{"id":"7"} trailing"#, "<html>", r#"{"a":"\u12"}"#] {
            assert!(parse(broken.as_bytes(), Reads::Members(&["id"])).is_err(), "{broken}");
        }
    }

    #[test]
    fn other_shapes_are_kept_whole() {
        assert_eq!(parse(b"[1,{\"a\":2}]", Reads::Members(&["id"])).expect("valid"), json!([1, {"a": 2}]));
        assert_eq!(parse(b"\"x\"", Reads::Members(&["id"])).expect("valid"), json!("x"));
        assert_eq!(parse(b"null", Reads::Members(&["id"])).expect("valid"), Json::Null);
    }

    #[test]
    fn deep_nesting_is_skipped_without_recursion_and_limited_where_kept() {
        // serde_json skips ignored values iteratively, so a deep skipped member cannot overflow the stack.
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        let skipped = format!("{{\"id\":\"7\",\"x\":{deep}}}");
        assert_eq!(parse(skipped.as_bytes(), Reads::Members(&["id"])).expect("syntax is valid"), json!({"id": "7"}));
        let kept = format!("{{\"id\":{deep}}}");
        assert!(parse(kept.as_bytes(), Reads::Members(&["id"])).is_err(), "kept values keep the recursion limit");
    }
}
