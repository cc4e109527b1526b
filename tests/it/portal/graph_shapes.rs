//! The pages against a tenant that answers in the shapes of Microsoft's Graph documentation (the
//! fixture): a cycle completes live on the Overview, a quarantine shows its reason and what to do,
//! provision on demand shows five steps, the logs filter, open from the keyboard and download in the
//! formats `entrasim logs` reads, users are added, the mapping and the exchanges are listed.

use fantoccini::key::Key;
use fantoccini::Locator;
use serde_json::json;

use super::{
    assert_fits, assert_no_problems, assert_same_origin, click, downloads, fixture, runtime, serve, text, wait_for,
    Profile,
};
use crate::browser::Browser;

#[test]
fn portal_pages_work_against_microsofts_graph_shapes() {
    runtime().block_on(async {
        let fixture = fixture::Fixture::new();
        let base = serve(fixture.router()).await;
        let profile = Profile::new("portal-fixture");
        let b = Browser::start(&profile.0).await;

        // Overview: start provisioning and watch the cycle complete without reloading.
        b.client.goto(&format!("{base}/")).await.expect("overview loads");
        wait_for(&b, "the job status", "document.querySelector('#job-status .badge').textContent === 'Stopped'").await;
        b.js("window.__sameDocument = true;").await;
        click(&b, "#cmd-start").await;
        wait_for(
            &b,
            "a cycle in progress",
            "document.getElementById('cycle-state').textContent.includes('in progress')",
        )
        .await;
        wait_for(
            &b,
            "the cycle to complete",
            "document.getElementById('cycle-state').textContent.startsWith('Cycle completed')",
        )
        .await;
        wait_for(&b, "the last cycle's statistics", "document.getElementById('stat-create').textContent === '2'").await;
        assert_eq!(
            b.js("return window.__sameDocument === true;").await,
            json!(true),
            "the page updated without reloading"
        );
        assert_eq!(text(&b, "#stat-failed").await, "1");
        assert_eq!(text(&b, "#escrows").await, "1", "carol's failed create is an escrow");
        assert_eq!(b.css("#cycle-progress").await.attr("aria-valuenow").await.unwrap(), Some("100".into()));
        assert_same_origin(&b, &base).await;
        assert_no_problems(&b).await;
        b.screenshot("portal-overview-desktop").await;
        assert_fits(&b, 390).await;
        b.screenshot("portal-overview-narrow").await;
        b.width(1280).await;

        // Quarantine: the reason and what to do.
        fixture.quarantine();
        click(&b, "#cmd-refresh").await;
        wait_for(&b, "the quarantine banner", "!document.getElementById('quarantine').hidden").await;
        let banner = text(&b, "#quarantine").await;
        assert!(banner.contains("EncounteredQuarantineException") && banner.contains("Test connection"), "{banner}");
        b.screenshot("portal-overview-quarantine").await;

        // Provision on demand: pick alice by clicking, provision, read the five steps.
        b.client.goto(&format!("{base}/provision-on-demand")).await.expect("on-demand loads");
        b.css("#pod-search").await.send_keys("alice").await.expect("type");
        wait_for(&b, "alice in the list", "document.querySelectorAll('#pod-results [role=option]').length === 1").await;
        click(&b, "#pod-results [role=option]").await;
        click(&b, "#pod-run").await;
        wait_for(&b, "the steps", "document.querySelectorAll('#pod-steps > li').length === 5").await;
        let steps =
            b.js("return [...document.querySelectorAll('#pod-steps .step-title')].map(e => e.textContent);").await;
        assert_eq!(
            steps,
            json!([
                "Test connection",
                "Import user",
                "Determine if user is in scope",
                "Match user between source and target system",
                "Perform action"
            ])
        );
        assert_eq!(text(&b, "#pod-outcome").await, "Success");
        let modified = text(&b, "#pod-modified").await;
        assert!(modified.contains("userName") && modified.contains("alice@contoso.com"), "{modified}");
        b.css("#pod-steps > li:nth-child(3) summary").await.click().await.expect("open the scope step");
        let scope = text(&b, "#pod-steps > li:nth-child(3)").await;
        assert!(
            scope.contains("Engineering only.department EQUALS 'Engineering'") && scope.contains("pass"),
            "{scope}"
        );
        assert_no_problems(&b).await;
        b.screenshot("portal-on-demand-desktop").await;
        assert_fits(&b, 390).await;
        b.screenshot("portal-on-demand-narrow").await;
        b.width(1280).await;

        // Provisioning logs: filter on failures, open the entry, read its tabs.
        b.client.goto(&format!("{base}/provisioning-logs")).await.expect("logs load");
        wait_for(&b, "three entries", "document.querySelectorAll('#log-body tr[data-change]').length === 3").await;
        b.css("#f-status").await.select_by_value("Failure").await.expect("status filter");
        wait_for(&b, "the failure only", "document.querySelectorAll('#log-body tr[data-change]').length === 1").await;
        // From the keyboard: the row takes focus and Enter opens it.
        b.css("#log-body tr[data-change]").await.send_keys(&Key::Enter.to_string()).await.expect("Enter on the row");
        wait_for(&b, "the detail drawer", "!document.getElementById('log-detail').hidden").await;
        assert!(text(&b, "#dp-steps").await.contains("Failed to create User"));
        // Arrow keys move between the detail tabs.
        b.css("#dt-steps").await.send_keys(&Key::Right.to_string()).await.expect("Right arrow");
        assert_eq!(b.js("return document.activeElement.id;").await, json!("dt-trouble"));
        wait_for(
            &b,
            "the troubleshooting tab",
            "document.getElementById('dp-trouble').innerText.includes('What InternalServerError means')",
        )
        .await;
        assert_no_problems(&b).await;
        b.screenshot("portal-logs-detail-desktop").await;
        b.width(390).await;
        b.screenshot_view("portal-logs-detail-narrow").await;
        b.width(1280).await;
        click(&b, "#dt-props").await;
        assert!(text(&b, "#dp-props").await.contains("carol@contoso.com"));
        click(&b, "#detail-close").await;
        b.css("#f-status").await.select_by_value("").await.expect("status filter");
        b.css("#f-identity").await.send_keys("bob").await.expect("identity filter");
        wait_for(&b, "bob only", "document.querySelectorAll('#log-body tr[data-change]').length === 1").await;
        b.screenshot("portal-logs-desktop").await;
        assert_fits(&b, 390).await;
        b.screenshot("portal-logs-narrow").await;
        b.width(1280).await;

        // Downloads read back by entrasim's log reader.
        b.css("#f-identity").await.clear().await.expect("clear");
        b.js("document.getElementById('filters').reset();").await;
        wait_for(&b, "all entries", "document.querySelectorAll('#log-body tr[data-change]').length === 3").await;
        click(&b, "#cmd-csv").await;
        let csv = downloads(&b).await;
        assert_eq!(csv.len(), 3, "main, steps and modified-properties files");
        let records = entrasim::logs::parse_csv_download(
            (&csv[0].0, &csv[0].1),
            Some((&csv[1].0, &csv[1].1)),
            Some((&csv[2].0, &csv[2].1)),
        )
        .unwrap_or_else(|d| panic!("the CSV download does not read back: {d:?}"));
        assert_eq!(records.len(), 3);
        assert!(
            records.iter().all(|r| r.steps.len() == 4 && r.modified_properties.len() == 3),
            "steps and properties joined"
        );
        b.client.find(Locator::Css("#download-dialog button")).await.expect("close").click().await.expect("close");
        click(&b, "#cmd-json").await;
        let json = downloads(&b).await;
        let read = entrasim::logs::parse_str(&json[0].0, &json[0].1)
            .unwrap_or_else(|d| panic!("the JSON download does not read back: {d:?}"));
        assert_eq!(read.records.len(), 3);

        // Users and groups: add a user, see it listed and assigned.
        b.client.goto(&format!("{base}/users-and-groups")).await.expect("users load");
        wait_for(&b, "the users", "document.querySelectorAll('#directory-body tr[data-id]').length === 4").await;
        click(&b, "#cmd-add-user").await;
        b.css("#u-displayName").await.send_keys("Erin Hale").await.expect("type");
        b.css("#u-userPrincipalName").await.send_keys("erin@contoso.com").await.expect("type");
        click(&b, "#user-save").await;
        wait_for(&b, "erin listed", "document.querySelectorAll('#directory-body tr[data-id]').length === 5").await;
        b.css("#search").await.send_keys("erin").await.expect("search");
        wait_for(&b, "erin only", "document.querySelectorAll('#directory-body tr[data-id]').length === 1").await;
        assert!(text(&b, "#directory-body").await.contains("Assigned"));
        b.css("#search").await.clear().await.expect("clear");
        b.js("document.getElementById('search').dispatchEvent(new Event('input'));").await;
        assert_no_problems(&b).await;
        b.screenshot("portal-users-desktop").await;
        assert_fits(&b, 390).await;
        b.screenshot("portal-users-narrow").await;
        b.width(1280).await;

        // Attribute mapping and Target.
        b.client.goto(&format!("{base}/attribute-mapping")).await.expect("mapping loads");
        wait_for(&b, "the mapping table", "document.querySelectorAll('#mappings tbody tr').length === 4").await;
        assert!(text(&b, "#mappings").await.contains("department EQUALS Engineering"));
        assert_no_problems(&b).await;
        b.screenshot("portal-mapping-desktop").await;
        assert_fits(&b, 390).await;
        b.width(1280).await;
        b.client.goto(&format!("{base}/target")).await.expect("target loads");
        wait_for(&b, "the exchanges", "document.querySelectorAll('#exchanges details.exchange').length === 3").await;
        assert!(text(&b, "#target-dialect").await.starts_with("legacy"));
        assert_no_problems(&b).await;
        b.screenshot("portal-target-desktop").await;
        assert_fits(&b, 390).await;
        b.close().await;
    });
}
