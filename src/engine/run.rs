//! Running a scenario: resolve the target (start the embedded endpoint, or use a URL), seed the target,
//! run each step (`step.rs`: applied to the source directory or run against the endpoint, expectations
//! checked), and collect a [`ScenarioResult`] with its summary.

use std::borrow::Cow;
use std::time::Duration;

use crate::engine::action::Actor;
use crate::engine::dialect::Dialect;
use crate::engine::escrow::EscrowRetry;
use crate::engine::isolation::{self, IsolationOptions, TaggingMapper};
use crate::engine::mapper::SetMapper;
use crate::engine::result::{
    Abort, AbortKind, CycleResult, Event, Finding, JobState, Outcome, ScenarioResult, Scrub, StepDetail, StepResult,
    Summary,
};
use crate::engine::runner::{Lifetime, Runner};
use crate::engine::source::{Mapper, ObjectActions};
use crate::engine::state::{Engine, Settings};
use crate::engine::step::{run_step, StepEnv};
use crate::exit;
use crate::mapping::MappingSet;
use crate::scenario::{self, Action, Expect, Scenario};
use crate::scim::client::{Auth, Client, ClientConfig, ClientError, Scrubber, Secret};
use crate::server::{self, ServerConfig, Switches};

/// Where the run sends its requests.
#[derive(Debug, Clone)]
pub enum Target {
    /// Start the embedded endpoint on 127.0.0.1 with the scenario's `[embedded]` switches, stop it after.
    Embedded,
    /// A tenant URL (may carry `?aadOptscim062020`) and its authentication.
    Url {
        /// The tenant URL as an admin enters it.
        url: String,
        /// Authentication.
        auth: Auth,
    },
}

/// Options of a run (the CLI's flags).
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Forces the dialect of sync cycles (wins over the scenario and the URL).
    pub dialect: Option<Dialect>,
    /// Forward the dialect flag to the endpoint instead of stripping it.
    pub forward_flag: bool,
    /// Per-request timeout.
    pub timeout: Duration,
    /// Append a steady-state check after the last step (`run --steady`).
    pub steady: bool,
    /// Seed of the probe GUIDs.
    pub seed: u64,
    /// Upper bound of one real wait for `Retry-After`.
    pub max_retry_wait: Duration,
    /// Upper bound of all real waits for `Retry-After` in the run (see [`crate::engine::action::RETRY_SLEEP_BUDGET`]).
    pub retry_sleep_budget: Duration,
    /// Wire switches set on the command line (`--wire`); they win over the scenario's `[settings]`.
    pub wire: Vec<crate::fidelity::Override>,
    /// Live events (provisioning-log style) while the run goes on.
    pub events: Option<tokio::sync::mpsc::UnboundedSender<Event>>,
    /// Requests in flight while users are exported; wins over the scenario's `[settings] concurrency`.
    /// Default [`DEFAULT_CONCURRENCY`], or 1 against an embedded endpoint with seeded fault injection, so
    /// the same requests meet the same faults on every run.
    pub concurrency: Option<usize>,
    /// Keep request and response bodies in the transcript (snapshots need them; a 100,000-user benchmark
    /// does not).
    pub keep_bodies: bool,
    /// Send an [`Event::Object`] per object processed, besides the step events, and keep a full provisioning
    /// log. Off for runs too large for per-object reporting: the log is lean ([`crate::engine::log::CycleLog::lean`]:
    /// creates and skips only counted, no request references).
    pub object_events: bool,
    /// PEM certificates to trust besides the system roots.
    pub ca_cert: Option<Vec<u8>>,
    /// Accept any TLS certificate.
    pub insecure: bool,
    /// Leftover checks and cleanup against a `--target`, and `--unique-names`.
    pub isolation: IsolationOptions,
    /// The job's clock (a fresh simulated one when `None`); the mapping's `Now()` should read the same.
    pub clock: Option<crate::engine::clock::JobClock>,
    /// Becomes true when the run is interrupted (Ctrl-C): the current step is cancelled, no further
    /// step runs, and cleanup still happens.
    pub cancel: Option<tokio::sync::watch::Receiver<bool>>,
}

