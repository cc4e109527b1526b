//! Running a scenario: resolve the target (start the embedded endpoint, or use a URL), seed the target,
//! apply each step to the source directory or run it against the endpoint, check expectations, and
//! collect a [`ScenarioResult`].

use std::time::Duration;

use crate::directory::Directory;
use crate::engine::action::Actor;
use crate::engine::check;
use crate::engine::dialect::Dialect;
use crate::engine::mapper::SetMapper;
use crate::engine::result::{
    Abort, AbortKind, CycleKind, Event, Finding, FindingKind, ScenarioResult, StepDetail, StepResult, Summary,
};
use crate::engine::source::{Mapper, ObjectActions};
use crate::engine::state::{Engine, Settings};
use crate::engine::view;
use crate::exit;
use crate::mapping::MappingSet;
use crate::scenario::{self, Action, ObjectAlias, Restart, Scenario, Step};
use crate::scim::client::{Auth, Client, ClientConfig, ClientError, Method, Request, Secret};
use crate::server::{self, ServerConfig, Switches};
use crate::snapshot::Redactor;

/// Cycles run 40 minutes apart (ENTRA.md 6.1).
const CYCLE_INTERVAL: Duration = Duration::from_secs(40 * 60);

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
    /// Legacy dialect: send `active` as a string on POST.
    pub string_booleans_on_post: bool,
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
            string_booleans_on_post: false,
            events: None,
            concurrency: None,
            keep_bodies: true,
            object_events: true,
            ca_cert: None,
            insecure: false,
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

fn settings(scenario: &Scenario, options: &RunOptions, faults: bool) -> Settings {
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
        string_booleans_on_post: options.string_booleans_on_post,
        max_retry_wait: options.max_retry_wait,
        ..Settings::default()
    }
}

