//! The portal's routes served on 127.0.0.1, read with an HTTP client: pages, assets, troubleshooting.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use super::*;

fn config(app_name: &str, minted: Arc<AtomicUsize>) -> PortalConfig {
    PortalConfig {
        access_token: Arc::new(move || format!("tok\"en<{}>", minted.fetch_add(1, Ordering::Relaxed))),
        service_principal_id: "sp-1".into(),
        job_id: "scim.0a1b.job".into(),
        tenant_id: "tenant-1".into(),
        app_name: app_name.into(),
    }
}

async fn serve(config: PortalConfig) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    let app = router(config);
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
    url
}

async fn get(url: &str) -> reqwest::Response {
    reqwest::get(url).await.unwrap_or_else(|e| panic!("GET {url}: {e}"))
}

#[tokio::test]
async fn every_page_is_served_in_the_blade_frame_with_its_menu_entry_current() {
    let url = serve(config("Contoso", Arc::default())).await;
    for page in Page::ALL {
        let response = get(&format!("{url}{}", page.path())).await;
        assert_eq!(response.status(), 200, "{page:?}");
        let csp = response.headers()["content-security-policy"].to_str().unwrap().to_string();
        assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"), "{csp}");
        assert_eq!(response.headers()["cache-control"], "no-store", "the page carries a token");
        let html = response.text().await.unwrap();
        assert!(html.contains(&format!("data-page=\"{}\"", page.key())));
        assert!(html.contains(&format!("href=\"{}\" aria-current=\"page\"", page.path())), "{page:?} is current");
        assert!(html.contains(&format!("/_portal/{}", assets::script_of(page))));
        assert!(!html.contains("<script>") && !html.contains("style=\""), "nothing inline for the CSP to block");
        assert!(html
            .contains(&format!("<meta name=\"entrasim:page-size\" content=\"{}\">", crate::engine::result::PAGE_SIZE)));
    }
}

#[tokio::test]
async fn each_page_gets_a_fresh_token_and_names_are_escaped() {
    let minted = Arc::new(AtomicUsize::new(0));
    let url = serve(config("Contoso <b>\"SCIM\"</b> & co", minted.clone())).await;
    let first = get(&format!("{url}/")).await.text().await.unwrap();
    let second = get(&format!("{url}/")).await.text().await.unwrap();
    assert_eq!(minted.load(Ordering::Relaxed), 2, "one token per page served");
    assert!(first.contains("<meta name=\"entrasim:token\" content=\"tok&#34;en&#60;0&#62;\">"), "escaped");
    assert!(second.contains("content=\"tok&#34;en&#60;1&#62;\""));
    assert!(!first.contains("<b>\"SCIM\"</b>"), "the app name is escaped");
    assert!(first.contains("Contoso &#60;b&#62;&#34;SCIM&#34;&#60;/b&#62; &#38; co"));
}

#[tokio::test]
async fn troubleshooting_explains_known_codes_even_with_an_app_prefix() {
    let url = serve(config("Contoso", Arc::default())).await;
    let info: serde_json::Value =
        get(&format!("{url}/_portal/troubleshooting?code=ContosoEntryConflict")).await.json().await.unwrap();
    assert_eq!(info["code"], "EntryConflict");
    assert_eq!(info["http"], 409);
    assert_eq!(get(&format!("{url}/_portal/troubleshooting?code=NoSuchCode")).await.status(), 404);
    assert_eq!(get(&format!("{url}/_portal/nothing.js")).await.status(), 404);
    let css = get(&format!("{url}/_portal/portal.css")).await;
    assert!(css.headers()["content-type"].to_str().unwrap().starts_with("text/css"));
}

#[test]
fn the_config_never_prints_a_token() {
    let config = PortalConfig { access_token: Arc::new(|| "s3cr3t-token".into()), ..config("app", Arc::default()) };
    assert!(!format!("{config:?}").contains("s3cr3t"));
}

#[tokio::test]
async fn the_portal_merges_with_routes_shaped_like_the_tenants() {
    // The tenant serves the token endpoint under a tenant id segment, Graph under /v1.0 and /beta with a
    // fallback, and its own routes under /_entrasim: none of them may clash with the portal's.
    use axum::routing;
    let tenant = axum::Router::new()
        .route("/{tenant}/oauth2/v2.0/token", routing::post(|| async { "token" }))
        .route("/v1.0/{*rest}", routing::get(|| async { "graph" }))
        .route("/beta/{*rest}", routing::get(|| async { "graph" }))
        .route("/_entrasim/status", routing::get(|| async { "status" }))
        .fallback(|| async { (axum::http::StatusCode::NOT_FOUND, "unknown") });
    let app = tenant.merge(router(config("Contoso", Arc::default())));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
    assert!(get_text(&format!("{url}/target")).await.contains("data-page=\"target\""));
    assert_eq!(get_text(&format!("{url}/v1.0/users")).await, "graph");
    assert_eq!(get_text(&format!("{url}/_entrasim/status")).await, "status");
    assert!(get(&format!("{url}/_portal/portal.js")).await.status().is_success());
    let token = reqwest::Client::new().post(format!("{url}/t1/oauth2/v2.0/token")).send().await.unwrap();
    assert_eq!(token.text().await.unwrap(), "token");
}

async fn get_text(url: &str) -> String {
    get(url).await.text().await.unwrap()
}
