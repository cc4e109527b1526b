//! Reading a response body the endpoint controls, so that nothing it sends can exhaust memory or hang the
//! parser:
//!
//! - a `Content-Length` over the bound is not read at all, and a body without one stops at the bound
//!   ([`Body::TooLarge`]);
//! - JSON nested deeper than `serde_json`'s recursion limit (128) is an error, not a stack overflow;
//! - a body that is not JSON is kept as text of at most [`MAX_TEXT`] bytes.
//!
//! The body is parsed exactly as it came: secrets the endpoint echoes are hidden only where results are
//! shown or stored ([`super::scrub`]), never before the engine reads them.

use bytes::Bytes;

use super::exchange::Body;
use super::projection::{self, Reads};

/// Longest non-JSON body kept in the transcript, in bytes; the rest is cut (an HTML error page or a
/// truncated document is identified by its start).
pub const MAX_TEXT: usize = 64 * 1024;

/// True when a declared `Content-Length` is over the bound: the body is not read.
pub fn declared_too_large(content_length: Option<u64>, max_body: usize) -> bool {
    content_length.is_some_and(|n| n > max_body as u64)
}

/// A response's body, or `None` when it is longer than `max` bytes: a declared length over the bound is
/// not read at all, and an undeclared one stops being read there. A body that comes in one chunk (most
/// answers) is that chunk, not a copy of it.
pub async fn bounded_body(response: &mut reqwest::Response, max: usize) -> Result<Option<Bytes>, reqwest::Error> {
    if declared_too_large(response.content_length(), max) {
        return Ok(None);
    }
    let Some(first) = response.chunk().await? else {
        return Ok(Some(Bytes::new()));
    };
    if first.len() > max {
        return Ok(None);
    }
    let Some(second) = response.chunk().await? else {
        return Ok(Some(first));
    };
    let mut bytes = Vec::with_capacity(first.len() + second.len());
    bytes.extend_from_slice(&first);
    let mut next = Some(second);
    while let Some(chunk) = next {
        if bytes.len() + chunk.len() > max {
            return Ok(None);
        }
        bytes.extend_from_slice(&chunk);
        next = response.chunk().await?;
    }
    Ok(Some(bytes.into()))
}

/// Parses a body already bounded: empty, JSON (what `reads` names of it), or text.
pub fn parse_body(bytes: &[u8], reads: Reads) -> Body {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Body::Empty;
    }
    match projection::parse(bytes, reads) {
        Ok(value) => Body::Json { value },
        Err(e) => Body::Text { text: cut_text(bytes), error: e.to_string() },
    }
}

/// The text of a non-JSON body, cut at [`MAX_TEXT`] bytes (on a character boundary) with a note.
fn cut_text(bytes: &[u8]) -> String {
    if bytes.len() <= MAX_TEXT {
        return String::from_utf8_lossy(bytes).into_owned();
    }
    let mut text = String::from_utf8_lossy(&bytes[..MAX_TEXT]).into_owned();
    // A cut through a multi-byte character shows as one replacement character at the end: drop it.
    if text.ends_with('\u{FFFD}') {
        text.pop();
    }
    format!("{text}… [cut: {} of {} bytes kept]", MAX_TEXT, bytes.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::{json, Value as Json};

    #[test]
    fn a_body_is_parsed_as_it_came() {
        // See: issue 18 — with a token `ie`, `urn:ietf:` must still reach the engine whole.
        let body = br#"{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "detail": "Bearer ie"}"#;
        let parsed = parse_body(body, Reads::All);
        let value = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "detail": "Bearer ie"});
        assert_eq!(parsed, Body::Json { value });
    }

    #[test]
    fn long_text_is_cut_and_deep_json_is_text() {
        let Body::Text { text, .. } = parse_body(&vec![b'<'; MAX_TEXT * 2], Reads::All) else { panic!("not JSON") };
        assert!(text.len() < MAX_TEXT + 100 && text.ends_with(&format!("of {} bytes kept]", MAX_TEXT * 2)));
        let deep = "[".repeat(100_000);
        let Body::Text { error, .. } = parse_body(deep.as_bytes(), Reads::All) else { panic!("too deep") };
        assert!(error.contains("recursion limit"), "{error}");
        let skipped = format!("{{\"other\": {deep}");
        assert!(matches!(parse_body(skipped.as_bytes(), Reads::STATUS), Body::Text { .. }));
        assert!(declared_too_large(Some(11), 10) && !declared_too_large(Some(10), 10) && !declared_too_large(None, 1));
    }

    fn reads() -> impl Strategy<Value = Reads> {
        prop_oneof![Just(Reads::All), Just(Reads::STATUS), Just(Reads::Members(&["id", "Resources"]))]
    }

    /// JSON values up to a few levels deep with SCIM-ish keys.
    fn json_value() -> impl Strategy<Value = Json> {
        let leaf = prop_oneof![
            Just(Json::Null),
            any::<bool>().prop_map(Json::Bool),
            any::<i64>().prop_map(Json::from),
            any::<f64>().prop_map(Json::from),
            ".{0,12}".prop_map(Json::String),
        ];
        leaf.prop_recursive(4, 48, 6, |inner| {
            let key = prop_oneof![
                Just("id".to_string()),
                Just("Resources".to_string()),
                Just("totalResults".to_string()),
                Just("detail".to_string()),
                ".{0,6}"
            ];
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Json::Array),
                prop::collection::vec((key, inner), 0..6).prop_map(|kv| Json::Object(kv.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        // See: issue 6 ("fuzz targets for the response parsers").
        #[test]
        fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512), reads in reads()) {
            let _ = parse_body(&bytes, reads);
        }

        #[test]
        fn arbitrary_json_parses_as_json(value in json_value(), reads in reads()) {
            let bytes = serde_json::to_vec(&value).unwrap();
            let partial = matches!(parse_body(&bytes, reads), Body::Json { .. } | Body::Text { .. });
            let whole = matches!(parse_body(&bytes, Reads::All), Body::Json { .. });
            prop_assert!(partial && whole, "{}", String::from_utf8_lossy(&bytes));
        }
    }
}
