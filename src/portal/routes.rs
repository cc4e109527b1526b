//! The portal's HTTP routes: the pages, their assets, and the troubleshooting table of log error codes.
//!
//! | route | answer |
//! |---|---|
//! | `GET /`, `/provision-on-demand`, `/users-and-groups`, `/attribute-mapping`, `/target`, `/provisioning-logs` | the pages |
//! | `GET /_portal/{asset}` | stylesheet and scripts |
//! | `GET /_portal/troubleshooting?code=C` | what a provisioning-log error code means and its usual fix (`logs::error_code_info`) |
//!
//! Everything else the pages read comes from the tenant on the same origin: Graph under `/v1.0`, and
//! `/_entrasim/status`, `/_entrasim/events`, `/_entrasim/exchanges`, `/_entrasim/mapping`.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;

use super::assets;
use super::config::PortalConfig;
use super::pages::{self, Page};

/// Pages may load scripts, styles and data from this origin only (and read the downloads they make);
/// nothing inline runs.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   connect-src 'self' blob:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// The portal as an axum router, to merge with the tenant's Graph API and `/_entrasim` routes.
pub fn router(config: PortalConfig) -> Router {
    let config = Arc::new(config);
    let mut router = Router::new();
    for page in Page::ALL {
        router = router
            .route(page.path(), get(move |State(c): State<Arc<PortalConfig>>| async move { page_response(&c, page) }));
    }
    router
        .route("/_portal/troubleshooting", get(troubleshooting))
        .route("/_portal/{asset}", get(asset))
        .with_state(config)
}

fn page_response(config: &PortalConfig, page: Page) -> Response {
    match pages::render(config, page) {
        Ok(html) => {
            let mut response = ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response();
            let headers = response.headers_mut();
            headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
            // The page carries a Graph token: keep it out of caches and referrers.
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
            headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
            response
        }
        Err(e) => {
            (StatusCode::INTERNAL_SERVER_ERROR, format!("the portal could not render this page: {e}")).into_response()
        }
    }
}

async fn asset(Path(name): Path<String>) -> Response {
    match assets::get(&name) {
        Some((kind, text)) => {
            ([(header::CONTENT_TYPE, kind), (header::X_CONTENT_TYPE_OPTIONS, "nosniff")], text).into_response()
        }
        None => (StatusCode::NOT_FOUND, format!("no portal asset `{name}`")).into_response(),
    }
}

/// `?code=EntryConflict`.
#[derive(Debug, Deserialize)]
struct Code {
    code: String,
}

async fn troubleshooting(Query(q): Query<Code>) -> Response {
    match crate::logs::error_code_info(&q.code) {
        Some(info) => Json(info).into_response(),
        None => (StatusCode::NOT_FOUND, format!("no troubleshooting entry for `{}`", q.code)).into_response(),
    }
}
