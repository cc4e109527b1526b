//! Hostile endpoints (issue 6, "hostile input never crashes entrasim"): a wiremock endpoint on 127.0.0.1
//! misbehaves in one way per test, and both `run` (Test Connection plus an initial cycle of three users)
//! and `check` must end within a bounded time with a finding that names the request, and never print
//! the token.

use std::path::Path;
use std::time::{Duration, Instant};

use entrasim::check::{self, CheckOptions, CheckResult, CheckStatus};
use entrasim::engine::isolation::IsolationOptions;
use entrasim::engine::result::{ErrorCode, Finding, FindingKind, Severity};
use entrasim::engine::{self, RunOptions, ScenarioResult, Target};
use entrasim::report;
use entrasim::scim::client::{Auth, Client, ClientConfig, Secret};
use serde_json::json;
use wiremock::matchers::{any, method};
use wiremock::{Mock, MockServer, Request as Received, ResponseTemplate};

use crate::support;

const TOKEN: &str = "hostile-planted-9c2e4a71f0d8b355";

/// No hostile answer may keep a run or a check going longer than this.
const BOUND: Duration = Duration::from_secs(60);

const SCENARIO: &str = r#"
description = "test connection and an initial cycle against a hostile endpoint"

[[users]]
id = "alice"
userPrincipalName = "alice@contoso.com"
mailNickname = "alice"

[[users]]
id = "bob"
userPrincipalName = "bob@contoso.com"
mailNickname = "bob"

[[users]]
id = "carol"
userPrincipalName = "carol@contoso.com"
mailNickname = "carol"

[[steps]]
test_connection = true

[[steps]]
cycle = "initial"
"#;

/// [`SCENARIO`] without Test Connection, for answers that Test Connection would fail on (and so stop the
/// scenario before its cycle): how the cycle handles them is what these tests check.
fn cycle_only() -> String {
    SCENARIO.replace("[[steps]]\ntest_connection = true\n\n", "")
}

fn scim(status: u16, body: serde_json::Value) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(body.to_string(), "application/scim+json")
}

fn empty_list() -> serde_json::Value {
    json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"], "totalResults": 0, "Resources": []})
}

/// A well-behaved endpoint under the hostile mocks (which are mounted first, with a higher priority).
async fn mount_baseline(server: &MockServer) {
    Mock::given(method("GET")).respond_with(scim(200, empty_list())).mount(server).await;
    Mock::given(method("POST"))
        .respond_with(|req: &Received| {
            let n = req.body.len();
            scim(201, json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "id": format!("id-{n}")}))
        })
        .mount(server)
        .await;
    Mock::given(method("PATCH")).respond_with(ResponseTemplate::new(204)).mount(server).await;
    Mock::given(method("DELETE")).respond_with(ResponseTemplate::new(204)).mount(server).await;
}

/// Mounts `hostile` for requests matching `method_name` (any method when `None`) ahead of the baseline.
async fn hostile(server: &MockServer, method_name: Option<&str>, answer: ResponseTemplate) {
    let mock = match method_name {
        Some(m) => Mock::given(method(m)),
        None => Mock::given(any()),
    };
    mock.respond_with(answer).with_priority(1).mount(server).await;
    mount_baseline(server).await;
}

fn options(timeout: Duration) -> RunOptions {
    // The mocks script every answer: no leftover lookups or cleanup deletes in between.
    let isolation = IsolationOptions { off: true, ..IsolationOptions::default() };
    RunOptions { timeout, max_retry_wait: Duration::from_millis(50), isolation, ..RunOptions::default() }
}

/// `entrasim run`'s entry point against the endpoint, bounded in time.
async fn run_against(url: &str, timeout: Duration) -> ScenarioResult {
    run_text_against(SCENARIO, url, timeout).await
}

/// [`run_against`] with the scenario's cycle only.
async fn run_cycle_against(url: &str, timeout: Duration) -> ScenarioResult {
    run_text_against(&cycle_only(), url, timeout).await
}

