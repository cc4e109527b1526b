//! Isolation against an endpoint entrasim did not start (`--target`): leftovers stop a scenario before
//! any write (or `--clean` deletes them), everything a scenario created is deleted afterwards (or kept
//! with `--keep`), a refused seed names itself, and `--unique-names` lets runs share an endpoint while
//! transcripts stay byte-identical. The embedded endpoint is started on 127.0.0.1 and used through
//! `Target::Url`, as any third-party server would be.

use std::path::{Path, PathBuf};

use entrasim::engine::isolation::{IsolationOptions, RunTag};
use entrasim::engine::result::{AbortKind, FindingKind, ObjectKind};
use entrasim::engine::{self, RunOptions, ScenarioResult, Target};
use entrasim::exit;
use entrasim::scim::client::{Auth, Secret};
use entrasim::server::{self, ResourceType, ServerConfig, ServerHandle};
use entrasim::snapshot;
use serde_json::json;

use crate::support::{parse_scenario, problems};

async fn endpoint() -> ServerHandle {
    server::start(ServerConfig::default()).await.expect("the endpoint starts")
}

fn target(server: &ServerHandle) -> Target {
    Target::Url { url: server.url().to_string(), auth: Auth::Bearer(Secret::new(server.token())) }
}

fn isolation(clean: bool, keep: bool, tag: Option<&str>) -> RunOptions {
    let run_tag = tag.map(|t| RunTag::from_random_part(t).expect("a valid tag"));
    RunOptions { isolation: IsolationOptions { clean, keep, run_tag, off: false }, ..RunOptions::default() }
}

/// Users and groups the endpoint holds.
fn held(server: &ServerHandle) -> (usize, usize) {
    (server.resources(ResourceType::User).len(), server.resources(ResourceType::Group).len())
}

fn bundled() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    entrasim::scenario::discover(&[root]).expect("the bundled suite is found")
}

async fn run_file(path: &Path, target: Target, options: &RunOptions) -> ScenarioResult {
    let loaded = entrasim::scenario::load(path).unwrap_or_else(|d| panic!("{d:?}"));
    let s = loaded.scenario;
    let mapping = entrasim::mapping::load(&s.mapping.spec, &s.base_dir).unwrap_or_else(|d| panic!("{d:?}")).set;
    let name = path.file_stem().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    engine::run_scenario(&s, &name, &mapping, target, options).await.expect("the run starts")
}

async fn run_text(text: &str, target: Target, options: &RunOptions) -> ScenarioResult {
    let scenario = parse_scenario(text);
    let mapping = entrasim::mapping::load("entra-default", Path::new(".")).expect("preset").set;
    engine::run_scenario(&scenario, "test", &mapping, target, options).await.expect("the run starts")
}

/// A scenario's outcome as comparable text: pass/fail, then every finding and failed expectation,
/// redacted as snapshots are (ids become aliases, the port `<base>`).
fn outcome(result: &ScenarioResult) -> String {
    let mut redactor = entrasim::snapshot::Redactor::new(&result.aliases, Some(&result.base_url), &[]);
    redactor.learn(&result.transcript);
    let mut out = format!("{}: passed={} aborted={:?}\n", result.name, result.passed(), result.aborted);
    for s in &result.steps {
        for x in s.expectations.iter().filter(|x| !x.passed) {
            out.push_str(&format!("  step {} expected {} = {}, got {}\n", s.index, x.what, x.expected, x.actual));
        }
        for f in &s.findings {
            out.push_str(&format!("  step {} {:?}: {}\n", s.index, f.severity, redactor.text(&f.message)));
        }
    }
    out
}

const ALICE: &str = r#"
description = "alice is created"

[[users]]
id = "alice"
userPrincipalName = "alice@contoso.com"
displayName = "Alice Doe"
mailNickname = "alice"

[[groups]]
id = "eng"
displayName = "Engineering"
members = ["alice"]

[[steps]]
cycle = "initial"
expect = { creates = 2 }
"#;

