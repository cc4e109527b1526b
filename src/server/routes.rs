//! Request handling: one axum fallback handler that authenticates, injects faults, checks the body, routes by
//! path segment and renders answers. Routing by hand keeps every answer — unknown routes, wrong methods, bodies
//! that are too large or not JSON — a SCIM error body with `Content-Type: application/scim+json`.
//!
//! Store locks are taken inside synchronous helpers only, never across an `.await`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::rejection::BytesRejection;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::Response;
use serde_json::Value;
use sha2::{Digest, Sha256};
use tokio::sync::watch;

use crate::scim::filter::EvalOptions;
use crate::scim::model::{self, ScimType};
use crate::scim::patch::PatchRequest;
use crate::server::defects::{self, omit_from_discovery, Tombstones};
use crate::server::discovery;
use crate::server::error::ApiError;
use crate::server::query::{ListParams, Projection};
use crate::server::store::{self, Kind, Store, StoreOptions, Stored};
use crate::server::switches::{Fault, FaultRates, Switches};

/// The path under which the SCIM endpoints live.
pub(crate) const BASE_PATH: &str = "/scim/v2";

/// How long a simulated timeout hangs at most.
const HANG: Duration = Duration::from_secs(120);

/// Shared state of the running endpoint.
pub(crate) struct AppState {
    pub store: RwLock<Store>,
    /// Shapes request bodies outside the store lock.
    pub shaping: StoreOptions,
    pub token_digest: [u8; 32],
    pub switches: Switches,
    /// The fault injection in effect: starts as the switches', changed by `ServerHandle::set_faults`.
    pub faults: RwLock<FaultRates>,
    pub requests: AtomicU64,
    pub shutdown: watch::Receiver<bool>,
    pub base_url: String,
    pub max_results: usize,
    pub max_body_bytes: usize,
    /// Deleted ids, for the DELETE defect switches.
    pub tombstones: Tombstones,
}

/// A successful answer before rendering.
enum Reply {
    Json {
        status: StatusCode,
        body: Value,
        location: Option<String>,
        etag: Option<String>,
    },
    /// A resource already serialized (straight from the store).
    Serialized {
        status: StatusCode,
        bytes: Vec<u8>,
        location: Option<String>,
        etag: Option<String>,
    },
    NoContent,
    /// 304 for a matching `If-None-Match`, with the entity tag.
    NotModified(String),
}

impl Reply {
    fn ok(body: Value) -> Self {
        Reply::Json { status: StatusCode::OK, body, location: None, etag: None }
    }

    fn resource(status: StatusCode, body: Value, location: bool) -> Self {
        let etag = body.pointer("/meta/version").and_then(Value::as_str).map(str::to_string);
        let location =
            location.then(|| body.pointer("/meta/location").and_then(Value::as_str).map(str::to_string)).flatten();
        Reply::Json { status, body, location, etag }
    }
}

pub(crate) fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// Compares digests in constant time (comparing digests also hides the token's length).
fn same(a: &[u8; 32], b: &[u8; 32]) -> bool {
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn authorized(state: &AppState, headers: &HeaderMap) -> bool {
    let Some(value) = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) else { return false };
    let Some((scheme, token)) = value.trim().split_once(' ') else { return false };
    scheme.eq_ignore_ascii_case("bearer") && same(&digest(token.trim()), &state.token_digest)
}