async fn run_text_against(text: &str, url: &str, timeout: Duration) -> ScenarioResult {
    let scenario = support::parse_scenario(text);
    let mapping = entrasim::mapping::load("entra-default", Path::new(".")).expect("preset loads").set;
    let target = Target::Url { url: url.to_string(), auth: Auth::Bearer(Secret::new(TOKEN)) };
    let started = Instant::now();
    let options = options(timeout);
    let run = engine::run_scenario(&scenario, "hostile", &mapping, target, &options);
    let result = tokio::time::timeout(BOUND, run).await.expect("the run ends in bounded time").expect("the run starts");
    assert!(started.elapsed() < BOUND);
    assert_no_token_in_run(&result);
    result
}

/// `entrasim check`'s entry point against the endpoint, bounded in time.
async fn check_against(url: &str, timeout: Duration) -> CheckResult {
    let mut cfg = ClientConfig::new(url, Auth::Bearer(Secret::new(TOKEN)));
    cfg.timeout = timeout;
    let client = Client::new(cfg).expect("client builds");
    let options = CheckOptions { groups: false, ..CheckOptions::default() };
    let run = check::run(&client, &options);
    let result = tokio::time::timeout(BOUND, run).await.expect("the check ends in bounded time").expect("it runs");
    assert_no_token_in_check(&result);
    result
}

/// The terminal output at its most verbose, which shows the most.
fn everything() -> report::terminal::Options {
    report::terminal::Options { paint: report::paint::Paint::plain(), verbosity: 2 }
}

fn assert_no_token_in_run(result: &ScenarioResult) {
    let suite = entrasim::cmd::reportconv::scenario_suite("hostile", result, Duration::ZERO);
    let report = report::Report { command: "run".into(), target: result.base_url.clone(), suites: vec![suite] };
    let texts = [
        report::json::render(&report),
        report::junit::render(&report).expect("junit renders"),
        report::terminal::render(&report, None, &everything()),
        entrasim::snapshot::render(result, Some(&result.base_url), &[]),
        format!("{result:?}"),
    ];
    for text in texts {
        assert!(!text.contains(TOKEN), "the token leaked:\n{text}");
    }
}

fn assert_no_token_in_check(result: &CheckResult) {
    let report = result.to_report();
    let texts = [
        report::json::render(&report),
        report::junit::render(&report).expect("junit renders"),
        report::terminal::render(&report, None, &everything()),
        format!("{result:?}"),
    ];
    for text in texts {
        assert!(!text.contains(TOKEN), "the token leaked:\n{text}");
    }
}

/// Every finding of a run, for assertion messages.
fn listing(result: &ScenarioResult) -> String {
    result.all_findings().map(|f| format!("{:?} {:?} {:?}: {}\n", f.severity, f.kind, f.code, f.message)).collect()
}

/// The finding that names a request starting with `line` (in its message and its request reference).
fn named<'a>(result: &'a ScenarioResult, line: &str, pred: impl Fn(&Finding) -> bool) -> &'a Finding {
    result
        .all_findings()
        .find(|f| f.message.contains(line) && f.request.as_ref().is_some_and(|r| r.line.starts_with(line)) && pred(f))
        .unwrap_or_else(|| panic!("no finding naming `{line}` as wanted:\n{}", listing(result)))
}

/// The problems of every check, for assertion messages.
fn problems(result: &CheckResult) -> String {
    result
        .checks
        .iter()
        .flat_map(|c| c.problems.iter().map(move |p| format!("{} {}: {}\n", c.id(), p.kind, p.message)))
        .collect()
}

/// The problem of kind `kind` that names a request starting with `line`.
fn problem<'a>(result: &'a CheckResult, kind: &str, line: &str) -> &'a check::Problem {
    result
        .checks
        .iter()
        .flat_map(|c| &c.problems)
        .find(|p| p.kind == kind && p.message.contains(line))
        .unwrap_or_else(|| panic!("no `{kind}` problem naming `{line}`:\n{}", problems(result)))
}

const QUERY: &str = "GET /Users?filter=userName eq";

