//! `entrasim check` against wiremock (transport oddities, interruption) and against the embedded endpoint
//! (everything passes; one switch each fails exactly the matching checks; nothing is left behind).

use std::time::Duration;

use entrasim::check::{self, CheckError, CheckOptions, CheckResult, CheckStatus, RunEnd};
use entrasim::report;
use entrasim::scim::client::{Auth, Client, ClientConfig, Secret};
use serde_json::json;
use wiremock::matchers::{any, method, path, path_regex, query_param_contains};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TOKEN: &str = "tok-secret-4711";

fn client_for(base: &str) -> Client {
    let mut cfg = ClientConfig::new(base, Auth::Bearer(Secret::new(TOKEN)));
    cfg.timeout = Duration::from_secs(10);
    Client::new(cfg).expect("client builds")
}

fn scim(status: u16, body: serde_json::Value) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(body.to_string(), "application/scim+json")
}

fn empty_list() -> serde_json::Value {
    json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"], "totalResults": 0, "Resources": []})
}

fn ids(result: &CheckResult, status: CheckStatus) -> Vec<String> {
    result.with_status(status).map(|c| c.id()).collect()
}

/// The rendered reports must never contain the token.
fn assert_no_secret(result: &CheckResult) {
    let report = result.to_report();
    let junit = report::junit::render(&report).expect("junit renders");
    let json = report::json::render(&report);
    assert!(!junit.contains(TOKEN) && !json.contains(TOKEN), "the token leaked into a report");
}

#[tokio::test]
async fn refused_credentials_fail_the_probe_clearly_and_stop() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(scim(401, json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"], "status": "401"})))
        .expect(1)
        .mount(&server)
        .await;
    let result = check::run(&client_for(&format!("{}/scim", server.uri())), &CheckOptions::default()).await.unwrap();
    assert_eq!(ids(&result, CheckStatus::Fail), ["connection/test-connection-users"]);
    assert_eq!(result.checks.len(), 1);
    let problem = &result.checks[0].problems[0];
    assert_eq!(problem.kind, "credentials");
    assert!(problem.message.starts_with("GET /Users?filter=userName eq \""), "{}", problem.message);
    assert!(problem.message.contains("invalid credentials"), "{}", problem.message);
    assert!(matches!(result.end, RunEnd::Stopped { .. }));
    assert_no_secret(&result);
}

#[tokio::test]
async fn html_error_pages_fail_checks_naming_the_request_without_panicking() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(
            ResponseTemplate::new(502).set_body_raw("<html><body><h1>502 Bad Gateway</h1></body></html>", "text/html"),
        )
        .mount(&server)
        .await;
    let result = check::run(&client_for(&server.uri()), &CheckOptions::default()).await.unwrap();
    assert_eq!(result.end, RunEnd::Completed);
    assert!(ids(&result, CheckStatus::Pass).is_empty(), "{:?}", ids(&result, CheckStatus::Pass));
    let probe = &result.checks[0];
    assert_eq!((probe.id().as_str(), probe.status), ("connection/test-connection-users", CheckStatus::Fail));
    let problem = &probe.problems[0];
    assert!(problem.message.contains("GET /Users?filter=") && problem.message.contains("502"), "{}", problem.message);
    let evidence = check::evidence(problem.exchange.as_deref().expect("evidence"));
    assert!(evidence.response_body.unwrap().as_str().unwrap().contains("Bad Gateway"));
    let create = result.checks.iter().find(|c| c.id() == "users/create").unwrap();
    assert_eq!(create.status, CheckStatus::Fail);
    // Everything that needs a created object is skipped rather than failed.
    let skipped = ids(&result, CheckStatus::Skipped);
    assert!(skipped.contains(&"users/legacy/update-name".to_string()), "{skipped:?}");
    assert!(result.left_behind.is_empty());
    assert_no_secret(&result);
}