/// The acceptance test of issue 18: the bundled suite twice in a row against one endpoint gives the
/// same per-scenario results both times, the same as each scenario on its own fresh endpoint, and
/// leaves the endpoint empty.
#[test]
fn bundled_suite_twice_against_one_endpoint_matches_fresh_endpoints() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    rt.block_on(async {
        let paths = bundled();
        let mut fresh = Vec::new();
        for path in &paths {
            let server = endpoint().await;
            fresh.push(outcome(&run_file(path, target(&server), &RunOptions::default()).await));
            server.shutdown().await;
        }
        let shared = endpoint().await;
        for round in 1..=2 {
            for (path, expected) in paths.iter().zip(&fresh) {
                let result = run_file(path, target(&shared), &RunOptions::default()).await;
                assert_eq!(&outcome(&result), expected, "round {round}: {}", path.display());
                let report = result.isolation.as_ref().expect("a --target run is isolated");
                assert!(report.leftovers.is_empty() && report.undeletable.is_empty(), "{report:?}");
                assert_eq!(held(&shared), (0, 0), "round {round}: {} left objects behind", path.display());
            }
        }
        shared.shutdown().await;
    });
}

#[tokio::test]
async fn a_leftover_stops_the_scenario_before_any_write() {
    let server = endpoint().await;
    let leftover = server
        .insert(ResourceType::User, json!({"schemas": [], "userName": "alice@contoso.com", "active": true}))
        .expect("inserted");
    let result = run_text(ALICE, target(&server), &RunOptions::default()).await;
    assert_eq!(result.exit_code(), exit::RUNTIME);
    assert_eq!(result.aborted.as_ref().map(|a| a.kind), Some(AbortKind::Leftovers));
    let id = leftover["id"].as_str().unwrap();
    let finding = result.findings.iter().find(|f| f.kind == FindingKind::Leftover).expect("a leftover finding");
    assert!(finding.message.contains(id) && finding.message.contains("userName \"alice@contoso.com\""), "{finding:?}");
    assert!(result.steps.iter().all(|s| s.outcome == entrasim::engine::result::Outcome::NotRun), "no step ran");
    assert!(result.transcript.is_empty(), "no Entra traffic at all");
    assert_eq!(server.resources(ResourceType::User), vec![leftover], "the leftover is untouched");
    assert_eq!(held(&server), (1, 0), "nothing was created");
}

#[tokio::test]
async fn clean_deletes_leftovers_and_lists_them() {
    let server = endpoint().await;
    let user = server.insert(ResourceType::User, json!({"userName": "alice@contoso.com"})).expect("inserted");
    let group = server.insert(ResourceType::Group, json!({"displayName": "Engineering"})).expect("inserted");
    let result = run_text(ALICE, target(&server), &isolation(true, false, None)).await;
    assert!(result.passed(), "{}", problems(&result));
    let cleaned: Vec<&str> =
        result.isolation.as_ref().unwrap().cleaned.iter().map(|o| o.id.as_str()).collect::<Vec<_>>();
    assert_eq!(cleaned.len(), 2);
    assert!(cleaned.contains(&user["id"].as_str().unwrap()) && cleaned.contains(&group["id"].as_str().unwrap()));
    assert_eq!(held(&server), (0, 0));
}

#[tokio::test]
async fn keep_leaves_what_the_scenario_created() {
    let server = endpoint().await;
    let result = run_text(ALICE, target(&server), &isolation(false, true, None)).await;
    assert!(result.passed(), "{}", problems(&result));
    let kept = &result.isolation.as_ref().unwrap().kept;
    assert_eq!(kept.iter().map(|o| o.kind).collect::<Vec<_>>(), [ObjectKind::Group, ObjectKind::User]);
    assert_eq!(held(&server), (1, 1));
    // The next run meets them as leftovers.
    let again = run_text(ALICE, target(&server), &RunOptions::default()).await;
    assert_eq!(again.aborted.map(|a| a.kind), Some(AbortKind::Leftovers));
}

