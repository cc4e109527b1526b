//! Microsoft's Graph JavaScript client (`@microsoft/microsoft-graph-client`, pinned in
//! `tests/graph-client/package-lock.json`, installed by `tests/run.sh`) drives the surface the way an
//! admin script does: `tests/graph-client/admin.js` creates, assigns, filters, updates, deletes and
//! restores a user, tracks group changes with `groups/delta`, starts the job and pages through the
//! provisioning logs, asserting every answer. It runs twice: against the in-test tenant (which records
//! what the job was asked), and against a real `entrasim tenant`, whose next cycle then provisions the
//! script's user to the embedded endpoint.

use std::path::Path;
use std::process::Command;

use entrasim::directory::NewUser;
use entrasim::engine::result::Event;
use entrasim::graph::JobCommand;
use entrasim::mapping::Value as MappingValue;
use entrasim::tenant::{self, TenantConfig};
use serde_json::{json, Value};

use super::double::{APP, SECRET, SP, TENANT};
use super::start;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/graph-client");

/// Runs `admin.js` against `base` with these credentials; its JSON report.
async fn admin_script(base: String, tenant: String, client_id: String, secret: String, sp: String) -> Value {
    let sdk = Path::new(DIR).join("node_modules/@microsoft/microsoft-graph-client/package.json");
    assert!(
        sdk.is_file(),
        "@microsoft/microsoft-graph-client is not installed in tests/graph-client: run the tests through tests/run.sh, which installs it (npm ci)"
    );
    let output = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg("admin.js")
            .current_dir(DIR)
            .env("ENTRASIM_GRAPH_URL", base)
            .env("ENTRASIM_TENANT_ID", tenant)
            .env("ENTRASIM_CLIENT_ID", client_id)
            .env("ENTRASIM_CLIENT_SECRET", secret)
            .env("ENTRASIM_SERVICE_PRINCIPAL_ID", sp)
            .output()
            .expect("node runs (tests/run.sh needs node and npm on PATH)")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "admin.js failed:\n{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{e}: {stdout}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn microsofts_graph_javascript_client_runs_an_admin_script_against_the_simulator() {
    let api = start().await;
    let report = admin_script(api.base.clone(), TENANT.into(), APP.into(), SECRET.into(), SP.into()).await;
    assert_eq!(report["jobId"], super::double::JOB);
    assert_eq!((report["jobCodeBefore"].clone(), report["jobCodeAfter"].clone()), (json!("NotRun"), json!("Active")));
    assert_eq!(report["userCount"], 3);
    assert_eq!(report["logEntries"], 4);
    assert_eq!(report["logStatuses"], json!(["failure", "success", "skipped", "success"]));
    assert!(report["notFoundRequestId"].as_str().is_some_and(|r| !r.is_empty()));
    assert_eq!(report["groupsDelta"], json!([["Partners", [true]]]), "the new group and its member");

    assert_eq!(*api.tenant.commands.lock().unwrap(), [JobCommand::Start]);
    let dir = api.tenant.dir();
    let dana = dir.user_id("dana").expect("the script's user is in the directory");
    let user = dir.user(dana).unwrap();
    assert_eq!(user.object_id().to_string(), report["userId"].as_str().unwrap());
    assert!(user.is_assigned_directly() && !user.is_soft_deleted(), "assigned, deleted and restored");
    assert_eq!(dir.source_object(dana).get("jobTitle").to_text().as_deref(), Some("Account Executive"));
}

/// Waits for the tenant's next `CycleFinished` event (a guard against a hang, not a timing assertion).
async fn cycle_finished(events: &mut tokio::sync::mpsc::UnboundedReceiver<Event>) {
    let wait = async {
        while let Some(event) = events.recv().await {
            if matches!(event, Event::CycleFinished { .. }) {
                return;
            }
        }
        panic!("the tenant stopped sending events");
    };
    tokio::time::timeout(std::time::Duration::from_secs(60), wait).await.expect("a cycle ends");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_script_runs_against_a_real_tenant_whose_next_cycle_provisions_its_user() {
    let mapping = entrasim::mapping::load("entra-default", Path::new(".")).expect("preset").set;
    let mut config = TenantConfig::new(mapping);
    config.clock_paused = true;
    let mut existing = NewUser::new("erin");
    existing.attrs.set("userPrincipalName", MappingValue::from("erin@contoso.com"));
    existing.attrs.set("displayName", MappingValue::from("Erin Existing"));
    existing.attrs.set("mailNickname", MappingValue::from("erin"));
    config.directory.add_user(existing).unwrap();
    config.directory.baseline();
    let handle = tenant::start(config).await.expect("the tenant starts");
    let mut events = handle.subscribe();
    cycle_finished(&mut events).await;

    let identity = handle.identity().clone();
    let credentials = handle.credentials().clone();
    let report = admin_script(
        handle.url().to_string(),
        identity.tenant_id.clone(),
        credentials.client_id.clone(),
        credentials.client_secret.expose().to_string(),
        identity.service_principal_id.clone(),
    )
    .await;
    assert_eq!(report["jobCodeAfter"], "Active");
    assert_eq!(report["userCount"], 2);
    assert_eq!(report["groupsDelta"], json!([["Partners", [true]]]), "the new group and its member");
    let user = report["userId"].as_str().unwrap().to_string();

    let http = reqwest::Client::new();
    let token = handle.issue_token();
    let moved =
        http.post(format!("{}/_entrasim/clock/next-cycle", handle.url())).bearer_auth(&token).send().await.unwrap();
    assert!(moved.status().is_success(), "{}", moved.text().await.unwrap_or_default());
    cycle_finished(&mut events).await;
    let filter = format!("sourceIdentity/id eq '{user}' and provisioningAction eq 'create'");
    let logs: Value = http
        .get(format!("{}/v1.0/auditLogs/provisioning", handle.url()))
        .query(&[("$filter", filter.as_str())])
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let entries = logs["value"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "the script's user was created at the target: {logs}");
    assert_eq!(entries[0]["provisioningStatusInfo"]["status"], "success", "{logs}");
    assert_eq!(entries[0]["sourceIdentity"]["details"]["UserPrincipalName"], "dana@contoso.com");
    handle.shutdown().await;
}
