//! Fail fast (issue 18): a failed Test Connection ends the scenario, and so does a step none of whose
//! requests got an answer; the steps after it are reported as not run in every output. Against an endpoint
//! that accepts connections and never answers (or drips its answer a byte at a time), a run ends after about
//! one or two timeouts. The request counts and the not-run steps are asserted exactly; wall-clock time only
//! against a generous bound (the machine is shared).

use std::path::Path;
use std::time::{Duration, Instant};

use entrasim::engine::action::{NOT_SENT, SILENT_AFTER};
use entrasim::engine::result::{AbortKind, FindingKind, Outcome, StepDetail};
use entrasim::engine::{self, RunOptions, ScenarioResult, Target};
use entrasim::exit;
use entrasim::report;
use entrasim::scim::client::{Auth, Secret};

use crate::support;

/// The per-request timeout of these tests.
const TIMEOUT: Duration = Duration::from_millis(300);

/// Far more than the few timeouts a run may take, so a slow machine never fails a test.
const BOUND: Duration = Duration::from_secs(60);

/// Raw TCP endpoints on 127.0.0.1 that accept connections and never complete an answer. Their threads
/// serve until the test binary exits.
pub mod endpoint {
    use std::io::{Read, Write};
    use std::net::{TcpListener, TcpStream};
    use std::time::Duration;

    /// Accepts every connection, reads the request, and never writes a byte.
    pub fn silent() -> String {
        serve(|mut stream| {
            let mut buf = [0u8; 4096];
            while matches!(stream.read(&mut buf), Ok(n) if n > 0) {}
        })
    }

    /// Accepts every connection and sends a status line and headers one byte every 100 ms, so the answer
    /// never completes within a timeout.
    pub fn dripping() -> String {
        serve(|mut stream| {
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf);
            let head = b"HTTP/1.1 200 OK\r\nContent-Type: application/scim+json\r\nContent-Length: 2\r\n\r\n{}";
            for byte in head.iter().cycle() {
                std::thread::sleep(Duration::from_millis(100));
                if stream.write_all(&[*byte]).and_then(|()| stream.flush()).is_err() {
                    return;
                }
            }
        })
    }

    fn serve(handle: fn(TcpStream)) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}/scim", listener.local_addr().expect("address"));
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                std::thread::spawn(move || handle(stream));
            }
        });
        url
    }
}

/// Five users and fifteen steps: every kind of step that sends requests, with directory changes between.
fn scenario(first: &str, concurrency: u32) -> String {
    scenario_with(first, concurrency, &[])
}

/// [`scenario`] with more users.
fn scenario_with(first: &str, concurrency: u32, more: &[&str]) -> String {
    let users: String = ["alice", "bob", "carol", "dave", "erin"]
        .iter()
        .chain(more)
        .map(|u| {
            format!("[[users]]\nid = \"{u}\"\nuserPrincipalName = \"{u}@contoso.com\"\nmailNickname = \"{u}\"\n\n")
        })
        .collect();
    let later = [
        "cycle = \"initial\"",
        "update = \"alice\"\nset = { jobTitle = \"Engineer\" }",
        "cycle = \"incremental\"",
        "on_demand = \"bob\"",
        "steady = true",
        "disable = \"carol\"",
        "cycle = \"incremental\"",
        "wait = \"40m\"",
        "cycle = \"incremental\"",
        "restart = \"full\"",
        "cycle = \"incremental\"",
        "on_demand = \"dave\"",
        "steady = true",
        "cycle = \"incremental\"",
    ];
    let steps: String = std::iter::once(first).chain(later).map(|s| format!("[[steps]]\n{s}\n\n")).collect();
    format!("description = \"fifteen steps against a dead endpoint\"\n\n[settings]\nconcurrency = {concurrency}\n\n{users}{steps}")
}

async fn run(text: &str, url: &str) -> (ScenarioResult, Duration) {
    let scenario = support::parse_scenario(text);
    let mapping = entrasim::mapping::load("entra-default", Path::new(".")).expect("preset loads").set;
    let target = Target::Url { url: url.to_string(), auth: Auth::Bearer(Secret::new("failfast-token-5e1d")) };
    // The engine's own behaviour: no leftover lookup before the steps (tests/it/isolation.rs has that).
    let isolation = entrasim::engine::isolation::IsolationOptions { off: true, ..Default::default() };
    let options = RunOptions { timeout: TIMEOUT, isolation, ..RunOptions::default() };
    let started = Instant::now();
    let run = engine::run_scenario(&scenario, "failfast", &mapping, target, &options);
    let result = tokio::time::timeout(BOUND, run).await.expect("the run ends in bounded time").expect("it starts");
    (result, started.elapsed())
}