#[tokio::test]
async fn a_failing_scenario_is_cleaned_up_too() {
    let server = endpoint().await;
    let text = ALICE.replace("creates = 2", "creates = 5");
    let seeded = format!("{text}\n[[target.users]]\nuserName = \"carol@contoso.com\"\n");
    let result = run_text(&seeded, target(&server), &RunOptions::default()).await;
    assert!(!result.passed());
    assert_eq!(result.exit_code(), exit::FINDINGS);
    assert_eq!(result.isolation.as_ref().unwrap().deleted.len(), 3, "the seed, alice and eng");
    assert_eq!(held(&server), (0, 0));
}

#[tokio::test]
async fn an_interrupted_scenario_is_cleaned_up() {
    let server = endpoint().await;
    let (tx, rx) = tokio::sync::watch::channel(true);
    let options = RunOptions { cancel: Some(rx), ..RunOptions::default() };
    let seeded = format!("{ALICE}\n[[target.users]]\nuserName = \"carol@contoso.com\"\n");
    let result = run_text(&seeded, target(&server), &options).await;
    drop(tx);
    assert_eq!(result.aborted.as_ref().map(|a| a.kind), Some(AbortKind::Interrupted));
    assert_eq!(result.exit_code(), exit::RUNTIME);
    assert!(result.steps.is_empty());
    assert_eq!(held(&server), (0, 0), "the seed was deleted");
}

#[tokio::test]
async fn a_refused_seed_stops_the_scenario_and_names_the_seed() {
    let text = format!(
        "{ALICE}\n[[target.users]]\nuserName = \"bob@contoso.com\"\n\n[[target.users]]\nuserName = \"bob@contoso.com\"\n"
    );
    // The embedded endpoint and a --target take the same path.
    for external in [false, true] {
        let server = endpoint().await;
        let to = if external { target(&server) } else { Target::Embedded };
        let result = run_text(&text, to, &RunOptions::default()).await;
        assert_eq!(result.aborted.as_ref().map(|a| a.kind), Some(AbortKind::SetupFailed));
        assert_eq!(result.exit_code(), exit::RUNTIME);
        assert!(result.steps.iter().all(|s| s.outcome == entrasim::engine::result::Outcome::NotRun), "no step ran");
        let finding = &result.findings[0];
        assert_eq!(finding.kind, FindingKind::Setup);
        assert!(
            finding.message.starts_with("seeding [[target.users]] userName \"bob@contoso.com\": target returned 409"),
            "{}",
            finding.message
        );
        if external {
            assert_eq!(held(&server), (0, 0), "the first seed was deleted");
        }
    }
}

#[tokio::test]
async fn an_object_cleanup_cannot_delete_is_listed_and_exits_4() {
    let server = endpoint().await;
    let proxy = proxy(&server, Meddle::RefuseDeletes).await;
    let auth = Auth::Bearer(Secret::new(server.token()));
    let result = run_text(ALICE, Target::Url { url: proxy.clone(), auth }, &RunOptions::default()).await;
    assert_eq!(result.aborted.as_ref().map(|a| a.kind), Some(AbortKind::CleanupFailed));
    assert_eq!(result.exit_code(), exit::RUNTIME);
    let undeletable = &result.isolation.as_ref().unwrap().undeletable;
    assert_eq!(undeletable.len(), 2, "{undeletable:?}");
    assert!(undeletable.iter().all(|u| u.reason.contains("target returned 405 for DELETE")), "{undeletable:?}");
    let messages: Vec<&str> = result.findings.iter().map(|f| f.message.as_str()).collect();
    for u in undeletable {
        assert!(messages.iter().any(|m| m.contains(&u.object.id)), "{messages:?}");
    }
    assert!(result.steps.iter().all(|s| s.outcome == entrasim::engine::result::Outcome::Passed));
    assert_eq!(held(&server), (1, 1));
}

/// What a [`proxy`] does besides forwarding.
#[derive(Clone)]
enum Meddle {
    /// Answers `405` to every DELETE.
    RefuseDeletes,
    /// Never answers `POST /Groups`; says so on the channel when one arrives.
    HangGroupCreates(tokio::sync::mpsc::UnboundedSender<()>),
    /// Answers `400` to every filtered query.
    RefuseFilters,
}

