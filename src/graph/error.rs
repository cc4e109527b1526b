//! Graph's error answers: `{"error": {"code", "message", "innerError": {"date", "request-id",
//! "client-request-id"}}}`, and the request ids every answer carries.
//!
//! Handlers return a [`GraphError`] (status, code, message). The [`request_ids`] middleware gives every
//! request a `request-id` (echoing the caller's `client-request-id`, or reusing the request id), sets both
//! as response headers, and writes the error body with them. Answers that did not come from a handler
//! (an axum extractor's rejection, an unknown route) get the same body, so a caller never sees plain text.
//! It also keeps the request's URI as sent, for the links `odata` writes.

use axum::body::{to_bytes, Body};
use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::backend::BackendError;

/// An error answer: HTTP status, Graph's error code and a message naming what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphError {
    /// HTTP status.
    pub status: StatusCode,
    /// Graph's `error.code`.
    pub code: String,
    /// Graph's `error.message`.
    pub message: String,
}

impl GraphError {
    /// Any status and code.
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        GraphError { status, code: code.to_string(), message: message.into() }
    }

    /// 400 `Request_BadRequest`.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "Request_BadRequest", message)
    }

    /// 404 `Request_ResourceNotFound` for an object id that names nothing.
    pub fn not_found(id: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "Request_ResourceNotFound",
            format!("Resource '{id}' does not exist or one of its queried reference-property objects are not present."),
        )
    }

    /// 401 `InvalidAuthenticationToken`.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "InvalidAuthenticationToken", message)
    }
}

impl From<BackendError> for GraphError {
    fn from(e: BackendError) -> Self {
        let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        GraphError { status, code: e.code, message: e.message }
    }
}

/// The code and message of an error answer, left in the response for [`request_ids`] to render.
#[derive(Debug, Clone)]
struct Pending {
    code: String,
    message: String,
}

impl IntoResponse for GraphError {
    fn into_response(self) -> Response {
        let mut response = self.status.into_response();
        response.extensions_mut().insert(Pending { code: self.code, message: self.message });
        response
    }
}

/// The largest error body of a non-Graph rejection that is quoted into the message.
const QUOTED_LIMIT: usize = 4096;

/// Middleware: request ids on every answer, and Graph's error body on every error answer.
pub async fn request_ids(mut request: Request, next: Next) -> Response {
    let uri = request.uri().clone();
    request.extensions_mut().insert(super::odata::RequestUri(uri));
    let request_id = uuid::Uuid::new_v4().to_string();
    let client_request_id = request
        .headers()
        .get("client-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 128)
        .map_or_else(|| request_id.clone(), str::to_string);
    let mut response = next.run(request).await;
    let pending = match response.extensions_mut().remove::<Pending>() {
        Some(p) => Some(p),
        None if response.status().is_client_error() || response.status().is_server_error() => {
            Some(foreign_error(&mut response).await)
        }
        None => None,
    };
    if let Some(Pending { code, message }) = pending {
        let body = json!({"error": {
            "code": code,
            "message": message,
            "innerError": {
                "date": chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S").to_string(),
                "request-id": request_id,
                "client-request-id": client_request_id,
            }
        }});
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        headers.remove(header::CONTENT_LENGTH);
        *response.body_mut() = Body::from(body.to_string());
    }
    for (name, value) in [("request-id", request_id), ("client-request-id", client_request_id)] {
        if let Ok(v) = HeaderValue::from_str(&value) {
            response.headers_mut().insert(name, v);
        }
    }
    response
}

/// The code and message for an error answer axum made (a rejected path, query or body).
async fn foreign_error(response: &mut Response) -> Pending {
    let body = std::mem::take(response.body_mut());
    let text = to_bytes(body, QUOTED_LIMIT).await.map(|b| String::from_utf8_lossy(&b).trim().to_string());
    let status = response.status();
    let code = match status {
        StatusCode::UNAUTHORIZED => "InvalidAuthenticationToken",
        StatusCode::NOT_FOUND => "Request_ResourceNotFound",
        StatusCode::METHOD_NOT_ALLOWED => "Request_BadRequest",
        s if s.is_client_error() => "Request_BadRequest",
        _ => "InternalServerError",
    };
    let message = match text {
        Ok(t) if !t.is_empty() => t,
        _ => status.canonical_reason().unwrap_or("error").to_string(),
    };
    Pending { code: code.to_string(), message }
}
