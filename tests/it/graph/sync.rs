//! The provisioning job: `synchronization/jobs`, start/pause/restart, provisionOnDemand, schema, secrets
//! and validateCredentials, as the double receives them.

use entrasim::directory::ObjectId;
use entrasim::graph::{JobCommand, OnDemandTarget};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use super::double::{unknown_oid, GOOD_SCIM_TOKEN, JOB, RULE, SP};
use super::start;

fn jobs() -> String {
    format!("/v1.0/servicePrincipals/{SP}/synchronization/jobs")
}

#[tokio::test]
async fn jobs_are_listed_and_read_as_synchronization_jobs() {
    let api = start().await;
    let list = api.ok(&jobs()).await;
    assert_eq!(
        list["@odata.context"],
        format!("{}/v1.0/$metadata#servicePrincipals('{SP}')/synchronization/jobs", api.base)
    );
    let job = &list["value"][0];
    assert_eq!((job["id"].clone(), job["templateId"].clone()), (json!(JOB), json!("scim")));
    assert_eq!(job["schedule"], json!({"expiration": null, "interval": "PT40M", "state": "Disabled"}));
    assert_eq!(job["status"]["code"], "NotRun");
    assert_eq!(job["status"]["steadyStateFirstAchievedTime"], "0001-01-01T00:00:00Z");
    let one = api.ok(&format!("{}/{JOB}?$select=id,status", jobs())).await;
    assert_eq!(one.as_object().unwrap().keys().collect::<Vec<_>>(), ["@odata.context", "id", "status"]);
    api.get(&format!("{}/scim.nope", jobs())).await.error(404, "Request_ResourceNotFound");
    api.get(&format!("/v1.0/servicePrincipals/{}/synchronization/jobs", unknown_oid()))
        .await
        .error(404, "Request_ResourceNotFound");
}

#[tokio::test]
async fn start_pause_and_restart_reach_the_job_with_graphs_reset_scopes() {
    let api = start().await;
    let job = format!("{}/{JOB}", jobs());
    let post = |path: String, body: Option<Value>| {
        let api = &api;
        async move { api.send(Method::POST, &path, body).await }
    };
    assert_eq!(post(format!("{job}/start"), None).await.status, StatusCode::NO_CONTENT);
    assert_eq!(api.ok(&job).await["status"]["code"], "Active");
    assert_eq!(post(format!("{job}/pause"), None).await.status, StatusCode::NO_CONTENT);
    assert_eq!(api.ok(&job).await["schedule"]["state"], "Paused");
    for criteria in [
        Some(json!({"criteria": {"resetScope": "Full"}})),
        Some(json!({"criteria": {"resetScope": "Watermark, Escrows, QuarantineState"}})),
        None,
        Some(json!({"criteria": {"resetScope": "ConnectorDataStore"}})),
        Some(json!({"criteria": {"resetScope": "None"}})),
    ] {
        let answer = post(format!("{job}/restart"), criteria).await;
        assert_eq!(answer.status, StatusCode::NO_CONTENT, "{}", answer.text);
    }
    let bad = post(format!("{job}/restart"), Some(json!({"criteria": {"resetScope": "Everything"}}))).await;
    assert!(bad.error(400, "Request_BadRequest").starts_with("unknown resetScope `Everything`"));
    post(format!("{}/scim.other/start", jobs()), None).await.error(404, "Request_ResourceNotFound");
    assert_eq!(
        *api.tenant.commands.lock().unwrap(),
        [
            JobCommand::Start,
            JobCommand::Pause,
            JobCommand::Restart { reset_scope: true },
            JobCommand::Restart { reset_scope: false },
            JobCommand::Restart { reset_scope: false },
            JobCommand::Restart { reset_scope: true },
            JobCommand::Start,
        ]
    );
}

