//! Microsoft's Graph JavaScript client (`@microsoft/microsoft-graph-client`, pinned in
//! `tests/graph-client/package-lock.json`, installed by `tests/run.sh`) drives the surface the way an
//! admin script does: `tests/graph-client/admin.js` creates, assigns, filters, updates, deletes and
//! restores a user, starts the job and pages through the provisioning logs, asserting every answer.

use std::path::Path;
use std::process::Command;

use entrasim::graph::JobCommand;
use serde_json::{json, Value};

use super::double::{APP, SECRET, SP, TENANT};
use super::start;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/graph-client");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn microsofts_graph_javascript_client_runs_an_admin_script_against_the_simulator() {
    let sdk = Path::new(DIR).join("node_modules/@microsoft/microsoft-graph-client/package.json");
    assert!(
        sdk.is_file(),
        "@microsoft/microsoft-graph-client is not installed in tests/graph-client: run the tests through tests/run.sh, which installs it (npm ci)"
    );
    let api = start().await;
    let base = api.base.clone();
    let output = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg("admin.js")
            .current_dir(DIR)
            .env("ENTRASIM_GRAPH_URL", base)
            .env("ENTRASIM_TENANT_ID", TENANT)
            .env("ENTRASIM_CLIENT_ID", APP)
            .env("ENTRASIM_CLIENT_SECRET", SECRET)
            .env("ENTRASIM_SERVICE_PRINCIPAL_ID", SP)
            .output()
            .expect("node runs (tests/run.sh needs node and npm on PATH)")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "admin.js failed:\n{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    let report: Value = serde_json::from_str(stdout.trim()).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    assert_eq!(report["jobId"], super::double::JOB);
    assert_eq!((report["jobCodeBefore"].clone(), report["jobCodeAfter"].clone()), (json!("NotRun"), json!("Active")));
    assert_eq!(report["userCount"], 3);
    assert_eq!(report["logEntries"], 4);
    assert_eq!(report["logStatuses"], json!(["failure", "success", "skipped", "success"]));
    assert!(report["notFoundRequestId"].as_str().is_some_and(|r| !r.is_empty()));

    assert_eq!(*api.tenant.commands.lock().unwrap(), [JobCommand::Start]);
    let dir = api.tenant.dir();
    let dana = dir.user_id("dana").expect("the script's user is in the directory");
    let user = dir.user(dana).unwrap();
    assert_eq!(user.object_id().to_string(), report["userId"].as_str().unwrap());
    assert!(user.is_assigned_directly() && !user.is_soft_deleted(), "assigned, deleted and restored");
    assert_eq!(dir.source_object(dana).get("jobTitle").to_text().as_deref(), Some("Account Executive"));
}
