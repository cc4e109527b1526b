//! End-to-end tests of the `entrasim` binary: every exit code has at least one test here, and the
//! diagnostics people read are snapshotted in their plain form.

use std::path::{Path, PathBuf};
use std::process::Command;

/// A just-style builder: files in a temporary directory, arguments, then assertions on the outcome.
pub struct Cli {
    dir: tempdir::TempDir,
    args: Vec<String>,
    env: Vec<(String, String)>,
}

/// What the binary did.
pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub dir: PathBuf,
}

impl Cli {
    pub fn new() -> Self {
        Cli { dir: tempdir::TempDir::new(), args: Vec::new(), env: Vec::new() }
    }

    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }

    pub fn file(self, name: &str, text: &str) -> Self {
        let path = self.dir.path().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(path, text).unwrap();
        self
    }

    pub fn run(self) -> Output {
        let out = Command::new(env!("CARGO_BIN_EXE_entrasim"))
            .args(&self.args)
            .current_dir(self.dir.path())
            .env("NO_COLOR", "1")
            .env_remove("ENTRASIM_TOKEN")
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .output()
            .expect("the entrasim binary runs");
        let dir = self.dir.keep();
        Output {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            dir,
        }
    }
}

impl Output {
    pub fn code(self, expected: u8) -> Self {
        assert_eq!(
            self.code,
            i32::from(expected),
            "unexpected exit code\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout,
            self.stderr
        );
        self
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
}

/// A temporary directory removed on drop, without another dependency.
mod tempdir {
    use super::*;

    pub struct TempDir(Option<PathBuf>);

    impl TempDir {
        pub fn new() -> Self {
            use std::sync::atomic::{AtomicUsize, Ordering};
            static N: AtomicUsize = AtomicUsize::new(0);
            let dir = std::env::temp_dir().join(format!(
                "entrasim-cli-{}-{}",
                std::process::id(),
                N.fetch_add(1, Ordering::Relaxed)
            ));
            std::fs::create_dir_all(&dir).unwrap();
            TempDir(Some(dir))
        }

        pub fn path(&self) -> &Path {
            self.0.as_deref().expect("present until kept")
        }

        /// Hands the directory to the caller's [`Output`], which removes it on drop.
        pub fn keep(mut self) -> PathBuf {
            self.0.take().expect("present until kept")
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            if let Some(dir) = &self.0 {
                let _ = std::fs::remove_dir_all(dir);
            }
        }
    }
}

impl Drop for Output {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[test]
fn usage_error_exits_2() {
    Cli::new().args(["run", "--no-such-flag"]).run().code(2);
}

#[test]
fn completions_print_a_script() {
    let out = Cli::new().args(["completions", "bash"]).run().code(0);
    assert!(out.stdout.contains("entrasim"), "{}", out.stdout);
}

#[test]
fn token_env_naming_an_unset_variable_is_a_clear_error() {
    let out = Cli::new().args(["run", "--token-env", "ENTRASIM_TEST_UNSET_VAR"]).run();
    assert!(out.stderr.contains("ENTRASIM_TEST_UNSET_VAR"), "{}", out.stderr);
    assert_ne!(out.code, 0);
}

/// A scenario exercising every output path: cycles, a failing expectation, on-demand and steady state.
const SECRET_SCENARIO: &str = r#"
description = "outputs never carry the token"

[[users]]
id = "alice"
userPrincipalName = "alice@contoso.com"
displayName = "Alice Doe"
mailNickname = "alice"

[[steps]]
test_connection = true

[[steps]]
cycle = "initial"
expect = { creates = 2 }

[[steps]]
on_demand = "alice"

[[steps]]
steady = true
"#;

/// Starts the embedded endpoint with a planted token in a background thread with its own runtime.
fn serve_with_token(token: &str) -> (String, std::sync::mpsc::Sender<()>) {
    let (url_tx, url_rx) = std::sync::mpsc::channel();
    let (stop_tx, stop_rx) = std::sync::mpsc::channel::<()>();
    let token = token.to_string();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async move {
            let config = entrasim::server::ServerConfig { token: Some(token), ..Default::default() };
            let handle = entrasim::server::start(config).await.unwrap();
            url_tx.send(handle.url().to_string()).unwrap();
            let _ = tokio::task::spawn_blocking(move || stop_rx.recv()).await;
            handle.shutdown().await;
        });
    });
    (url_rx.recv().unwrap(), stop_tx)
}

