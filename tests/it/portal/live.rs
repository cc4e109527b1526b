//! The pages against the real `entrasim tenant` (`tenant::start`: the engine and the Graph surface behind
//! them): add a user on the Users page and watch the next cycle create it on the Overview, test the
//! connection, provision on demand by clicking, filter the logs and open an entry, read the mapping and
//! the exchanges, unassign users until the deletion threshold quarantines the job, restart from the
//! keyboard.

use fantoccini::key::Key;
use fantoccini::Locator;
use serde_json::json;

use super::{assert_fits, assert_no_problems, assert_same_origin, click, downloads, runtime, text, wait_for, Profile};
use crate::browser::Browser;

/// A running `entrasim tenant` and the one origin the browser uses for it and the portal.
struct LiveTenant {
    handle: entrasim::tenant::TenantHandle,
    base: String,
    token: String,
    http: reqwest::Client,
}

impl LiveTenant {
    /// The entra-default mapping into the embedded endpoint; the clock waits for the test to move it.
    async fn start() -> LiveTenant {
        let mapping = entrasim::mapping::load("entra-default", std::path::Path::new(".")).expect("preset").set;
        let mut config = entrasim::tenant::TenantConfig::new(mapping);
        config.name = "Contoso SCIM app".into();
        config.clock_paused = true;
        // Unassigning two users is then too many deletions: the job goes into quarantine.
        config.settings.deletion_threshold = Some(1);
        let handle = entrasim::tenant::start(config).await.expect("the tenant starts");
        let token = handle.issue_token();
        let http = reqwest::Client::new();
        // The tenant serves the portal on its own address.
        let served = http.get(format!("{}/", handle.url())).send().await.expect("the tenant answers");
        assert!(served.text().await.unwrap_or_default().contains("data-page=\"overview\""), "the portal at /");
        let base = handle.url().to_string();
        LiveTenant { handle, base, token, http }
    }

    fn sp(&self) -> String {
        self.handle.identity().service_principal_id.clone()
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<serde_json::Value>) -> serde_json::Value {
        let mut request =
            self.http.request(method.clone(), format!("{}{path}", self.handle.url())).bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("the tenant answers");
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        assert!(status.is_success(), "{method} {path}: {status} {text}");
        serde_json::from_str(&text).unwrap_or(serde_json::Value::Null)
    }

    /// A user created and assigned through Graph (as a script would), by nickname.
    async fn assigned_user(&self, nickname: &str, name: &str) -> String {
        let user = self
            .call(
                reqwest::Method::POST,
                "/v1.0/users",
                Some(json!({
                    "accountEnabled": true, "displayName": name, "mailNickname": nickname,
                    "userPrincipalName": format!("{nickname}@contoso.com"), "department": "Engineering",
                    "passwordProfile": { "forceChangePasswordNextSignIn": true, "password": "xWwvJ]6NMw+bWH-d" },
                })),
            )
            .await;
        let id = user["id"].as_str().expect("an id").to_string();
        let body =
            json!({ "principalId": id, "resourceId": self.sp(), "appRoleId": "00000000-0000-0000-0000-000000000000" });
        self.call(
            reqwest::Method::POST,
            &format!("/v1.0/servicePrincipals/{}/appRoleAssignedTo", self.sp()),
            Some(body),
        )
        .await;
        id
    }

    /// Moves the simulated clock to the next cycle (the cycle then runs on the job's thread).
    async fn next_cycle(&self) {
        self.call(reqwest::Method::POST, "/_entrasim/clock/next-cycle", None).await;
    }
}

