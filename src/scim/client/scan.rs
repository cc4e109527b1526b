//! A quick pass over an answer whose caller reads only a few top-level members (see
//! [`super::projection`]): it checks the JSON syntax of the whole object in one loop over the bytes and
//! hands only the kept members to `serde_json`.
//!
//! Skipping with `serde_json`'s `IgnoredAny` costs about 10 instructions per byte (a visitor call per
//! value, a key decoded into a buffer per member); the answer to a create or a PATCH is the whole user
//! (a kilobyte or more), and at 100,000 users that was a tenth of the engine's CPU per request.
//!
//! The scan is *stricter* than `serde_json`, never looser: it accepts only what `serde_json` accepts, and
//! declines (`None`) anything it does not check itself (`\u` escapes, escaped member names, invalid
//! UTF-8, deep nesting, a body that is not an object). A declined body goes through `serde_json`, so
//! its verdict — the value kept, or the exact error reported — is `serde_json`'s.

use serde_json::{Map, Value as Json};

/// Kept values nested deeper than this are left to `serde_json`, so its recursion limit (128) applies
/// to them exactly as when the whole body is parsed.
const KEPT_DEPTH: usize = 100;

/// The members of a JSON object named (case-insensitively) in `names`, or `None` when the scan declines.
pub(super) fn members(bytes: &[u8], names: &[&str]) -> Option<Json> {
    let mut s = Scanner { bytes, at: 0 };
    let mut kept = Map::new();
    s.space();
    s.eat(b'{')?;
    s.space();
    if s.peek()? == b'}' {
        s.at += 1;
    } else {
        loop {
            let key = s.plain_string()?;
            s.space();
            s.eat(b':')?;
            s.space();
            let start = s.at;
            let depth = s.value()?;
            if names.iter().any(|name| name.eq_ignore_ascii_case(key)) {
                if depth > KEPT_DEPTH {
                    return None;
                }
                let value = serde_json::from_slice(&bytes[start..s.at]).ok()?;
                kept.insert(key.to_string(), value);
            }
            s.space();
            match s.next()? {
                b',' => s.space(),
                b'}' => break,
                _ => return None,
            }
        }
    }
    s.space();
    (s.at == bytes.len()).then_some(Json::Object(kept))
}