pub fn assert_no_secret(out: &Output, secret: &str) {
    assert!(!out.stdout.contains(secret), "stdout leaks the token:\n{}", out.stdout);
    assert!(!out.stderr.contains(secret), "stderr leaks the token:\n{}", out.stderr);
    for entry in walk(&out.dir) {
        let text = String::from_utf8_lossy(&std::fs::read(&entry).unwrap()).into_owned();
        assert!(!text.contains(secret), "{} leaks the token", entry.display());
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}

// See: issue 6 ("a test greps every output for a planted secret").
#[test]
fn a_planted_token_appears_in_no_output_report_or_snapshot() {
    let secret = "planted-7f3a9c1e5b2d4f60-secret";
    let (url, stop) = serve_with_token(secret);
    let out = Cli::new()
        .file("s.toml", SECRET_SCENARIO)
        .env("PLANTED", secret)
        .args(["run", "s.toml", "-vv", "--target", &url, "--token-env", "PLANTED"])
        .args(["--report-json", "out/r.json", "--report-junit", "out/r.xml", "--snapshots", "snaps"])
        .run();
    assert_eq!(out.code, 1, "the failing expectation makes exit 1\n{}\n{}", out.stdout, out.stderr);
    assert!(out.path("out/r.json").exists() && out.path("out/r.xml").exists());
    assert!(out.path("snaps").is_dir());
    assert_no_secret(&out, secret);

    // A wrong token: refused, reported, and still not echoed (neither the wrong one nor the right one).
    let wrong = "wrong-token-0c4e8a2f9d1b7e35";
    let out = Cli::new()
        .file("s.toml", SECRET_SCENARIO)
        .env("WRONG", wrong)
        .args(["run", "s.toml", "--target", &url, "--token-env", "WRONG", "--report-json", "r.json"])
        .run();
    assert_eq!(out.code, 4, "a refused token is exit 4\n{}\n{}", out.stdout, out.stderr);
    assert_no_secret(&out, wrong);
    assert_no_secret(&out, secret);
    let _ = stop.send(());
}

const ONE_USER: &str = r#"
description = "one user is created"

[[users]]
id = "alice"
userPrincipalName = "alice@contoso.com"
mailNickname = "alice"

[[steps]]
cycle = "initial"
expect = { creates = 1, requests = ['GET /Users?filter=userName eq "alice@contoso.com"', "POST /Users"] }
"#;

#[test]
fn a_passing_scenario_exits_0_with_one_status_line() {
    let out = Cli::new().file("ok.toml", ONE_USER).args(["run", "ok.toml"]).run().code(0);
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "starting, the scenario, the summary:\n{}", out.stdout);
    assert!(lines[1].trim_start().starts_with("PASS [") && lines[1].ends_with("legacy    ok.toml"), "{}", out.stdout);
    assert!(lines[2].contains("1 scenario: 1 passed"), "{}", out.stdout);
}

#[test]
fn colour_follows_the_color_flag_over_no_color() {
    let out = Cli::new().file("ok.toml", ONE_USER).args(["run", "ok.toml", "--color", "always"]).run().code(0);
    assert!(out.stdout.contains("\x1b[1;32m        PASS\x1b[0m"), "{}", out.stdout);
    let out = Cli::new().file("ok.toml", ONE_USER).args(["run", "ok.toml"]).run().code(0);
    assert!(!out.stdout.contains('\x1b'), "NO_COLOR and no terminal: plain\n{}", out.stdout);
}