/// A proxy on 127.0.0.1 in front of `server` that meddles as told; returns its SCIM base URL.
async fn proxy(server: &ServerHandle, meddle: Meddle) -> String {
    use axum::body::Bytes;
    use axum::http::{HeaderMap, Method, StatusCode, Uri};
    use axum::response::IntoResponse;
    let upstream = format!("http://{}", server.addr());
    let client = reqwest::Client::new();
    let app = axum::Router::new().fallback(move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
        let (upstream, client, meddle) = (upstream.clone(), client.clone(), meddle.clone());
        async move {
            match &meddle {
                Meddle::RefuseDeletes if method == Method::DELETE => {
                    return (StatusCode::METHOD_NOT_ALLOWED, "deletes are refused here").into_response();
                }
                Meddle::RefuseFilters if uri.query().is_some_and(|q| q.contains("filter=")) => {
                    return (StatusCode::BAD_REQUEST, "no filters here").into_response();
                }
                Meddle::HangGroupCreates(arrived) if method == Method::POST && uri.path().ends_with("/Groups") => {
                    let _ = arrived.send(());
                    std::future::pending::<()>().await;
                }
                _ => {}
            }
            let mut request = client.request(method, format!("{upstream}{uri}")).body(body);
            for (name, value) in headers.iter().filter(|(n, _)| *n != "host") {
                request = request.header(name, value);
            }
            let answer = request.send().await.expect("the endpoint answers");
            let status = StatusCode::from_u16(answer.status().as_u16()).unwrap();
            let content_type = answer.headers().get("content-type").cloned();
            let body = answer.bytes().await.unwrap_or_default();
            let mut response = (status, body).into_response();
            if let Some(ct) = content_type {
                response.headers_mut().insert("content-type", ct);
            }
            response
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    let path = server.url().splitn(4, '/').nth(3).unwrap_or_default().to_string();
    format!("http://{addr}/{path}")
}

/// Ctrl-C during a step: the step is cancelled, what the scenario created so far is deleted, and the run
/// exits 4 saying it was interrupted.
#[test]
fn ctrl_c_cancels_the_step_and_cleans_up() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    rt.block_on(async {
        let server = endpoint().await;
        let (arrived, mut arrivals) = tokio::sync::mpsc::unbounded_channel();
        let url = proxy(&server, Meddle::HangGroupCreates(arrived)).await;
        let dir = std::env::temp_dir().join(format!("entrasim-ctrl-c-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("s.toml"), ALICE).unwrap();
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_entrasim"))
            .args(["run", "s.toml", "--target", &url, "--token-env", "T"])
            .env("T", server.token())
            .env("NO_COLOR", "1")
            .current_dir(&dir)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("the binary starts");
        arrivals.recv().await.expect("the group create arrives");
        assert_eq!(held(&server), (1, 0), "alice was created");
        // SAFETY: sending a signal to our own child process, whose id is valid until it is waited for.
        let sent = unsafe { libc::kill(i32::try_from(child.id()).unwrap(), libc::SIGINT) };
        assert_eq!(sent, 0);
        let out = tokio::task::spawn_blocking(move || child.wait_with_output()).await.unwrap().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(i32::from(exit::RUNTIME)), "{stdout}");
        assert!(stdout.contains("interrupted"), "{stdout}");
        assert_eq!(held(&server), (0, 0), "alice was deleted");
        let _ = std::fs::remove_dir_all(&dir);
    });
}

/// An endpoint that refuses the lookups gets one warning, not one per value, and the scenario runs; what
/// it created is still deleted by id.
#[tokio::test]
async fn refused_lookups_give_one_warning_and_the_scenario_runs() {
    let server = endpoint().await;
    let url = proxy(&server, Meddle::RefuseFilters).await;
    let auth = Auth::Bearer(Secret::new(server.token()));
    let result = run_text(ALICE, Target::Url { url, auth }, &RunOptions::default()).await;
    let setup: Vec<&str> =
        result.findings.iter().filter(|f| f.kind == FindingKind::Setup).map(|f| f.message.as_str()).collect();
    assert_eq!(setup.len(), 1, "{setup:?}");
    assert!(setup[0].starts_with("leftovers from earlier runs cannot be detected: target returned 400 for GET"));
    assert!(result.aborted.is_none() && !result.steps.is_empty());
    assert_eq!(held(&server), (0, 0));
}

/// Every bundled scenario renders the same transcript with and without `--unique-names`.
#[test]
fn unique_names_leave_transcripts_byte_identical() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    rt.block_on(async {
        let tagged = isolation(false, false, Some("k4m9x2"));
        for path in bundled() {
            let plain = run_file(&path, Target::Embedded, &RunOptions::default()).await;
            let with_tag = run_file(&path, Target::Embedded, &tagged).await;
            let sent = with_tag
                .transcript
                .iter()
                .filter_map(|e| e.request_body.as_ref())
                .any(|b| b.to_string().contains("-esk4m9x2"));
            assert!(
                sent || with_tag.transcript.iter().all(|e| e.request_body.is_none()),
                "{}: the tag was never sent",
                path.display()
            );
            assert!(with_tag.passed(), "{}: {}", path.display(), problems(&with_tag));
            let render = |r: &ScenarioResult| snapshot::render(r, Some(&r.base_url), &[]);
            assert_eq!(render(&plain), render(&with_tag), "{}", path.display());
        }
    });
}

#[tokio::test]
async fn unique_names_let_two_runs_share_an_endpoint() {
    let server = endpoint().await;
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/users/target_drift_and_restart.toml");
    let (a, b) = (isolation(false, false, Some("bbbbbb")), isolation(false, false, Some("cccccc")));
    let (first, second) = tokio::join!(run_file(&path, target(&server), &a), run_file(&path, target(&server), &b));
    assert!(first.passed(), "{}", problems(&first));
    assert!(second.passed(), "{}", problems(&second));
    assert_eq!(outcome(&first), outcome(&second));
    assert_eq!(held(&server), (0, 0));
}

/// An endpoint that accepts connections and never answers stops the scenario at its first leftover
/// lookup, before any step: one timeout, not one per value.
#[tokio::test]
async fn an_endpoint_that_never_answers_stops_at_the_leftover_lookup() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let held = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            open.push(socket);
        }
    });
    let target = Target::Url { url: format!("http://{addr}/scim"), auth: Auth::Bearer(Secret::new("t")) };
    let options = RunOptions { timeout: std::time::Duration::from_millis(300), ..RunOptions::default() };
    let result = run_text(ALICE, target, &options).await;
    let abort = result.aborted.as_ref().expect("stopped");
    assert_eq!(abort.kind, AbortKind::Unreachable);
    assert!(abort.message.contains("leftover lookup") && abort.message.contains("GET"), "{}", abort.message);
    assert!(result.transcript.is_empty(), "no Entra traffic");
    assert!(result.steps.iter().all(|s| s.outcome == entrasim::engine::result::Outcome::NotRun), "no step ran");
    held.abort();
}

