//! Reading a request: the path under the base path and its percent-decoded segments, the resource type a
//! segment names, the query parameters and projection, and the JSON body (media type, size limit, syntax; a
//! PATCH body into its operations).

use std::borrow::Cow;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::http::{header, HeaderMap, StatusCode, Uri};
use serde::Deserialize;
use serde_json::Value;

use crate::scim::model::{self, ScimType};
use crate::scim::patch::{PatchOperation, PatchRequest};
use crate::server::defects;
use crate::server::error::ApiError;
use crate::server::query::Projection;
use crate::server::state::{AppState, BASE_PATH};
use crate::server::store::Kind;
use crate::server::switches::Switches;

/// The path after the base path, when the path is under it.
pub(crate) fn strip_base(path: &str) -> Option<&str> {
    let rest = path.strip_prefix(BASE_PATH)?;
    (rest.is_empty() || rest.starts_with('/')).then_some(rest)
}

/// A path segment with its `%XX` escapes decoded (an incomplete escape stays as it is).
pub(crate) fn percent_decode(s: &str) -> Cow<'_, str> {
    decode(s, false)
}

/// `s` with its `%XX` escapes decoded (an incomplete escape stays as it is), and `+` read as a space when
/// `plus` (form encoding); the bytes are read as UTF-8 with replacement characters. The text between
/// escapes is copied a run at a time.
fn decode(s: &str, plus: bool) -> Cow<'_, str> {
    let b = s.as_bytes();
    let special = |from: usize| {
        let at = if plus { memchr::memchr2(b'%', b'+', &b[from..]) } else { memchr::memchr(b'%', &b[from..]) };
        at.map_or(b.len(), |at| from + at)
    };
    let mut i = special(0);
    if i == b.len() {
        return Cow::Borrowed(s);
    }
    let hex = |at: usize| b.get(at).and_then(|&c| char::from(c).to_digit(16));
    let mut out = Vec::with_capacity(b.len());
    out.extend_from_slice(&b[..i]);
    while i < b.len() {
        match (b[i], hex(i + 1), hex(i + 2)) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (b'+', _, _) => {
                out.push(b' ');
                i += 1;
            }
            (c, _, _) => {
                out.push(c);
                i += 1;
            }
        }
        let next = special(i);
        out.extend_from_slice(&b[i..next]);
        i = next;
    }
    match String::from_utf8(out) {
        Ok(text) => Cow::Owned(text),
        Err(e) => Cow::Owned(String::from_utf8_lossy(e.as_bytes()).into_owned()),
    }
}

/// The resource type a path segment names (case-insensitive).
pub(crate) fn kind_of(segment: &str) -> Option<Kind> {
    if segment.eq_ignore_ascii_case("Users") {
        Some(Kind::User)
    } else if segment.eq_ignore_ascii_case("Groups") {
        Some(Kind::Group)
    } else {
        None
    }
}

/// `attributes` / `excludedAttributes` of a request on one resource (RFC 7644 §3.9: also on POST, PUT, PATCH).
pub(crate) fn projection(uri: &Uri) -> Result<Projection, ApiError> {
    if uri.query().is_none() {
        return Projection::parse(None, None);
    }
    let pairs = query_pairs(uri);
    let get = |n: &str| pairs.iter().rev().find(|(k, _)| k.eq_ignore_ascii_case(n)).map(|(_, v)| v.as_str());
    Projection::parse(get("attributes"), get("excludedAttributes"))
}

/// The decoded query parameters, read as `form_urlencoded` reads them (what axum's `Query` extractor did,
/// through serde, for ~3,500 instructions a filter): pairs split at `&`, empty ones skipped, a name and its
/// value split at the first `=`, `+` a space, then `%XX` escapes decoded and the bytes read as UTF-8 with
/// replacement characters. Every query string decodes.
pub(crate) fn query_pairs(uri: &Uri) -> Vec<(String, String)> {
    let Some(query) = uri.query() else { return Vec::new() };
    let pairs = query.split('&').filter(|pair| !pair.is_empty());
    pairs
        .map(|pair| pair.split_once('=').unwrap_or((pair, "")))
        .map(|(name, value)| (decode(name, true).into_owned(), decode(value, true).into_owned()))
        .collect()
}