#[test]
fn verbose_adds_the_provisioning_log_and_very_verbose_the_exchanges() {
    let out = Cli::new().file("ok.toml", ONE_USER).args(["run", "ok.toml", "-v"]).run().code(0);
    assert!(out.stdout.contains("✓ step 1: initial cycle — 1 created (2 requests)"), "{}", out.stdout);
    assert!(
        out.stdout.contains("cycle 1  user   alice                  Create       Success — created"),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains("→ POST /Users"), "exchanges wait for -vv:\n{}", out.stdout);
    let out = Cli::new().file("ok.toml", ONE_USER).args(["run", "ok.toml", "-vv"]).run().code(0);
    assert!(out.stdout.contains("→ POST /Users") && out.stdout.contains("← 201"), "{}", out.stdout);
    assert!(out.stdout.contains("\"userName\": \"alice@contoso.com\""), "{}", out.stdout);
}

#[test]
fn a_failing_scenario_shows_its_failing_step_with_findings_and_the_summary_repeats_it() {
    let failing = ONE_USER.replace("creates = 1", "creates = 2");
    let out = Cli::new()
        .file("bad.toml", &failing)
        .file("ok.toml", ONE_USER)
        .args(["run", "bad.toml", "ok.toml"])
        .run()
        .code(1);
    let text = crate::readme::redactions().redact(&out.stdout);
    insta::assert_snapshot!(text, @r"
    Starting 2 scenarios against the embedded endpoint
        FAIL [ELAPSED] legacy    bad.toml
      ✗ step 1: initial cycle — 1 created (2 requests)
          error[expectation_failed]: expected creates = 2, got 1
      status: 1 user(s) and 0 group(s) provisioned · initial cycle complete · not quarantined · 0 escrow(s) outstanding, 0 escrow retries, 0 given up, 0 429 retries
        PASS [ELAPSED] legacy    ok.toml
     Summary [ELAPSED] 2 scenarios: 1 passed, 1 failed
        FAIL [ELAPSED] legacy    bad.toml
    ");
}

#[test]
fn an_invalid_scenario_exits_3_with_every_error_and_sends_nothing() {
    let out = Cli::new()
        .file(
            "bad.toml",
            r#"description = "a misspelt step key"

[[users]]
id = "alice"
userPrincipalName = "alice@contoso.com"

[[steps]]
cycel = "initial"
"#,
        )
        .file(
            "worse.toml",
            r#"description = "an unknown preset and an unknown switch"
mapping = "entra-defualt"

[embedded]
keep_atributes = ["userName"]

[[users]]
id = "alice"
userPrincipalName = "alice@contoso.com"

[[steps]]
cycle = "initial"
"#,
        )
        .args(["run", "bad.toml", "worse.toml"])
        .run()
        .code(3);
    insta::assert_snapshot!(out.stderr);
}

// See: issue 6 ("escrow and retry counters in the summary, the JSON report and JUnit").
#[test]
fn escrow_counters_reach_the_summary_and_both_reports() {
    let scenario = r#"
description = "two users fail, one is retried after the endpoint is fixed"

[embedded]
error_rate = 1.0

[[users]]
id = "alice"
userPrincipalName = "alice@contoso.com"

[[users]]
id = "bob"
userPrincipalName = "bob@contoso.com"

[[steps]]
cycle = "initial"
expect = { failures = 2, escrows = 2 }

[[steps]]
embedded = { error_rate = 0.0 }

[[steps]]
cycle = "incremental"
expect = { retries = 2, creates = 2, escrows = 0 }
"#;
    let out = Cli::new()
        .file("s.toml", scenario)
        .args(["run", "s.toml", "-v", "--report-json", "r.json", "--report-junit", "r.xml"])
        .run();
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("0 escrow(s) outstanding, 2 escrow retries, 0 given up, 0 429 retries"),
        "{}",
        out.stdout
    );
    let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(out.path("r.json")).unwrap()).unwrap();
    let schema: serde_json::Value = serde_json::from_str(include_str!("../../docs/report-json.schema.json")).unwrap();
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let errors: Vec<String> = validator.iter_errors(&json).map(|e| format!("{e} at {}", e.instance_path())).collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let status = &json["suites"][0]["status"];
    assert_eq!((status["escrow_retries"].as_u64(), status["escrows_outstanding"].as_u64()), (Some(2), Some(0)));
    assert_eq!(status["job"], "active");
    let xml = std::fs::read_to_string(out.path("r.xml")).unwrap();
    assert!(xml.contains(r#"<property name="escrow_retries" value="2"/>"#), "{xml}");
}

const GROUP_SCENARIO: &str = r#"
mapping = "entra-default"

[[users]]
id = "alice"
userPrincipalName = "alice@contoso.com"

[[groups]]
id = "eng"
displayName = "Engineering"
members = ["alice"]

[[steps]]
cycle = "initial"
"#;

// See: issue 24 (run and check read the same wire switches; --wire wins over the scenario).
#[test]
fn wire_switches_change_what_run_sends_and_bad_ones_are_usage_errors() {
    const ADSCIM: &str = "ResourceManagement/ADSCIM/2.0/Group";
    let sent = |out: &Output| std::fs::read_to_string(out.path("snaps/g.transcript")).expect("transcript");
    let out =
        Cli::new().file("g.toml", GROUP_SCENARIO).args(["run", "g.toml", "--snapshots", "snaps", "--accept"]).run();
    assert!(sent(&out.code(0)).contains(ADSCIM), "the default sends the ADSCIM URI");
    let out = Cli::new()
        .file("g.toml", &format!("{GROUP_SCENARIO}\n[settings]\ngroup_adscim_schema = true\n"))
        .args(["run", "g.toml", "--snapshots", "snaps", "--accept"])
        .args(["--wire", "group_adscim_schema=false", "--wire", "member_ref_null=true"])
        .run()
        .code(0);
    let transcript = sent(&out);
    assert!(!transcript.contains(ADSCIM), "--wire wins over [settings]\n{transcript}");
    assert!(transcript.contains("\"$ref\": null"), "{transcript}");
    let out = Cli::new().args(["check", "--wire", "group_adscim_schema=maybe"]).run().code(2);
    assert!(out.stderr.contains("takes true or false, not `maybe`"), "{}", out.stderr);
    let out =
        Cli::new().args(["provision", "alice", "--scenario", "g.toml", "--wire", "cycle_prob=true"]).run().code(2);
    assert!(out.stderr.contains("did you mean `cycle_probe`?"), "{}", out.stderr);
}

/// `bench` end to end at a small size: the engine's three phases against the endpoint in a child process,
/// then the plain load generator replaying exactly the initial cycle's requests (queries, creates, and the
/// manager `PATCH`es it builds from the created ids) against a fresh one.
#[test]
fn bench_runs_its_phases_and_the_generator_replays_the_initial_cycle() {
    let out = Cli::new().args(["bench", "--users", "40", "--color", "never"]).run().code(0);
    let requests = |line_start: &str| -> usize {
        let line = out.stdout.lines().find(|l| l.starts_with(line_start)).unwrap_or_else(|| panic!("{}", out.stdout));
        let words: Vec<&str> = line.split_whitespace().collect();
        words[words.iter().position(|w| *w == "requests").expect("a request count") - 1].parse().unwrap()
    };
    let initial = requests("initial");
    // A query and a create per user, and a manager PATCH for every user with a manager.
    assert!(initial > 80 && initial < 120, "{}", out.stdout);
    assert_eq!(requests("steady"), 40, "{}", out.stdout);
    assert_eq!(requests("plain load generator"), initial, "the generator replays the initial cycle:\n{}", out.stdout);
    assert!(out.stdout.contains("cpu: generator") && out.stdout.contains("peak memory: entrasim"), "{}", out.stdout);
    assert!(!out.stdout.contains("error finding"), "{}", out.stdout);
}
