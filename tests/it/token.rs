//! Any token gives the same findings (issue 18, item 6): secrets are scrubbed from what a run hands out,
//! never from what the engine reads. A run with a short token, or one that is part of a schema URN (`ie`
//! of `urn:ietf:`), must decide exactly what a run with a long random token decides; only the text shown
//! differs, by the token's occurrences becoming `***`.

use std::path::Path;
use std::sync::OnceLock;

use entrasim::engine::result::{ErrorCode, FindingKind, Outcome, Scrub, Severity};
use entrasim::engine::{self, RunOptions, ScenarioResult, Summary, Target};
use entrasim::scim::client::{Auth, Scrubber, Secret};
use entrasim::snapshot::redact::Redactor;
use proptest::prelude::*;

use crate::support;

/// A faithful endpoint: every step passes, the steady-state check included (department lives under
/// `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User`).
const FAITHFUL: &str = r#"
description = "create, update and re-read users with enterprise attributes"

[[users]]
id = "alice"
userPrincipalName = "alice@contoso.com"
displayName = "Alice Doe"
givenName = "Alice"
surname = "Doe"
mailNickname = "alice"
jobTitle = "Engineer"
department = "R&D"
manager = "bob"

[[users]]
id = "bob"
userPrincipalName = "bob@contoso.com"
displayName = "Bob Smith"
mailNickname = "bob"

[[steps]]
test_connection = true

[[steps]]
cycle = "initial"
expect = { creates = 2 }

[[steps]]
update = "alice"
set = { department = "Platform" }

[[steps]]
cycle = "incremental"
expect = { updates = 1 }

[[steps]]
steady = true
expect = { steady = true }

[[steps]]
on_demand = "bob"
"#;

/// The long random token the other tokens are compared with.
const LONG: &str = "long-random-token-3f9a0c7e51d84b26";

/// Which scenarios are compared: a faithful endpoint, and the bundled one whose endpoint drops attributes
/// (findings about flapping URN attributes).
fn scenarios() -> Vec<String> {
    let dropped =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/steady/entra_default_with_dropped_attributes.toml");
    vec![FAITHFUL.to_string(), std::fs::read_to_string(dropped).expect("bundled scenario")]
}

/// Runs a scenario against the embedded endpoint (its switches from the scenario) reached as a URL with
/// `token`.
fn run(text: &str, token: &str) -> ScenarioResult {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    runtime.block_on(async {
        let scenario = support::parse_scenario(text);
        let switches = engine::switches(&scenario).expect("switches");
        let config = entrasim::server::ServerConfig { token: Some(token.to_string()), switches, ..Default::default() };
        let server = entrasim::server::start(config).await.expect("server starts");
        let mapping = entrasim::mapping::load("entra-default", Path::new(".")).expect("preset").set;
        let target = Target::Url { url: server.url().to_string(), auth: Auth::Bearer(Secret::new(token)) };
        let result = engine::run_scenario(&scenario, "token", &mapping, target, &RunOptions::default()).await;
        server.shutdown().await;
        result.expect("the run starts")
    })
}

/// What a run decided: each step's outcome and findings (ids shown as aliases), and the summary.
type Decisions = (Vec<(Outcome, Vec<(FindingKind, Severity, Option<ErrorCode>, String)>)>, Summary);

fn decisions(result: &ScenarioResult) -> Decisions {
    let mut redactor = Redactor::new(&result.aliases, None, &[]);
    redactor.learn(&result.transcript);
    let steps = result
        .steps
        .iter()
        .map(|s| {
            let findings = s.findings.iter().map(|f| (f.kind, f.severity, f.code, redactor.text(&f.message))).collect();
            (s.outcome, findings)
        })
        .collect();
    (steps, result.summary.clone())
}

fn long_token_runs() -> &'static Vec<ScenarioResult> {
    static RUNS: OnceLock<Vec<ScenarioResult>> = OnceLock::new();
    RUNS.get_or_init(|| scenarios().iter().map(|s| run(s, LONG)).collect())
}

/// Short tokens, pieces of the enterprise schema URN, and ordinary ones.
fn token() -> impl Strategy<Value = String> {
    const URN: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
    prop_oneof![
        Just("ie".to_string()),
        "[a-zA-Z0-9]{1,2}",
        (0..URN.len(), 1..8usize).prop_map(|(at, len)| URN[at..(at + len).min(URN.len())].to_string()),
        "[a-zA-Z0-9._~+/-]{3,16}",
    ]
}

#[test]
fn the_long_token_runs_pass_where_they_should() {
    let runs = long_token_runs();
    assert!(runs[0].passed(), "{}", support::problems(&runs[0]));
    assert!(runs[1].passed(), "the bundled scenario expects its findings\n{}", support::problems(&runs[1]));
    assert!(runs[1].all_findings().any(|f| f.kind == FindingKind::NotSteady), "{}", support::problems(&runs[1]));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    // See: issue 18 ("with `--token ie` every `urn:ietf:` becomes `urn:ie***:`").
    #[test]
    fn any_token_gives_the_same_findings_as_a_long_random_one(token in token()) {
        let scrubber = Scrubber::new([token.clone()]);
        for (text, long) in scenarios().iter().zip(long_token_runs()) {
            let short = run(text, &token);
            // The long run's result, shown as the short token's run would show it.
            let mut expected = long.clone();
            expected.scrub(&scrubber);
            prop_assert_eq!(short.passed(), long.passed(), "token {:?}: {}", token, support::problems(&short));
            prop_assert_eq!(decisions(&short), decisions(&expected), "token {:?}", token);
        }
    }
}
