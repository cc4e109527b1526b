//! JSON batching (`POST /v1.0/$batch`, `POST /beta/$batch`): up to twenty requests in one body, each
//! answered by the same routes a single request reaches, with the batch's own `Authorization`.
//!
//! The requests run one after another in the order given, so `dependsOn` always names requests already
//! run; one whose dependency did not succeed is answered `424 Failed Dependency` without running, as Graph
//! does. Each answer keeps its request's `id`, status, headers and JSON body.

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use serde_json::{json, Map, Value as Json};
use tower::ServiceExt;

use super::error::GraphError;

/// The most requests Graph takes in one batch.
pub const MAX_REQUESTS: usize = 20;
/// The largest answer body a batch keeps (a page of 999 users is well under it).
const MAX_ANSWER: usize = 64 * 1024 * 1024;

/// One request of the batch, checked.
struct Part {
    id: String,
    method: Method,
    url: String,
    headers: Vec<(HeaderName, HeaderValue)>,
    body: Option<Json>,
    depends_on: Vec<String>,
}

/// Runs the batch in `body` against `routes` (the whole Graph router) under `version`.
pub async fn run(routes: Router, version: &'static str, headers: HeaderMap, body: Bytes) -> Response {
    let parts = match parse(&body) {
        Ok(parts) => parts,
        Err(e) => return e.into_response(),
    };
    let mut answers: Vec<Json> = Vec::with_capacity(parts.len());
    let mut succeeded: Vec<(String, bool)> = Vec::new();
    for part in parts {
        let failed = part.depends_on.iter().find(|d| !succeeded.iter().any(|(id, ok)| id == *d && *ok));
        let answer = match failed {
            Some(dependency) => failed_dependency(&part.id, dependency),
            None => send(&routes, version, &headers, &part).await,
        };
        let status = answer["status"].as_u64().unwrap_or(500);
        succeeded.push((part.id, (200..300).contains(&status)));
        answers.push(answer);
    }
    axum::Json(json!({ "responses": answers })).into_response()
}

fn parse(body: &[u8]) -> Result<Vec<Part>, GraphError> {
    let doc: Json = serde_json::from_slice(body)
        .map_err(|e| GraphError::bad_request(format!("the batch body is not JSON: {e}")))?;
    let requests = doc
        .get("requests")
        .and_then(Json::as_array)
        .ok_or_else(|| GraphError::bad_request("a batch body is `{\"requests\": [...]}`"))?;
    if requests.is_empty() || requests.len() > MAX_REQUESTS {
        return Err(GraphError::bad_request(format!(
            "a batch holds 1 to {MAX_REQUESTS} requests, this one {}",
            requests.len()
        )));
    }
    let mut parts: Vec<Part> = Vec::with_capacity(requests.len());
    for (i, r) in requests.iter().enumerate() {
        let field = |name: &str| r.get(name).and_then(Json::as_str).map(str::to_string);
        let id = field("id")
            .ok_or_else(|| GraphError::bad_request(format!("request {} of the batch has no `id`", i + 1)))?;
        if parts.iter().any(|p| p.id == id) {
            return Err(GraphError::bad_request(format!("the batch has two requests with the id `{id}`")));
        }
        let method = field("method")
            .and_then(|m| Method::from_bytes(m.to_ascii_uppercase().as_bytes()).ok())
            .ok_or_else(|| GraphError::bad_request(format!("request `{id}` has no valid `method`")))?;
        let url = field("url").ok_or_else(|| GraphError::bad_request(format!("request `{id}` has no `url`")))?;
        if url.contains("://") || url.trim_start_matches('/').starts_with("$batch") {
            return Err(GraphError::bad_request(format!(
                "request `{id}`: a batch request's url is relative to the version (`/users/{{id}}`), and not another batch"
            )));
        }
        let mut headers = Vec::new();
        for (name, value) in r.get("headers").and_then(Json::as_object).into_iter().flatten() {
            let (Ok(name), Some(Ok(value))) =
                (HeaderName::from_bytes(name.as_bytes()), value.as_str().map(HeaderValue::from_str))
            else {
                return Err(GraphError::bad_request(format!("request `{id}` has an invalid header `{name}`")));
            };
            headers.push((name, value));
        }
        let depends_on: Vec<String> = match r.get("dependsOn") {
            None | Some(Json::Null) => Vec::new(),
            Some(Json::Array(ids)) => ids.iter().filter_map(Json::as_str).map(str::to_string).collect(),
            Some(_) => return Err(GraphError::bad_request(format!("request `{id}`: `dependsOn` is a list of ids"))),
        };
        if let Some(unknown) = depends_on.iter().find(|d| !parts.iter().any(|p| &p.id == *d)) {
            return Err(GraphError::bad_request(format!(
                "request `{id}` depends on `{unknown}`, which is not an earlier request of the batch"
            )));
        }
        let body = r.get("body").filter(|b| !b.is_null()).cloned();
        parts.push(Part { id, method, url, headers, body, depends_on });
    }
    Ok(parts)
}