#[tokio::test]
async fn provision_on_demand_answers_graphs_key_value_pair_with_the_step_report() {
    let api = start().await;
    let path = format!("{}/{JOB}/provisionOnDemand", jobs());
    let alice = api.tenant.oid("alice");
    let body = |id: &str, kind: &str, rule: &str| json!({"parameters": [{"ruleId": rule, "subjects": [{"objectId": id, "objectTypeName": kind}]}]});
    let answer = api.post(&path, body(&alice, "User", RULE)).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    let pair = answer.json();
    assert_eq!(pair["@odata.context"], format!("{}/v1.0/$metadata#microsoft.graph.stringKeyStringValuePair", api.base));
    let key: Value = serde_json::from_str(pair["key"].as_str().unwrap()).unwrap();
    assert_eq!(key, json!({"result": "Success", "details": {}}));
    let value: Value = serde_json::from_str(pair["value"].as_str().unwrap()).unwrap();
    assert_eq!(value["action"], "Create");
    assert_eq!(value["sourceIdentity"]["id"], alice);
    let steps: Vec<_> =
        value["provisioningSteps"].as_array().unwrap().iter().map(|s| (s["name"].clone(), s["type"].clone())).collect();
    assert_eq!(
        steps,
        [
            (json!("EntryImport"), json!("Import")),
            (json!("EntrySynchronizationScoping"), json!("Scoping")),
            (json!("EntryImport"), json!("Matching")),
            (json!("EntryExportAdd"), json!("Export")),
        ]
    );
    assert_eq!(value["provisioningSteps"][0]["details"]["userPrincipalName"], "alice@contoso.com");
    assert_eq!(
        value["modifiedProperties"][0],
        json!({"displayName": "userName", "oldValue": null, "newValue": "alice@contoso.com"})
    );

    let eng = api.tenant.oid("eng");
    let group = json!({"parameters": [{"ruleId": RULE, "subjects": [{"objectId": eng, "objectTypeName": "Group",
        "links": {"members": [{"objectId": alice, "objectTypeName": "User"}]}}]}]});
    assert_eq!(api.post(&path, group).await.status, StatusCode::OK);
    let oid = |s: &str| ObjectId::parse(s).unwrap();
    assert_eq!(
        *api.tenant.on_demand.lock().unwrap(),
        [OnDemandTarget::User(oid(&alice)), OnDemandTarget::Group { id: oid(&eng), members: vec![oid(&alice)] }]
    );

    api.post(&path, body(&unknown_oid(), "User", RULE)).await.error(404, "Request_ResourceNotFound");
    let rule = api.post(&path, body(&alice, "User", "not-a-rule")).await;
    assert!(rule.error(400, "Request_BadRequest").starts_with("`ruleId` not-a-rule is not a synchronizationRule"));
    let kind = api.post(&path, body(&alice, "Device", RULE)).await;
    assert_eq!(kind.error(400, "Request_BadRequest"), "`objectTypeName` must be `User` or `Group`, not `Device`");
    api.post(&path, json!({"parameters": []})).await.error(400, "Request_BadRequest");
}

#[tokio::test]
async fn schema_secrets_and_test_connection() {
    let api = start().await;
    let schema_path = format!("{}/{JOB}/schema", jobs());
    let schema = api.ok(&schema_path).await;
    assert!(schema["@odata.context"]
        .as_str()
        .unwrap()
        .ends_with(&format!("synchronization/jobs('{JOB}')/schema/$entity")));
    assert_eq!(schema["synchronizationRules"][0]["id"], RULE);
    let mut changed = schema.clone();
    changed["version"] = json!("edited");
    let put = api.send(Method::PUT, &schema_path, Some(changed)).await;
    assert_eq!(put.status, StatusCode::NO_CONTENT, "{}", put.text);
    assert_eq!(api.ok(&schema_path).await["version"], "edited");
    let refused = api.send(Method::PUT, &schema_path, Some(json!({"directories": []}))).await;
    assert_eq!(refused.error(400, "Request_BadRequest"), "no `synchronizationRules` in the schema JSON");

    let secrets = format!("/v1.0/servicePrincipals/{SP}/synchronization/secrets");
    let pairs = json!({"value": [{"key": "BaseAddress", "value": "http://127.0.0.1:9/scim"}, {"key": "SecretToken", "value": "s3cr3t"}]});
    assert_eq!(api.send(Method::PUT, &secrets, Some(pairs)).await.status, StatusCode::NO_CONTENT);
    assert_eq!(*api.tenant.secrets.lock().unwrap(), ["http://127.0.0.1:9/scim"]);
    let no_base = api.send(Method::PUT, &secrets, Some(json!({"value": [{"key": "SecretToken", "value": "x"}]}))).await;
    assert!(no_base.error(400, "Request_BadRequest").contains("no `BaseAddress`"));

    let validate = format!("{}/validateCredentials", jobs());
    let credentials = |token: &str| {
        json!({"useSavedCredentials": false, "credentials": [
        {"key": "BaseAddress", "value": "http://127.0.0.1:9/scim"}, {"key": "SecretToken", "value": token}]})
    };
    assert_eq!(api.post(&validate, credentials(GOOD_SCIM_TOKEN)).await.status, StatusCode::NO_CONTENT);
    let per_job = api.post(&format!("{}/{JOB}/validateCredentials", jobs()), credentials(GOOD_SCIM_TOKEN)).await;
    assert_eq!(per_job.status, StatusCode::NO_CONTENT, "{}", per_job.text);
    let failed = api.post(&validate, credentials("wrong-token")).await;
    let message = failed.error(400, "SystemForCrossDomainIdentityManagementCredentialValidationUnavailable");
    assert!(message.contains("answered 401"), "{message}");
    assert!(!failed.text.contains("wrong-token"), "the token is not echoed");
    api.post(&validate, json!({"useSavedCredentials": true})).await.error(400, "Request_BadRequest");
}