#[tokio::test]
async fn non_json_bodies_are_failed_checks() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/Users"))
        .respond_with(
            ResponseTemplate::new(200).set_body_raw("{\"totalResults\": 0, \"Resour", "application/scim+json"),
        )
        .mount(&server)
        .await;
    Mock::given(any()).respond_with(ResponseTemplate::new(200).set_body_raw("OK", "text/plain")).mount(&server).await;
    let options = CheckOptions { groups: false, ..CheckOptions::default() };
    let result = check::run(&client_for(&server.uri()), &options).await.unwrap();
    let probe = &result.checks[0];
    assert_eq!(probe.status, CheckStatus::Fail);
    assert_eq!(probe.problems[0].kind, "not_scim_json");
    let create = result.checks.iter().find(|c| c.id() == "users/create").unwrap();
    assert_eq!(create.status, CheckStatus::Fail, "{create:?}");
    assert!(create.problems[0].message.contains("POST /Users"), "{}", create.problems[0].message);
}

#[tokio::test]
async fn a_patch_answered_with_text_fails_as_unparseable() {
    let server = MockServer::start().await;
    Mock::given(method("GET")).respond_with(scim(200, empty_list())).mount(&server).await;
    Mock::given(method("POST")).respond_with(scim(201, json!({"id": "u-1"}))).mount(&server).await;
    Mock::given(method("PATCH"))
        .respond_with(ResponseTemplate::new(200).set_body_raw("Updated!", "text/plain"))
        .mount(&server)
        .await;
    Mock::given(method("DELETE")).respond_with(ResponseTemplate::new(204)).mount(&server).await;
    let options = CheckOptions { groups: false, ..CheckOptions::default() };
    let result = check::run(&client_for(&server.uri()), &options).await.unwrap();
    let name = result.checks.iter().find(|c| c.id() == "users/compliant/update-name").unwrap();
    assert_eq!(name.status, CheckStatus::Fail);
    assert_eq!(name.problems[0].kind, "unparseable_response");
    assert!(name.problems[0].message.starts_with("PATCH /Users/u-1 answered 200"), "{}", name.problems[0].message);
}

#[tokio::test]
async fn odd_answers_to_every_request_never_panic_and_never_pass_a_create() {
    let bodies = [
        json!(null),
        json!([]),
        json!("text"),
        json!({"id": 5, "totalResults": "1", "Resources": "x"}),
        json!({"id": "", "Resources": [null, 1, {"id": null}]}),
        json!({"id": "u-1", "members": {"value": "x"}, "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": 3}),
        json!({"totalResults": 1, "Resources": [{"id": "u-1", "active": "maybe", "emails": "a@b"}]}),
    ];
    for body in bodies {
        for status in [200, 201, 204, 409] {
            let server = MockServer::start().await;
            Mock::given(any()).respond_with(scim(status, body.clone())).mount(&server).await;
            let result = check::run(&client_for(&server.uri()), &CheckOptions::default()).await.unwrap();
            let create = result.checks.iter().find(|c| c.id() == "users/create");
            let passed = create.is_some_and(|c| c.status == CheckStatus::Pass);
            assert!(!passed || (status == 201 && body["id"] == json!("u-1")), "{status} {body}: {create:#?}");
            assert!(result.checks.iter().all(|c| c.status != CheckStatus::Fail || !c.problems.is_empty()));
        }
    }
}

#[tokio::test]
async fn an_unreachable_target_is_an_error_not_a_finding() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let err =
        check::run(&client_for(&format!("http://127.0.0.1:{port}/scim")), &CheckOptions::default()).await.unwrap_err();
    assert!(matches!(err, CheckError::Unreachable { .. }), "{err}");
    assert!(err.to_string().contains("GET /Users?filter="), "{err}");
}

#[tokio::test]
async fn a_probe_that_times_out_stops_the_run() {
    let server = MockServer::start().await;
    Mock::given(any()).respond_with(scim(200, empty_list()).set_delay(Duration::from_secs(5))).mount(&server).await;
    let mut cfg = ClientConfig::new(server.uri(), Auth::Bearer(Secret::new(TOKEN)));
    cfg.timeout = Duration::from_millis(300);
    let client = Client::new(cfg).expect("client builds");
    let result = check::run(&client, &CheckOptions::default()).await.unwrap();
    assert_eq!(result.checks.len(), 1);
    assert_eq!(result.checks[0].problems[0].kind, "transport");
    assert!(result.checks[0].problems[0].message.contains("timed out"), "{}", result.checks[0].problems[0].message);
    assert!(matches!(&result.end, RunEnd::Stopped { reason } if reason.contains("timed out")), "{:?}", result.end);
}