#[tokio::test]
async fn an_html_page_with_200_is_incompatible_and_named() {
    let server = MockServer::start().await;
    let page = ResponseTemplate::new(200).set_body_raw("<html><body>Welcome!</body></html>", "text/html");
    hostile(&server, None, page).await;
    let result = run_cycle_against(&server.uri(), Duration::from_secs(10)).await;
    let f = named(&result, QUERY, |f| f.kind == FindingKind::Incompatible);
    assert_eq!(f.code, Some(ErrorCode::SystemForCrossDomainIdentityManagementServiceIncompatible));
    assert!(f.message.contains("not JSON"), "{}", f.message);
    named(&result, QUERY, |f| f.kind == FindingKind::NonCompliance && f.message.contains("text/html"));
    let checked = check_against(&server.uri(), Duration::from_secs(10)).await;
    problem(&checked, "not_scim_json", QUERY);
}

#[tokio::test]
async fn an_html_page_with_500_is_an_object_failure_and_named() {
    let server = MockServer::start().await;
    let page = ResponseTemplate::new(500).set_body_raw("<html><h1>Internal Server Error</h1></html>", "text/html");
    hostile(&server, None, page).await;
    let result = run_cycle_against(&server.uri(), Duration::from_secs(10)).await;
    let f = named(&result, QUERY, |f| f.kind == FindingKind::ObjectFailure);
    assert_eq!(f.code, Some(ErrorCode::InternalServerError));
    assert!(f.message.contains("500") && f.message.contains("Internal Server Error"), "{}", f.message);
    assert_eq!(result.summary.escrows_outstanding, 3, "each user is escrowed\n{}", listing(&result));
    let checked = check_against(&server.uri(), Duration::from_secs(10)).await;
    problem(&checked, "query_status", QUERY);
}

#[tokio::test]
async fn truncated_json_is_incompatible_and_named() {
    let server = MockServer::start().await;
    let cut = ResponseTemplate::new(200).set_body_raw("{\"totalResults\": 0, \"Resour", "application/scim+json");
    hostile(&server, Some("GET"), cut).await;
    let result = run_cycle_against(&server.uri(), Duration::from_secs(10)).await;
    let f = named(&result, QUERY, |f| f.kind == FindingKind::Incompatible);
    assert!(f.message.contains("not JSON") && f.message.contains("EOF"), "{}", f.message);
    let checked = check_against(&server.uri(), Duration::from_secs(10)).await;
    problem(&checked, "not_scim_json", QUERY);
}

#[tokio::test]
async fn valid_json_as_text_plain_is_a_media_type_warning_not_a_failure() {
    let server = MockServer::start().await;
    let list = ResponseTemplate::new(200).set_body_raw(empty_list().to_string(), "text/plain");
    hostile(&server, Some("GET"), list).await;
    let result = run_against(&server.uri(), Duration::from_secs(10)).await;
    let f = named(&result, QUERY, |f| f.message.contains("text/plain"));
    assert_eq!((f.kind, f.severity), (FindingKind::NonCompliance, Severity::Warning));
    assert!(f.message.contains("application/scim+json"), "{}", f.message);
    assert_eq!(result.summary.users_provisioned, 3, "the JSON is still read\n{}", listing(&result));
    assert_eq!(result.summary.errors, 0, "{}", listing(&result));
    let checked = check_against(&server.uri(), Duration::from_secs(10)).await;
    let p = problem(&checked, "content_type", QUERY);
    assert_eq!(p.severity, report::Severity::Warning);
}

#[tokio::test]
async fn a_gigantic_body_is_not_read_past_the_bound() {
    let server = MockServer::start().await;
    let size = entrasim::scim::client::DEFAULT_MAX_BODY + 1024;
    let huge = ResponseTemplate::new(200).set_body_raw(vec![b' '; size], "application/scim+json");
    hostile(&server, Some("GET"), huge).await;
    let result = run_cycle_against(&server.uri(), Duration::from_secs(20)).await;
    let f = named(&result, QUERY, |f| f.kind == FindingKind::Incompatible);
    assert!(f.message.contains("larger than"), "{}", f.message);
    let checked = check_against(&server.uri(), Duration::from_secs(20)).await;
    let p = problem(&checked, "not_scim_json", QUERY);
    assert!(p.message.contains("larger than"), "{}", p.message);
}

