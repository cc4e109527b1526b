//! Reading a response body the endpoint controls, so that nothing it sends can exhaust memory, hang the
//! parser or leak a secret:
//!
//! - a `Content-Length` over the bound is not read at all, and a body without one stops at the bound
//!   ([`Body::TooLarge`]);
//! - JSON nested deeper than `serde_json`'s recursion limit (128) is an error, not a stack overflow;
//! - the secrets the request carried (the bearer token, an OAuth client secret) are replaced by `***`
//!   before the body is parsed, so an endpoint that echoes the `Authorization` header in its error page
//!   cannot put the token into a finding, a report or a snapshot;
//! - a body that is not JSON is kept as text of at most [`MAX_TEXT`] bytes.

use serde_json::Value as Json;

use super::exchange::Body;
use super::projection::{self, Reads};

/// Longest non-JSON body kept in the transcript, in bytes; the rest is cut (an HTML error page or a
/// truncated document is identified by its start).
pub const MAX_TEXT: usize = 64 * 1024;

/// What replaces a secret in a response.
const SCRUBBED: &str = "***";

/// True when a declared `Content-Length` is over the bound: the body is not read.
pub fn declared_too_large(content_length: Option<u64>, max_body: usize) -> bool {
    content_length.is_some_and(|n| n > max_body as u64)
}

/// A response's body, or `None` when it is longer than `max` bytes: a declared length over the bound is
/// not read at all, and an undeclared one stops being read there.
pub async fn bounded_body(response: &mut reqwest::Response, max: usize) -> Result<Option<Vec<u8>>, reqwest::Error> {
    if declared_too_large(response.content_length(), max) {
        return Ok(None);
    }
    let mut bytes = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        if bytes.len() + chunk.len() > max {
            return Ok(None);
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(Some(bytes))
}

/// Replaces every occurrence of each (non-empty) secret in `bytes` by `***`. Every answer goes through
/// here, so the search is `memchr`'s substring search and a body without the secret is not copied.
pub fn scrub_bytes(bytes: &mut Vec<u8>, secrets: &[&str]) {
    for secret in secrets.iter().map(|s| s.as_bytes()).filter(|s| !s.is_empty()) {
        let finder = memchr::memmem::Finder::new(secret);
        let Some(first) = finder.find(bytes) else { continue };
        let mut out = Vec::with_capacity(bytes.len());
        let mut rest = 0;
        let mut next = Some(first);
        while let Some(at) = next {
            out.extend_from_slice(&bytes[rest..rest + at]);
            out.extend_from_slice(SCRUBBED.as_bytes());
            rest += at + secret.len();
            next = finder.find(&bytes[rest..]);
        }
        out.extend_from_slice(&bytes[rest..]);
        *bytes = out;
    }
}

/// Replaces each secret in a text (a header value) by `***`.
pub fn scrub_text(text: &str, secrets: &[&str]) -> String {
    secrets.iter().filter(|s| !s.is_empty()).fold(text.to_string(), |t, s| t.replace(s, SCRUBBED))
}

/// Replaces each secret in every string and key of a JSON value (a secret JSON-escaped in the raw body,
/// such as `\/` for `/`, survives [`scrub_bytes`] and shows up only after parsing).
fn scrub_json(value: &mut Json, secrets: &[&str]) {
    match value {
        Json::String(s) if secrets.iter().any(|x| !x.is_empty() && s.contains(x)) => *s = scrub_text(s, secrets),
        Json::Array(items) => items.iter_mut().for_each(|v| scrub_json(v, secrets)),
        Json::Object(map) => {
            if map.keys().any(|k| secrets.iter().any(|x| !x.is_empty() && k.contains(x))) {
                let old = std::mem::take(map);
                map.extend(old.into_iter().map(|(k, v)| (scrub_text(&k, secrets), v)));
            }
            map.values_mut().for_each(|v| scrub_json(v, secrets));
        }
        _ => {}
    }
}

/// Parses a body already bounded and scrubbed: empty, JSON (what `reads` names of it), or text.
pub fn parse_body(bytes: &[u8], reads: Reads, secrets: &[&str]) -> Body {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Body::Empty;
    }
    match projection::parse(bytes, reads) {
        Ok(mut value) => {
            if bytes.contains(&b'\\') && secrets.iter().any(|s| !s.is_empty()) {
                scrub_json(&mut value, secrets);
            }
            Body::Json { value }
        }
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
    use serde_json::json;

    #[test]
    fn secrets_are_scrubbed_from_bytes_headers_and_escaped_json() {
        let mut bytes = b"denied: Bearer tok/1 and tok/1 again".to_vec();
        scrub_bytes(&mut bytes, &["tok/1", ""]);
        assert_eq!(String::from_utf8(bytes).unwrap(), "denied: Bearer *** and *** again");
        assert_eq!(scrub_text("Bearer error=\"x\" tok/1", &["tok/1"]), "Bearer error=\"x\" ***");
        let body = br#"{"detail": "got tok\/1", "tok\/1": ["tok\/1"]}"#;
        let parsed = parse_body(body, Reads::All, &["tok/1"]);
        assert_eq!(parsed, Body::Json { value: json!({"detail": "got ***", "***": ["***"]}) });
    }

    #[test]
    fn long_text_is_cut_and_deep_json_is_text() {
        let Body::Text { text, .. } = parse_body(&vec![b'<'; MAX_TEXT * 2], Reads::All, &[]) else {
            panic!("not JSON")
        };
        assert!(text.len() < MAX_TEXT + 100 && text.ends_with(&format!("of {} bytes kept]", MAX_TEXT * 2)));
        let deep = "[".repeat(100_000);
        let Body::Text { error, .. } = parse_body(deep.as_bytes(), Reads::All, &[]) else { panic!("too deep") };
        assert!(error.contains("recursion limit"), "{error}");
        let skipped = format!("{{\"other\": {deep}");
        assert!(matches!(parse_body(skipped.as_bytes(), Reads::STATUS, &[]), Body::Text { .. }));
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
        fn arbitrary_bytes_never_panic(mut bytes in prop::collection::vec(any::<u8>(), 0..512), reads in reads()) {
            scrub_bytes(&mut bytes, &["tok", "\u{0}"]);
            let _ = parse_body(&bytes, reads, &["tok"]);
        }

        #[test]
        fn arbitrary_json_parses_back_and_the_secret_never_survives(
            value in json_value(),
            secret in "[a-z/]{1,6}",
            reads in reads(),
        ) {
            let mut bytes = serde_json::to_vec(&value).unwrap();
            scrub_bytes(&mut bytes, &[&secret]);
            let body = parse_body(&bytes, reads, &[&secret]);
            let text = match &body {
                Body::Json { value } => value.to_string(),
                Body::Text { text, .. } => text.clone(),
                Body::Empty | Body::TooLarge { .. } => String::new(),
            };
            prop_assert!(!serde_json::from_str::<Json>(&text).is_ok_and(|v| contains(&v, &secret)), "{}", text);
        }
    }

    fn contains(value: &Json, secret: &str) -> bool {
        match value {
            Json::String(s) => s.contains(secret),
            Json::Array(items) => items.iter().any(|v| contains(v, secret)),
            Json::Object(map) => map.iter().any(|(k, v)| k.contains(secret) || contains(v, secret)),
            _ => false,
        }
    }
}