struct Scanner<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Scanner<'a> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn next(&mut self) -> Option<u8> {
        let b = self.peek()?;
        self.at += 1;
        Some(b)
    }

    fn eat(&mut self, expected: u8) -> Option<()> {
        (self.next()? == expected).then_some(())
    }

    fn space(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\n' | b'\r' | b'\t')) {
            self.at += 1;
        }
    }

    /// A string without escapes (a member name), as text; `None` for anything else.
    fn plain_string(&mut self) -> Option<&'a str> {
        self.eat(b'"')?;
        let start = self.at;
        let len = memchr::memchr2(b'"', b'\\', &self.bytes[start..])?;
        let text = &self.bytes[start..start + len];
        if self.bytes[start + len] != b'"' || text.iter().any(|&b| b < 0x20) {
            return None;
        }
        self.at = start + len + 1;
        std::str::from_utf8(text).ok()
    }

    /// A string value, escapes checked (`\u` declined).
    fn string(&mut self) -> Option<()> {
        self.eat(b'"')?;
        loop {
            let start = self.at;
            let len = memchr::memchr2(b'"', b'\\', &self.bytes[start..])?;
            let text = &self.bytes[start..start + len];
            if text.iter().any(|&b| b < 0x20) || (!text.is_ascii() && std::str::from_utf8(text).is_err()) {
                return None;
            }
            self.at = start + len + 1;
            if self.bytes[start + len] == b'"' {
                return Some(());
            }
            match self.next()? {
                b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => {}
                _ => return None,
            }
        }
    }

    /// A number as JSON writes it: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
    fn number(&mut self) -> Option<()> {
        if self.peek() == Some(b'-') {
            self.at += 1;
        }
        match self.next()? {
            b'0' => {}
            b'1'..=b'9' => self.digits(0)?,
            _ => return None,
        }
        if self.peek() == Some(b'.') {
            self.at += 1;
            self.digits(1)?;
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.at += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.at += 1;
            }
            self.digits(1)?;
        }
        Some(())
    }

    /// At least `min` digits.
    fn digits(&mut self, min: usize) -> Option<()> {
        let start = self.at;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.at += 1;
        }
        (self.at - start >= min).then_some(())
    }

    fn literal(&mut self, word: &[u8]) -> Option<()> {
        let end = self.at + word.len();
        (self.bytes.get(self.at..end)? == word).then(|| self.at = end)
    }

    /// One value of any kind, skipped without recursion; returns how deep it nests (a scalar is 0).
    fn value(&mut self) -> Option<usize> {
        // Open containers: `true` for an object, `false` for an array.
        let mut open: Vec<bool> = Vec::new();
        let mut deepest = 0;
        loop {
            // A value.
            match self.peek()? {
                b'{' | b'[' => {
                    let object = self.next()? == b'{';
                    open.push(object);
                    deepest = deepest.max(open.len());
                    self.space();
                    let close = if object { b'}' } else { b']' };
                    if self.peek()? == close {
                        self.at += 1;
                        open.pop();
                    } else {
                        if object {
                            self.member_name()?;
                        }
                        continue;
                    }
                }
                b'"' => self.string()?,
                b't' => self.literal(b"true")?,
                b'f' => self.literal(b"false")?,
                b'n' => self.literal(b"null")?,
                _ => self.number()?,
            }
            // After a value: close containers, or go on to the next element or member.
            loop {
                let Some(&object) = open.last() else { return Some(deepest) };
                self.space();
                match self.next()? {
                    b',' => {
                        self.space();
                        if object {
                            self.member_name()?;
                        }
                        break;
                    }
                    b'}' if object => {
                        open.pop();
                    }
                    b']' if !object => {
                        open.pop();
                    }
                    _ => return None,
                }
            }
        }
    }

    /// `"name" :` inside a skipped object, followed by the space before the value.
    fn member_name(&mut self) -> Option<()> {
        self.string()?;
        self.space();
        self.eat(b':')?;
        self.space();
        Some(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    const NAMES: &[&str] = &["id", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"];

    #[test]
    fn keeps_the_named_members_of_a_user() {
        let body = br#" {"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"ID":"7","active":true,
            "n":-0.5e+3,"z":0,"name":{"givenName":"A\"\\\/b\n"},"emails":[{"value":"a@b.c","primary":false}],
            "x":null,"e":[[],{}],
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"manager":{"value":"9"}}} "#;
        let kept = members(body, NAMES).expect("the scan checks this body");
        assert_eq!(
            kept,
            json!({"ID": "7", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"manager": {"value": "9"}}})
        );
        assert_eq!(members(b"{}", NAMES), Some(json!({})));
        assert_eq!(members("{\"id\":\"Zoë\"}".as_bytes(), NAMES), Some(json!({"id": "Zoë"})));
    }

    #[test]
    fn declines_what_it_does_not_check_or_is_not_json() {
        for body in [
            r#"{"id":"\u0041"}"#,
            r#"{"i\u0064":"7"}"#,
            r#"[{"id":"7"}]"#,
            r#""x""#,
            r#"{"id":"7",}"#,
            r#"{"id":"7"} x"#,
            r#"{"id":01}"#,
            r#"{"a":1.}"#,
            r#"{"a":[1,]}"#,
            r#"{"a":{"b"}}"#,
            r#"{"a":tru}"#,
            "{\"a\":\"tab\there\"}",
            r#"{"a":"x"#,
        ] {
            assert_eq!(members(body.as_bytes(), NAMES), None, "{body}");
        }
        assert_eq!(members(b"{\"a\":\"\xff\"}", NAMES), None);
    }

    #[test]
    fn deep_kept_values_are_left_to_serde_json_and_deep_skipped_ones_are_fine() {
        let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert_eq!(members(format!("{{\"x\":{deep},\"id\":\"7\"}}").as_bytes(), NAMES), Some(json!({"id": "7"})));
        assert_eq!(members(format!("{{\"id\":{deep}}}").as_bytes(), NAMES), None);
    }

    fn text() -> impl Strategy<Value = String> {
        prop_oneof![".{0,8}", "[a-z\"\\\\/\\n\\t{}\\[\\],:0-9 .eE+-]{0,8}"]
    }

    /// JSON values up to a few levels deep, with SCIM-ish keys.
    fn json_value() -> impl Strategy<Value = Json> {
        let leaf = prop_oneof![
            Just(Json::Null),
            any::<bool>().prop_map(Json::Bool),
            any::<i64>().prop_map(Json::from),
            any::<f64>().prop_map(Json::from),
            text().prop_map(Json::String),
        ];
        leaf.prop_recursive(4, 48, 6, |inner| {
            let key = prop_oneof![Just("id".to_string()), Just("ID".to_string()), text()];
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Json::Array),
                prop::collection::vec((key, inner), 0..6).prop_map(|kv| Json::Object(kv.into_iter().collect())),
            ]
        })
    }

    /// What `serde_json` alone keeps of a body (the projection's slow path).
    fn by_serde(bytes: &[u8]) -> Option<Json> {
        let whole: Json = serde_json::from_slice(bytes).ok()?;
        let map = whole.as_object()?;
        Some(Json::Object(
            map.iter()
                .filter(|(k, _)| NAMES.iter().any(|n| n.eq_ignore_ascii_case(k)))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        ))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn accepts_only_what_serde_json_accepts(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
            if let Some(kept) = members(&bytes, NAMES) {
                prop_assert_eq!(Some(kept), by_serde(&bytes));
            }
        }

        #[test]
        fn mangled_json_is_never_taken_for_something_else(value in json_value(), cut in 0usize..200, byte in any::<u8>()) {
            let mut bytes = serde_json::to_vec(&value).unwrap();
            if !bytes.is_empty() {
                let at = cut % bytes.len();
                bytes[at] = byte;
            }
            if let Some(kept) = members(&bytes, NAMES) {
                prop_assert_eq!(Some(kept), by_serde(&bytes));
            }
        }

        #[test]
        fn objects_are_scanned_as_serde_json_reads_them(value in json_value()) {
            let bytes = serde_json::to_vec(&value).unwrap();
            if let Some(kept) = members(&bytes, NAMES) {
                prop_assert_eq!(Some(kept), by_serde(&bytes));
            } else {
                // Declined: only for what the scan leaves to serde_json.
                let text = String::from_utf8_lossy(&bytes);
                prop_assert!(!value.is_object() || text.contains('\\'), "{}", text);
            }
        }
    }
}