/// A large scenario against an endpoint holding fewer objects lists them instead of sending a query per
/// value; a leftover is found the same way (its `userName` in another case), and objects that hold none
/// of the scenario's values are never touched.
#[tokio::test]
async fn leftovers_are_found_by_listing_when_the_endpoint_holds_fewer_objects() {
    let text = "description = \"thirty users\"\n\n[generate]\nusers = 30\nseed = 6\n\n[[steps]]\ncycle = \"initial\"\n";
    let scenario = parse_scenario(text);
    let dir = &scenario.directory;
    let upn = dir.users().nth(9).map(|(id, _)| dir.source_object(id).get("userPrincipalName").to_text()).unwrap();
    let server = endpoint().await;
    let leftover = server.insert(ResourceType::User, json!({"userName": upn.unwrap().to_uppercase()})).unwrap();
    for n in 0..5 {
        server.insert(ResourceType::User, json!({"userName": format!("someone{n}@fabrikam.com")})).unwrap();
    }
    let result = run_text(text, target(&server), &RunOptions::default()).await;
    assert_eq!(result.aborted.as_ref().map(|a| a.kind), Some(AbortKind::Leftovers));
    let leftovers = &result.isolation.as_ref().unwrap().leftovers;
    assert_eq!(leftovers.iter().map(|o| o.id.as_str()).collect::<Vec<_>>(), [leftover["id"].as_str().unwrap()]);
    let cleaned = run_text(text, target(&server), &isolation(true, false, None)).await;
    assert!(cleaned.passed(), "{}", problems(&cleaned));
    assert_eq!(cleaned.isolation.as_ref().unwrap().cleaned.len(), 1);
    assert_eq!(cleaned.isolation.as_ref().unwrap().deleted.len(), 30);
    assert_eq!(held(&server), (5, 0), "the unrelated users stay");
}

