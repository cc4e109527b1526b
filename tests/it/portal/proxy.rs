//! One origin for the portal and a running tenant, for as long as `entrasim tenant` does not serve the
//! portal itself: the portal's routes are served here and every other request (Graph, `/_entrasim`,
//! the token endpoint) is passed to the tenant as it came, its answer streamed back (so the event
//! stream stays live).

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderName, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;

/// The portal's router with everything else passed on to `tenant` (`http://127.0.0.1:PORT`).
pub fn router(portal: Router, tenant: String) -> Router {
    let up = Upstream { base: tenant, http: reqwest::Client::new() };
    portal.fallback(move |request: Request| forward(up.clone(), request))
}

#[derive(Clone)]
struct Upstream {
    base: String,
    http: reqwest::Client,
}

const PASSED: [&str; 4] = ["authorization", "content-type", "accept", "last-event-id"];

async fn forward(up: Upstream, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let method = reqwest::Method::from_bytes(parts.method.as_str().as_bytes()).expect("an HTTP method");
    let mut outgoing = up.http.request(method, format!("{}{path}", up.base));
    for name in PASSED {
        if let Some(value) = parts.headers.get(name) {
            outgoing = outgoing.header(name, value.as_bytes());
        }
    }
    let bytes = axum::body::to_bytes(body, 16 << 20).await.unwrap_or_default();
    let answer = match outgoing.body(bytes.to_vec()).send().await {
        Ok(answer) => answer,
        Err(e) => return (StatusCode::BAD_GATEWAY, format!("the tenant did not answer {path}: {e}")).into_response(),
    };
    let mut response = Response::builder().status(answer.status().as_u16());
    for (name, value) in answer.headers() {
        if ["content-type", "cache-control", "request-id"].contains(&name.as_str()) {
            response =
                response.header(HeaderName::from_bytes(name.as_str().as_bytes()).expect("a header"), value.as_bytes());
        }
    }
    let chunks = futures::stream::unfold(answer, |mut answer| async move {
        match answer.chunk().await {
            Ok(Some(chunk)) => Some((Ok::<_, std::io::Error>(chunk), answer)),
            _ => None,
        }
    });
    response.body(Body::from_stream(chunks)).expect("a response")
}