/// The single handler for every request.
pub(crate) async fn handle(
    State(state): State<Arc<AppState>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    if state.switches.latency_ms > 0 {
        tokio::time::sleep(Duration::from_millis(state.switches.latency_ms)).await;
    }
    let path = uri.path();
    let Some(rest) = strip_base(path) else {
        let e = ApiError::not_found(format!("no SCIM endpoint at `{path}` (the endpoints are under {BASE_PATH})"));
        return error_response(&state, &e);
    };
    if !authorized(&state, &headers) {
        let e = ApiError::new(401, None, "missing or invalid bearer token");
        return error_response(&state, &e);
    }
    let n = state.requests.fetch_add(1, Ordering::Relaxed);
    let faults = *state.faults.read().unwrap_or_else(PoisonError::into_inner);
    let fault = faults.fault(n);
    match fault {
        Some(Fault::Timeout) => {
            let mut shutdown = state.shutdown.clone();
            tokio::select! {
                _ = tokio::time::sleep(HANG) => {}
                _ = shutdown.wait_for(|stop| *stop) => {}
            }
            return error_response(&state, &ApiError::new(503, None, "simulated timeout: no answer in time"));
        }
        Some(Fault::RateLimit) => {
            let mut r = error_response(&state, &ApiError::new(429, None, "simulated rate limit"));
            r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(faults.retry_after_secs));
            return r;
        }
        Some(Fault::Error) => {
            return error_response(&state, &ApiError::new(500, None, "simulated internal server error"));
        }
        Some(Fault::Malformed) | None => {}
    }
    let result = route(&state, &method, rest, &uri, &headers, body);
    match (result, fault) {
        (Ok(reply), Some(Fault::Malformed)) => malformed(reply),
        (Ok(reply), _) => render(reply),
        (Err(e), _) => error_response(&state, &e),
    }
}

fn strip_base(path: &str) -> Option<&str> {
    let rest = path.strip_prefix(BASE_PATH)?;
    (rest.is_empty() || rest.starts_with('/')).then_some(rest)
}

fn percent_decode(s: &str) -> String {
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
    String::from_utf8_lossy(&out).into_owned()
}

fn kind_of(segment: &str) -> Option<Kind> {
    if segment.eq_ignore_ascii_case("Users") {
        Some(Kind::User)
    } else if segment.eq_ignore_ascii_case("Groups") {
        Some(Kind::Group)
    } else {
        None
    }
}

fn not_allowed(method: &Method, path: &str) -> ApiError {
    ApiError::new(405, None, format!("{method} is not supported on `{path}`"))
}