/// Starts an endpoint in a thread of its own (the binary runs as a child process meanwhile).
fn serve() -> (String, String, std::sync::mpsc::Sender<()>) {
    let (url_tx, url_rx) = std::sync::mpsc::channel();
    let (stop_tx, stop_rx) = std::sync::mpsc::channel::<()>();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async move {
            let handle = endpoint().await;
            url_tx.send((handle.url().to_string(), handle.token().to_string())).unwrap();
            let _ = tokio::task::spawn_blocking(move || stop_rx.recv()).await;
            handle.shutdown().await;
        });
    });
    let (url, token) = url_rx.recv().unwrap();
    (url, token, stop_tx)
}

/// The flags end to end: `--keep` lists what it left, the next run stops on it with exit 4 naming it,
/// `--clean` deletes and lists it, and a `--unique-names` run matches snapshots recorded without it.
#[test]
fn the_isolation_flags_from_the_command_line() {
    use crate::cli::Cli;
    let (url, token, stop) = serve();
    let run = |flags: &[&str]| {
        Cli::new()
            .file("s.toml", ALICE)
            .env("T", &token)
            .args(["run", "s.toml", "--target", &url, "--token-env", "T"])
            .args(flags.iter().copied())
            .run()
    };
    let kept = run(&["--keep"]).code(exit::OK);
    assert!(
        kept.stdout.contains("--keep left: group") && kept.stdout.contains("(userName \"alice@contoso.com\")"),
        "{}",
        kept.stdout
    );
    let stopped = run(&[]).code(exit::RUNTIME);
    assert!(stopped.stdout.contains("leftover in the target: user"), "{}", stopped.stdout);
    assert!(stopped.stdout.contains("(userName \"alice@contoso.com\")"), "{}", stopped.stdout);
    assert!(stopped.stdout.contains("re-run with --clean"), "{}", stopped.stdout);
    let cleaned = run(&["--clean"]).code(exit::OK);
    assert!(cleaned.stdout.contains("--clean deleted: user"), "{}", cleaned.stdout);

    let dir = std::env::temp_dir().join(format!("entrasim-isolation-{}", std::process::id()));
    let snaps = dir.to_string_lossy();
    let _ = run(&["--snapshots", &snaps, "--accept"]).code(exit::OK);
    let tagged = run(&["--snapshots", &snaps, "--unique-names"]).code(exit::OK);
    assert!(!tagged.stdout.contains("drifted"), "{}", tagged.stdout);
    let _ = std::fs::remove_dir_all(&dir);
    let _ = stop.send(());
}

/// A name a `target_edit` step sets carries the tag too, and the transcript still reads as without it.
#[tokio::test]
async fn target_edits_set_tagged_names() {
    let text = format!(
        "{ALICE}\n[[steps]]\ntarget_edit = \"alice\"\nset = {{ displayName = \"By hand\" }}\n\n[[steps]]\nrestart = true\nexpect = {{ updates = 1 }}\n"
    );
    let plain = run_text(&text, Target::Embedded, &RunOptions::default()).await;
    let tagged = run_text(&text, Target::Embedded, &isolation(false, false, Some("k4m9x2"))).await;
    assert!(tagged.passed(), "{}", problems(&tagged));
    let answers: Vec<String> = tagged.transcript.iter().map(|e| format!("{:?}", e.response_body)).collect();
    assert!(answers.iter().any(|a| a.contains("By hand-esk4m9x2")), "{answers:?}");
    let render = |r: &ScenarioResult| snapshot::render(r, Some(&r.base_url), &[]);
    assert_eq!(render(&plain), render(&tagged));
}
