//! Request handling: one service function for every request, which reads the body, authenticates, injects
//! faults, checks the body, routes by path segment and hands the answer to [`reply`](crate::server::reply).
//! Routing by hand keeps every answer — unknown routes, wrong methods, bodies that are too large or not JSON —
//! a SCIM error body with `Content-Type: application/scim+json`. It is served without axum's `Router`, whose
//! layers, extractors (copies of the URI and headers) and futures cost ~4,200 instructions a request; what the
//! router did around a handler, [`service`] does: the body read with the `DefaultBodyLimit` in the request's
//! extensions, `Content-Length` from the body, the body dropped for `HEAD`.

use std::borrow::Cow;
use std::convert::Infallible;
use std::sync::atomic::Ordering;
use std::sync::{Arc, PoisonError};
use std::time::Duration;

use axum::body::{Body, Bytes, HttpBody};
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, Request};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::Response;
use serde_json::Value;

use crate::server::defects::{self, omit_from_discovery};
use crate::server::discovery;
use crate::server::error::ApiError;
use crate::server::present::{answer_stored, list};
use crate::server::query::ListParams;
use crate::server::reply::{error_response, malformed, render, Reply};
use crate::server::request::{
    body_bytes, json_body, kind_of, parse_json, patch_request, percent_decode, projection, query_pairs, strip_base,
};
use crate::server::state::{AppState, BASE_PATH, HANG};
use crate::server::store::{self, Kind};
use crate::server::switches::Fault;

/// The service every request goes to: the request's parts are moved out (not copied), the body is read
/// whole within the body limit before anything else (as an axum extractor read it), and the answer gets
/// what axum's router gave a handler's answer.
pub(crate) async fn service(state: Arc<AppState>, request: Request) -> Result<Response, Infallible> {
    let (mut parts, body) = request.into_parts();
    // An empty body (a GET's, a DELETE's) reads as empty bytes without the reading machinery.
    let body = if body.is_end_stream() {
        Ok(Bytes::new())
    } else {
        let mut limited = Request::new(body);
        *limited.extensions_mut() = std::mem::take(&mut parts.extensions);
        Bytes::from_request(limited, &()).await
    };
    let mut response = handle(&state, &parts.method, &parts.uri, &parts.headers, body).await;
    // The router set `Content-Length` from the body's size. For a body with content, hyper writes the same
    // line in the same place (after the answer's headers) when the header is missing; an empty body and the
    // answer to `HEAD` (sent without its body) get the header as the router gave it.
    let size = response.body().size_hint().exact();
    if size == Some(0) || parts.method == Method::HEAD {
        if let Some(size) = size.filter(|_| !response.headers().contains_key(header::CONTENT_LENGTH)) {
            response.headers_mut().insert(header::CONTENT_LENGTH, HeaderValue::from(size));
        }
    }
    if parts.method == Method::HEAD {
        *response.body_mut() = Body::empty();
    }
    Ok(response)
}

/// The answer to one request whose body has been read.
async fn handle(
    state: &AppState,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    if state.switches.latency_ms > 0 {
        tokio::time::sleep(Duration::from_millis(state.switches.latency_ms)).await;
    }
    let path = uri.path();
    let Some(rest) = strip_base(path) else {
        let e = ApiError::not_found(format!("no SCIM endpoint at `{path}` (the endpoints are under {BASE_PATH})"));
        return error_response(state, &e);
    };
    if !state.bearer.admits(headers) {
        let e = ApiError::new(401, None, "missing or invalid bearer token");
        return error_response(state, &e);
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
            return error_response(state, &ApiError::new(503, None, "simulated timeout: no answer in time"));
        }
        Some(Fault::RateLimit) => {
            let mut r = error_response(state, &ApiError::new(429, None, "simulated rate limit"));
            r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(faults.retry_after_secs));
            return r;
        }
        Some(Fault::Error) => {
            return error_response(state, &ApiError::new(500, None, "simulated internal server error"));
        }
        Some(Fault::Malformed) | None => {}
    }
    let result = route(state, method, rest, uri, headers, body);
    match (result, fault) {
        (Ok(reply), Some(Fault::Malformed)) => malformed(reply),
        (Ok(reply), _) => render(reply),
        (Err(e), _) => error_response(state, &e),
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
    let segs: Vec<Cow<'_, str>> = rest.split('/').filter(|s| !s.is_empty()).map(percent_decode).collect();
    let segs: Vec<&str> = segs.iter().map(|s| s.as_ref()).collect();
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
                ([], Method::GET) => list(state, kind, ListParams::from_query(kind, &query_pairs(uri))?),
                ([], Method::POST) => {
                    let projection = projection(uri)?;
                    let bytes = body_bytes(state, headers, body)?;
                    // A user body in the common form is written straight into its stored text.
                    let (id, store) = match state.shaping.read_create(kind, &bytes) {
                        Some(create) => {
                            let mut store = state.write();
                            (store.create_direct(create)?, store)
                        }
                        None => {
                            let doc = state.shaping.prepare(kind, parse_json(&bytes)?)?;
                            let mut store = state.write();
                            (store.create_prepared(kind, doc)?, store)
                        }
                    };
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
            let store = state.read();
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
            let mut store = state.write();
            store.precondition(kind, id, if_match)?;
            store.replace_prepared(kind, id, doc)?;
            answer_stored(state, &store, kind, id, &projection, StatusCode::OK, false)
        }
        Method::PATCH => {
            let projection = projection(uri)?;
            let req = patch_request(&state.switches, kind, &body_bytes(state, headers, body)?)?;
            let operations = defects::patch_operations(&state.switches, kind, req.operations)?;
            let mut store = state.write();
            store.precondition(kind, id, if_match)?;
            store.patch_in_place(kind, id, &operations)?;
            if kind == Kind::Group && !state.switches.group_patch_returns_resource {
                // 204: no copy of a possibly huge member list is made for the answer.
                return Ok(Reply::NoContent);
            }
            answer_stored(state, &store, kind, id, &projection, StatusCode::OK, false)
        }
        Method::DELETE => {
            let mut store = state.write();
            if store.stored(kind, id).is_none() && state.tombstones.delete_succeeds(&state.switches, id) {
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
