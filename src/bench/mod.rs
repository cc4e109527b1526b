//! `entrasim bench`: how entrasim behaves at the size of a large customer's tenant.
//!
//! ```text
//! synthetic directory (directory::synth, N users, seed S)
//!   ─▶ phase "initial":     every user queried and created        (GET filter + POST per user)
//!   ─▶ phase "incremental": 1% of users changed, then a cycle      (GET filter + PATCH per changed user)
//!   ─▶ phase "steady":      full re-evaluation, nothing to write  (GET filter per user)
//!   ─▶ baseline:            the initial cycle's requests replayed by a plain load generator (loadgen)
//! ```
//!
//! The embedded endpoint runs as a child process (`entrasim serve`), so entrasim's own peak memory and
//! the endpoint's are measured apart. Each phase prints requests, wall time, requests/s, p50/p99 per
//! request kind; the baseline gives the ratio of entrasim's request rate to the generator's.

pub mod endpoint;
pub mod loadgen;
pub mod resources;
pub mod stats;

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::engine::result::Event;
use crate::engine::{self, RunOptions, Target};
use crate::mapping::{self, Value};
use crate::scenario::{self, Action};
use crate::scim::client::{Auth, Secret};

/// What to measure.
#[derive(Debug, Clone)]
pub struct BenchOptions {
    /// Synthetic users.
    pub users: usize,
    /// Synthetic groups.
    pub groups: usize,
    /// Generator seed.
    pub seed: u64,
    /// Requests in flight.
    pub concurrency: usize,
    /// An external endpoint (URL, token); the embedded endpoint in a child process when `None`.
    pub target: Option<(String, Option<String>)>,
    /// Per-request timeout.
    pub timeout: Duration,
}

/// One phase's figures.
#[derive(Debug, Clone, Serialize)]
pub struct Phase {
    /// `initial`, `incremental` or `steady`.
    pub name: String,
    /// Requests sent.
    pub requests: usize,
    /// Wall time in seconds.
    pub seconds: f64,
    /// Requests per second.
    pub rate: f64,
    /// Latency per request kind.
    pub kinds: Vec<stats::KindFigures>,
    /// CPU seconds entrasim used during the phase (all its threads).
    pub entrasim_cpu: Option<f64>,
    /// CPU seconds the embedded endpoint used during the phase (child process only).
    pub endpoint_cpu: Option<f64>,
    /// entrasim's peak resident memory in MiB when the phase started (the first phase: once the tenant was
    /// generated) and when it ended, which says which phase raised it.
    pub entrasim_peak_mib: (Option<f64>, Option<f64>),
}

/// The whole measurement.
#[derive(Debug, Clone, Serialize)]
pub struct BenchReport {
    /// Users in the synthetic directory.
    pub users: usize,
    /// Requests in flight.
    pub concurrency: usize,
    /// The phases in order.
    pub phases: Vec<Phase>,
    /// entrasim's peak resident memory in MiB (the endpoint excluded when it ran as a child).
    pub entrasim_peak_mib: Option<f64>,
    /// The embedded endpoint's peak resident memory in MiB (child process).
    pub endpoint_peak_mib: Option<f64>,
    /// The plain load generator replaying the initial cycle's requests (its faster runtime flavour).
    pub baseline: Option<Baseline>,
    /// entrasim's initial-cycle rate divided by the baseline rate.
    pub ratio: Option<f64>,
    /// Findings of the run (there should be none).
    pub findings: usize,
}

/// What the plain load generator achieved.
#[derive(Debug, Clone, Serialize)]
pub struct Baseline {
    /// The tokio runtime flavour it ran on (`current-thread` or `multi-thread`).
    pub flavour: String,
    /// Requests sent (queries, creates and manager links, as in the engine's initial cycle).
    pub requests: usize,
    /// Requests per second.
    pub rate: f64,
    /// CPU microseconds the generator's process spent per request.
    pub cpu_per_request: Option<f64>,
    /// CPU microseconds the endpoint spent per request.
    pub endpoint_cpu_per_request: Option<f64>,
}

