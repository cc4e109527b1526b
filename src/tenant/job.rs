//! The tenant's provisioning job: one task that owns the [`Runner`] and the mapper, runs Test Connection,
//! then a cycle whenever the schedule says (on the tenant's scaled clock), and between cycles answers
//! commands from Graph and the control routes (start, pause, restart, on-demand, credentials, mapping).
//!
//! A cycle works on a copy of the directory taken at its start, so Graph can change the directory while
//! it runs; the change lands in the next cycle, as in Entra. After each piece of work the task moves the
//! cycle's log entries into the provisioning log and its exchanges (redacted) into the Target view, and
//! saves the state when the tenant keeps one.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::{mpsc, watch};

use super::facts;
use super::shared::{self, Command, ExchangeView, Shared, EXCHANGE_CAPACITY};
use super::state::{self, Saved, SavedDirectory, SavedEndpoint, SavedIdentity, SavedJob, SavedLog, StateDir};
use crate::directory::Directory;
use crate::engine::action::Actor;
use crate::engine::clock::Clock as _;
use crate::engine::compact_id::CompactId;
use crate::engine::dialect::Dialect;
use crate::engine::log::packed::{NameLists, PackedEvent};
use crate::engine::mapper::SetMapper;
use crate::engine::result::{CycleKind, Event, OnDemandResult, ProvisioningEvent, StepDetail};
use crate::engine::runner::{NextCycle, Runner};
use crate::engine::source::SourceSnapshot;
use crate::engine::state::Engine;
use crate::graph::{BackendError, Initiator, JobCommand, LoggedEvent, OnDemandTarget, PackedFacts};
use crate::redact::Redactor;
use crate::scim::client::{Auth, Client, ClientConfig, Secret};
use crate::server::{ResourceType, ServerHandle};
use crate::snapshot::transcript::render_exchange;

/// How the job reaches its endpoint.
#[derive(Debug, Clone)]
pub struct Connection {
    /// Per-request timeout.
    pub timeout: Duration,
    /// Forward the dialect flag to the endpoint instead of stripping it.
    pub forward_flag: bool,
    /// Upper bound of one real wait for `Retry-After`.
    pub max_retry_wait: Duration,
    /// Forces the dialect (otherwise the tenant URL's flag decides).
    pub dialect: Option<Dialect>,
}

/// The job task's own state.
pub struct JobTask {
    /// The job.
    pub runner: Runner,
    /// The mapping as the engine sees it.
    pub mapper: Arc<SetMapper>,
    /// Shared with the surfaces.
    pub shared: Arc<Shared>,
    /// Commands from the surfaces.
    pub commands: mpsc::UnboundedReceiver<Command>,
    /// The embedded endpoint, when there is no `--target`.
    pub embedded: Option<ServerHandle>,
    /// How to reach an endpoint.
    pub connection: Connection,
    /// Seed of the mapping's `Guid()` and `RandomString()`.
    pub seed: u64,
    /// Exchanges shown so far.
    pub exchanges_seen: u64,
    /// The target's base URL, for redaction.
    pub base_url: String,
    /// Where the tenant is kept across restarts (`--state`).
    pub state: Option<StateDir>,
    /// Whether the job should run Test Connection before its next cycle (at start, after new credentials).
    pub test_first: bool,
    /// Counts the cycles and on-demand requests whose log entries and exchanges are recorded (see
    /// [`forward_events`]).
    pub recorded: watch::Sender<u64>,
    /// The lists of attribute names the log's entries share.
    pub names: NameLists,
}

/// Passes the runner's events on to the tenant's listeners, holding each [`Event::CycleFinished`] and
/// [`Event::OnDemand`] back until the job task has recorded that work's log entries and exchanges: a
/// listener told a cycle ended finds it in the provisioning log.
pub async fn forward_events(
    mut from: mpsc::UnboundedReceiver<Event>,
    to: crate::engine::runner::EventHub,
    mut recorded: watch::Receiver<u64>,
) {
    let mut gated = 0;
    while let Some(event) = from.recv().await {
        if matches!(event, Event::CycleFinished { .. } | Event::OnDemand { .. }) {
            gated += 1;
            if recorded.wait_for(|done| *done >= gated).await.is_err() {
                return;
            }
        }
        to.send(&event);
    }
}