#[tokio::test]
async fn deeply_nested_json_is_incompatible_not_a_stack_overflow() {
    let server = MockServer::start().await;
    let deep = ResponseTemplate::new(200).set_body_raw("[".repeat(100_000), "application/scim+json");
    hostile(&server, Some("GET"), deep).await;
    let result = run_cycle_against(&server.uri(), Duration::from_secs(10)).await;
    let f = named(&result, QUERY, |f| f.kind == FindingKind::Incompatible);
    assert!(f.message.contains("recursion limit"), "{}", f.message);
    let checked = check_against(&server.uri(), Duration::from_secs(10)).await;
    problem(&checked, "not_scim_json", QUERY);
    // The transcript keeps a cut of each body, not 100 kB of brackets per request.
    let kept = result.transcript.iter().filter_map(|e| match &e.response_body {
        entrasim::scim::client::Body::Text { text, .. } => Some(text.len()),
        _ => None,
    });
    let kept: Vec<usize> = kept.collect();
    assert!(!kept.is_empty() && kept.iter().all(|&n| n < entrasim::scim::client::MAX_TEXT + 100), "{kept:?}");
}

#[tokio::test]
async fn a_post_answer_without_id_is_incompatible_and_named() {
    let server = MockServer::start().await;
    hostile(&server, Some("POST"), scim(201, json!({"userName": "alice@contoso.com"}))).await;
    let result = run_against(&server.uri(), Duration::from_secs(10)).await;
    let f = named(&result, "POST /Users", |f| f.kind == FindingKind::Incompatible);
    assert!(f.message.contains("no `id`"), "{}", f.message);
    assert_eq!(f.code, Some(ErrorCode::SystemForCrossDomainIdentityManagementServiceIncompatible));
    let checked = check_against(&server.uri(), Duration::from_secs(10)).await;
    let create = checked.checks.iter().find(|c| c.id() == "users/create").expect("users/create ran");
    assert_eq!(create.status, CheckStatus::Fail, "{}", problems(&checked));
    assert!(create.problems[0].message.contains("POST /Users"), "{}", create.problems[0].message);
}

#[tokio::test]
async fn total_results_that_disagree_with_resources_are_named() {
    let server = MockServer::start().await;
    let lying = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"], "totalResults": 1,
        "Resources": []});
    hostile(&server, Some("GET"), scim(200, lying)).await;
    let result = run_against(&server.uri(), Duration::from_secs(10)).await;
    let f = named(&result, QUERY, |f| f.message.contains("totalResults"));
    assert_eq!(f.kind, FindingKind::NonCompliance);
    assert!(f.message.contains("1") && f.message.contains("0 `Resources`"), "{}", f.message);
    let checked = check_against(&server.uri(), Duration::from_secs(10)).await;
    problem(&checked, "list_count_mismatch", QUERY);
}

#[tokio::test]
async fn two_resources_for_a_user_name_query_are_duplicates() {
    let server = MockServer::start().await;
    let two = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"], "totalResults": 2,
        "Resources": [{"id": "a", "userName": "x"}, {"id": "b", "userName": "y"}]});
    hostile(&server, Some("GET"), scim(200, two)).await;
    let result = run_cycle_against(&server.uri(), Duration::from_secs(10)).await;
    let f = named(&result, QUERY, |f| f.code == Some(ErrorCode::DuplicateTargetEntries));
    assert!(f.message.contains("matched 2 target objects"), "{}", f.message);
    let checked = check_against(&server.uri(), Duration::from_secs(10)).await;
    problem(&checked, "unexpected_match", QUERY);
}

