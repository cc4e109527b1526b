//! Reading a request: the path under the base path and its percent-decoded segments, the resource type a
//! segment names, the query parameters and projection, and the JSON body (media type, size limit, syntax).

use std::borrow::Cow;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::Query;
use axum::http::{header, HeaderMap, StatusCode, Uri};
use serde_json::Value;

use crate::scim::model::{self, ScimType};
use crate::server::error::ApiError;
use crate::server::query::Projection;
use crate::server::state::{AppState, BASE_PATH};
use crate::server::store::Kind;

/// The path after the base path, when the path is under it.
pub(crate) fn strip_base(path: &str) -> Option<&str> {
    let rest = path.strip_prefix(BASE_PATH)?;
    (rest.is_empty() || rest.starts_with('/')).then_some(rest)
}

/// A path segment with its `%XX` escapes decoded (an incomplete escape stays as it is).
pub(crate) fn percent_decode(s: &str) -> Cow<'_, str> {
    if !s.contains('%') {
        return Cow::Borrowed(s);
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        match (b[i], b.get(i + 1).copied().and_then(hex), b.get(i + 2).copied().and_then(hex)) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (c, _, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    Cow::Owned(String::from_utf8_lossy(&out).into_owned())
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
    let pairs = query_pairs(uri)?;
    let get = |n: &str| pairs.iter().rev().find(|(k, _)| k.eq_ignore_ascii_case(n)).map(|(_, v)| v.as_str());
    Projection::parse(get("attributes"), get("excludedAttributes"))
}

/// The decoded query parameters; an undecodable query string is a 400 rather than being ignored (ignoring a
/// `filter` would answer with every resource).
pub(crate) fn query_pairs(uri: &Uri) -> Result<Vec<(String, String)>, ApiError> {
    Query::<Vec<(String, String)>>::try_from_uri(uri)
        .map(|q| q.0)
        .map_err(|e| ApiError::bad(ScimType::InvalidSyntax, format!("cannot decode the query string: {e}")))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_decoding() {
        assert_eq!(percent_decode("urn%3Aietf%3a"), "urn:ietf:");
        assert_eq!(percent_decode("%zz%4"), "%zz%4");
    }

    #[test]
    fn base_path_is_a_prefix_of_whole_segments() {
        assert_eq!(strip_base("/scim/v2/Users"), Some("/Users"));
        assert_eq!(strip_base("/scim/v2"), Some(""));
        assert_eq!(strip_base("/scim/v23/Users"), None);
    }
}