/// Why the benchmark could not run.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// The child endpoint did not start.
    #[error("could not start `entrasim serve` as a child process: {0}")]
    Endpoint(#[source] std::io::Error),
    /// The scenario or mapping did not build.
    #[error("the benchmark scenario did not build: {0}")]
    Scenario(String),
    /// The engine could not run.
    #[error(transparent)]
    Engine(#[from] engine::EngineError),
    /// The load generator failed.
    #[error("the load generator failed: {0}")]
    LoadGen(#[from] reqwest::Error),
    /// No async runtime could be started.
    #[error("could not start an async runtime: {0}")]
    Runtime(#[source] std::io::Error),
}

/// Runs the benchmark. The engine runs on a single-threaded runtime of its own: a cycle is one future
/// whose requests all complete on that thread, so nothing crosses threads per request (on a multi-threaded
/// runtime the same cycle spent ~75% more CPU per request, on wake-ups between threads). The load generator
/// gets both runtime flavours and is credited with the faster one.
pub fn run(options: &BenchOptions) -> Result<BenchReport, BenchError> {
    let runtime = || tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(BenchError::Runtime);
    let (url, token, child) = match &options.target {
        Some((url, token)) => (url.clone(), token.clone(), None),
        None => {
            let c = endpoint::ChildEndpoint::start().map_err(BenchError::Endpoint)?;
            (c.url.clone(), Some(c.token.clone()), Some(c))
        }
    };
    let mapping =
        mapping::load("entra-default", std::path::Path::new(".")).map_err(|d| BenchError::Scenario(first(&d)))?;
    let (phases, findings) = runtime()?.block_on(measure_engine(options, &url, token, child.as_ref(), &mapping.set))?;
    let entrasim_peak = resources::self_peak_bytes();
    let endpoint_peak = child.as_ref().and_then(|c| resources::pid_peak_bytes(c.pid()));

    // The baseline replays the initial cycle's requests against a fresh endpoint, once per runtime flavour.
    let mut baseline: Option<Baseline> = None;
    if child.is_some() {
        let multi_thread =
            || tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(BenchError::Runtime);
        for (flavour, rt) in [("current-thread", runtime()?), ("multi-thread", multi_thread()?)] {
            let fresh = endpoint::ChildEndpoint::start().map_err(BenchError::Endpoint)?;
            // The requests are handed to the generator, not copied, and the answers are dropped once the
            // PATCHes are built: at 1,000,000 users each of them is about a gigabyte.
            let Replay { creates, managers } = Replay::new(options, &fresh.url, &mapping.set);
            let endpoint_before = resources::pid_cpu(fresh.pid());
            let before = resources::self_cpu();
            let mut creates = rt.block_on(loadgen::run(Arc::new(creates), &fresh.token, options.concurrency))?;
            let mut cpu = before.zip(resources::self_cpu()).map(|(b, a)| a.saturating_sub(b));
            // Building the PATCHes from the answers is not timed: the generator only sends.
            let patches = manager_patches(&managers, &fresh.url, &std::mem::take(&mut creates.answers));
            let before = resources::self_cpu();
            let links = rt.block_on(loadgen::run(Arc::new(patches), &fresh.token, options.concurrency))?;
            cpu = cpu.zip(before.zip(resources::self_cpu())).map(|(c, (b, a))| c + a.saturating_sub(b));
            let endpoint_cpu = endpoint_before.zip(resources::pid_cpu(fresh.pid())).map(|(b, a)| a.saturating_sub(b));
            let requests = creates.requests + links.requests;
            let per_request = |c: Duration| c.as_secs_f64() * 1e6 / requests.max(1) as f64;
            let run = Baseline {
                flavour: flavour.to_string(),
                requests,
                rate: requests as f64 / (creates.elapsed + links.elapsed).as_secs_f64().max(1e-9),
                cpu_per_request: cpu.map(per_request),
                endpoint_cpu_per_request: endpoint_cpu.map(per_request),
            };
            if baseline.as_ref().is_none_or(|b| run.rate > b.rate) {
                baseline = Some(run);
            }
        }
    }
    let initial = phases.iter().find(|p| p.name == "initial").map(|p| p.rate);
    let ratio = baseline.as_ref().zip(initial).map(|(b, r)| r / b.rate);
    Ok(BenchReport {
        users: options.users,
        concurrency: options.concurrency,
        phases,
        entrasim_peak_mib: entrasim_peak.map(mib),
        endpoint_peak_mib: endpoint_peak.map(mib),
        baseline,
        ratio,
        findings,
    })
}

/// Runs the benchmark scenario through the engine; returns the phases and the number of error findings.
async fn measure_engine(
    options: &BenchOptions,
    url: &str,
    token: Option<String>,
    child: Option<&endpoint::ChildEndpoint>,
    set: &mapping::MappingSet,
) -> Result<(Vec<Phase>, usize), BenchError> {
    let (scenario, work) = build_scenario(options);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let run_options = RunOptions {
        timeout: options.timeout,
        events: Some(tx),
        concurrency: Some(options.concurrency),
        keep_bodies: false,
        object_events: false,
        // A child endpoint is fresh and ends with the benchmark, as an embedded one would: no leftover
        // lookups, no cleanup of 100,000 users afterwards. A `--target` is isolated like any run's.
        isolation: engine::isolation::IsolationOptions { off: child.is_some(), ..Default::default() },
        ..RunOptions::default()
    };
    let endpoint_pid = child.map(|c| c.pid());
    // A thread of its own takes the marks the moment a step starts or ends: a task on the engine's
    // single thread would only run once the cycle first waits, after its planning.
    let timer = std::thread::spawn(move || {
        let mut marks: Vec<(usize, Mark, Option<Mark>)> = Vec::new();
        while let Some(event) = rx.blocking_recv() {
            match event {
                Event::StepStarted { index, .. } => marks.push((index, Mark::now(endpoint_pid), None)),
                Event::StepFinished { index, .. } => {
                    if let Some(m) = marks.iter_mut().rev().find(|m| m.0 == index) {
                        m.2 = Some(Mark::now(endpoint_pid));
                    }
                }
                _ => {}
            }
        }
        marks
    });
    let auth = token.map_or(Auth::None, |t| Auth::Bearer(Secret::new(t)));
    let target = Target::Url { url: url.to_string(), auth };
    // The scenario is handed over: the run takes its directory instead of copying it.
    let scenario = std::borrow::Cow::Owned(scenario);
    let result =
        engine::run_scenario_work(scenario, "bench", set, target, &run_options, engine::Work::Actions(&work)).await?;
    drop(run_options);
    let marks = timer.join().unwrap_or_default();

    let mut phases = Vec::new();
    for step in &result.steps {
        let name = match &step.detail {
            engine::result::StepDetail::Cycle(c) => format!("{:?}", c.kind).to_lowercase(),
            engine::result::StepDetail::Steady(_) => "steady".to_string(),
            _ => continue,
        };
        let mut latencies = stats::Latencies::default();
        for r in result.records.get(step.requests.clone()).unwrap_or_default() {
            latencies.record(r.kind(), r.duration());
        }
        let span = marks.iter().find(|m| m.0 == step.index).and_then(|m| Some((&m.1, m.2.as_ref()?)));
        let seconds = span.map_or(0.0, |(start, end)| end.at.duration_since(start.at).as_secs_f64());
        let cpu = |of: fn(&Mark) -> Option<Duration>| {
            let (start, end) = span?;
            Some(of(end)?.saturating_sub(of(start)?).as_secs_f64())
        };
        let requests = latencies.total();
        phases.push(Phase {
            name,
            requests,
            seconds,
            rate: requests as f64 / seconds.max(1e-9),
            kinds: latencies.figures(),
            entrasim_cpu: cpu(|m| m.entrasim_cpu),
            endpoint_cpu: cpu(|m| m.endpoint_cpu),
            entrasim_peak_mib: span.map_or((None, None), |(start, end)| (start.peak.map(mib), end.peak.map(mib))),
        });
    }
    let findings = result.all_findings().filter(|f| f.is_error()).count();
    Ok((phases, findings))
}

/// A moment of the run: wall clock, the CPU time used so far by entrasim and by the endpoint child, and
/// entrasim's peak memory so far.
struct Mark {
    at: Instant,
    entrasim_cpu: Option<Duration>,
    endpoint_cpu: Option<Duration>,
    peak: Option<u64>,
}

impl Mark {
    fn now(endpoint_pid: Option<u32>) -> Self {
        Mark {
            at: Instant::now(),
            entrasim_cpu: resources::self_cpu(),
            endpoint_cpu: endpoint_pid.and_then(resources::pid_cpu),
            peak: resources::self_peak_bytes(),
        }
    }
}

fn mib(bytes: u64) -> f64 {
    (bytes as f64 / (1024.0 * 1024.0) * 10.0).round() / 10.0
}

fn first(d: &[crate::diagnostic::Diagnostic]) -> String {
    d.first().map(|d| d.message.clone()).unwrap_or_default()
}

/// The benchmark's tenant and work: the generated directory (every user in scope), then an initial cycle,
/// 1% of users changed, an incremental cycle and a steady-state check, as runner actions.
fn build_scenario(options: &BenchOptions) -> (scenario::Scenario, Vec<(String, Action)>) {
    let directory = crate::directory::generate(options.users, options.groups, options.seed);
    let settings = scenario::Settings { scope: scenario::Scope::All, ..scenario::Settings::default() };
    let scenario = scenario::Scenario::of_directory("<bench>", directory, settings);
    let changed: Vec<String> = scenario.directory.users().map(|(_, u)| u.alias.to_string()).step_by(100).collect();
    let labelled = |action: Action| (action.to_string(), action);
    let mut work = vec![labelled(Action::Cycle(scenario::CycleKind::Initial))];
    work.extend(changed.into_iter().map(|user| {
        labelled(Action::Change(crate::directory::Mutation::Update {
            user,
            set: vec![("jobTitle".to_string(), Value::from("Benchmark Engineer"))],
            unset: vec![],
        }))
    }));
    work.push(labelled(Action::Cycle(scenario::CycleKind::Incremental)));
    work.push(labelled(Action::Steady));
    (scenario, work)
}

/// The requests of an initial cycle over the same tenant, as the engine sends them: per user a matching
/// query and a POST (bodies built by the engine's own code), then a manager PATCH per user with a
/// manager. The `PATCH`es name target ids, so they are built from the `POST` answers between the two runs.
struct Replay {
    /// Query and create, two requests per user in source order.
    creates: Vec<loadgen::PlainRequest>,
    /// For each user, the position of its manager among the users.
    managers: Vec<Option<usize>>,
}

impl Replay {
    /// The queries and creates of `options.users` generated users, in source order.
    fn new(options: &BenchOptions, base: &str, set: &mapping::MappingSet) -> Self {
        let directory = crate::directory::generate(options.users, 0, options.seed);
        let mapper = engine::mapper::SetMapper::new(set.clone(), options.seed);
        let position: std::collections::HashMap<_, _> =
            directory.users().enumerate().map(|(i, (id, _))| (id, i)).collect();
        let mut creates = Vec::with_capacity(options.users * 2);
        let mut managers = Vec::with_capacity(options.users);
        for (evaluation, (id, user)) in (0..).zip(directory.users()) {
            let source = directory.source_object(id);
            let eval = engine::users::evaluate(&mapper, engine::result::ObjectKind::User, &source, false, evaluation);
            let user_name = source.get("userPrincipalName").to_text().unwrap_or_default();
            let query = url_encode(&format!("userName eq \"{user_name}\""));
            creates.push(loadgen::PlainRequest {
                method: reqwest::Method::GET,
                url: format!("{base}/Users?filter={query}"),
                body: None,
                keep_answer: false,
            });
            let body = engine::post::post_body(engine::Dialect::Legacy, &eval, &crate::fidelity::Fidelity::default());
            creates.push(loadgen::PlainRequest {
                method: reqwest::Method::POST,
                url: format!("{base}/Users"),
                // Exactly as long as the body: `to_vec` leaves up to half of the buffer unused.
                body: Some(serde_json::to_vec(&body).map(|b| b.into_boxed_slice().into_vec()).unwrap_or_default()),
                keep_answer: true,
            });
            managers.push(user.manager().and_then(|m| position.get(&m).copied()));
        }
        Replay { creates, managers }
    }
}

/// The manager `PATCH`es, given each user's manager ([`Replay::managers`]) and the `POST` answers of the first
/// run (request index, body).
fn manager_patches(managers: &[Option<usize>], base: &str, answers: &[(usize, Vec<u8>)]) -> Vec<loadgen::PlainRequest> {
    #[derive(serde::Deserialize)]
    struct Created {
        id: String,
    }
    let mut ids: Vec<Option<String>> = vec![None; managers.len()];
    for (index, body) in answers {
        if let Ok(created) = serde_json::from_slice::<Created>(body) {
            if let Some(slot) = ids.get_mut(index / 2) {
                *slot = Some(created.id);
            }
        }
    }
    let mut out = Vec::new();
    for (user, manager) in managers.iter().enumerate() {
        let (Some(Some(id)), Some(Some(manager_id))) = (ids.get(user), manager.and_then(|m| ids.get(m))) else {
            continue;
        };
        let op = engine::dialect::manager_set_op(engine::Dialect::Legacy, engine::dialect::OpKind::Add, manager_id);
        out.push(loadgen::PlainRequest {
            method: reqwest::Method::PATCH,
            url: format!("{base}/Users/{id}"),
            body: Some(serde_json::to_vec(&engine::dialect::patch_body(vec![op])).unwrap_or_default()),
            keep_answer: false,
        });
    }
    out
}

fn url_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for b in text.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}
