//! `auditLogs/provisioning`: filters, paging, and the round trip into `entrasim logs summarize` and
//! `entrasim replay`.

use std::process::Command;

use serde_json::{json, Value};

use super::double::JOB;
use super::start;

#[tokio::test]
async fn provisioning_logs_are_filtered_by_job_cycle_action_status_and_date_and_paged() {
    let api = start().await;
    let all = api.ok("/v1.0/auditLogs/provisioning").await;
    assert_eq!(all["@odata.context"], format!("{}/v1.0/$metadata#auditLogs/provisioning", api.base));
    let ids: Vec<_> = all["value"].as_array().unwrap().iter().map(|e| e["id"].clone()).collect();
    assert_eq!(ids, [json!("entry-3"), json!("entry-2"), json!("entry-1"), json!("entry-0")], "newest first");
    let failed = &all["value"][0];
    assert_eq!(failed["jobId"], JOB);
    assert_eq!(failed["provisioningStatusInfo"]["status"], "failure");
    assert_eq!(
        failed["provisioningStatusInfo"]["errorInformation"]["errorCode"],
        "SystemForCrossDomainIdentityManagementBadRequest"
    );
    assert_eq!(failed["sourceIdentity"]["details"]["UserPrincipalName"], "alice@contoso.com");
    assert_eq!(
        failed["modifiedProperties"][0],
        json!({"displayName": "title", "oldValue": "Engineer", "newValue": "Lead"})
    );
    assert_eq!(failed["initiatedBy"]["initiatorType"], "system");

    let count = |v: &Value| v["value"].as_array().unwrap().len();
    let queries = [
        (format!("jobId eq '{JOB}'"), 4),
        ("cycleId eq 'cycle-1'".to_string(), 3),
        ("provisioningAction eq 'create'".to_string(), 2),
        ("provisioningStatusInfo/status eq 'failure'".to_string(), 1),
        ("activityDateTime ge 2026-12-07T08:01:00Z and activityDateTime le 2026-12-07T08:30:00Z".to_string(), 2),
        ("cycleId eq 'cycle-1' and provisioningStatusInfo/status eq 'skipped'".to_string(), 1),
    ];
    for (filter, expected) in queries {
        let page = api.ok(&format!("/beta/auditLogs/provisioning?$filter={}", urlencode(&filter))).await;
        assert_eq!(count(&page), expected, "{filter}: {page}");
    }
    // A filter reads a slim shape of each entry; the page it answers is whole.
    let failures = api
        .ok(&format!(
            "/v1.0/auditLogs/provisioning?$filter={}",
            urlencode("provisioningStatusInfo/status eq 'failure'")
        ))
        .await;
    assert_eq!(failures["value"][0]["modifiedProperties"], failed["modifiedProperties"]);
    assert_eq!(failures["value"][0]["provisioningSteps"], failed["provisioningSteps"]);
    assert!(failed["provisioningSteps"].as_array().is_some_and(|s| !s.is_empty()));
    let bad = api.get("/v1.0/auditLogs/provisioning?$filter=status eq 'failure'").await;
    assert!(bad.error(400, "Request_BadRequest").contains("'status'"));

    let mut seen = Vec::new();
    let mut next = Some("/v1.0/auditLogs/provisioning?$top=3".to_string());
    while let Some(url) = next {
        let page = api.ok(&url).await;
        seen.extend(page["value"].as_array().unwrap().iter().map(|e| e["id"].clone()));
        next = page["@odata.nextLink"].as_str().map(str::to_string);
    }
    assert_eq!(seen, ids);
}

fn urlencode(text: &str) -> String {
    entrasim::scim::client::form_encode(text)
}

/// Every page of the log, as a Graph client saves it: a JSON array of the pages.
async fn saved_pages(api: &super::Api) -> String {
    let mut pages = Vec::new();
    let mut next = Some("/v1.0/auditLogs/provisioning?$top=2".to_string());
    while let Some(url) = next {
        let page = api.ok(&url).await;
        next = page["@odata.nextLink"].as_str().map(str::to_string);
        pages.push(page);
    }
    assert_eq!(pages.len(), 2, "four entries in pages of two");
    serde_json::to_string_pretty(&pages).unwrap()
}

#[tokio::test]
async fn logs_served_by_graph_summarize_and_replay_as_exported_logs_do() {
    let api = start().await;
    let text = saved_pages(&api).await;
    let read = entrasim::logs::parse_str("graph-pages.json", &text).expect("the logs module reads Graph pages");
    assert_eq!(read.format, entrasim::logs::LogFormat::GraphJson);
    assert_eq!(read.records.len(), 4);
    let summary = entrasim::logs::summarize(&read.records);
    assert_eq!(summary.jobs, [JOB]);
    assert_eq!(
        summary.cycles.iter().map(|c| (c.cycle_id.as_str(), c.records)).collect::<Vec<_>>(),
        [("cycle-1", 3), ("cycle-2", 1)]
    );
    assert!(
        summary.errors.iter().any(|e| e.code == "SystemForCrossDomainIdentityManagementBadRequest"),
        "{:?}",
        summary.errors
    );

    let dir = tempfile_dir();
    let logs = dir.join("provisioning.json");
    std::fs::write(&logs, &text).unwrap();
    let summarize =
        Command::new(env!("CARGO_BIN_EXE_entrasim")).args(["logs", "summarize", "--json"]).arg(&logs).output().unwrap();
    assert!(summarize.status.success(), "{}", String::from_utf8_lossy(&summarize.stderr));
    let printed: Value = serde_json::from_slice(&summarize.stdout).expect("summarize --json prints JSON");
    assert_eq!(printed["records"], 4);

    let scenario = dir.join("replay.toml");
    let schema = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/schema/contoso-scim.json");
    let replay = Command::new(env!("CARGO_BIN_EXE_entrasim"))
        .arg("replay")
        .arg(&logs)
        .args(["--schema", schema, "--emit-scenario"])
        .arg(&scenario)
        .output()
        .unwrap();
    assert!(replay.status.success(), "{}", String::from_utf8_lossy(&replay.stderr));
    let toml = std::fs::read_to_string(&scenario).unwrap();
    assert!(toml.contains("alice@contoso.com"), "{toml}");
    assert!(toml.contains(JOB), "{toml}");
    let check = Command::new(env!("CARGO_BIN_EXE_entrasim")).arg("validate").arg(&scenario).output().unwrap();
    assert!(
        check.status.success(),
        "the replayed scenario loads: {}{}",
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr)
    );
    std::fs::remove_dir_all(&dir).ok();
}

fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("entrasim-graph-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