/// The run stopped at step 1 with a no-answer finding naming what the endpoint did; every later step is
/// not run.
fn assert_stopped_at_first_step(result: &ScenarioResult, what: &str) {
    let abort = result.aborted.as_ref().expect("the scenario stopped");
    assert_eq!(abort.kind, AbortKind::NoAnswer, "{abort:?}");
    assert_eq!(result.exit_code(), exit::RUNTIME);
    assert_eq!(result.steps.len(), 15);
    assert_eq!(result.steps[0].outcome, Outcome::Failed);
    let finding = result.steps[0]
        .findings
        .iter()
        .find(|f| f.message.starts_with("no request of"))
        .unwrap_or_else(|| panic!("no no-answer finding: {:#?}", result.steps[0].findings));
    assert_eq!(finding.kind, FindingKind::Transport);
    assert_eq!(finding.message, what);
    let repeated = result.steps[0].findings.iter().filter(|f| f.message.ends_with(NOT_SENT)).count();
    assert_eq!(repeated, 0, "the requests not sent are counted once, in the no-answer finding");
    for step in &result.steps[1..] {
        assert_eq!(step.outcome, Outcome::NotRun, "step {}", step.index);
        assert!(step.requests.is_empty(), "step {} sent nothing", step.index);
        let StepDetail::NotRun { reason, .. } = &step.detail else { panic!("step {} is not run", step.index) };
        assert!(reason.contains("step 1 stopped the scenario"), "{reason}");
    }
}

// See: issue 18 ("a dead endpoint takes minutes").
#[tokio::test]
async fn a_silent_endpoint_fails_test_connection_once_and_nothing_else_runs() {
    let url = endpoint::silent();
    let (result, elapsed) = run(&scenario("test_connection = true", 4), &url).await;
    assert_eq!(result.transcript.len(), 1, "one probe, then nothing");
    assert_stopped_at_first_step(&result, "no request of Test Connection got an answer: 1 timed out after 300 ms");
    let StepDetail::TestConnection(t) = &result.steps[0].detail else { panic!("test connection first") };
    assert!(!t.passed && t.message.as_deref().is_some_and(|m| m.contains("timed out")), "{t:?}");
    assert!(elapsed < BOUND / 2, "{elapsed:?}");
}

#[tokio::test]
async fn a_silent_endpoint_stops_a_cycle_after_two_unanswered_requests() {
    let url = endpoint::silent();
    let (result, _) = run(&scenario("cycle = \"initial\"", 1), &url).await;
    assert_eq!(result.transcript.len(), 2, "one user at a time: two queries time out, the rest are not sent");
    assert_stopped_at_first_step(
        &result,
        "no request of cycle 1 got an answer: 2 timed out after 300 ms; the other 3 were not sent",
    );
}

#[tokio::test]
async fn with_requests_in_flight_a_silent_cycle_stops_after_one_round() {
    let url = endpoint::silent();
    let more = ["frank", "grace", "heidi", "ivan", "judy", "ken", "lena"];
    let (result, elapsed) = run(&scenario_with("cycle = \"initial\"", 4, &more), &url).await;
    // Four queries leave at once; one more may start when the first of them times out, before the second.
    let sent = result.transcript.len();
    assert!((4..=4 + SILENT_AFTER as usize - 1).contains(&sent), "{sent} requests sent");
    let message = format!(
        "no request of cycle 1 got an answer: {sent} timed out after 300 ms; the other {} were not sent",
        12 - sent
    );
    assert_stopped_at_first_step(&result, &message);
    assert!(elapsed < BOUND / 2, "{elapsed:?}");
}

#[tokio::test]
async fn on_demand_and_steady_steps_stop_the_scenario_too() {
    let url = endpoint::silent();
    let (result, _) = run(&scenario("on_demand = \"alice\"", 4), &url).await;
    assert_eq!(result.transcript.len(), 1, "on demand queries once and gets no answer");
    assert_stopped_at_first_step(&result, "no request of provision on demand got an answer: 1 timed out after 300 ms");
    let (result, _) = run(&scenario("steady = true", 1), &url).await;
    assert_eq!(result.transcript.len(), 2);
    assert_stopped_at_first_step(
        &result,
        "no request of the steady-state check got an answer: 2 timed out after 300 ms; the other 3 were not sent",
    );
}

