//! The portal's HTTP routes: the pages, their assets, and the tenant data Graph has no resource for.
//!
//! | route | answer |
//! |---|---|
//! | `GET /`, `/provision-on-demand`, `/users-and-groups`, `/attribute-mapping`, `/target`, `/provisioning-logs` | the pages |
//! | `GET /_portal/{asset}` | stylesheet and scripts |
//! | `GET /_portal/exchanges?from=N` | `{"total", "next", "html"}`: exchanges from `N` on, as the Target page lists them |
//! | `GET /_portal/troubleshooting?code=C` | what a provisioning-log error code means and its usual fix (`logs::error_code_info`) |
//! | `GET /_entrasim/target` | `{"url", "dialect", "embedded"}` |
//! | `GET /_entrasim/exchanges?from=N&limit=M` | `{"total", "exchanges": [{"index", "request", "status", "text"}]}` |

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use super::assets;
use super::config::PortalConfig;
use super::pages::{self, Page};

/// Pages may load scripts, styles and data from this origin only; nothing inline runs.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   connect-src 'self' blob:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// Most exchanges one `/_entrasim/exchanges` or `/_portal/exchanges` answer carries.
const PAGE_LIMIT: usize = 500;

/// The portal as an axum router, to merge with the tenant's Graph API and `/_entrasim/events`.
pub fn router(config: PortalConfig) -> Router {
    let config = Arc::new(config);
    let mut router = Router::new();
    for page in Page::ALL {
        router = router
            .route(page.path(), get(move |State(c): State<Arc<PortalConfig>>| async move { page_response(&c, page) }));
    }
    router
        .route("/_portal/exchanges", get(exchange_fragment))
        .route("/_portal/troubleshooting", get(troubleshooting))
        .route("/_portal/{asset}", get(asset))
        .route("/_entrasim/target", get(target))
        .route("/_entrasim/exchanges", get(exchanges))
        .with_state(config)
}

fn page_response(config: &PortalConfig, page: Page) -> Response {
    match pages::render(config, page) {
        Ok(html) => {
            let mut response = ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response();
            let headers = response.headers_mut();
            headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
            // The page carries the Graph token: keep it out of caches and referrers.
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
            headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
            response
        }
        Err(e) => render_error(&e),
    }
}

fn render_error(e: &askama::Error) -> Response {
    (StatusCode::INTERNAL_SERVER_ERROR, format!("the portal could not render this page: {e}")).into_response()
}

async fn asset(Path(name): Path<String>) -> Response {
    match assets::get(&name) {
        Some((kind, text)) => {
            ([(header::CONTENT_TYPE, kind), (header::X_CONTENT_TYPE_OPTIONS, "nosniff")], text).into_response()
        }
        None => (StatusCode::NOT_FOUND, format!("no portal asset `{name}`")).into_response(),
    }
}

/// `?from=N&limit=M`.
#[derive(Debug, Deserialize)]
struct Range {
    #[serde(default)]
    from: usize,
    limit: Option<usize>,
}

async fn target(State(config): State<Arc<PortalConfig>>) -> Json<super::config::Target> {
    Json(config.data.target())
}

async fn exchanges(State(config): State<Arc<PortalConfig>>, Query(range): Query<Range>) -> Json<serde_json::Value> {
    let total = config.data.exchange_count();
    let limit = range.limit.unwrap_or(PAGE_LIMIT).min(PAGE_LIMIT);
    let items = config.data.exchanges(range.from, limit);
    let list: Vec<_> = items
        .iter()
        .enumerate()
        .map(|(i, x)| json!({ "index": range.from + i, "request": x.request, "status": x.status, "text": x.text }))
        .collect();
    Json(json!({ "total": total, "exchanges": list }))
}

async fn exchange_fragment(State(config): State<Arc<PortalConfig>>, Query(range): Query<Range>) -> Response {
    let total = config.data.exchange_count();
    // A client that fell far behind skips to the newest page instead of downloading everything.
    let from = range.from.max(total.saturating_sub(pages::EXCHANGES_SHOWN));
    let items = config.data.exchanges(from, PAGE_LIMIT);
    match pages::render_exchanges(&items) {
        Ok(html) => Json(
            json!({ "total": total, "skipped": from - range.from.min(from), "next": from + items.len(), "html": html }),
        )
        .into_response(),
        Err(e) => render_error(&e),
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