impl JobTask {
    /// Runs the job on a thread of its own (the engine drives its requests from a current-thread runtime,
    /// as `run` does) until `stop` turns true or every command sender is gone.
    pub fn spawn(self, stop: watch::Receiver<bool>) -> std::io::Result<std::thread::JoinHandle<()>> {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        std::thread::Builder::new().name("entrasim-job".into()).spawn(move || runtime.block_on(self.run(stop)))
    }

    async fn run(mut self, mut stop: watch::Receiver<bool>) {
        let raw = self.runner.events().subscribe();
        tokio::spawn(forward_events(raw, self.shared.events.clone(), self.recorded.subscribe()));
        loop {
            if self.test_first {
                self.test_first = false;
                if !self.test_connection().await {
                    // Entra does not start a job whose connection test fails.
                    self.runner.pause();
                }
            }
            let due = match self.runner.next_cycle() {
                NextCycle::Due { at, kind } => self.shared.clock.real_wait_until(at).map(|wait| (wait, kind)),
                NextCycle::Paused | NextCycle::Disabled(_) => None,
            };
            let (wait, kind) = due.unwrap_or((Duration::MAX, CycleKind::Incremental));
            tokio::select! {
                biased;
                _ = stop.changed() => break,
                command = self.commands.recv() => match command {
                    Some(command) => self.handle(command).await,
                    None => break,
                },
                () = tokio::time::sleep(wait), if due.is_some() => self.cycle(kind).await,
            }
        }
        if let Some(endpoint) = self.embedded.take() {
            endpoint.shutdown().await;
        }
    }

    async fn handle(&mut self, command: Command) {
        match command {
            Command::Control(command, reply) => {
                match command {
                    JobCommand::Start => {
                        if !self.runner.engine.cds.initialized && self.runner.engine.cycles == 0 {
                            self.test_first = true;
                        }
                        self.runner.start();
                    }
                    JobCommand::Pause => self.runner.pause(),
                    JobCommand::Restart { reset_scope } => self.runner.restart(reset_scope),
                }
                self.save();
                let _ = reply.send(Ok(()));
            }
            Command::OnDemand(target, reply) => {
                let _ = reply.send(self.on_demand(target).await);
            }
            Command::TestSaved(reply) => {
                let answer = if self.test_connection().await {
                    Ok(())
                } else {
                    let message = shared::read(&self.shared.connection)
                        .as_ref()
                        .and_then(|c| c.message.clone())
                        .unwrap_or_else(|| "the endpoint did not pass Test Connection".into());
                    Err(BackendError { status: 400, code: "CredentialValidationUnavailable".into(), message })
                };
                let _ = reply.send(answer);
            }
            Command::Validate(url, token, reply) => {
                let _ = reply.send(self.validate(url, token).await);
            }
            Command::SetSecrets(url, token, reply) => {
                let _ = reply.send(self.set_secrets(url, token));
            }
            Command::SetMapping(set) => {
                self.mapper = Arc::new(SetMapper::new(*set, self.seed).with_clock(self.runner.engine.clock.clone()));
                self.save();
            }
            Command::Wake => {}
            Command::ToNextCycle(reply) => {
                if let NextCycle::Due { at, .. } = self.runner.next_cycle() {
                    self.shared.clock.advance_to(at);
                }
                let _ = reply.send(Ok(()));
            }
        }
    }

    /// Runs Test Connection with the job's endpoint; true when it passed.
    async fn test_connection(&mut self) -> bool {
        let probe = self.runner.test_connection(&*self.mapper).await;
        let passed = probe.result.passed && probe.abort.is_none();
        *shared::write(&self.shared.connection) = Some(probe.result);
        self.collect_exchanges(None, "test_connection");
        passed
    }