fn route(
    state: &AppState,
    method: &Method,
    rest: &str,
    uri: &Uri,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Reply, ApiError> {
    let segs: Vec<String> = rest.split('/').filter(|s| !s.is_empty()).map(percent_decode).collect();
    let segs: Vec<&str> = segs.iter().map(String::as_str).collect();
    let (base, sw) = (state.base_url.as_str(), &state.switches);
    let is = |s: &str, name: &str| s.eq_ignore_ascii_case(name);
    let get_only = |r: Option<Value>, what: &str| -> Result<Reply, ApiError> {
        if method != Method::GET {
            return Err(not_allowed(method, uri.path()));
        }
        r.map(Reply::ok).ok_or_else(|| ApiError::not_found(format!("{what} not found")))
    };
    match segs.as_slice() {
        [s] if is(s, "ServiceProviderConfig") => {
            get_only(Some(discovery::service_provider_config(base, state.max_results)), "")
        }
        [s] if is(s, "ResourceTypes") => get_only(Some(omit_from_discovery(sw, discovery::resource_types(base))), ""),
        [s, name] if is(s, "ResourceTypes") => {
            get_only(discovery::resource_type(base, name), &format!("resource type `{name}`"))
        }
        [s] if is(s, "Schemas") => get_only(Some(omit_from_discovery(sw, discovery::schemas(base))), ""),
        // RFC 7644 §3.7 and §3.11: features a provider does not offer answer 501.
        [s, ..] if is(s, "Bulk") || is(s, "Me") => Err(ApiError::new(
            501,
            None,
            format!("`/{s}` is not supported by this endpoint (see /ServiceProviderConfig)"),
        )),
        [s, urn] if is(s, "Schemas") => get_only(discovery::schema_doc(base, urn), &format!("schema `{urn}`")),
        [r, rest @ ..] if rest.len() <= 1 => {
            let Some(kind) = kind_of(r) else { return Err(no_endpoint(uri)) };
            match (rest, method.clone()) {
                ([], Method::GET) => list(state, kind, ListParams::from_query(kind, &query_pairs(uri)?)?),
                ([], Method::POST) => {
                    let projection = projection(uri)?;
                    let doc = state.shaping.prepare(kind, json_body(state, headers, body)?)?;
                    let mut store = write(state);
                    let id = store.create_prepared(kind, doc)?;
                    answer_stored(state, &store, kind, &id, &projection, StatusCode::CREATED, true)
                }
                ([s], Method::POST) if *s == ".search" => {
                    let body = json_body(state, headers, body)?;
                    list(state, kind, ListParams::from_search(kind, &body)?)
                }
                ([s], _) if *s != ".search" => by_id(state, kind, s, method, uri, headers, body),
                _ => Err(not_allowed(method, uri.path())),
            }
        }
        _ => Err(no_endpoint(uri)),
    }
}

fn no_endpoint(uri: &Uri) -> ApiError {
    ApiError::not_found(format!("no SCIM endpoint at `{}`", uri.path()))
}

fn by_id(
    state: &AppState,
    kind: Kind,
    id: &str,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Reply, ApiError> {
    let if_match = headers.get(header::IF_MATCH).and_then(|v| v.to_str().ok());
    match *method {
        Method::GET => {
            let projection = projection(uri)?;
            let store = read(state);
            let stored = store
                .stored(kind, id)
                .ok_or_else(|| ApiError::not_found(format!("{} `{id}` not found", kind.name())))?;
            let current = stored.etag();
            let if_none_match = headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok());
            if if_none_match.is_some_and(|tags| store::etag_matches(tags, &current)) {
                return Ok(Reply::NotModified(current));
            }
            answer_stored(state, &store, kind, id, &projection, StatusCode::OK, false)
        }
        Method::PUT => {
            let projection = projection(uri)?;
            let doc = state.shaping.prepare(kind, json_body(state, headers, body)?)?;
            let mut store = write(state);
            store.precondition(kind, id, if_match)?;
            store.replace_prepared(kind, id, doc)?;
            answer_stored(state, &store, kind, id, &projection, StatusCode::OK, false)
        }
        Method::PATCH => {
            let projection = projection(uri)?;
            let body = defects::patch_body(&state.switches, kind, json_body(state, headers, body)?);
            let req: PatchRequest = serde_json::from_value(body)
                .map_err(|e| ApiError::bad(ScimType::InvalidSyntax, format!("not a PATCH request: {e}")))?;
            let operations = defects::patch_operations(&state.switches, kind, req.operations)?;
            let mut store = write(state);
            store.precondition(kind, id, if_match)?;
            store.patch_in_place(kind, id, &operations)?;
            if kind == Kind::Group && !state.switches.group_patch_returns_resource {
                // 204: no copy of a possibly huge member list is made for the answer.
                return Ok(Reply::NoContent);
            }
            answer_stored(state, &store, kind, id, &projection, StatusCode::OK, false)
        }
        Method::DELETE => {
            let mut store = write(state);
            if store.get(kind, id).is_none() && state.tombstones.delete_succeeds(&state.switches, id) {
                return Ok(Reply::NoContent);
            }
            store.precondition(kind, id, if_match)?;
            store.delete(kind, id)?;
            state.tombstones.bury(&state.switches, id);
            Ok(Reply::NoContent)
        }
        _ => Err(not_allowed(method, uri.path())),
    }
}

/// `attributes` / `excludedAttributes` of a request on one resource (RFC 7644 §3.9: also on POST, PUT, PATCH).
fn projection(uri: &Uri) -> Result<Projection, ApiError> {
    let pairs = query_pairs(uri)?;
    let get = |n: &str| pairs.iter().rev().find(|(k, _)| k.eq_ignore_ascii_case(n)).map(|(_, v)| v.as_str());
    Projection::parse(get("attributes"), get("excludedAttributes"))
}

/// The answer for stored resource `id`: the stored text when nothing changes it on the way out (no computed
/// `groups`, no projection, nothing never-returned, no manager-as-string switch), which spares parsing and
/// serializing the resource per answer; otherwise rendered and presented.
fn answer_stored(
    state: &AppState,
    store: &Store,
    kind: Kind,
    id: &str,
    projection: &Projection,
    status: StatusCode,
    location: bool,
) -> Result<Reply, ApiError> {
    let stored =
        store.stored(kind, id).ok_or_else(|| ApiError::not_found(format!("{} `{id}` not found", kind.name())))?;
    if !answers_as_stored(state, kind, &stored, projection) {
        return Ok(Reply::resource(status, present(state, kind, stored.render(), projection), location));
    }
    Ok(Reply::Serialized {
        status,
        bytes: stored.json().as_bytes().to_vec(),
        location: location.then(|| stored.location()),
        etag: Some(stored.etag()),
    })
}

/// True when a stored resource is answered as its stored text.
fn answers_as_stored(state: &AppState, kind: Kind, stored: &Stored<'_>, projection: &Projection) -> bool {
    stored.reads_as_stored() && projection.selects_all() && !(kind == Kind::User && state.switches.manager_as_string)
}

fn read(state: &AppState) -> std::sync::RwLockReadGuard<'_, Store> {
    state.store.read().unwrap_or_else(PoisonError::into_inner)
}

