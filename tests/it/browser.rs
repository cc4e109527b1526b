//! Headless Chromium for the HTML report's tests, driven through chromedriver (the W3C `WebDriver` protocol) with
//! fantoccini. chromedriver listens on 127.0.0.1 with a port the OS picks; Chromium gets a fresh profile
//! and every flag that keeps it off the network. Screenshots go to `target/screenshots/` (git-ignored),
//! which CI keeps as build artifacts. A missing browser fails the test and names the setup script.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use fantoccini::{Client, ClientBuilder, Locator};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// A browser session; chromedriver (and with it Chromium) is stopped on drop.
pub struct Browser {
    pub client: Client,
    driver: Child,
    width: std::sync::atomic::AtomicU32,
}

impl Browser {
    /// Starts chromedriver and a headless Chromium whose profile lives in `profile`.
    pub async fn start(profile: &Path) -> Browser {
        for binary in [CHROMIUM, CHROMEDRIVER] {
            assert!(
                Path::new(binary).exists(),
                "{binary} is missing: the HTML report's browser tests need Chromium and chromedriver; \
                 run tests/run.sh (it installs them through tests/setup/chromium.sh)"
            );
        }
        let mut driver = Command::new(CHROMEDRIVER)
            .args(["--port=0", "--allowed-ips=127.0.0.1", "--log-level=SEVERE"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let port = driver_port(&mut driver);
        let profile = profile.join("chromium-profile");
        std::fs::create_dir_all(&profile).expect("profile directory");
        let args = serde_json::json!([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--hide-scrollbars",
            format!("--user-data-dir={}", profile.display()),
            "--window-size=1280,900",
        ]);
        let mut caps = serde_json::Map::new();
        caps.insert("browserName".into(), "chrome".into());
        caps.insert("goog:chromeOptions".into(), serde_json::json!({ "binary": CHROMIUM, "args": args }));
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = ClientBuilder::new(connector)
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .expect("a Chromium session through chromedriver");
        let browser = Browser { client, driver, width: 1280.into() };
        browser.width(1280).await;
        browser
    }

    /// Opens a local file.
    pub async fn open(&self, file: &Path) {
        let url = format!("file://{}", file.canonicalize().expect("report exists").display());
        self.client.goto(&url).await.expect("the page loads");
    }

    /// Sets the viewport (a phone's when narrow) through the `DevTools` protocol: headless Chromium will
    /// not make a window narrower than 500 px.
    pub async fn viewport(&self, width: u32, height: u32) {
        let params = serde_json::json!({
            "width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600,
        });
        self.client
            .issue_cmd(Cdp { cmd: "Emulation.setDeviceMetricsOverride", params })
            .await
            .expect("viewport set through chromedriver");
        self.width.store(width, std::sync::atomic::Ordering::Relaxed);
    }

    /// Sets the viewport width.
    pub async fn width(&self, width: u32) {
        self.viewport(width, 900).await;
    }

    /// A screenshot of the whole page at the current width into `target/screenshots/NAME.png`.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let height = self
            .client
            .execute("return document.documentElement.scrollHeight;", vec![])
            .await
            .ok()
            .and_then(|v| v.as_u64())
            .unwrap_or(900)
            .clamp(600, 6000) as u32;
        let width = self.width.load(std::sync::atomic::Ordering::Relaxed);
        self.viewport(width, height).await;
        let png = self.client.screenshot().await.expect("screenshot");
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
        std::fs::create_dir_all(&dir).expect("screenshot directory");
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).expect("screenshot written");
        self.viewport(width, 900).await;
        path
    }

    /// A screenshot of what the window shows now (the top of the page unless scrolled).
    pub async fn screenshot_view(&self, name: &str) -> PathBuf {
        let png = self.client.screenshot().await.expect("screenshot");
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
        std::fs::create_dir_all(&dir).expect("screenshot directory");
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).expect("screenshot written");
        path
    }

    /// The element matching a CSS selector.
    pub async fn css(&self, selector: &str) -> fantoccini::elements::Element {
        self.client.find(Locator::Css(selector)).await.unwrap_or_else(|e| panic!("no `{selector}` on the page: {e}"))
    }

    /// Runs JavaScript and returns its value.
    pub async fn js(&self, script: &str) -> serde_json::Value {
        self.client.execute(script, vec![]).await.unwrap_or_else(|e| panic!("script `{script}` failed: {e}"))
    }

    /// Ends the session and stops chromedriver.
    pub async fn close(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
    }
}

/// A `DevTools` command through chromedriver's `goog/cdp/execute` endpoint.
#[derive(Debug)]
struct Cdp {
    cmd: &'static str,
    params: serde_json::Value,
}

impl fantoccini::wd::WebDriverCompatibleCommand for Cdp {
    fn endpoint(&self, base: &url::Url, session: Option<&str>) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/goog/cdp/execute", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        let body = serde_json::json!({ "cmd": self.cmd, "params": self.params });
        (http::Method::POST, Some(body.to_string()))
    }
}

/// Reads chromedriver's `... started successfully on port N.` line.
fn driver_port(driver: &mut Child) -> u16 {
    let stdout = driver.stdout.take().expect("piped stdout");
    let mut lines = BufReader::new(stdout).lines();
    for line in lines.by_ref() {
        let line = line.expect("chromedriver output");
        if let Some(rest) = line.split("started successfully on port ").nth(1) {
            let port = rest.trim_end_matches('.').trim().parse().expect("a port number");
            // Keep draining its output so chromedriver never blocks on a full pipe.
            std::thread::spawn(move || lines.for_each(drop));
            return port;
        }
    }
    panic!("chromedriver exited before saying which port it listens on");
}
