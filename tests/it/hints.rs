//! Every hint a finding can carry, with the situation that produces it (issue 18, "honest messages"): each
//! row runs a scenario against an endpoint that behaves one way, and the report must show that row's hint
//! on one of its findings. The rows together cover every text of `engine::result::hint`; and no finding
//! about a request that got an HTTP status is called a transport problem.

use std::path::Path;
use std::time::Duration;

use entrasim::engine::result::{hint, FindingKind};
use entrasim::engine::{self, RunOptions, ScenarioResult, Target};
use entrasim::scim::client::{Auth, Secret};
use serde_json::json;
use wiremock::matchers::{method, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::support;

const ONE_USER: &str = r#"
description = "one user"

[[users]]
id = "alice"
userPrincipalName = "alice@contoso.com"
mailNickname = "alice"
"#;

fn with_steps(steps: &str) -> String {
    format!("{ONE_USER}\n{steps}")
}

fn scim(status: u16, body: serde_json::Value) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(body.to_string(), "application/scim+json")
}

fn list(resources: serde_json::Value) -> serde_json::Value {
    let n = resources.as_array().map_or(0, Vec::len);
    json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"], "totalResults": n, "Resources": resources})
}

/// One way an endpoint misbehaves: `(method, path regex, answer)`, ahead of a well-behaved baseline.
type Answer = (&'static str, &'static str, ResponseTemplate);

/// Runs `text` against a wiremock endpoint that gives `answers` first and behaves well otherwise.
async fn against_mock(text: &str, answers: Vec<Answer>) -> ScenarioResult {
    against_mock_with(text, answers, false).await
}

/// [`against_mock`], with isolation's leftover lookup and cleanup around the steps when `isolated`.
async fn against_mock_with(text: &str, answers: Vec<Answer>, isolated: bool) -> ScenarioResult {
    let server = MockServer::start().await;
    for (m, p, answer) in answers {
        Mock::given(method(m)).and(path_regex(p)).respond_with(answer).with_priority(1).mount(&server).await;
    }
    Mock::given(method("GET")).respond_with(scim(200, list(json!([])))).mount(&server).await;
    Mock::given(method("POST")).respond_with(scim(201, json!({"id": "u1"}))).mount(&server).await;
    Mock::given(method("PATCH")).respond_with(ResponseTemplate::new(204)).mount(&server).await;
    Mock::given(method("DELETE")).respond_with(ResponseTemplate::new(204)).mount(&server).await;
    against_url_with(text, &server.uri(), isolated).await
}

async fn against_url(text: &str, url: &str) -> ScenarioResult {
    against_url_with(text, url, false).await
}

async fn against_url_with(text: &str, url: &str, isolated: bool) -> ScenarioResult {
    let scenario = support::parse_scenario(text);
    let mapping = entrasim::mapping::load("entra-default", Path::new(".")).expect("preset").set;
    let target = Target::Url { url: url.to_string(), auth: Auth::Bearer(Secret::new("hints-token-77c1")) };
    let options = RunOptions {
        timeout: Duration::from_millis(300),
        max_retry_wait: Duration::ZERO,
        retry_sleep_budget: Duration::ZERO,
        // The mocks script every answer of the steps: no leftover lookup or cleanup around them unless asked.
        isolation: entrasim::engine::isolation::IsolationOptions { off: !isolated, ..Default::default() },
        ..RunOptions::default()
    };
    engine::run_scenario(&scenario, "hints", &mapping, target, &options).await.expect("the run starts")
}

