//! The portal (the provisioning blade `entrasim tenant` serves) in headless Chromium: see a cycle
//! complete on the Overview, provision a user on demand by clicking and read the five steps, filter the
//! provisioning logs and open an entry, download the logs in the formats `entrasim logs` reads, and
//! check desktop (1280 px) and phone (390 px) layouts. Screenshots land in `target/screenshots/portal-*`.
//!
//! Two tenants: the real one (`tenant::start`, the engine and the Graph surface behind the pages), and
//! a fixture that answers in the shapes of Microsoft's Graph documentation, so the pages are also held
//! to what real Graph returns.

mod fixture;
mod graph_shapes;
mod live;

use std::time::Duration;

use serde_json::json;

use crate::browser::Browser;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime")
}

/// Serves `router` on 127.0.0.1 with an OS-picked port; returns its base URL.
async fn serve(router: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind 127.0.0.1:0");
    let addr = listener.local_addr().expect("local address");
    tokio::spawn(async move { axum::serve(listener, router).await.expect("serve") });
    format!("http://{addr}")
}

/// Waits until `script` (an expression) is truthy; a generous bound, not a speed assertion.
async fn wait_for(b: &Browser, what: &str, script: &str) {
    for _ in 0..600 {
        if b.js(&format!("return Boolean({script});")).await == json!(true) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let text = b.js("return document.querySelector('main').innerText;").await;
    panic!("timed out waiting for {what} (`{script}`); the page shows:\n{}", text.as_str().unwrap_or_default());
}

async fn text(b: &Browser, selector: &str) -> String {
    b.css(selector).await.text().await.unwrap_or_else(|e| panic!("text of `{selector}`: {e}"))
}

async fn click(b: &Browser, selector: &str) {
    b.css(selector).await.click().await.unwrap_or_else(|e| panic!("click `{selector}`: {e}"));
}

/// At a phone's width the page does not scroll sideways.
async fn assert_fits(b: &Browser, width: u32) {
    b.width(width).await;
    let (page, view) = (
        b.js("return document.documentElement.scrollWidth;").await,
        b.js("return document.documentElement.clientWidth;").await,
    );
    if page.as_u64() > view.as_u64() {
        let wide = b
            .js("return [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > window.innerWidth + 1 )
                 .slice(0, 12).map(e => e.tagName + '#' + e.id + '.' + e.className + ':' + Math.round(e.getBoundingClientRect().right) + ' in ' + (e.closest('.table-wrap, .menu, .tabs') || {}).className);")
            .await;
        let url = b.client.current_url().await.map(|u| u.to_string()).unwrap_or_default();
        panic!("at {width} px {url} is wider ({page}) than the window ({view}); too wide: {wide}");
    }
}

/// Everything the page loaded came from the tenant itself.
async fn assert_same_origin(b: &Browser, base: &str) {
    let resources = b.js("return performance.getEntriesByType('resource').map(e => e.name);").await;
    for r in resources.as_array().into_iter().flatten() {
        let r = r.as_str().unwrap_or_default();
        assert!(r.starts_with(base), "the portal loaded {r} from outside the tenant");
    }
}

/// The page met no script error (the portal records the ones it got past in `Portal.problems`).
async fn assert_no_problems(b: &Browser) {
    let problems = b.js("return window.Portal ? window.Portal.problems : ['portal.js did not load'];").await;
    let url = b.client.current_url().await.map(|u| u.to_string()).unwrap_or_default();
    assert_eq!(problems, json!([]), "script problems on {url}");
}

/// The downloads the logs page offers, read back through their blob URLs.
async fn downloads(b: &Browser) -> Vec<(String, String)> {
    let files = b
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             const links = [...document.querySelectorAll('#download-dialog a[download]')];
             Promise.all(links.map(a => fetch(a.href).then(r => r.text()).then(t => [a.download, t])))
               .then(done, e => done([['error', String(e)]]));",
            vec![],
        )
        .await
        .expect("download links read");
    serde_json::from_value(files).expect("name and text of each download")
}

/// A browser profile directory, removed on drop.
struct Profile(std::path::PathBuf);

impl Profile {
    fn new(name: &str) -> Profile {
        let dir = std::env::temp_dir().join(format!("entrasim-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temporary directory");
        Profile(dir)
    }
}

impl Drop for Profile {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