fn write(state: &AppState) -> std::sync::RwLockWriteGuard<'_, Store> {
    state.store.write().unwrap_or_else(PoisonError::into_inner)
}

/// The decoded query parameters; an undecodable query string is a 400 rather than being ignored (ignoring a
/// `filter` would answer with every resource).
fn query_pairs(uri: &Uri) -> Result<Vec<(String, String)>, ApiError> {
    Query::<Vec<(String, String)>>::try_from_uri(uri)
        .map(|q| q.0)
        .map_err(|e| ApiError::bad(ScimType::InvalidSyntax, format!("cannot decode the query string: {e}")))
}

fn list(state: &AppState, kind: Kind, params: ListParams) -> Result<Reply, ApiError> {
    let count = params.count.unwrap_or(state.max_results).min(state.max_results);
    let opts = EvalOptions { case_exact: state.switches.case_exact_filters };
    let (total, page) = {
        let store = read(state);
        let start = defects::start_index(&state.switches, params.start_index);
        let (total, page) = store.query(kind, params.filter.as_ref(), opts, start, count);
        let texts: Vec<String> = page
            .into_iter()
            .map(|stored| {
                if answers_as_stored(state, kind, &stored, &params.projection) {
                    stored.json().to_string()
                } else {
                    let doc = present(state, kind, stored.render(), &params.projection);
                    serde_json::to_string(&doc).unwrap_or_default()
                }
            })
            .collect();
        (total, texts)
    };
    if total == 0 && state.switches.not_found_on_empty_query {
        return Err(ApiError::not_found(format!("no {} matches the query", kind.name())));
    }
    Ok(Reply::Serialized {
        status: StatusCode::OK,
        bytes: list_response(total, &page, params.start_index),
        location: None,
        etag: None,
    })
}