    async fn cycle(&mut self, kind: CycleKind) {
        // The cycle reads a copy: Graph may change the directory while it runs.
        let directory: Directory = shared::read(&self.shared.directory).clone();
        let source = crate::engine::source_snapshot(&directory);
        let started = self.shared.clock.now();
        let run = self.runner.cycle(kind, &source, &*self.mapper).await;
        drop(source);
        if let StepDetail::Cycle(result) = run.detail {
            // The exchanges first: the redactor they are rendered with copies every alias (at 1,000,000 users
            // about 210 MB, freed once they are rendered), and the log's new entries then take the room it leaves.
            self.collect_exchanges(Some(result.number), "cycle");
            let cycle_id = CompactId::new(&shared::cycle_id(&self.shared.identity.job_id, result.number));
            let at = chrono::DateTime::parse_from_rfc3339(&result.started_at)
                .map(|t| t.with_timezone(&Utc))
                .unwrap_or(started);
            let sync_all = self.runner.engine.settings.scope_all;
            // The engine packed the entries as it wrote them and hands over only those the log keeps (an
            // initial cycle of 100,000 users has 100,000); they are moved into the log, not copied.
            let packed = std::mem::take(&mut self.runner.engine.packed_log);
            let names = &mut self.names;
            self.shared.append_log(packed.into_iter().map(|e| {
                let source = facts::source_facts(&directory, &self.mapper, sync_all, &e.object())
                    .map(|f| PackedFacts::pack(f, names));
                logged(e, source, &cycle_id, at, Initiator::System)
            }));
            self.recorded.send_modify(|n| *n += 1);
        }
        self.save();
    }

    async fn on_demand(&mut self, target: OnDemandTarget) -> Result<OnDemandResult, BackendError> {
        let directory: Directory = shared::read(&self.shared.directory).clone();
        let source = crate::engine::source_snapshot(&directory);
        let (result, _findings) = match &target {
            OnDemandTarget::User(id) => {
                let user = find_user(&source, &id.to_string())
                    .ok_or_else(|| not_found(format!("no user with objectId `{id}` is in the directory")))?;
                self.runner.provision_user(&user, &*self.mapper).await
            }
            OnDemandTarget::Group { id, .. } => {
                let id = id.to_string();
                let group = source
                    .groups
                    .iter()
                    .find(|g| g.object_id == id)
                    .cloned()
                    .ok_or_else(|| not_found(format!("no group with objectId `{id}` is in the directory")))?;
                self.runner.provision_group(&group, &source, &*self.mapper).await
            }
        };
        let cycle_id = CompactId::Guid(uuid::Uuid::new_v4().into_bytes());
        let event = ProvisioningEvent {
            object: result.object.clone(),
            action: result.action,
            status: result.status,
            code: None,
            message: result.steps.last().map(|s| s.title.clone()).unwrap_or_default(),
            modified: result.modified.clone(),
            requests: Vec::new(),
        };
        let facts = facts::source_facts(&directory, &self.mapper, self.runner.engine.settings.scope_all, &event.object)
            .map(|f| PackedFacts::pack(f, &mut self.names));
        let event = PackedEvent::pack(event, &mut self.names);
        self.shared.append_log([logged(event, facts, &cycle_id, self.shared.clock.now(), Initiator::OnDemand)]);
        self.collect_exchanges(None, "on_demand");
        self.recorded.send_modify(|n| *n += 1);
        self.save();
        Ok(result)
    }

    /// Test Connection against another endpoint with a throwaway engine: nothing of it is kept.
    async fn validate(&mut self, url: String, token: Secret) -> Result<(), BackendError> {
        let client = self.client(&url, token)?;
        let dialect = self.connection.dialect.unwrap_or_else(|| Dialect::from_flag(client.tenant().flag));
        let actor = Actor::new(client, self.connection.max_retry_wait);
        let mut engine = Engine::new(actor, dialect, self.runner.engine.settings.clone(), self.seed)
            .with_clock(self.runner.engine.clock.clone());
        let probe = engine.test_connection(&*self.mapper).await;
        if probe.result.passed && probe.abort.is_none() {
            return Ok(());
        }
        let why = probe
            .abort
            .map(|a| a.message)
            .or(probe.result.message)
            .or_else(|| probe.findings.first().map(|f| f.message.clone()))
            .unwrap_or_else(|| "the endpoint did not pass Test Connection".into());
        // The message may echo what the endpoint said; the token it was given never shows.
        let why = engine.actor.client().scrubber().text(&why).into_owned();
        Err(BackendError { status: 400, code: "CredentialValidationUnavailable".into(), message: why })
    }

    /// Points the job at another endpoint; Test Connection runs before the next cycle.
    fn set_secrets(&mut self, url: String, token: Secret) -> Result<(), BackendError> {
        let client = self.client(&url, token)?;
        let dialect = self.connection.dialect.unwrap_or_else(|| Dialect::from_flag(client.tenant().flag));
        self.base_url = client.tenant().base.clone();
        let mut actor = Actor::new(client, self.connection.max_retry_wait);
        actor.set_clock(self.runner.engine.clock.clone());
        self.runner.engine.actor = actor;
        self.runner.engine.dialect = dialect;
        *shared::write(&self.shared.target) =
            super::shared::TargetInfo { url, dialect: dialect.name().to_string(), embedded: false };
        if let Some(endpoint) = self.embedded.take() {
            // The embedded endpoint is no longer the target; it stops with the next await of its task.
            tokio::spawn(endpoint.shutdown());
        }
        self.test_first = true;
        self.save();
        Ok(())
    }

