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
pub mod memory;
pub mod stats;

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::diagnostic::Span;
use crate::engine::result::Event;
use crate::engine::{self, RunOptions, Target};
use crate::mapping::{self, Value};
use crate::scenario::{self, Action, Step};
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
    /// The plain load generator's rate replaying the initial cycle's requests.
    pub baseline_rate: Option<f64>,
    /// entrasim's initial-cycle rate divided by the baseline rate.
    pub ratio: Option<f64>,
    /// Findings of the run (there should be none).
    pub findings: usize,
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
}

/// Runs the benchmark.
pub async fn run(options: &BenchOptions) -> Result<BenchReport, BenchError> {
    let (url, token, child) = match &options.target {
        Some((url, token)) => (url.clone(), token.clone(), None),
        None => {
            let c = endpoint::ChildEndpoint::start().map_err(BenchError::Endpoint)?;
            (c.url.clone(), Some(c.token.clone()), Some(c))
        }
    };
    let scenario = build_scenario(options)?;
    let mapping =
        mapping::load("entra-default", std::path::Path::new(".")).map_err(|d| BenchError::Scenario(first(&d)))?;

    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let run_options = RunOptions {
        timeout: options.timeout,
        events: Some(tx),
        concurrency: Some(options.concurrency),
        keep_bodies: false,
        object_events: false,
        ..RunOptions::default()
    };
    let timer = tokio::spawn(async move {
        let mut marks: Vec<(usize, Instant, Option<Instant>)> = Vec::new();
        while let Some(event) = rx.recv().await {
            match event {
                Event::StepStarted { index, .. } => marks.push((index, Instant::now(), None)),
                Event::StepFinished { index, .. } => {
                    if let Some(m) = marks.iter_mut().rev().find(|m| m.0 == index) {
                        m.2 = Some(Instant::now());
                    }
                }
                Event::Object { .. } => {}
            }
        }
        marks
    });
    let auth = token.clone().map_or(Auth::None, |t| Auth::Bearer(Secret::new(t)));
    let target = Target::Url { url: url.clone(), auth };
    let result = engine::run_scenario(&scenario, "bench", &mapping.set, target, &run_options).await?;
    drop(run_options);
    let marks = timer.await.unwrap_or_default();
    let entrasim_peak = memory::self_peak_bytes();

    let mut phases = Vec::new();
    for step in &result.steps {
        let name = match &step.detail {
            engine::result::StepDetail::Cycle(c) => format!("{:?}", c.kind).to_lowercase(),
            engine::result::StepDetail::Steady(_) => "steady".to_string(),
            _ => continue,
        };
        let mut latencies = stats::Latencies::default();
        for r in result.records.get(step.requests.clone()).unwrap_or_default() {
            latencies.record(r.kind, r.duration);
        }
        let seconds = marks
            .iter()
            .find(|m| m.0 == step.index)
            .and_then(|m| m.2.map(|end| end.duration_since(m.1).as_secs_f64()))
            .unwrap_or(0.0);
        let requests = latencies.total();
        phases.push(Phase {
            name,
            requests,
            seconds,
            rate: requests as f64 / seconds.max(1e-9),
            kinds: latencies.figures(),
        });
    }
    let findings = result.all_findings().filter(|f| f.is_error()).count();
    drop(result);

    // The baseline replays the initial cycle's requests against a fresh endpoint.
    let (baseline_rate, ratio) = match &child {
        Some(_) => {
            let fresh = endpoint::ChildEndpoint::start().map_err(BenchError::Endpoint)?;
            let requests = Arc::new(initial_cycle_requests(options, &fresh.url, &mapping.set));
            let load = loadgen::run(requests, &fresh.token, options.concurrency).await?;
            let rate = load.rate();
            let initial = phases.iter().find(|p| p.name == "initial").map(|p| p.rate);
            (Some(rate), initial.map(|r| r / rate))
        }
        None => (None, None),
    };
    Ok(BenchReport {
        users: options.users,
        concurrency: options.concurrency,
        phases,
        entrasim_peak_mib: entrasim_peak.map(mib),
        endpoint_peak_mib: child.as_ref().and_then(|c| memory::pid_peak_bytes(c.pid())).map(mib),
        baseline_rate,
        ratio,
        findings,
    })
}

fn mib(bytes: u64) -> f64 {
    (bytes as f64 / (1024.0 * 1024.0) * 10.0).round() / 10.0
}

fn first(d: &[crate::diagnostic::Diagnostic]) -> String {
    d.first().map(|d| d.message.clone()).unwrap_or_default()
}

/// The benchmark as a scenario: the generated tenant, an initial cycle, 1% of users changed, an
/// incremental cycle, and a steady-state check.
fn build_scenario(options: &BenchOptions) -> Result<scenario::Scenario, BenchError> {
    let text = format!(
        "description = \"benchmark: {} users\"\nmapping = \"entra-default\"\n\n[settings]\nscope = \"all\"\n\n\
         [generate]\nusers = {}\ngroups = {}\nseed = {}\n\n[[steps]]\ncycle = \"initial\"\n",
        options.users, options.users, options.groups, options.seed
    );
    let loaded = scenario::parse_str("<bench>", &text, std::path::Path::new("."))
        .map_err(|d| BenchError::Scenario(first(&d)))?;
    let mut scenario = loaded.scenario;
    let changed: Vec<String> = scenario.directory.users().map(|(_, u)| u.alias.to_string()).step_by(100).collect();
    let mut number = scenario.steps.len();
    let mut step = |action: Action| {
        number += 1;
        Step { number, name: None, span: Span::default(), action, action_span: Span::default(), expect: None }
    };
    let mut steps: Vec<Step> = changed
        .into_iter()
        .map(|user| {
            step(Action::Change(crate::directory::Mutation::Update {
                user,
                set: vec![("jobTitle".to_string(), Value::from("Benchmark Engineer"))],
                unset: vec![],
            }))
        })
        .collect();
    steps.push(step(Action::Cycle(scenario::CycleKind::Incremental)));
    steps.push(step(Action::Steady));
    scenario.steps.extend(steps);
    Ok(scenario)
}

/// The requests of an initial cycle over the same tenant (a matching query and a POST per user),
/// built ahead of time so the generator does nothing but send.
fn initial_cycle_requests(options: &BenchOptions, base: &str, set: &mapping::MappingSet) -> Vec<loadgen::PlainRequest> {
    let directory = crate::directory::generate(options.users, 0, options.seed);
    let mut env = mapping::EvalEnv::deterministic(options.seed);
    let mut out = Vec::with_capacity(options.users * 2);
    for (id, _) in directory.users() {
        let mut source = directory.source_object(id);
        source.set("IsSoftDeleted", Value::Bool(false));
        let mut values = Vec::new();
        for attr in &set.users.attributes {
            if attr.target.is_reference() {
                continue;
            }
            if let Ok(v) = attr.evaluate(&source, &mut env) {
                if !v.is_null() {
                    values.push((attr.target.clone(), attr.target.scim_value(&v)));
                }
            }
        }
        let user_name = source.get("userPrincipalName").to_text().unwrap_or_default();
        let filter = format!("userName eq \"{user_name}\"");
        let query: String = url_encode(&filter);
        out.push(loadgen::PlainRequest {
            method: reqwest::Method::GET,
            url: format!("{base}/Users?filter={query}"),
            body: None,
        });
        let body = mapping::build_resource(crate::mapping::ObjectKind::User, &values);
        out.push(loadgen::PlainRequest {
            method: reqwest::Method::POST,
            url: format!("{base}/Users"),
            body: Some(serde_json::to_vec(&body).unwrap_or_default()),
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