/// A `ListResponse` (as [`ListResponse`] serializes) around resources already serialized.
fn list_response(total: usize, resources: &[String], start_index: usize) -> Vec<u8> {
    let body = resources.iter().map(String::len).sum::<usize>() + resources.len();
    let mut out = Vec::with_capacity(body + 128);
    out.extend_from_slice(br#"{"schemas":["#);
    out.extend_from_slice(serde_json::to_string(model::LIST_RESPONSE_SCHEMA).unwrap_or_default().as_bytes());
    out.extend_from_slice(format!(r#"],"totalResults":{total},"Resources":["#).as_bytes());
    for (i, text) in resources.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(text.as_bytes());
    }
    out.extend_from_slice(format!(r#"],"startIndex":{start_index},"itemsPerPage":{}}}"#, resources.len()).as_bytes());
    out
}

/// A stored resource as the endpoint returns it.
fn present(state: &AppState, kind: Kind, doc: Value, projection: &Projection) -> Value {
    let mut out = projection.apply(doc);
    if kind == Kind::User && state.switches.manager_as_string {
        let ext = out.as_object_mut().and_then(|o| model::get_ci_mut(o, model::ENTERPRISE_USER_SCHEMA));
        if let Some(mgr) = ext.and_then(Value::as_object_mut).and_then(|e| model::get_ci_mut(e, "manager")) {
            if let Some(id) = mgr.get("value").cloned() {
                *mgr = id;
            }
        }
    }
    out
}

fn json_body(state: &AppState, headers: &HeaderMap, body: Result<Bytes, BytesRejection>) -> Result<Value, ApiError> {
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
    let bytes = body.map_err(|r| match r.status() {
        StatusCode::PAYLOAD_TOO_LARGE => {
            ApiError::new(413, None, format!("request body larger than the {} byte limit", state.max_body_bytes))
        }
        s => ApiError::new(s.as_u16(), Some(ScimType::InvalidSyntax), format!("cannot read the request body: {r}")),
    })?;
    serde_json::from_slice(&bytes)
        .map_err(|e| ApiError::bad(ScimType::InvalidSyntax, format!("malformed JSON body: {e}")))
}

fn scim_response(status: StatusCode, body: Vec<u8>) -> Response {
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = status;
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(model::SCIM_MEDIA_TYPE));
    r
}

fn render(reply: Reply) -> Response {
    match reply {
        Reply::NoContent => {
            let mut r = Response::new(Body::empty());
            *r.status_mut() = StatusCode::NO_CONTENT;
            r
        }
        Reply::NotModified(etag) => {
            let mut r = Response::new(Body::empty());
            *r.status_mut() = StatusCode::NOT_MODIFIED;
            if let Ok(v) = HeaderValue::from_str(&etag) {
                r.headers_mut().insert(header::ETAG, v);
            }
            r
        }
        Reply::Json { status, body, location, etag } => {
            render(Reply::Serialized { status, bytes: serde_json::to_vec(&body).unwrap_or_default(), location, etag })
        }
        Reply::Serialized { status, bytes, location, etag } => {
            let mut r = scim_response(status, bytes);
            for (name, value) in [(header::LOCATION, location), (header::ETAG, etag)] {
                if let Some(v) = value.and_then(|v| HeaderValue::from_str(&v).ok()) {
                    r.headers_mut().insert(name, v);
                }
            }
            r
        }
    }
}

/// A 200 whose body is cut in the middle of the JSON.
fn malformed(reply: Reply) -> Response {
    let full = match reply {
        Reply::Json { body, .. } => serde_json::to_vec(&body).unwrap_or_default(),
        Reply::Serialized { bytes, .. } => bytes,
        Reply::NoContent | Reply::NotModified(_) => {
            br#"{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"]}"#.to_vec()
        }
    };
    let cut = (full.len() / 2).max(1);
    scim_response(StatusCode::OK, full[..cut.min(full.len())].to_vec())
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn error_response(state: &AppState, e: &ApiError) -> Response {
    let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut r = if state.switches.html_errors {
        let title = format!("{} {}", status.as_u16(), status.canonical_reason().unwrap_or(""));
        let page = format!(
            "<!DOCTYPE html><html><head><title>{title}</title></head><body><h1>{title}</h1><p>{}</p></body></html>",
            html_escape(&e.detail)
        );
        let mut r = Response::new(Body::from(page));
        *r.status_mut() = status;
        r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
        r
    } else {
        scim_response(status, serde_json::to_vec(&e.body()).unwrap_or_default())
    };
    if status == StatusCode::UNAUTHORIZED {
        r.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"entrasim\""));
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::model::ListResponse;

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

    #[test]
    fn list_bodies_are_what_list_response_serializes() {
        let docs = [serde_json::json!({"id": "a", "x": [1, {"y": "é\""}]}), serde_json::json!({"id": "b"})];
        for page in [&docs[..], &docs[..1], &[]] {
            let texts: Vec<String> = page.iter().map(|d| serde_json::to_string(d).expect("json")).collect();
            let expected = ListResponse::new(7, page.to_vec(), 3);
            assert_eq!(list_response(7, &texts, 3), serde_json::to_vec(&expected).expect("json"));
        }
    }

    #[test]
    fn digests_compare() {
        assert!(same(&digest("a"), &digest("a")));
        assert!(!same(&digest("a"), &digest("b")));
    }
}