    fn client(&self, url: &str, token: Secret) -> Result<Client, BackendError> {
        let mut config = ClientConfig::new(url.to_string(), Auth::Bearer(token));
        config.timeout = self.connection.timeout;
        config.forward_flag = self.connection.forward_flag;
        Client::new(config).map_err(|e| BackendError::bad_request(format!("BaseAddress: {e}")))
    }

    /// Moves the exchanges of the work just done into the Target view, redacted.
    fn collect_exchanges(&mut self, cycle: Option<u32>, origin: &'static str) {
        // The transcript keeps only the last `EXCHANGE_CAPACITY` exchanges whole (an initial cycle of 100,000
        // users sends 300,000), but every exchange is counted.
        let sent = self.runner.engine.transcript_len();
        let exchanges = self.runner.take_exchanges();
        if exchanges.is_empty() {
            return;
        }
        let kept = &exchanges[exchanges.len().saturating_sub(EXCHANGE_CAPACITY)..];
        // Each view's `seq` is its place among every exchange sent, kept or not.
        self.exchanges_seen += sent.saturating_sub(kept.len()) as u64;
        let secrets: Vec<String> = self.runner.engine.actor.client().scrubber().secrets().collect();
        let mut redactor = Redactor::new(&self.runner.engine.aliases.list, Some(&self.base_url), &secrets);
        redactor.learn(kept);
        let views: Vec<ExchangeView> = kept
            .iter()
            .map(|e| {
                self.exchanges_seen += 1;
                ExchangeView {
                    seq: self.exchanges_seen,
                    cycle,
                    origin,
                    request_line: redactor.request_line(e),
                    status: e.status,
                    text: render_exchange(e, &redactor),
                }
            })
            .collect();
        self.shared.append_exchanges(views);
    }

    fn save(&self) {
        let Some(state) = &self.state else { return };
        let engine = &self.runner.engine;
        let endpoint = self.embedded.as_ref().map(|h| SavedEndpoint {
            users: h.resources(ResourceType::User),
            groups: h.resources(ResourceType::Group),
        });
        let saved = Saved {
            format: state::FORMAT,
            clock: self.shared.clock.now(),
            identity: SavedIdentity::of(&self.shared.identity),
            directory: SavedDirectory::of(&shared::read(&self.shared.directory)),
            schema: shared::read(&self.shared.schema).clone(),
            job: SavedJob {
                cycles: engine.cycles,
                paused: self.runner.is_paused(),
                schedule: engine.job.clone(),
                cds: engine.cds.clone(),
                aliases: engine.aliases.list.clone(),
                evaluations: engine.evaluations.load(std::sync::atomic::Ordering::Relaxed),
                legacy_member_removals: engine.legacy_member_removals.clone(),
                status: engine.status.get(),
            },
            log: shared::lock(&self.shared.log).iter().map(|e| SavedLog::of(e)).collect(),
            endpoint,
        };
        if let Err(e) = state.save(&saved) {
            // The job goes on; the operator learns the state on disk is behind.
            eprintln!("warning: the tenant's state was not saved: {e}");
        }
    }
}

/// A provisioning log entry as the Graph surface serves it.
fn logged(
    event: PackedEvent,
    source: Option<PackedFacts>,
    cycle_id: &CompactId,
    at: DateTime<Utc>,
    initiated_by: Initiator,
) -> LoggedEvent {
    LoggedEvent {
        id: CompactId::Guid(uuid::Uuid::new_v4().into_bytes()),
        cycle_id: cycle_id.clone(),
        change_id: CompactId::Guid(uuid::Uuid::new_v4().into_bytes()),
        at,
        initiated_by,
        event,
        source,
    }
}

fn find_user(source: &SourceSnapshot<'_>, object_id: &str) -> Option<crate::engine::source::SourceUser> {
    let index = source.heads().find(|h| h.object_id == object_id)?.index;
    source.user_at(index)
}

fn not_found(message: String) -> BackendError {
    BackendError { status: 404, code: "Request_ResourceNotFound".into(), message }
}