/// Runs a scenario with a mapping against a target.
pub async fn run_with_mapper(
    scenario: &Scenario,
    name: &str,
    mapper: &dyn Mapper,
    target: Target,
    options: &RunOptions,
) -> Result<ScenarioResult, EngineError> {
    let mut faults = false;
    let (handle, url, auth) = match target {
        Target::Embedded => {
            let switches = switches(scenario)?;
            faults = switches.error_rate > 0.0
                || switches.rate_limit_rate > 0.0
                || switches.timeout_rate > 0.0
                || switches.malformed_rate > 0.0;
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
        .or(scenario.dialect.as_ref().map(|d| match d.value {
            scenario::Dialect::Legacy => Dialect::Legacy,
            scenario::Dialect::Compliant => Dialect::Compliant,
        }))
        .unwrap_or_else(|| Dialect::from_flag(client.tenant().flag));
    let base = client.tenant().base.clone();
    let setup = Client::new(setup_config)?;
    let mut engine = Engine::new(
        Actor::new(client, options.max_retry_wait),
        dialect,
        settings(scenario, options, faults),
        options.seed,
    );
    engine.events = options.events.clone();
    engine.object_events = options.object_events;
    let mut result = ScenarioResult {
        name: name.to_string(),
        description: scenario.description.clone(),
        dialect,
        target: if handle.is_some() { "embedded".into() } else { base.clone() },
        steps: Vec::new(),
        findings: seed_target(&setup, scenario).await,
        aborted: None,
        summary: Summary::default(),
        aliases: Vec::new(),
        transcript: Vec::new(),
        records: Vec::new(),
        base_url: base.clone(),
    };
    let mut dir = scenario.directory.clone();
    let secrets: Vec<String> = match &auth {
        Auth::Bearer(s) => vec![s.expose().to_string()],
        Auth::OAuth(o) => vec![o.client_secret.expose().to_string()],
        _ => Vec::new(),
    };
    let mut steps: Vec<(usize, String, Option<&Step>)> = scenario
        .steps
        .iter()
        .map(|s| (s.number, s.name.clone().unwrap_or_else(|| s.action.to_string()), Some(s)))
        .collect();
    if options.steady {
        steps.push((steps.len() + 1, "steady (--steady)".to_string(), None));
    }
    for (index, label, step) in steps {
        engine.emit(Event::StepStarted { index, label: label.clone() });
        let step_result = run_step(&mut engine, &setup, &mut dir, mapper, index, label, step, &base, &secrets).await;
        engine.emit(Event::StepFinished { index, outcome: step_result.0.outcome });
        result.steps.push(step_result.0);
        if let Some(abort) = step_result.1 {
            result.aborted = Some(abort);
            break;
        }
        if engine.actor.unreachable() {
            let message = "the target never answered: connection refused".to_string();
            result.aborted = Some(Abort { kind: AbortKind::Unreachable, message });
            break;
        }
    }
    result.aliases = engine.aliases.list.clone();
    let transcript = engine.actor.client().transcript();
    if transcript.is_lean() {
        result.records = transcript.records();
    } else {
        result.transcript = transcript.exchanges();
    }
    result.summary = summary(&engine, &result);
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
    let a = scenario.settings.actions;
    let allowed = ObjectActions { create: a.create, update: a.update, delete: a.delete };
    let mapper = SetMapper::new(mapping.clone(), options.seed).with_actions(allowed);
    run_with_mapper(scenario, name, &mapper, target, options).await
}

async fn seed_target(setup: &Client, scenario: &Scenario) -> Vec<Finding> {
    let mut findings = Vec::new();
    let seeds = scenario
        .target
        .users
        .iter()
        .map(|u| ("/Users", u))
        .chain(scenario.target.groups.iter().map(|g| ("/Groups", g)));
    for (path, seed) in seeds {
        let mut body = seed.value.clone();
        if let Some(obj) = body.as_object_mut() {
            if !obj.contains_key("schemas") {
                let urn =
                    if path == "/Users" { crate::engine::users::USER_URN } else { crate::engine::groups::GROUP_URN };
                obj.insert("schemas".into(), serde_json::json!([urn]));
            }
        }
        match setup.send(&Request::new(Method::Post, path).body(body)).await {
            Ok(e) if e.is_success() => {}
            Ok(e) => findings.push(Finding::error(
                FindingKind::Transport,
                format!(
                    "setup: seeding the target failed: {}",
                    crate::engine::action::describe_failure(&crate::engine::action::Sent::Answer(e))
                ),
            )),
            Err(err) => findings
                .push(Finding::error(FindingKind::Transport, format!("setup: seeding the target failed: {err}"))),
        }
    }
    findings
}

#[allow(clippy::too_many_arguments)]
async fn run_step(
    engine: &mut Engine,
    setup: &Client,
    dir: &mut Directory,
    mapper: &dyn Mapper,
    index: usize,
    label: String,
    step: Option<&Step>,
    base: &str,
    secrets: &[String],
) -> (StepResult, Option<Abort>) {
    let first = engine.transcript_len();
    let at = engine.clock.now();
    let mut findings = Vec::new();
    let mut abort = None;
    let action = step.map_or(&Action::Steady, |s| &s.action);
    let detail = match action {
        Action::TestConnection => {
            let probe = engine.test_connection(mapper).await;
            findings.extend(probe.findings);
            abort = probe.abort;
            StepDetail::TestConnection(probe.result)
        }
        Action::Cycle(kind) => {
            let kind = match kind {
                scenario::CycleKind::Initial => CycleKind::Initial,
                scenario::CycleKind::Incremental => CycleKind::Incremental,
            };
            cycle(engine, dir, mapper, kind, &mut findings).await
        }
        Action::Restart(r) => {
            engine.cds.restart(*r == Restart::Full);
            engine.quarantine = None;
            cycle(engine, dir, mapper, CycleKind::Initial, &mut findings).await
        }
        Action::Change(m) => {
            if let Err(e) = dir.apply(m) {
                findings.push(Finding::error(FindingKind::Expectation, format!("directory change failed: {e}")));
            }
            StepDetail::Directory { change: action.to_string() }
        }
        Action::OnDemand(ObjectAlias::User(alias)) => {
            let snapshot = view::snapshot(dir);
            match snapshot.user_by_alias(alias) {
                Some(user) => {
                    let (od, f) = engine.provision_on_demand(&user, mapper).await;
                    findings.extend(f);
                    StepDetail::OnDemand(od)
                }
                None => {
                    findings.push(Finding::error(
                        FindingKind::Expectation,
                        format!("user `{alias}` is not in the directory"),
                    ));
                    StepDetail::Directory { change: action.to_string() }
                }
            }
        }
        Action::OnDemand(ObjectAlias::Group(alias)) => {
            let snapshot = view::snapshot(dir);
            match snapshot.groups.iter().find(|g| g.alias == *alias) {
                Some(group) => {
                    let (od, f) = engine.provision_group_on_demand(group, &snapshot, mapper).await;
                    findings.extend(f);
                    StepDetail::OnDemand(od)
                }
                None => {
                    findings.push(Finding::error(
                        FindingKind::Expectation,
                        format!("group `{alias}` is not in the directory"),
                    ));
                    StepDetail::Directory { change: action.to_string() }
                }
            }
        }
        Action::Steady => {
            engine.clock.advance(CYCLE_INTERVAL);
            let snapshot = view::snapshot(dir);
            let (steady, f) = engine.steady_check(&snapshot, mapper).await;
            findings.extend(f);
            StepDetail::Steady(steady)
        }
        Action::TargetEdit(edit) => {
            findings.extend(target_edit(engine, setup, dir, edit).await);
            StepDetail::Directory { change: action.to_string() }
        }
    };
    let end = engine.transcript_len();
    let expect = step.and_then(|s| s.expect.as_ref());
    // Expectations read the step's requests as redacted lines; a step without any needs no copy of them.
    let expectations = match expect {
        None => Vec::new(),
        Some(x) => {
            let exchanges = engine.actor.client().transcript().since(first);
            let mut redactor = Redactor::new(&engine.aliases.list, Some(base), secrets);
            redactor.learn(&exchanges);
            let step_exchanges: Vec<&crate::scim::client::Exchange> = exchanges.iter().take(end - first).collect();
            let line_of = |e: &crate::scim::client::Exchange| redactor.request_line(e);
            check::check(x, &detail, &findings, &step_exchanges, &line_of)
        }
    };
    let outcome = check::outcome(expect, &findings, &expectations);
    let result = StepResult { index, label, at, outcome, detail, expectations, findings, requests: first..end };
    (result, abort)
}

async fn cycle(
    engine: &mut Engine,
    dir: &Directory,
    mapper: &dyn Mapper,
    kind: CycleKind,
    findings: &mut Vec<Finding>,
) -> StepDetail {
    if engine.cycles > 0 {
        engine.clock.advance(CYCLE_INTERVAL + engine.actor.take_waited());
    }
    let snapshot = view::snapshot(dir);
    let (result, log) = engine.run_cycle(kind, &snapshot, mapper).await;
    findings.extend(log.findings);
    if engine.quarantine.is_none() {
        engine.quarantine = quarantine_cause(findings);
    }
    if let Some(q) = &result.quarantine {
        findings.push(Finding::error(FindingKind::Quarantine, format!("the job is quarantined: {q}")));
    }
    StepDetail::Cycle(result)
}

/// Quarantine causes a cycle can show (ENTRA.md 6.5): credentials refused, or a SCIM compliance failure
/// such as 404 on a zero-result query.
fn quarantine_cause(findings: &[Finding]) -> Option<String> {
    let status = |f: &Finding| f.request.as_ref().and_then(|r| r.status);
    if findings.iter().any(|f| matches!(status(f), Some(401) | Some(403))) {
        return Some("EncounteredQuarantineException: the endpoint refused Entra's credentials".into());
    }
    findings.iter().any(|f| f.kind == FindingKind::NonCompliance && status(f) == Some(404)).then(|| {
        "EncounteredQuarantineException: HTTP/404 Not Found was returned rather than the expected HTTP/200 OK".into()
    })
}

async fn target_edit(engine: &Engine, setup: &Client, dir: &Directory, edit: &scenario::TargetEdit) -> Vec<Finding> {
    let (path, target_id) = match &edit.object {
        ObjectAlias::User(a) => {
            let oid = dir.user_id(a).and_then(|id| dir.user(id)).map(|u| u.object_id().to_string());
            ("Users", oid.and_then(|o| engine.cds.user_target(&o).map(str::to_string)))
        }
        ObjectAlias::Group(a) => {
            let oid = dir.group_id(a).and_then(|id| dir.group(id)).map(|g| g.object_id().to_string());
            ("Groups", oid.and_then(|o| engine.cds.groups.get(&o).map(|g| g.target_id.clone())))
        }
    };
    let Some(id) = target_id else {
        return vec![Finding::error(
            FindingKind::Expectation,
            format!("target_edit: `{}` is not linked to a target object yet", edit.object.alias()),
        )];
    };
    let mut ops: Vec<serde_json::Value> =
        edit.set.iter().map(|(p, v)| serde_json::json!({"op": "replace", "path": p, "value": v})).collect();
    ops.extend(edit.unset.iter().map(|p| serde_json::json!({"op": "remove", "path": p})));
    let body = crate::engine::dialect::patch_body(ops);
    match setup.send(&Request::new(Method::Patch, format!("/{path}/{id}")).body(body)).await {
        Ok(e) if e.is_success() => Vec::new(),
        Ok(e) => vec![Finding::error(
            FindingKind::Transport,
            format!("target_edit failed: {} returned {}", e.request_line(), e.status.unwrap_or(0)),
        )],
        Err(err) => vec![Finding::error(FindingKind::Transport, format!("target_edit failed: {err}"))],
    }
}

fn summary(engine: &Engine, result: &ScenarioResult) -> Summary {
    let all: Vec<&Finding> = result.all_findings().collect();
    let steady_state = result.steps.iter().rev().find_map(|s| match &s.detail {
        StepDetail::Steady(x) => Some(x.steady),
        _ => None,
    });
    Summary {
        cycles: engine.cycles,
        initial_cycle_complete: engine.cds.initialized,
        users_provisioned: engine.cds.users.len(),
        groups_provisioned: engine.cds.groups.len(),
        quarantine: engine.quarantine.clone(),
        steady_state,
        requests: result.transcript.len() + result.records.len(),
        errors: all.iter().filter(|f| f.is_error()).count(),
        warnings: all.iter().filter(|f| !f.is_error()).count(),
        failed_expectations: result.steps.iter().flat_map(|s| &s.expectations).filter(|x| !x.passed).count(),
    }
}