/// The request body as JSON: 415 for another media type, 413 past the size limit, 400 when it does not parse.
pub(crate) fn json_body(
    state: &AppState,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Value, ApiError> {
    parse_json(&body_bytes(state, headers, body)?)
}

/// The bytes of a JSON request body: 415 for another media type, 413 past the size limit.
pub(crate) fn body_bytes(
    state: &AppState,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Bytes, ApiError> {
    let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let mime = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    if mime != model::SCIM_MEDIA_TYPE && mime != "application/json" {
        let shown = if content_type.is_empty() { "none".to_string() } else { format!("`{content_type}`") };
        return Err(ApiError::new(
            415,
            None,
            format!("unsupported Content-Type {shown}: send application/scim+json or application/json"),
        ));
    }
    body.map_err(|r| match r.status() {
        StatusCode::PAYLOAD_TOO_LARGE => {
            ApiError::new(413, None, format!("request body larger than the {} byte limit", state.max_body_bytes))
        }
        s => ApiError::new(s.as_u16(), Some(ScimType::InvalidSyntax), format!("cannot read the request body: {r}")),
    })
}

/// A request body read as JSON: 400 when it does not parse.
pub(crate) fn parse_json(bytes: &[u8]) -> Result<Value, ApiError> {
    serde_json::from_slice(bytes)
        .map_err(|e| ApiError::bad(ScimType::InvalidSyntax, format!("malformed JSON body: {e}")))
}

/// A PATCH body's request, after [`defects::patch_body`]'s rewrites. The general way reads the body into a
/// `Value`, rewrites it and reads the request from the tree (its error texts are what a 400 shows). When no
/// rewrite can apply — no `null` anywhere in the body, `ignore_null_updates` off for users — a body that
/// holds nothing but the request's own fields is read straight into them: the same tokens become the same
/// request, with the same checks (every value is read, none skipped), for about half the instructions.
/// Anything else, an error included, takes the general way.
pub(crate) fn patch_request(switches: &Switches, kind: Kind, bytes: &[u8]) -> Result<PatchRequest, ApiError> {
    let rewritten =
        (kind == Kind::User && switches.ignore_null_updates) || memchr::memmem::find(bytes, b"null").is_some();
    if !rewritten {
        if let Ok(strict) = serde_json::from_slice::<StrictPatch>(bytes) {
            return Ok(strict.into());
        }
    }
    let body = defects::patch_body(switches, kind, parse_json(bytes)?);
    serde_json::from_value(body)
        .map_err(|e| ApiError::bad(ScimType::InvalidSyntax, format!("not a PATCH request: {e}")))
}

/// [`PatchRequest`] with its field names and aliases, refusing any other field (which the general way would
/// skip without the checks a `Value` makes, such as numbers in range and the nesting limit).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StrictPatch {
    #[serde(default)]
    schemas: Vec<String>,
    #[serde(rename = "Operations", alias = "operations")]
    operations: Vec<StrictOperation>,
}

/// [`PatchOperation`] with its field names and aliases, refusing any other field.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StrictOperation {
    #[serde(alias = "Op")]
    op: String,
    #[serde(default, alias = "Path")]
    path: Option<String>,
    #[serde(default, alias = "Value")]
    value: Option<Value>,
}

impl From<StrictPatch> for PatchRequest {
    fn from(strict: StrictPatch) -> Self {
        let operations =
            strict.operations.into_iter().map(|o| PatchOperation { op: o.op, path: o.path, value: o.value });
        PatchRequest { schemas: strict.schemas, operations: operations.collect() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("urn%3Aietf%3a"), "urn:ietf:");
        assert_eq!(percent_decode("%zz%4"), "%zz%4");
        assert_eq!(percent_decode("a+b%2B%%41%e9%C3%A9"), "a+b+%A\u{fffd}\u{e9}");
        assert_eq!(decode("a+b%2B", true), "a b+");
    }

    /// The general way alone: the body through a `Value`.
    fn general(switches: &Switches, kind: Kind, bytes: &[u8]) -> Result<PatchRequest, ApiError> {
        let body = defects::patch_body(switches, kind, parse_json(bytes)?);
        serde_json::from_value(body)
            .map_err(|e| ApiError::bad(ScimType::InvalidSyntax, format!("not a PATCH request: {e}")))
    }