#[tokio::test]
async fn a_slow_endpoint_times_out_within_the_configured_timeout() {
    let server = MockServer::start().await;
    hostile(&server, None, scim(200, empty_list()).set_delay(Duration::from_secs(30))).await;
    let started = Instant::now();
    let result = run_against(&server.uri(), Duration::from_millis(300)).await;
    let f = named(&result, QUERY, |f| f.kind == FindingKind::Transport);
    assert!(f.message.contains("timed out"), "{}", f.message);
    named(&result, QUERY, |f| f.code == Some(ErrorCode::Timeout));
    let checked = check_against(&server.uri(), Duration::from_millis(300)).await;
    problem(&checked, "transport", QUERY);
    assert!(started.elapsed() < Duration::from_secs(20), "{:?}", started.elapsed());
}

#[tokio::test]
async fn a_body_dripped_byte_by_byte_times_out() {
    let url = drip::serve();
    let started = Instant::now();
    let result = run_against(&url, Duration::from_millis(500)).await;
    let f = named(&result, QUERY, |f| f.kind == FindingKind::Transport);
    assert!(f.message.contains("timed out"), "{}", f.message);
    let checked = check_against(&url, Duration::from_millis(500)).await;
    problem(&checked, "transport", QUERY);
    assert!(started.elapsed() < Duration::from_secs(20), "{:?}", started.elapsed());
}

