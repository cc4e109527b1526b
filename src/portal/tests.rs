//! The portal's routes served on 127.0.0.1, read with an HTTP client: pages, assets, the tenant data.

use std::sync::{Arc, Mutex};

use super::*;
use crate::report::html::ExchangeText;

struct Fake(Mutex<Vec<ExchangeText>>);

impl PortalData for Fake {
    fn target(&self) -> Target {
        Target {
            url: "https://scim.example.com/v2?aadOptscim062020".into(),
            dialect: "compliant".into(),
            embedded: false,
        }
    }
    fn exchange_count(&self) -> usize {
        self.0.lock().unwrap().len()
    }
    fn exchanges(&self, from: usize, limit: usize) -> Vec<ExchangeText> {
        self.0.lock().unwrap().iter().skip(from).take(limit).cloned().collect()
    }
}

fn exchange(n: usize) -> ExchangeText {
    ExchangeText {
        request: format!("GET /Users?filter=userName eq \"user{n}@contoso.com\""),
        status: Some(200),
        text: format!("→ GET /Users?filter=userName eq \"user{n}@contoso.com\"\n← 200 <script>x</script>"),
    }
}

async fn serve(exchanges: usize) -> (String, Arc<Fake>) {
    let data = Arc::new(Fake(Mutex::new((0..exchanges).map(exchange).collect())));
    let app = router(PortalConfig {
        access_token: "tok\"en<secret>".into(),
        service_principal_id: "sp-1".into(),
        job_id: "scim.0a1b.job".into(),
        tenant_id: "tenant-1".into(),
        app_name: "Contoso <b>\"SCIM\"</b> & co".into(),
        data: data.clone(),
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
    (url, data)
}

async fn get(url: &str) -> reqwest::Response {
    reqwest::get(url).await.unwrap_or_else(|e| panic!("GET {url}: {e}"))
}

#[tokio::test]
async fn every_page_is_served_in_the_blade_frame_with_its_menu_entry_current() {
    let (url, _) = serve(0).await;
    for page in Page::ALL {
        let response = get(&format!("{url}{}", page.path())).await;
        assert_eq!(response.status(), 200, "{page:?}");
        let csp = response.headers()["content-security-policy"].to_str().unwrap().to_string();
        assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"), "{csp}");
        assert_eq!(response.headers()["cache-control"], "no-store", "the page carries the token");
        let html = response.text().await.unwrap();
        assert!(html.contains(&format!("data-page=\"{}\"", page.key())));
        assert!(html.contains(&format!("href=\"{}\" aria-current=\"page\"", page.path())), "{page:?} is current");
        assert!(html.contains(&format!("/_portal/{}", assets::script_of(page))));
        assert!(!html.contains("<script>") && !html.contains("style=\""), "nothing inline for the CSP to block");
    }
}

#[tokio::test]
async fn names_and_the_token_are_escaped() {
    let (url, _) = serve(0).await;
    let html = get(&format!("{url}/")).await.text().await.unwrap();
    assert!(!html.contains("<b>\"SCIM\"</b>"), "the app name is escaped");
    assert!(html.contains("Contoso &#60;b&#62;&#34;SCIM&#34;&#60;/b&#62; &#38; co"));
    assert!(html.contains("<meta name=\"entrasim:token\" content=\"tok&#34;en&#60;secret&#62;\">"));
}

#[tokio::test]
async fn the_target_page_lists_the_newest_exchanges_and_later_ones_come_as_fragments() {
    let (url, data) = serve(pages::EXCHANGES_SHOWN + 5).await;
    let html = get(&format!("{url}/target")).await.text().await.unwrap();
    assert!(html.contains("https://scim.example.com/v2?aadOptscim062020") && html.contains("compliant"));
    assert_eq!(html.matches("<details class=\"exchange\">").count(), pages::EXCHANGES_SHOWN);
    assert!(html.contains("user5@contoso.com") && !html.contains("\"user4@contoso.com"), "the newest are shown");
    assert!(html.contains("The 5 earliest are not shown."));
    assert!(html.contains("&#60;script&#62;x") && !html.contains("<script>x"), "exchange text is escaped");
    let next = pages::EXCHANGES_SHOWN + 5;
    assert!(html.contains(&format!("data-next=\"{next}\"")));

    data.0.lock().unwrap().push(exchange(999));
    let page: serde_json::Value = get(&format!("{url}/_portal/exchanges?from={next}")).await.json().await.unwrap();
    assert_eq!(page["total"], next + 1);
    assert_eq!(page["next"], next + 1);
    assert_eq!(page["html"].as_str().unwrap().matches("<details class=\"exchange\">").count(), 1);
    assert!(page["html"].as_str().unwrap().contains("user999@contoso.com"));
}

#[tokio::test]
async fn the_tenant_data_is_served_as_json() {
    let (url, _) = serve(3).await;
    let target: serde_json::Value = get(&format!("{url}/_entrasim/target")).await.json().await.unwrap();
    assert_eq!(target["dialect"], "compliant");
    let list: serde_json::Value = get(&format!("{url}/_entrasim/exchanges?from=1&limit=1")).await.json().await.unwrap();
    assert_eq!(list["total"], 3);
    assert_eq!(list["exchanges"][0]["index"], 1);
    assert_eq!(list["exchanges"][0]["status"], 200);
    assert_eq!(list["exchanges"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn troubleshooting_explains_known_codes_even_with_an_app_prefix() {
    let (url, _) = serve(0).await;
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
fn the_config_never_prints_its_token() {
    let config = PortalConfig {
        access_token: "s3cr3t-token".into(),
        service_principal_id: "sp".into(),
        job_id: "job".into(),
        tenant_id: "t".into(),
        app_name: "app".into(),
        data: Arc::new(Fake(Mutex::new(Vec::new()))),
    };
    assert!(!format!("{config:?}").contains("s3cr3t"));
}
