//! Checks every answer of a step for what Entra reads past or copes with, but a SCIM endpoint should
//! not send: a media type other than `application/scim+json` (ENTRA.md 1.0 item 4; `application/json`
//! is accepted too) and a `ListResponse` whose `totalResults` disagrees with its `Resources`. Both are
//! warnings naming the request: Entra parses the JSON whatever the `Content-Type`, and reads
//! `Resources`, not the count. Pure.

use serde_json::Value as Json;

use crate::engine::result::{Finding, FindingKind};
use crate::scim::client::{request_kind, Body, Exchange, Method};

/// Media types a JSON answer may carry without a finding.
const JSON_MEDIA_TYPES: [&str; 2] = ["application/scim+json", "application/json"];

/// The warnings for a step's exchanges: one per request kind and problem (the first request showing it
/// is named), so three users answered as `text/plain` make one finding, not three.
pub fn audit(exchanges: &[Exchange]) -> Vec<Finding> {
    let mut seen: Vec<(&'static str, String)> = Vec::new();
    let mut out = Vec::new();
    for e in exchanges {
        let kind = request_kind(e.method, &e.path, &e.query);
        for (what, finding) in media_type(e).into_iter().chain(list_counts(e)) {
            if !seen.iter().any(|(k, w)| *k == kind && *w == what) {
                seen.push((kind, what));
                out.push(finding.with_request(e));
            }
        }
    }
    out
}

/// A body answered with a media type that is not JSON (or none at all).
fn media_type(e: &Exchange) -> Option<(String, Finding)> {
    if e.status.is_none() || matches!(e.response_body, Body::Empty) {
        return None;
    }
    let declared = e.header("content-type").unwrap_or("").to_string();
    let essence = declared.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    if JSON_MEDIA_TYPES.contains(&essence.as_str()) {
        return None;
    }
    let shown =
        if essence.is_empty() { "no `Content-Type`".to_string() } else { format!("`Content-Type: {declared}`") };
    let message = format!(
        "{} answered a body with {shown}; SCIM responses carry `Content-Type: application/scim+json`",
        e.request_line()
    );
    Some((format!("media:{essence}"), Finding::warning(FindingKind::NonCompliance, message)))
}

/// A 200 `ListResponse` to a query whose `totalResults` is not the number of `Resources` it carries. A
/// page (`itemsPerPage` below `totalResults`) may carry fewer, never more.
fn list_counts(e: &Exchange) -> Option<(String, Finding)> {
    if e.method != Method::Get || e.status != Some(200) {
        return None;
    }
    let obj = e.response_body.json()?.as_object()?;
    let get = |key: &str| obj.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v);
    let total = get("totalResults")?.as_u64()?;
    let carried = match get("Resources") {
        Some(Json::Array(items)) => items.len() as u64,
        None | Some(Json::Null) => 0,
        Some(_) => return None,
    };
    let paged = get("itemsPerPage").and_then(Json::as_u64).is_some_and(|n| n < total);
    if total == carried || (paged && carried < total) {
        return None;
    }
    let message =
        format!("{} returned a ListResponse with `totalResults` {total} but {carried} `Resources`", e.request_line());
    Some(("list-count".to_string(), Finding::warning(FindingKind::NonCompliance, message)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::result::Severity;
    use crate::scim::client::Origin;
    use serde_json::json;
    use std::time::Duration;

    fn answer(query: &str, content_type: Option<&str>, body: Body) -> Exchange {
        Exchange {
            index: 3,
            origin: Origin::Entra,
            method: Method::Get,
            path: "/Users".into(),
            query: query.into(),
            request_body: None,
            status: Some(200),
            response_headers: content_type.map(|c| vec![("content-type".into(), c.into())]).unwrap_or_default(),
            response_body: body,
            duration: Duration::ZERO,
            error: None,
        }
    }

    fn list(total: u64, n: usize) -> Body {
        Body::Json { value: json!({"totalResults": total, "Resources": vec![json!({"id": "1"}); n]}) }
    }

    #[test]
    fn json_media_types_pass_and_others_warn_once_per_kind() {
        let q = "filter=userName+eq+%22a%22";
        let ok = answer(q, Some("application/scim+json; charset=utf-8"), list(0, 0));
        let plain = answer(q, Some("application/json"), list(0, 0));
        assert!(audit(&[ok, plain]).is_empty());
        let text = answer(q, Some("text/plain"), list(0, 0));
        let found = audit(&[text.clone(), text, answer(q, None, Body::Text { text: "x".into(), error: "e".into() })]);
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!((found[0].severity, found[0].kind), (Severity::Warning, FindingKind::NonCompliance));
        assert!(found[0]
            .message
            .starts_with("GET /Users?filter=userName eq \"a\" answered a body with `Content-Type: text/plain`"));
        assert!(found[1].message.contains("no `Content-Type`"), "{}", found[1].message);
        assert_eq!(found[0].request.as_ref().map(|r| r.index), Some(3));
        assert!(audit(&[answer(q, Some("text/html"), Body::Empty)]).is_empty(), "no body, no media type");
    }

    #[test]
    fn list_counts_must_agree_unless_paged() {
        let ct = Some("application/scim+json");
        let found = audit(&[answer("filter=x", ct, list(1, 0))]);
        assert_eq!(found.len(), 1);
        assert!(found[0].message.ends_with("`totalResults` 1 but 0 `Resources`"), "{}", found[0].message);
        assert_eq!(audit(&[answer("filter=x", ct, list(1, 2))]).len(), 1);
        assert!(audit(&[answer("filter=x", ct, list(2, 2))]).is_empty());
        let page = Body::Json { value: json!({"totalResults": 5, "itemsPerPage": 2, "Resources": [{}, {}]}) };
        assert!(audit(&[answer("startIndex=1&count=2", ct, page)]).is_empty());
        let no_total = Body::Json { value: json!({"Resources": [{}]}) };
        assert!(audit(&[answer("filter=x", ct, no_total)]).is_empty(), "a missing count is judged elsewhere");
    }
}