#[test]
fn portal_drives_a_live_tenant() {
    runtime().block_on(async {
        let tenant = LiveTenant::start().await;
        let base = tenant.base.clone();
        let profile = Profile::new("portal-tenant");
        let b = Browser::start(&profile.0).await;

        // Users and groups: add a user through the page; it is created and assigned through Graph.
        b.client.goto(&format!("{base}/users-and-groups")).await.expect("users load");
        wait_for(&b, "the empty directory", "document.getElementById('count').textContent !== ''").await;
        click(&b, "#cmd-add-user").await;
        b.css("#u-displayName").await.send_keys("Ada Lovelace").await.expect("type");
        b.css("#u-userPrincipalName").await.send_keys("ada@contoso.com").await.expect("type");
        b.css("#u-department").await.send_keys("Engineering").await.expect("type");
        click(&b, "#user-save").await;
        wait_for(&b, "ada listed and assigned", "document.getElementById('directory-body').innerText.includes('ada@contoso.com') && document.getElementById('directory-body').innerText.includes('Assigned')").await;
        tenant.assigned_user("grace", "Grace Hopper").await;
        click(&b, "#cmd-refresh").await;
        wait_for(&b, "two users", "document.querySelectorAll('#directory-body tr[data-id]').length === 2").await;
        assert_no_problems(&b).await;
        b.screenshot("portal-tenant-users").await;

        // Overview: the next cycle creates both, and the page follows it without reloading.
        b.client.goto(&format!("{base}/")).await.expect("overview loads");
        wait_for(&b, "the job status", "document.querySelector('#job-status .badge').textContent !== 'Loading'").await;
        wait_for(&b, "the live stream", "document.getElementById('live').classList.contains('on')").await;
        b.js("window.__sameDocument = true;").await;
        tenant.next_cycle().await;
        wait_for(&b, "two users created", "document.getElementById('stat-create').textContent === '2'").await;
        wait_for(&b, "the cycle to complete", "document.getElementById('cycle-state').textContent.startsWith('Cycle completed')").await;
        assert_eq!(b.js("return window.__sameDocument === true;").await, json!(true), "the page updated without reloading");
        assert_eq!(text(&b, "#stat-failed").await, "0");
        assert_eq!(text(&b, "#escrows").await, "0");
        assert_same_origin(&b, &base).await;
        assert_no_problems(&b).await;
        b.screenshot("portal-tenant-overview").await;
        assert_fits(&b, 390).await;
        b.screenshot("portal-tenant-overview-narrow").await;
        b.width(1280).await;

        // Test connection: with the job's saved credentials (Graph's `useSavedCredentials`), against the
        // endpoint the job provisions.
        click(&b, "#cmd-test").await;
        wait_for(&b, "the verdict", "document.getElementById('connection').innerText.includes('authorized')").await;
        assert_no_problems(&b).await;

        // Provision on demand: a user added since, by clicking, with the five steps.
        tenant.assigned_user("katherine", "Katherine Johnson").await;
        b.client.goto(&format!("{base}/provision-on-demand")).await.expect("on-demand loads");
        b.css("#pod-search").await.send_keys("katherine").await.expect("type");
        wait_for(&b, "katherine in the list", "document.querySelectorAll('#pod-results [role=option]').length === 1").await;
        click(&b, "#pod-results [role=option]").await;
        click(&b, "#pod-run").await;
        wait_for(&b, "the steps", "document.querySelectorAll('#pod-steps > li').length === 5").await;
        let steps = b.js("return [...document.querySelectorAll('#pod-steps .step-title')].map(e => e.textContent);").await;
        assert_eq!(
            steps,
            json!(["Test connection", "Import user", "Determine if user is in scope", "Match user between source and target system", "Perform action"])
        );
        assert_eq!(text(&b, "#pod-outcome").await, "Success");
        let statuses = b.js("return [...document.querySelectorAll('#pod-steps > li')].map(e => e.dataset.status);").await;
        assert_eq!(statuses, json!(["Success", "Success", "Success", "Success", "Success"]));
        assert!(text(&b, "#pod-modified").await.contains("katherine@contoso.com"));
        b.css("#pod-steps > li:nth-child(2) summary").await.click().await.expect("open the import step");
        assert!(text(&b, "#pod-steps > li:nth-child(2)").await.contains("katherine@contoso.com"));
        assert_no_problems(&b).await;
        b.screenshot("portal-tenant-on-demand").await;
        assert_fits(&b, 390).await;
        b.width(1280).await;

        // Provisioning logs: filter and open an entry.
        b.client.goto(&format!("{base}/provisioning-logs")).await.expect("logs load");
        wait_for(&b, "three entries", "document.querySelectorAll('#log-body tr[data-change]').length === 3").await;
        b.css("#f-identity").await.send_keys("grace").await.expect("identity filter");
        wait_for(&b, "grace only", "document.querySelectorAll('#log-body tr[data-change]').length === 1").await;
        b.css("#f-action").await.select_by_value("Create").await.expect("action filter");
        wait_for(&b, "grace's create", "document.querySelectorAll('#log-body tr[data-change]').length === 1").await;
        click(&b, "#log-body tr[data-change]").await;
        wait_for(&b, "the detail drawer", "!document.getElementById('log-detail').hidden").await;
        wait_for(&b, "the steps", "document.querySelectorAll('#dp-steps li.step').length > 0").await;
        click(&b, "#dt-props").await;
        assert!(text(&b, "#dp-props").await.contains("grace@contoso.com"));
        click(&b, "#dt-trouble").await;
        assert!(text(&b, "#dp-trouble").await.contains("nothing to troubleshoot"));
        click(&b, "#dt-steps").await;
        assert_no_problems(&b).await;
        b.screenshot("portal-tenant-logs").await;
        click(&b, "#detail-close").await;
        b.js("document.getElementById('filters').reset();").await;
        wait_for(&b, "all entries", "document.querySelectorAll('#log-body tr[data-change]').length === 3").await;
        click(&b, "#cmd-csv").await;
        let csv = downloads(&b).await;
        let records = entrasim::logs::parse_csv_download((&csv[0].0, &csv[0].1), Some((&csv[1].0, &csv[1].1)), Some((&csv[2].0, &csv[2].1)))
            .unwrap_or_else(|d| panic!("the CSV download does not read back: {d:?}"));
        assert_eq!(records.len(), 3);
        assert!(records.iter().all(|r| !r.steps.is_empty() && !r.modified_properties.is_empty()));

        // Attribute mapping and Target.
        b.client.goto(&format!("{base}/attribute-mapping")).await.expect("mapping loads");
        wait_for(&b, "the mapping table", "document.querySelectorAll('#mappings tbody tr').length > 5").await;
        assert!(text(&b, "#mappings").await.contains("userName"));
        assert_no_problems(&b).await;
        b.screenshot("portal-tenant-mapping").await;
        b.client.goto(&format!("{base}/target")).await.expect("target loads");
        wait_for(&b, "the exchanges", "document.querySelectorAll('#exchanges details.exchange').length > 3").await;
        assert!(text(&b, "#target-dialect").await.starts_with("legacy"));
        assert_no_problems(&b).await;
        b.screenshot("portal-tenant-target").await;
        assert_fits(&b, 390).await;
        b.width(1280).await;

        // Unassign two users on the Users page: the next cycle would delete both, which the threshold
        // stops, and the Overview shows the quarantine with what to do.
        b.client.goto(&format!("{base}/users-and-groups")).await.expect("users load");
        for upn in ["ada@contoso.com", "grace@contoso.com"] {
            let xpath = format!("//tr[contains(., '{upn}')]//button[normalize-space()='Unassign']");
            wait_for(&b, "the user's row", &format!("document.evaluate(\"{xpath}\", document, null, 9, null).singleNodeValue")).await;
            b.client.find(Locator::XPath(&xpath)).await.expect("Unassign").click().await.expect("click Unassign");
            wait_for(&b, "the user unassigned", &format!("!document.evaluate(\"{xpath}\", document, null, 9, null).singleNodeValue")).await;
        }
        b.client.goto(&format!("{base}/")).await.expect("overview loads");
        wait_for(&b, "the live stream", "document.getElementById('live').classList.contains('on')").await;
        tenant.next_cycle().await;
        wait_for(&b, "the quarantine banner", "!document.getElementById('quarantine').hidden").await;
        let banner = text(&b, "#quarantine").await;
        assert!(banner.contains("TooManyDeletes"), "{banner}");
        wait_for(&b, "the job quarantined", "document.getElementById('job-status').textContent === 'Quarantined'").await;
        assert_no_problems(&b).await;
        b.screenshot("portal-tenant-quarantine").await;

        // Restart provisioning with reset scope, from the keyboard.
        b.css("#cmd-restart").await.send_keys(&Key::Enter.to_string()).await.expect("Enter on Restart");
        wait_for(&b, "the restart dialog", "document.getElementById('restart-dialog').open").await;
        b.css("#restart-reset-scope").await.send_keys(" ").await.expect("Space checks reset scope");
        b.css("#restart-confirm").await.send_keys(&Key::Enter.to_string()).await.expect("Enter confirms");
        wait_for(&b, "the quarantine lifted", "document.getElementById('quarantine').hidden").await;

        // Groups: create one on the Users page, then add a member in its Members dialog.
        b.client.goto(&format!("{base}/users-and-groups")).await.expect("users load");
        click(&b, "#tab-groups").await;
        click(&b, "#cmd-add-group").await;
        b.css("#g-displayName").await.send_keys("Engineers").await.expect("type");
        click(&b, "#group-save").await;
        let members = "//tr[contains(., 'Engineers')]//button[normalize-space()='Members']";
        wait_for(&b, "the group", &format!("document.evaluate(\"{members}\", document, null, 9, null).singleNodeValue")).await;
        b.client.find(Locator::XPath(members)).await.expect("Members").click().await.expect("click Members");
        wait_for(&b, "the members dialog", "document.getElementById('members-dialog').open").await;
        b.css("#member-search").await.send_keys("ada@contoso.com").await.expect("type");
        b.css("#member-add button[type=submit]").await.click().await.expect("add member");
        wait_for(&b, "ada a member", "document.getElementById('members-body').innerText.includes('ada@contoso.com')").await;
        assert_no_problems(&b).await;
        b.screenshot("portal-tenant-members").await;
        let group = tenant.call(reqwest::Method::GET, "/v1.0/groups?$filter=displayName eq 'Engineers'", None).await;
        let gid = group["value"][0]["id"].as_str().expect("the group exists in Graph").to_string();
        let list = tenant.call(reqwest::Method::GET, &format!("/v1.0/groups/{gid}/members"), None).await;
        assert_eq!(list["value"][0]["userPrincipalName"], "ada@contoso.com", "{list}");

        // Provision the group on demand with ada picked among its members.
        b.client.goto(&format!("{base}/provision-on-demand")).await.expect("on-demand loads");
        click(&b, "input[name=pod-kind][value=Group]").await;
        b.css("#pod-search").await.send_keys("Engineers").await.expect("type");
        wait_for(&b, "the group in the list", "document.querySelectorAll('#pod-results [role=option]').length === 1").await;
        click(&b, "#pod-results [role=option]").await;
        wait_for(&b, "its members", "document.querySelectorAll('input[name=pod-member]').length === 1").await;
        click(&b, "input[name=pod-member]").await;
        assert_eq!(text(&b, "#pod-members-note").await, "1 of at most 5 members picked.");
        click(&b, "#pod-run").await;
        wait_for(&b, "the steps", "document.querySelectorAll('#pod-steps > li').length === 5").await;
        assert_eq!(text(&b, "#pod-outcome").await, "Success");
        let modified = text(&b, "#pod-modified").await;
        assert!(modified.contains("Engineers") && modified.contains("members"), "the picked member went along: {modified}");
        assert_no_problems(&b).await;
        b.screenshot("portal-tenant-on-demand-group").await;

        b.close().await;
        tenant.handle.shutdown().await;
    });
}
