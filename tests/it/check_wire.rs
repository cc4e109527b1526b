//! What `check` sends depends on the same wire switches and role mapping as `run`: the role checks
//! (ENTRA.md 1.9), which run when the mapping maps app roles — the hazard being an endpoint that stores the
//! legacy role PATCH's JSON text as the role's value — and the switched shapes of user and group bodies.

use std::path::PathBuf;
use std::time::Duration;

use entrasim::check::{self, CheckOptions, CheckStatus};
use entrasim::engine::Dialect;
use entrasim::scim::client::{Auth, Client, ClientConfig, Secret};
use serde_json::json;
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn scim(status: u16, body: serde_json::Value) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(body.to_string(), "application/scim+json")
}

fn options(mapping: &str) -> CheckOptions {
    CheckOptions {
        groups: false,
        mapping: mapping.into(),
        mapping_dir: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios/roles"),
        ..CheckOptions::default()
    }
}

// See: issue 24 (the JSON-in-a-string legacy role value is the hazard to test).
#[tokio::test]
async fn a_role_stored_as_its_json_text_fails_the_legacy_role_check() {
    let server = MockServer::start().await;
    let empty =
        json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"], "totalResults": 0, "Resources": []});
    Mock::given(method("GET")).and(path("/Users")).respond_with(scim(200, empty)).mount(&server).await;
    Mock::given(method("POST")).respond_with(scim(201, json!({"id": "u-1", "userName": "x"}))).mount(&server).await;
    Mock::given(method("PATCH")).respond_with(ResponseTemplate::new(204)).mount(&server).await;
    Mock::given(method("DELETE")).respond_with(ResponseTemplate::new(204)).mount(&server).await;
    let stored_as_text = r#"{"id":"1","value":"Writer","displayName":"Writer"}"#;
    let user = json!({"id": "u-1", "userName": "x", "roles": [{"value": "Admin"}, {"value": "Reader"}, {"value": stored_as_text}]});
    Mock::given(method("GET")).and(path_regex("^/Users/.+")).respond_with(scim(200, user)).mount(&server).await;
    let mut cfg = ClientConfig::new(server.uri(), Auth::Bearer(Secret::new("t")));
    cfg.timeout = Duration::from_secs(10);
    let client = Client::new(cfg).expect("client builds");
    let options = CheckOptions { dialects: vec![Dialect::Legacy], ..options("complex.mapping") };
    let result = check::run(&client, &options).await.expect("runs");
    let post = result.checks.iter().find(|c| c.id() == "roles/legacy/post").expect("role checks run");
    assert_eq!(post.status, CheckStatus::Pass, "{post:?}");
    let add = result.checks.iter().find(|c| c.id() == "roles/legacy/add").expect("add check");
    assert_eq!(add.status, CheckStatus::Fail, "{add:?}");
    assert_eq!(add.problems[0].kind, "role_json_text_stored");
    let patch = add.exchanges.iter().find(|e| e.request_line().starts_with("PATCH")).expect("the PATCH");
    let value = &patch.request_body.as_ref().expect("body")["Operations"][0]["value"][0]["value"];
    assert!(value.as_str().is_some_and(|t| t.contains("\"value\":\"Writer\"")), "JSON text sent: {value}");
}

#[tokio::test]
async fn the_embedded_endpoint_passes_every_role_check_and_mappings_without_roles_run_none() {
    for (mapping, checks) in [("single.mapping", 4), ("complex.mapping", 4), ("assertive.mapping", 6)] {
        let result = run_embedded(options(mapping)).await;
        let roles: Vec<_> = result.checks.iter().filter(|c| c.id().starts_with("roles/")).collect();
        assert_eq!(roles.len(), checks, "{mapping}");
        assert!(roles.iter().all(|c| c.status == CheckStatus::Pass), "{mapping}: {roles:?}");
    }
    let result = run_embedded(options("entra-default")).await;
    assert!(!result.checks.iter().any(|c| c.id().starts_with("roles/")));
}

async fn run_embedded(options: CheckOptions) -> check::CheckResult {
    let server = entrasim::server::start(entrasim::server::ServerConfig::default()).await.expect("starts");
    let client =
        Client::new(ClientConfig::new(server.url(), Auth::Bearer(Secret::new(server.token())))).expect("client");
    let result = check::run(&client, &options).await.expect("runs");
    server.shutdown().await;
    result
}

// See: issue 24 (run and check must send the same shapes).
#[tokio::test]
async fn check_sends_the_switched_shapes() {
    use entrasim::fidelity::{Fidelity, Override};
    let wire: Vec<Override> = ["group_adscim_schema=false", "member_ref_null=true", "post_active_as_string=true"]
        .iter()
        .map(|a| Override::parse_assignment(a).expect("switch"))
        .collect();
    let options = CheckOptions {
        dialects: vec![Dialect::Legacy],
        fidelity: Fidelity::default().with(&wire),
        ..CheckOptions::default()
    };
    let result = run_embedded(options).await;
    let sent: Vec<(String, serde_json::Value)> = result
        .checks
        .iter()
        .flat_map(|c| &c.exchanges)
        .filter_map(|e| Some((e.request_line(), e.request_body.clone()?)))
        .collect();
    let bodies = |prefix: &str| -> Vec<serde_json::Value> {
        sent.iter().filter(|(line, _)| line.starts_with(prefix)).map(|(_, b)| b.clone()).collect()
    };
    let (groups, users) = (bodies("POST /Groups"), bodies("POST /Users"));
    assert!(!groups.is_empty() && !users.is_empty());
    assert!(groups.iter().all(|b| b["schemas"] == json!(["urn:ietf:params:scim:schemas:core:2.0:Group"])));
    // The steady-state check posts the mapping's own body (its values are compared, not its types).
    let entra_bodies = users.iter().filter(|b| !b["userName"].as_str().unwrap_or_default().contains("steady"));
    assert!(entra_bodies.clone().count() > 0);
    assert!(entra_bodies.into_iter().all(|b| b["active"] == json!("True")));
    let members: Vec<serde_json::Value> = bodies("PATCH /Groups")
        .iter()
        .flat_map(|b| b["Operations"].as_array().cloned().unwrap_or_default())
        .filter(|op| op["path"] == json!("members"))
        .flat_map(|op| op["value"].as_array().cloned().unwrap_or_default())
        .collect();
    assert!(
        !members.is_empty() && members.iter().all(|m| m.get("$ref") == Some(&serde_json::Value::Null)),
        "{members:?}"
    );
}
