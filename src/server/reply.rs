//! Answers on the wire: a successful [`Reply`] rendered as a response with the SCIM media type, `Location`
//! and `ETag`; an [`ApiError`] as a SCIM error body (or the HTML page of the `html_errors` switch); and the
//! cut-off body of the `malformed` fault.

use axum::body::Body;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::Response;
use serde_json::Value;

use crate::scim::model;
use crate::server::error::ApiError;
use crate::server::state::AppState;

/// A successful answer before rendering.
pub(crate) enum Reply {
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
    pub fn ok(body: Value) -> Self {
        Reply::Json { status: StatusCode::OK, body, location: None, etag: None }
    }

    pub fn resource(status: StatusCode, body: Value, location: bool) -> Self {
        let etag = body.pointer("/meta/version").and_then(Value::as_str).map(str::to_string);
        let location =
            location.then(|| body.pointer("/meta/location").and_then(Value::as_str).map(str::to_string)).flatten();
        Reply::Json { status, body, location, etag }
    }
}

fn scim_response(status: StatusCode, body: Vec<u8>) -> Response {
    let mut r = Response::new(Body::from(body));
    *r.status_mut() = status;
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(model::SCIM_MEDIA_TYPE));
    r
}

pub(crate) fn render(reply: Reply) -> Response {
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
pub(crate) fn malformed(reply: Reply) -> Response {
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

pub(crate) fn error_response(state: &AppState, e: &ApiError) -> Response {
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