async fn bundled(name: &str) -> ScenarioResult {
    support::run_scenario_file(&Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios").join(name)).await.0
}

/// The situation that yields each hint.
async fn situation(expected: &str) -> ScenarioResult {
    let cycle = with_steps("[[steps]]\ncycle = \"initial\"\n");
    let probe = with_steps("[[steps]]\ntest_connection = true\n");
    let post = |answer: ResponseTemplate| vec![("POST", "^/Users$", answer)];
    match expected {
        hint::TIMEOUT => against_url(&probe, &crate::failfast::endpoint::silent()).await,
        hint::CONNECTION => {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
            let url = format!("http://{}", listener.local_addr().expect("address"));
            drop(listener);
            against_url(&probe, &url).await
        }
        hint::SETUP => {
            let steps =
                "[[steps]]\ncycle = \"initial\"\n\n[[steps]]\ntarget_edit = \"alice\"\nset = { title = \"x\" }\n";
            let refused = scim(400, json!({"detail": "title is read-only", "scimType": "mutability"}));
            against_mock(&with_steps(steps), vec![("PATCH", "^/Users/u1$", refused)]).await
        }
        hint::LEFTOVER => {
            let earlier = list(json!([{"id": "old1", "userName": "alice@contoso.com"}]));
            against_mock_with(&cycle, vec![("GET", "^/Users$", scim(200, earlier))], true).await
        }
        hint::CLEANUP => {
            against_mock_with(&cycle, vec![("DELETE", "^/Users/u1$", ResponseTemplate::new(405))], true).await
        }
        hint::ESCROW => against_mock(&cycle, post(scim(500, json!({"detail": "boom"})))).await,
        hint::CONFLICT => {
            against_mock(&cycle, post(scim(409, json!({"detail": "userName taken", "scimType": "uniqueness"})))).await
        }
        hint::THROTTLED => {
            against_mock(&cycle, post(ResponseTemplate::new(429).insert_header("Retry-After", "0"))).await
        }
        hint::CREDENTIALS => against_mock(&probe, vec![("GET", "^/Users$", ResponseTemplate::new(401))]).await,
        hint::ANCHOR => {
            let steps = "[[steps]]\ncycle = \"initial\"\n\n[[steps]]\nupdate = \"alice\"\nset = { jobTitle = \"Engineer\" }\n\n[[steps]]\ncycle = \"incremental\"\n";
            let gone = scim(404, json!({"detail": "no such user"}));
            against_mock(&with_steps(steps), vec![("PATCH", "^/Users/u1$", gone.clone()), ("GET", "^/Users/u1$", gone)])
                .await
        }
        hint::DUPLICATES => {
            let two = list(json!([{"id": "a", "userName": "x"}, {"id": "b", "userName": "y"}]));
            against_mock(&cycle, vec![("GET", "^/Users$", scim(200, two))]).await
        }
        hint::MEMBERS_EXCLUDED => {
            let text = format!(
                "{ONE_USER}\n[[groups]]\nid = \"eng\"\ndisplayName = \"Engineering\"\nmembers = [\"alice\"]\n\n[[steps]]\ncycle = \"initial\"\n"
            );
            let group = list(json!([{"id": "g1", "displayName": "Engineering", "members": [{"value": "u1"}]}]));
            against_mock(&text, vec![("GET", "^/Groups$", scim(200, group))]).await
        }
        hint::INCOMPATIBLE => against_mock(&cycle, post(scim(201, json!({"userName": "alice@contoso.com"})))).await,
        hint::BAD_REQUEST => {
            against_mock(&cycle, post(scim(400, json!({"detail": "bad", "scimType": "invalidValue"})))).await
        }
        hint::METHOD => against_mock(&cycle, post(ResponseTemplate::new(405))).await,
        hint::NOT_STEADY => bundled("steady/entra_default_with_dropped_attributes.toml").await,
        hint::MEMBERSHIP => bundled("groups/membership_drift_is_not_repaired.toml").await,
        hint::NON_COMPLIANT => bundled("connection/not_found_on_empty_query.toml").await,
        other => panic!("no situation for the hint `{other}`: add a row"),
    }
}

// See: issue 18 ("every hint text is covered by a test that produces it").
#[tokio::test]
async fn every_hint_is_produced_by_its_situation_and_no_http_status_is_a_transport_problem() {
    for expected in hint::ALL {
        let result = situation(expected).await;
        let listing: String = result
            .all_findings()
            .map(|f| format!("{:?} {:?} {:?}: {} → {:?}\n", f.severity, f.kind, f.code, f.message, f.hint()))
            .collect();
        // The hint reaches the report a user reads.
        let suite = entrasim::cmd::reportconv::scenario_suite("hints", &result, Duration::ZERO);
        let shown = suite.cases.iter().flat_map(|c| &c.findings).any(|f| f.hint.as_deref() == Some(expected));
        assert!(shown, "no finding shows the hint `{expected}`:\n{listing}");
        for f in result.all_findings() {
            let answered = f.request.as_ref().is_some_and(|r| r.status.is_some());
            assert!(
                !(answered && f.kind == FindingKind::Transport),
                "a finding about an HTTP answer is called a transport problem:\n{listing}"
            );
            if answered {
                assert!(![hint::TIMEOUT, hint::CONNECTION].contains(&f.hint().unwrap_or("")), "{listing}");
            }
        }
    }
}