/// A 401 or 403 on Test Connection that echoes the request (Authorization header included) back.
async fn refusing(status: u16) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(move |req: &Received| {
            let auth = req.headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
            let detail = format!("token rejected: {auth}");
            scim(status, json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"], "detail": detail}))
                .insert_header("WWW-Authenticate", format!("Bearer error=\"invalid_token\" {auth}"))
        })
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn refused_credentials_stop_the_run_with_a_coded_finding_and_no_token() {
    for (status, code) in [(401, ErrorCode::Unauthorized), (403, ErrorCode::InsufficientRights)] {
        let server = refusing(status).await;
        let result = run_against(&server.uri(), Duration::from_secs(10)).await;
        let f = named(&result, QUERY, |f| f.code == Some(code));
        assert!(f.message.contains("invalid credentials") && f.message.contains(&status.to_string()), "{}", f.message);
        assert!(result.aborted.is_some(), "a refused token stops the run");
        let checked = check_against(&server.uri(), Duration::from_secs(10)).await;
        problem(&checked, "credentials", QUERY);
    }
}

#[tokio::test]
async fn cli_run_and_check_against_an_echoing_endpoint_print_no_token() {
    let server = refusing(401).await;
    let url = server.uri();
    let (run, check) = tokio::task::spawn_blocking(move || {
        let run = crate::cli::Cli::new()
            .file("s.toml", SCENARIO)
            .env("HOSTILE_TOKEN", TOKEN)
            .args(["run", "s.toml", "--verbose", "--target", &url, "--token-env", "HOSTILE_TOKEN", "--timeout", "5"])
            .args(["--report-json", "out/r.json", "--report-junit", "out/r.xml", "--report-html", "out/r.html"])
            .args(["--snapshots", "snaps", "--accept"])
            .run();
        let check = crate::cli::Cli::new()
            .env("HOSTILE_TOKEN", TOKEN)
            .args(["check", "--no-groups", "--target", &url, "--token-env", "HOSTILE_TOKEN", "--timeout", "5"])
            .args(["--report-json", "c.json", "--report-junit", "c.xml", "--report-html", "c.html"])
            .run();
        (run, check)
    })
    .await
    .expect("the binary runs");
    assert_eq!(run.code, 4, "a refused token is a runtime error\n{}\n{}", run.stdout, run.stderr);
    assert!(run.path("out/r.json").exists(), "{}", run.stderr);
    assert!(run.path("out/r.html").exists(), "the HTML report is written and so searched: {}", run.stderr);
    assert!(format!("{}{}", run.stdout, run.stderr).contains("Unauthorized"), "{}\n{}", run.stdout, run.stderr);
    crate::cli::assert_no_secret(&run, TOKEN);
    assert_ne!(check.code, 0);
    assert!(check.path("c.json").exists(), "{}", check.stderr);
    assert!(check.path("c.html").exists(), "{}", check.stderr);
    crate::cli::assert_no_secret(&check, TOKEN);
}

#[tokio::test]
async fn a_huge_retry_after_is_capped_and_the_run_ends() {
    let server = MockServer::start().await;
    let throttled = ResponseTemplate::new(429).insert_header("Retry-After", "999999999");
    hostile(&server, Some("POST"), throttled).await;
    let started = Instant::now();
    let result = run_against(&server.uri(), Duration::from_secs(10)).await;
    assert!(started.elapsed() < Duration::from_secs(20), "{:?}", started.elapsed());
    let f = named(&result, "POST /Users", |f| f.code == Some(ErrorCode::TooManyRequests));
    assert!(f.message.contains("429"), "{}", f.message);
}

#[tokio::test]
async fn a_throttling_endpoint_cannot_outlast_the_retry_sleep_budget() {
    let server = MockServer::start().await;
    let throttled = ResponseTemplate::new(429).insert_header("Retry-After", "1");
    hostile(&server, Some("POST"), throttled).await;
    let scenario = support::parse_scenario(SCENARIO);
    let mapping = entrasim::mapping::load("entra-default", Path::new(".")).expect("preset loads").set;
    let target = Target::Url { url: server.uri(), auth: Auth::Bearer(Secret::new(TOKEN)) };
    let options = RunOptions {
        max_retry_wait: Duration::from_secs(1),
        retry_sleep_budget: Duration::from_millis(1500),
        ..options(Duration::from_secs(10))
    };
    let run = engine::run_scenario(&scenario, "hostile", &mapping, target, &options);
    let result = tokio::time::timeout(BOUND, run).await.expect("bounded").expect("the run starts");
    // One second of sleep fits the budget, a second one does not: the other 429s fail at once.
    assert_eq!(result.summary.retries_429, 1, "{}", listing(&result));
    let failed = result.all_findings().filter(|f| f.code == Some(ErrorCode::TooManyRequests)).count();
    assert_eq!(failed, 3, "{}", listing(&result));
}

#[tokio::test]
async fn a_check_against_an_endpoint_that_always_throttles_ends_within_its_budget() {
    let server = MockServer::start().await;
    hostile(&server, None, ResponseTemplate::new(429).insert_header("Retry-After", "999999999")).await;
    let client = Client::new(ClientConfig::new(server.uri(), Auth::Bearer(Secret::new(TOKEN)))).expect("builds");
    let options =
        CheckOptions { groups: false, retry_sleep_budget: Duration::from_millis(1500), ..CheckOptions::default() };
    let started = Instant::now();
    let checked = tokio::time::timeout(BOUND, check::run(&client, &options)).await.expect("bounded").expect("runs");
    // A capped `Retry-After` (10 s) never fits a 1.5 s budget: nothing is slept, every check fails at once.
    assert!(started.elapsed() < Duration::from_secs(10), "{:?}", started.elapsed());
    let p = problem(&checked, "rate_limited", QUERY);
    assert!(p.message.contains("429"), "{}", p.message);
    assert_no_token_in_check(&checked);
}

/// A raw TCP endpoint that sends headers at once and then one byte of body every 100 ms.
mod drip {
    use std::io::{Read, Write};
    use std::net::TcpListener;
    use std::time::Duration;

    /// Starts the endpoint on 127.0.0.1 (an OS-picked port); returns its URL. The thread serves until the
    /// test binary exits.
    pub fn serve() -> String {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                std::thread::spawn(move || {
                    let mut stream = stream;
                    let mut buf = [0u8; 4096];
                    let _ = stream.read(&mut buf);
                    let head =
                        "HTTP/1.1 200 OK\r\nContent-Type: application/scim+json\r\nContent-Length: 100000\r\n\r\n";
                    if stream.write_all(head.as_bytes()).is_err() {
                        return;
                    }
                    for _ in 0..100_000 {
                        std::thread::sleep(Duration::from_millis(100));
                        if stream.write_all(b" ").and_then(|()| stream.flush()).is_err() {
                            return;
                        }
                    }
                });
            }
        });
        url
    }
}