/// Requests in flight while users are exported, unless a scenario or `--concurrency` says otherwise.
/// Entra's own parallelism is undocumented (ENTRA.md 6.6 suggests a handful); the transcript is the same
/// whatever the value, because each user's exchanges are appended in source order.
pub const DEFAULT_CONCURRENCY: usize = 4;

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            dialect: None,
            forward_flag: false,
            timeout: Duration::from_secs(30),
            steady: false,
            seed: 0,
            max_retry_wait: Duration::from_secs(2),
            retry_sleep_budget: crate::engine::action::RETRY_SLEEP_BUDGET,
            wire: Vec::new(),
            events: None,
            concurrency: None,
            keep_bodies: true,
            object_events: true,
            ca_cert: None,
            insecure: false,
            isolation: IsolationOptions::default(),
            cancel: None,
            clock: None,
        }
    }
}

/// Why a run could not be done at all. Findings about the endpoint are never errors.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EngineError {
    /// The `[embedded]` table does not describe valid switches.
    #[error("invalid `[embedded]` switches: {0}")]
    Switches(String),
    /// The embedded endpoint did not start.
    #[error("the embedded endpoint did not start")]
    Server(#[source] crate::server::ServerError),
    /// The tenant URL is not usable.
    #[error(transparent)]
    Client(#[from] ClientError),
    /// The mapping could not be loaded.
    #[error("mapping `{spec}` did not load: {message}")]
    Mapping {
        /// The mapping spec.
        spec: String,
        /// The first diagnostic.
        message: String,
    },
}

impl EngineError {
    /// [`exit::INVALID`] for bad input, [`exit::RUNTIME`] when the endpoint could not be started or used.
    pub fn exit_code(&self) -> u8 {
        match self {
            EngineError::Switches(_) | EngineError::Mapping { .. } => exit::INVALID,
            EngineError::Client(ClientError::InvalidUrl { .. }) => exit::INVALID,
            EngineError::Server(_) | EngineError::Client(_) => exit::RUNTIME,
        }
    }
}

/// The switches of a scenario's `[embedded]` table.
pub fn switches(scenario: &Scenario) -> Result<Switches, EngineError> {
    let Some(embedded) = &scenario.embedded else { return Ok(Switches::default()) };
    let switches: Switches = toml::Value::Table(embedded.table.clone())
        .try_into()
        .map_err(|e: toml::de::Error| EngineError::Switches(e.message().to_string()))?;
    switches.validate().map_err(EngineError::Switches)?;
    Ok(switches)
}

/// The job settings a scenario asks for, with the run's overrides; `faults` says the embedded endpoint
/// injects faults (one request in flight then, so the same requests meet the same faults every run).
pub fn settings(scenario: &Scenario, options: &RunOptions, faults: bool) -> Settings {
    let s = &scenario.settings;
    let concurrency = options
        .concurrency
        .or(s.concurrency.map(|c| c as usize))
        .unwrap_or(if faults { 1 } else { DEFAULT_CONCURRENCY })
        .max(1);
    Settings {
        concurrency,
        scope_all: s.scope == scenario::Scope::All,
        skip_out_of_scope_deletions: s.skip_out_of_scope_deletions,
        provision_groups: s.provision_groups,
        deletion_threshold: s.deletion_threshold.map(|t| t as usize),
        fidelity: crate::fidelity::Fidelity::default().with(&s.wire).with(&options.wire),
        max_retry_wait: options.max_retry_wait,
        escrow_retry: match s.escrow_retry {
            scenario::EscrowRetry::NextCycle => EscrowRetry::NextCycle,
            scenario::EscrowRetry::Backoff => EscrowRetry::Backoff,
        },
        ..Settings::default()
    }
}

/// What a run does after its setup: the scenario's own steps, or actions a command asks for (`provision`
/// runs one on-demand action over the scenario's directory).
#[derive(Debug, Clone, Copy)]
pub enum Work<'a> {
    /// The scenario's steps (and `--steady`'s check).
    Steps,
    /// These actions, labelled, without expectations.
    Actions(&'a [(String, Action)]),
}

/// Runs a scenario with a mapping against a target.
pub async fn run_with_mapper(
    scenario: &Scenario,
    name: &str,
    mapper: &dyn Mapper,
    target: Target,
    options: &RunOptions,
) -> Result<ScenarioResult, EngineError> {
    run_work(Cow::Borrowed(scenario), name, mapper, target, options, Work::Steps).await
}

/// Runs `work` over a scenario's directory, settings and seeds, with a mapping, against a target. The steps
/// change a copy of the directory; a scenario handed over (`Cow::Owned`) gives its directory up instead of
/// having it copied (at 1,000,000 users the copy is about 140 MB).
pub async fn run_work(
    scenario: Cow<'_, Scenario>,
    name: &str,
    mapper: &dyn Mapper,
    target: Target,
    options: &RunOptions,
    work: Work<'_>,
) -> Result<ScenarioResult, EngineError> {
    let mut scenario = scenario;
    let mut faults = false;
    let (handle, url, auth) = match target {
        Target::Embedded => {
            let switches = switches(&scenario)?;
            let f = switches.faults();
            faults = f.error_rate > 0.0 || f.rate_limit_rate > 0.0 || f.timeout_rate > 0.0 || f.malformed_rate > 0.0;
            faults |=
                scenario.steps.iter().any(|s| matches!(&s.action, scenario::Action::Embedded(c) if c.injects_faults()));
            let config = ServerConfig { switches, ..ServerConfig::default() };
            let handle = server::start(config).await.map_err(EngineError::Server)?;
            let (url, token) = (handle.url().to_string(), handle.token().to_string());
            (Some(handle), url, Auth::Bearer(Secret::new(token)))
        }
        Target::Url { url, auth } => (None, url, auth),
    };
    let mut config = ClientConfig::new(url.clone(), auth.clone());
    config.timeout = options.timeout;
    config.forward_flag = options.forward_flag;
    config.ca_cert = options.ca_cert.clone();
    config.insecure = options.insecure;
    let setup_config = config.clone();
    config.keep_bodies = options.keep_bodies;
    let client = Client::new(config)?;
    let dialect = options
        .dialect
        .or(scenario.dialect.as_ref().map(|d| d.value))
        .unwrap_or_else(|| Dialect::from_flag(client.tenant().flag));
    let base = client.tenant().base.clone();
    let setup = Client::new(setup_config)?;
    let tagging;
    let mapper: &dyn Mapper = match &options.isolation.run_tag {
        Some(tag) => {
            tagging = TaggingMapper::new(mapper, tag.clone());
            &tagging
        }
        None => mapper,
    };
    // A fresh embedded endpoint holds nothing and dies with the run: only a `--target` is isolated.
    let isolate = handle.is_none() && !options.isolation.off;
    let prepared = isolation::before_steps(&setup, &scenario, mapper, &options.isolation, isolate).await;
    let mut engine = Engine::new(
        Actor::new(client, options.max_retry_wait).with_sleep_budget(options.retry_sleep_budget),
        dialect,
        settings(&scenario, options, faults),
        options.seed,
    )
    .with_clock(options.clock.clone().unwrap_or_default());
    if let Some(listener) = &options.events {
        engine.events.attach(listener.clone());
    }
    engine.object_events = options.object_events;
    let mut runner = Runner::new(engine, Lifetime::Scenario);
    let mut result = ScenarioResult {
        name: name.to_string(),
        description: scenario.description.clone(),
        dialect,
        target: if handle.is_some() { "embedded".into() } else { base.clone() },
        wire: runner.engine.settings.fidelity.changed(),
        steps: Vec::new(),
        findings: prepared.findings.clone(),
        aborted: prepared.stop.clone(),
        summary: Summary::default(),
        aliases: Vec::new(),
        transcript: Vec::new(),
        records: Vec::new(),
        base_url: base.clone(),
        isolation: None,
        run_tag: options.isolation.run_tag.as_ref().map(|t| t.as_str().to_string()),
    };
    let mut dir = match &mut scenario {
        Cow::Owned(owned) => std::mem::take(&mut owned.directory),
        Cow::Borrowed(borrowed) => borrowed.directory.clone(),
    };
    let scenario: &Scenario = &scenario;
    let mut steps: Vec<(usize, String, &Action, Option<&Expect>)> = match work {
        Work::Steps => scenario
            .steps
            .iter()
            .map(|s| (s.number, s.name.clone().unwrap_or_else(|| s.action.to_string()), &s.action, s.expect.as_ref()))
            .collect(),
        Work::Actions(actions) => {
            actions.iter().enumerate().map(|(i, (label, action))| (i + 1, label.clone(), action, None)).collect()
        }
    };
    if options.steady {
        steps.push((steps.len() + 1, "steady (--steady)".to_string(), &Action::Steady, None));
    }
    if let Some(abort) = &result.aborted {
        // Setup stopped the scenario before its first step: every step is reported as not run.
        let reason = format!("not run: setup stopped the scenario ({})", abort.kind.describe());
        for (index, label, _, _) in steps.drain(..) {
            let at = runner.engine.clock.now();
            result.steps.push(StepResult::not_run(index, label, at, reason.clone(), runner.engine.transcript_len()));
        }
    }
    let run_tag = result.run_tag.as_deref();
    let env = StepEnv { setup: &setup, endpoint: handle.as_ref(), base: &base, timeout: options.timeout, run_tag };
    let mut cancel = options.cancel.clone();
    let mut steps = steps.into_iter().peekable();
    while let Some((index, label, action, expect)) = steps.next() {
        runner.engine.emit(Event::StepStarted { index, label: label.clone() });
        let step = run_step(&mut runner, &env, &mut dir, mapper, (index, label), action, expect);
        let Some((step_result, abort)) = isolation::unless_cancelled(cancel.as_mut(), step).await else {
            let message = "interrupted: the current step was cancelled and the later ones did not run".to_string();
            result.aborted = Some(Abort { kind: AbortKind::Interrupted, message });
            break;
        };
        let engine = &runner.engine;
        engine.emit(Event::StepFinished { index, outcome: step_result.outcome });
        result.steps.push(step_result);
        let abort = abort.or_else(|| {
            engine.actor.unreachable().then(|| Abort {
                kind: AbortKind::Unreachable,
                message: "the target never answered: connection refused".to_string(),
            })
        });
        let Some(abort) = abort else { continue };
        // A failed Test Connection as the last step stops nothing.
        if abort.kind == AbortKind::TestConnectionFailed && steps.peek().is_none() {
            break;
        }
        let reason = format!("not run: step {index} stopped the scenario ({})", abort.kind.describe());
        for (index, label, _, _) in steps.by_ref() {
            engine.emit(Event::StepStarted { index, label: label.clone() });
            let at = engine.clock.now();
            result.steps.push(StepResult::not_run(index, label, at, reason.clone(), engine.transcript_len()));
            engine.emit(Event::StepFinished { index, outcome: Outcome::NotRun });
        }
        result.aborted = Some(abort);
    }
    // Handed to the result, not copied: the engine is dropped after this.
    result.aliases = runner.engine.aliases.take_list();
    let engine = &runner.engine;
    let transcript = engine.actor.client().transcript();
    if transcript.is_lean() {
        result.records = transcript.take_records();
    } else {
        result.transcript = transcript.exchanges();
    }
    if isolate {
        let cleaned = isolation::cleanup(&setup, prepared, &engine.cds, &result.transcript, &options.isolation).await;
        result.findings.extend(cleaned.findings);
        result.aborted = result.aborted.take().or(cleaned.abort);
        result.isolation = Some(cleaned.report);
    }
    result.summary = summary(engine, &result);
    // The run read every answer as it came; what it hands out hides the secrets (issue 18).
    let scrubber = Scrubber::new(engine.actor.client().scrubber().secrets().chain(setup.scrubber().secrets()));
    result.scrub(&scrubber);
    if let Some(h) = handle {
        h.shutdown().await;
    }
    Ok(result)
}

/// Runs a scenario with a loaded mapping set against a target: the entry point of `entrasim run`.
/// The scenario's `[settings] actions` further restrict the mapping's target object actions.
pub async fn run_scenario(
    scenario: &Scenario,
    name: &str,
    mapping: &MappingSet,
    target: Target,
    options: &RunOptions,
) -> Result<ScenarioResult, EngineError> {
    run_scenario_work(Cow::Borrowed(scenario), name, mapping, target, options, Work::Steps).await
}

/// [`run_scenario`] doing `work` instead of the scenario's steps; a scenario handed over (`Cow::Owned`) gives
/// its directory to the run instead of having it copied.
pub async fn run_scenario_work(
    scenario: Cow<'_, Scenario>,
    name: &str,
    mapping: &MappingSet,
    target: Target,
    options: &RunOptions,
    work: Work<'_>,
) -> Result<ScenarioResult, EngineError> {
    let a = scenario.settings.actions;
    let allowed = ObjectActions { create: a.create, update: a.update, delete: a.delete };
    let clock = options.clock.clone().unwrap_or_default();
    let mapper = SetMapper::new(mapping.clone(), options.seed).with_actions(allowed).with_clock(clock.clone());
    let options = RunOptions { clock: Some(clock), ..options.clone() };
    run_work(scenario, name, &mapper, target, &options, work).await
}

fn summary(engine: &Engine, result: &ScenarioResult) -> Summary {
    let all: Vec<&Finding> = result.all_findings().collect();
    let steady_state = result.steps.iter().rev().find_map(|s| match &s.detail {
        StepDetail::Steady(x) => Some(x.steady),
        _ => None,
    });
    let cycles: Vec<&CycleResult> = result
        .steps
        .iter()
        .flat_map(|s| match &s.detail {
            StepDetail::Cycle(c) => std::slice::from_ref(c),
            StepDetail::Steady(x) => x.passes.as_slice(),
            _ => &[],
        })
        .collect();
    let job = if engine.job.disabled.is_some() {
        JobState::Disabled
    } else if engine.job.quarantine.is_some() {
        JobState::Quarantine
    } else {
        JobState::Active
    };
    Summary {
        cycles: engine.cycles,
        initial_cycle_complete: engine.cds.initialized,
        users_provisioned: engine.cds.users.len(),
        groups_provisioned: engine.cds.groups.len(),
        quarantine: engine.job.quarantine_text(),
        job,
        steady_state,
        requests: result.transcript.len() + result.records.len(),
        errors: all.iter().filter(|f| f.is_error()).count(),
        warnings: all.iter().filter(|f| !f.is_error()).count(),
        failed_expectations: result.steps.iter().flat_map(|s| &s.expectations).filter(|x| !x.passed).count(),
        escrows_outstanding: engine.cds.escrows.len(),
        escrow_retries: cycles.iter().map(|c| c.escrows.retried).sum(),
        retries_429: usize::try_from(engine.actor.retries_429()).unwrap_or(usize::MAX),
        given_up: cycles.iter().map(|c| c.escrows.given_up).sum(),
    }
}
