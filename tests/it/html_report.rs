//! The HTML report (`--report-html`) opened in headless Chromium, as a CI engineer opens the artifact:
//! find the failing step and its hint, read a passing run, expand an exchange, filter a check report,
//! and check desktop (1280 px) and narrow (390 px) layouts. Screenshots land in `target/screenshots/`.

use fantoccini::key::Key;

use crate::browser::Browser;
use crate::cli::{Cli, Output};

/// An endpoint that drops `title`: the steady-state step fails with a finding and its hint.
const NOT_STEADY: &str = r#"
description = "an endpoint that drops title never reaches a steady state"
mapping = "entra-default"

[embedded]
keep_attributes = ["userName", "active", "displayName", "emails", "externalId"]

[[users]]
id = "alice"
userPrincipalName = "alice@contoso.com"
displayName = "Alice Doe"
jobTitle = "Engineer"

[[steps]]
cycle = "initial"
expect = { creates = 1 }

[[steps]]
steady = true
expect = { steady = true }
"#;

const ONE_USER: &str = r#"
description = "one user is created, then renamed"

[[users]]
id = "alice"
userPrincipalName = "alice@contoso.com"
displayName = "Alice Doe"

[[steps]]
cycle = "initial"
expect = { creates = 1 }

[[steps]]
update = "alice"
set = { displayName = "Alice Smith" }

[[steps]]
cycle = "incremental"
expect = { updates = 1 }
"#;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime")
}

/// No request left the page: everything it needs is inline.
async fn assert_self_contained(b: &Browser) {
    let resources = b.js("return performance.getEntriesByType('resource').map(e => e.name);").await;
    assert_eq!(resources, serde_json::json!([]), "the report loaded something from outside itself");
}

/// At a phone's width (390 px) the page does not scroll sideways (wide tables scroll in their own box).
async fn assert_fits_narrow(b: &Browser) {
    b.width(390).await;
    assert_eq!(b.js("return window.innerWidth;").await, serde_json::json!(390), "the viewport is a phone's");
    let (page, view) = (
        b.js("return document.documentElement.scrollWidth;").await,
        b.js("return document.documentElement.clientWidth;").await,
    );
    assert!(page.as_u64() <= view.as_u64(), "the page is wider ({page}) than the window ({view})");
}

fn failing_run() -> Output {
    Cli::new()
        .file("not_steady.toml", NOT_STEADY)
        .file("one_user.toml", ONE_USER)
        .file("snaps/one_user.transcript", "→ GET /Users?filter=userName eq \"alice@contoso.com\"\n← 200\n")
        .args(["run", "one_user.toml", "not_steady.toml", "--snapshots", "snaps", "--report-html", "out/run.html"])
        .run()
        .code(1)
}

#[test]
fn a_failing_runs_report_leads_to_the_failing_step_its_finding_and_hint() {
    let out = failing_run();
    runtime().block_on(async {
        let b = Browser::start(&out.dir).await;
        b.open(&out.path("out/run.html")).await;
        assert_self_contained(&b).await;
        assert_eq!(b.css("#overall").await.text().await.unwrap(), "Failed");
        // The failing scenarios come first and are open; the summary links to them.
        let first = b.css("section.suite").await;
        assert_eq!(first.attr("data-outcome").await.unwrap().as_deref(), Some("fail"));
        let link = b.css(".attention a").await;
        assert!(link.text().await.unwrap().ends_with(".toml"));

        let step = b.css("section.suite[aria-label='not_steady.toml'] li.case.o-fail").await;
        let finding = step.find(fantoccini::Locator::Css(".finding")).await.unwrap();
        assert!(!finding.is_displayed().await.unwrap(), "steps start collapsed");
        b.screenshot("run-failing-desktop").await;
        step.find(fantoccini::Locator::Css("summary")).await.unwrap().click().await.unwrap();
        assert!(finding.is_displayed().await.unwrap(), "clicking the step shows its findings");
        let text = step.text().await.unwrap();
        assert!(text.contains("expected steady = true, got false"), "the failed expectation comes first: {text}");
        assert!(text.contains("notsteady") && text.contains("`title`"), "the finding names the attribute: {text}");
        let hint = step.find(fantoccini::Locator::Css(".hint")).await.unwrap();
        assert!(hint.is_displayed().await.unwrap());
        assert!(hint.text().await.unwrap().contains("store every attribute exactly as sent"));

        // The flapping table and the drifted snapshot side by side.
        let flapping = b.js("return [...document.querySelectorAll('section.suite[aria-label=\"not_steady.toml\"] table td')].map(t => t.textContent).join('|');").await;
        assert!(flapping.as_str().unwrap().contains("|title|"), "{flapping}");
        let drift = b.css("section.suite[aria-label='one_user.toml'] table.diff").await;
        assert!(drift.find(fantoccini::Locator::Css("tr.ins td.new")).await.is_ok(), "new lines marked");
        b.screenshot("run-failing-expanded-desktop").await;
        b.js("document.querySelector('section.suite[aria-label=\"not_steady.toml\"] li.case.o-fail').scrollIntoView(); return 0;").await;
        b.screenshot_view("run-failing-step-desktop").await;
        assert_fits_narrow(&b).await;
        b.screenshot("run-failing-narrow").await;
        b.js("document.querySelector('section.suite[aria-label=\"not_steady.toml\"] li.case.o-fail').scrollIntoView(); return 0;").await;
        b.screenshot_view("run-failing-narrow-step").await;
        b.close().await;
    });
}