#[tokio::test]
async fn a_dripping_endpoint_is_no_answer_either() {
    let url = endpoint::dripping();
    let (result, elapsed) = run(&scenario("test_connection = true", 4), &url).await;
    assert_eq!(result.transcript.len(), 1);
    assert_stopped_at_first_step(&result, "no request of Test Connection got an answer: 1 timed out after 300 ms");
    assert!(elapsed < BOUND / 2, "{elapsed:?}");
    let (result, _) = run(&scenario("cycle = \"initial\"", 1), &url).await;
    assert_eq!(result.transcript.len(), 2);
    assert_stopped_at_first_step(
        &result,
        "no request of cycle 1 got an answer: 2 timed out after 300 ms; the other 3 were not sent",
    );
}

/// A Test Connection that fails on a non-compliant answer: Entra does not start the job, so nothing after
/// it runs; this is a finding about the endpoint (exit 1), not a runtime error.
const FAILED_TEST_CONNECTION: &str = r#"
description = "404 to a zero-result query fails Test Connection, so the job never starts"

[embedded]
not_found_on_empty_query = true

[[users]]
id = "alice"
userPrincipalName = "alice@contoso.com"

[[steps]]
test_connection = true

[[steps]]
cycle = "initial"

[[steps]]
on_demand = "alice"
"#;

#[tokio::test]
async fn a_failed_test_connection_leaves_every_later_step_not_run() {
    let mapper = support::DirectMapper::entra_like();
    let (result, transcript) = support::run_text(FAILED_TEST_CONNECTION, &mapper, RunOptions::default()).await;
    let abort = result.aborted.as_ref().expect("stopped");
    assert_eq!(abort.kind, AbortKind::TestConnectionFailed);
    assert!(abort.message.contains("Entra does not start a job whose connection test fails"), "{}", abort.message);
    assert_eq!(result.exit_code(), exit::FINDINGS);
    let outcomes: Vec<Outcome> = result.steps.iter().map(|s| s.outcome).collect();
    assert_eq!(outcomes, [Outcome::Failed, Outcome::NotRun, Outcome::NotRun]);
    let requests = result.steps[0].requests.len();
    assert_eq!(result.transcript.len(), requests, "nothing is sent after Test Connection");
    assert!(transcript.contains("## step 2: initial cycle [not run]"), "{transcript}");

    // Every report shows the not-run steps: JSON and terminal as `skipped`, JUnit as <skipped/>.
    let suite = entrasim::cmd::reportconv::scenario_suite("failed_tc", &result, Duration::ZERO);
    let skipped: Vec<&str> =
        suite.cases.iter().filter(|c| c.outcome == report::Outcome::Skipped).map(|c| c.name.as_str()).collect();
    assert_eq!(skipped, ["step 2: initial cycle", "step 3: on_demand alice"]);
    assert!(suite.error.is_none(), "a failed Test Connection is a finding, not a suite error");
    let report = report::Report { command: "run".into(), target: "embedded".into(), suites: vec![suite] };
    assert_eq!(report.exit_code(), exit::FINDINGS);
    let json: serde_json::Value = serde_json::from_str(&report::json::render(&report)).expect("JSON");
    let schema: serde_json::Value = serde_json::from_str(include_str!("../../docs/report-json.schema.json")).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let errors: Vec<String> = validator.iter_errors(&json).map(|e| format!("{e} at {}", e.instance_path())).collect();
    assert!(errors.is_empty(), "the report with skipped steps follows the published schema: {errors:#?}");
    let cases = json["suites"][0]["cases"].as_array().expect("cases");
    let json_outcomes: Vec<&str> = cases.iter().filter_map(|c| c["outcome"].as_str()).collect();
    assert_eq!(json_outcomes, ["fail", "skipped", "skipped"]);
    let junit = report::junit::render(&report).expect("junit renders");
    assert_eq!(junit.matches("<skipped").count(), 2, "{junit}");
}

#[test]
fn the_cli_run_against_a_silent_endpoint_exits_4_and_shows_the_steps_not_run() {
    let url = endpoint::silent();
    let out = crate::cli::Cli::new()
        .file("dead.toml", &scenario("test_connection = true", 4))
        .env("T", "token-for-a-silent-endpoint")
        .args(["run", "dead.toml", "--target", &url, "--token-env", "T", "--timeout", "1"])
        .args(["--report-junit", "r.xml"])
        .run();
    assert_eq!(out.code, 4, "{}\n{}", out.stdout, out.stderr);
    let text = format!("{}{}", out.stdout, out.stderr);
    // Against a --target the first request is the leftover lookup: it gets no answer, and no step runs.
    assert!(text.contains("the target did not answer the leftover lookup"), "{text}");
    assert!(text.contains("timed out"), "{text}");
    let junit = std::fs::read_to_string(out.path("r.xml")).expect("junit written");
    assert_eq!(junit.matches("<skipped").count(), 15, "every step is reported as not run: {junit}");
}