async fn send(routes: &Router, version: &str, outer: &HeaderMap, part: &Part) -> Json {
    let uri = format!("/{version}/{}", escape(part.url.trim_start_matches('/')));
    let mut request = Request::builder().method(part.method.clone()).uri(&uri);
    for name in [header::AUTHORIZATION, header::HOST] {
        if let Some(value) = outer.get(&name) {
            request = request.header(name, value.clone());
        }
    }
    for (name, value) in &part.headers {
        request = request.header(name.clone(), value.clone());
    }
    let body = match &part.body {
        Some(b) => {
            request = request.header(header::CONTENT_TYPE, "application/json");
            Body::from(b.to_string())
        }
        None => Body::empty(),
    };
    let request = match request.body(body) {
        Ok(r) => r,
        Err(e) => return answer(&part.id, StatusCode::BAD_REQUEST, Map::new(), json!({"error": e.to_string()})),
    };
    let response = match routes.clone().oneshot(request).await {
        Ok(r) => r,
        Err(never) => match never {},
    };
    let status = response.status();
    let mut headers = Map::new();
    for (name, value) in response.headers() {
        if let Ok(v) = value.to_str() {
            headers.insert(name.to_string(), Json::String(v.to_string()));
        }
    }
    let bytes = axum::body::to_bytes(response.into_body(), MAX_ANSWER).await.unwrap_or_default();
    let body = if bytes.is_empty() {
        Json::Null
    } else {
        serde_json::from_slice(&bytes).unwrap_or_else(|_| Json::String(String::from_utf8_lossy(&bytes).into_owned()))
    };
    answer(&part.id, status, headers, body)
}

/// The url with what a URI cannot hold as it is (spaces, quotes, non-ASCII) percent-encoded: batch bodies
/// carry urls as people write them (`$orderby=displayName desc`).
fn escape(url: &str) -> String {
    let mut out = String::with_capacity(url.len());
    for byte in url.bytes() {
        if byte.is_ascii_graphic() && !b"\"<>\\^`{|}".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

fn failed_dependency(id: &str, dependency: &str) -> Json {
    let body = json!({"error": {"code": "FailedDependency",
        "message": format!("the request `{dependency}` this one depends on did not succeed")}});
    answer(id, StatusCode::FAILED_DEPENDENCY, Map::new(), body)
}

fn answer(id: &str, status: StatusCode, headers: Map<String, Json>, body: Json) -> Json {
    let mut out = Map::new();
    out.insert("id".into(), Json::String(id.to_string()));
    out.insert("status".into(), Json::from(status.as_u16()));
    out.insert("headers".into(), Json::Object(headers));
    if !body.is_null() {
        out.insert("body".into(), body);
    }
    Json::Object(out)
}