    #[test]
    fn patch_bodies_read_as_through_a_value() {
        let mgr = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager";
        let schema = r#""schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"]"#;
        let mut bodies = vec![
            format!(r#"{{{schema},"Operations":[{{"op":"Add","path":"{mgr}","value":"m-1"}}]}}"#),
            format!(r#"{{{schema},"Operations":[{{"op":"Replace","path":"{mgr}","value":{{"value":"m-2"}}}}]}}"#),
            r#"{"operations":[{"Op":"replace","Path":"displayName","Value":"x"},{"op":"remove","path":"title"}]}"#
                .into(),
            r#"{"Operations":[{"op":"replace","value":{"displayName":"y","active":false,"n":[1,2.5,-3e2]}}]}"#.into(),
            r#"{"Operations":[{"op":"replace","path":"title","value":null}]}"#.into(),
            r#"{"Operations":[{"op":"replace","path":"title","VALUE":null}]}"#.into(),
            r#"{"Operations":[{"op":"replace","path":"title","value":""}]}"#.into(),
            r#"{"Operations":[{"op":"replace","path":"title","value":"nullish"}]}"#.into(),
            r#"{"Operations":[{"op":"add","path":"title","value":"a","extra":1e400}]}"#.into(),
            r#"{"Operations":[{"op":"add","path":"title","value":1e400}]}"#.into(),
            r#"{"Operations":[],"x":1e400}"#.into(),
            r#"{"Operations":[],"Operations":[]}"#.into(),
            r#"{"Operations":[{"op":"add","Op":"replace","path":"t","value":1}]}"#.into(),
            r#"{"Operations":[{"op":"add","path":"t","path":"u","value":1}]}"#.into(),
            r#"{"OPERATIONS":[{"op":"add","path":"t","value":1}]}"#.into(),
            r#"{"Operations":{"op":"add"}}"#.into(),
            r#"{"Operations":[{"op":5}]}"#.into(),
            r#"{"schemas":"x","Operations":[]}"#.into(),
            r#"{"Operations":[{"op":"add","path":"t","value":"é
"q""}]}"#
                .into(),
            r#"{"Operations":[{"op":"add","path":"t","value":{"a":1,"a":2}}]}"#.into(),
            r#"{"Operations":[{"op":"add","path":"t","value":1}]} x"#.into(),
            r#"{"Operations":[{"op":"add","path":"t","value":1}"#.into(),
            "[]".into(),
            String::new(),
        ];
        bodies.push(format!(r#"{{"Operations":[{{"op":"add","value":{}1{}}}]}}"#, "[".repeat(130), "]".repeat(130)));
        bodies.push(format!(r#"{{"Operations":[],"x":{}1{}}}"#, "[".repeat(130), "]".repeat(130)));
        let switched = Switches { ignore_null_updates: true, ..Switches::default() };
        for switches in [Switches::default(), switched] {
            for kind in [Kind::User, Kind::Group] {
                for body in &bodies {
                    let (got, want) =
                        (patch_request(&switches, kind, body.as_bytes()), general(&switches, kind, body.as_bytes()));
                    match (got, want) {
                        (Ok(a), Ok(b)) => assert_eq!(a, b, "{body}"),
                        (Err(a), Err(b)) => assert_eq!((a.status, a.detail), (b.status, b.detail), "{body}"),
                        (a, b) => panic!("{body}: {a:?} vs {b:?}"),
                    }
                }
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn query_pairs_read_as_the_query_extractor(query in "(%[0-9a-fA-FgG]{0,2}|%[c-fC-F][0-9a-f]%[89ab][0-9]|[+=&a-z0-9~])*") {
            let Ok(uri) = format!("/scim/v2/Users?{query}").parse::<Uri>() else { return Ok(()) };
            let extracted = axum::extract::Query::<Vec<(String, String)>>::try_from_uri(&uri).expect("decodes").0;
            proptest::prop_assert_eq!(query_pairs(&uri), extracted);
            let escaped = query.replace('+', "%2B");
            proptest::prop_assert_eq!(percent_decode(&query), decode(&escaped, true));
        }
    }

    #[test]
    fn base_path_is_a_prefix_of_whole_segments() {
        assert_eq!(strip_base("/scim/v2/Users"), Some("/Users"));
        assert_eq!(strip_base("/scim/v2"), Some(""));
        assert_eq!(strip_base("/scim/v23/Users"), None);
    }
}