#[test]
fn a_passing_runs_report_shows_timeline_log_and_collapsed_exchanges() {
    let out = Cli::new()
        .file("one_user.toml", ONE_USER)
        .args(["run", "one_user.toml", "--report-html", "run.html"])
        .run()
        .code(0);
    runtime().block_on(async {
        let b = Browser::start(&out.dir).await;
        b.open(&out.path("run.html")).await;
        assert_self_contained(&b).await;
        assert_eq!(b.css("#overall").await.text().await.unwrap(), "Passed");
        assert!(b.client.find(fantoccini::Locator::Css(".attention")).await.is_err(), "nothing needs attention");
        let suite = b.css("section.suite").await;
        let summary = suite.find(fantoccini::Locator::Css("summary")).await.unwrap();
        let timeline = suite.find(fantoccini::Locator::Css(".timeline")).await.unwrap();
        assert!(!timeline.is_displayed().await.unwrap(), "a passing scenario starts collapsed");
        // Keyboard: focus the scenario's summary and press Enter.
        summary.send_keys(&Key::Enter.to_string()).await.unwrap();
        assert!(timeline.is_displayed().await.unwrap(), "Enter on the summary opens the scenario");
        let text = timeline.text().await.unwrap();
        assert!(text.contains("Cycle 1") && text.contains("Cycle 2"), "{text}");
        assert!(text.contains("40 min after the previous"), "simulated times: {text}");

        // Expand the first cycle step, then one of its exchanges.
        let step = suite.find(fantoccini::Locator::Css("li.case")).await.unwrap();
        step.find(fantoccini::Locator::Css("summary")).await.unwrap().click().await.unwrap();
        let exchange = step.find(fantoccini::Locator::Css("details.exchange")).await.unwrap();
        let body = exchange.find(fantoccini::Locator::Css("pre")).await.unwrap();
        assert!(!body.is_displayed().await.unwrap(), "exchanges start collapsed");
        exchange.find(fantoccini::Locator::Css("summary")).await.unwrap().click().await.unwrap();
        assert!(body.is_displayed().await.unwrap());
        let text = body.text().await.unwrap();
        assert!(text.starts_with("→ GET /Users?filter=userName eq"), "{text}");
        let posted = b
            .js("return [...document.querySelectorAll('details.exchange pre')].map(p => p.textContent).join('\\n');")
            .await;
        let posted = posted.as_str().unwrap();
        assert!(posted.contains("← 201") && posted.contains("<user:alice>"), "ids shown as aliases: {posted}");
        assert!(!posted.contains("Bearer"), "no credentials in exchanges");

        // The provisioning log.
        b.css("details.log-details > summary").await.click().await.unwrap();
        let log = b.css("details.log-details table").await.text().await.unwrap();
        assert!(log.contains("alice") && log.contains("Create") && log.contains("Success"), "{log}");
        b.screenshot("run-passing-desktop").await;
        assert_fits_narrow(&b).await;
        b.screenshot("run-passing-narrow").await;
        b.close().await;
    });
}

#[test]
fn the_check_report_lists_groups_and_filters_them() {
    let out = Cli::new().args(["check", "--report-html", "check.html"]).run();
    assert!(out.path("check.html").exists(), "{}\n{}", out.stdout, out.stderr);
    runtime().block_on(async {
        let b = Browser::start(&out.dir).await;
        b.open(&out.path("check.html")).await;
        assert_self_contained(&b).await;
        assert_eq!(b.css("h1").await.text().await.unwrap(), "Check report");
        let count = |b: &Browser| {
            let js = "return document.querySelectorAll('section.suite:not([hidden])').length;";
            let b = b.client.clone();
            async move { b.execute(js, vec![]).await.unwrap().as_u64().unwrap() }
        };
        let all = count(&b).await;
        assert!(all > 3, "every check group is listed ({all})");
        b.css("#filter-text").await.send_keys("groups").await.unwrap();
        let groups = count(&b).await;
        assert!(groups >= 1 && groups < all, "the filter keeps the group checks ({groups} of {all})");
        let label = b.js("return document.querySelector('label[for=filter-text]').textContent.trim();").await;
        assert_eq!(label.as_str().unwrap().lines().next(), Some("Filter by name"), "the filter is labelled");
        let backspaces: String = std::iter::repeat_n(char::from(Key::Backspace), "groups".len()).collect();
        b.css("#filter-text").await.send_keys(&backspaces).await.unwrap();
        assert_eq!(count(&b).await, all, "emptying the filter shows every group again");
        b.css("#expand-all").await.click().await.unwrap();
        b.screenshot("check-desktop").await;
        assert_fits_narrow(&b).await;
        b.screenshot("check-narrow").await;
        b.js("window.scrollTo(0, 0); return 0;").await;
        b.screenshot_view("check-narrow-top").await;
        b.close().await;
    });
}