#[tokio::test]
async fn mappings_that_do_not_load_and_empty_dialects_are_rejected_before_sending() {
    let server = MockServer::start().await;
    Mock::given(any()).respond_with(scim(200, empty_list())).expect(0).mount(&server).await;
    let client = client_for(&server.uri());
    let options = CheckOptions { mapping: "nope".into(), ..CheckOptions::default() };
    assert!(matches!(check::run(&client, &options).await, Err(CheckError::Mapping { .. })));
    let options = CheckOptions { dialects: vec![], ..CheckOptions::default() };
    assert!(matches!(check::run(&client, &options).await, Err(CheckError::NoDialect)));
}

#[tokio::test]
async fn interruption_still_deletes_what_was_created() {
    let server = MockServer::start().await;
    // Match queries on the run's own objects hang; the probes (random GUIDs) answer at once.
    Mock::given(method("GET"))
        .and(query_param_contains("filter", "entrasim-"))
        .respond_with(scim(200, empty_list()).set_delay(Duration::from_secs(8)))
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET")).respond_with(scim(200, empty_list())).mount(&server).await;
    Mock::given(method("POST"))
        .and(path("/Users"))
        .respond_with(scim(201, json!({"id": "u-1", "userName": "x"})))
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path_regex("^/Users/u-1$"))
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    let cancel = tokio::time::sleep(Duration::from_millis(800));
    let started = std::time::Instant::now();
    let result = check::run_until(&client_for(&server.uri()), &CheckOptions::default(), cancel).await.unwrap();
    assert!(started.elapsed() < Duration::from_secs(6), "the hanging request was not abandoned");
    assert_eq!(result.end, RunEnd::Interrupted);
    assert!(result.left_behind.is_empty());
    let ran: Vec<String> = result.checks.iter().map(|c| c.id()).collect();
    assert_eq!(
        ran,
        [
            "connection/test-connection-users",
            "connection/test-connection-groups",
            "schema/discovery",
            "users/create",
            "users/duplicate-create"
        ]
    );
    // users/filter-username was abandoned in its hanging query; the user it created is deleted afterwards.
    let requests = server.received_requests().await.unwrap();
    let hanging = requests.iter().rposition(|r| r.url.query().is_some_and(|q| q.contains("entrasim-"))).unwrap();
    let deletes = requests[hanging..].iter().filter(|r| r.method.as_str() == "DELETE").count();
    assert_eq!(deletes, 1, "{requests:#?}");
    assert_eq!(result.to_report().exit_code(), entrasim::exit::RUNTIME);
}

#[tokio::test]
async fn a_post_without_a_usable_answer_is_found_by_its_unique_name_and_deleted() {
    let server = MockServer::start().await;
    let ours = "entrasim-t1-user1";
    Mock::given(method("GET"))
        .and(path("/Users"))
        .and(wiremock::matchers::query_param("filter", format!("externalId eq \"{ours}\"")))
        .respond_with(scim(
            200,
            json!({"totalResults": 2, "Resources": [
                {"id": "u-9", "externalId": ours},
                {"id": "x-1", "externalId": "entrasim-t1-user1-not-quite"}
            ]}),
        ))
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET")).respond_with(scim(200, empty_list())).mount(&server).await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_raw("{\"id\": \"u-9\", \"userNa", "application/scim+json"))
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/Users/u-9"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/Users/x-1"))
        .respond_with(ResponseTemplate::new(204))
        .expect(0)
        .mount(&server)
        .await;
    let options = CheckOptions {
        groups: false,
        run_tag: Some("t1".into()),
        dialects: vec![entrasim::engine::Dialect::Legacy],
        ..CheckOptions::default()
    };
    let result = check::run(&client_for(&server.uri()), &options).await.unwrap();
    let create = result.checks.iter().find(|c| c.id() == "users/create").unwrap();
    assert_eq!(create.status, CheckStatus::Fail);
    assert!(result.left_behind.is_empty());
}

mod credentials;
mod embedded;
mod rendered;
