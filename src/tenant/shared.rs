//! What the tenant's surfaces share with its job task: the live directory, the clock, the job's status
//! and events, the provisioning log, the target's recent exchanges, the schema in force, and the channel
//! of commands to the job. Graph handlers and the control routes only read these or send commands; the job
//! task alone drives the runner.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, RwLock};

use serde::Serialize;
use tokio::sync::{mpsc, oneshot};

use crate::directory::Directory;
use crate::engine::clock::ScaledClock;
use crate::engine::result::{OnDemandResult, TestConnectionResult};
use crate::engine::runner::{EventHub, StatusBoard};
use crate::graph::{BackendError, JobCommand, LoggedEvent, OnDemandTarget, TenantIdentity, Tokens};
use crate::mapping::MappingSet;
use crate::scim::client::Secret;

/// Provisioning log entries kept (the oldest go first): about a week of 40-minute cycles over a small
/// tenant, and a bounded memory for a tenant that runs for days.
pub const LOG_CAPACITY: usize = 100_000;

/// Target exchanges kept for the portal's Target page.
pub const EXCHANGE_CAPACITY: usize = 2_000;

/// What the job task is asked to do.
#[derive(Debug)]
pub enum Command {
    /// Start, pause or restart.
    Control(JobCommand, oneshot::Sender<Result<(), BackendError>>),
    /// Provision one object now.
    OnDemand(OnDemandTarget, oneshot::Sender<Result<OnDemandResult, BackendError>>),
    /// Test Connection against another endpoint, without keeping it.
    Validate(String, Secret, oneshot::Sender<Result<(), BackendError>>),
    /// Test Connection against the job's own endpoint.
    TestSaved(oneshot::Sender<Result<(), BackendError>>),
    /// Use another endpoint from now on (Test Connection first).
    SetSecrets(String, Secret, oneshot::Sender<Result<(), BackendError>>),
    /// Use another mapping from the next cycle on.
    SetMapping(Box<MappingSet>),
    /// The clock was moved or paused: look at the schedule again.
    Wake,
    /// Move the clock to when the next cycle is due (nothing when the job is paused or disabled).
    ToNextCycle(oneshot::Sender<Result<(), BackendError>>),
}

/// The endpoint the job provisions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TargetInfo {
    /// The tenant URL (the embedded endpoint's when there is no `--target`).
    pub url: String,
    /// `legacy` or `compliant`.
    pub dialect: String,
    /// Whether it is the embedded endpoint.
    pub embedded: bool,
}

/// One exchange with the target, redacted as transcripts are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExchangeView {
    /// Position among every exchange the tenant has shown (from 1).
    pub seq: u64,
    /// The cycle it belongs to, when a cycle sent it.
    pub cycle: Option<u32>,
    /// What sent it: `cycle`, `on_demand`, `test_connection`.
    pub origin: &'static str,
    /// `POST /Users`.
    pub request_line: String,
    /// The answer's status (none when there was no answer).
    pub status: Option<u16>,
    /// Request and answer as transcripts show them.
    pub text: String,
}

/// State shared by the Graph surface, the control routes and the job task.
#[derive(Debug)]
pub struct Shared {
    /// Ids and names.
    pub identity: TenantIdentity,
    /// The live directory.
    pub directory: RwLock<Directory>,
    /// Simulated time.
    pub clock: Arc<ScaledClock>,
    /// The job's status.
    pub status: StatusBoard,
    /// The job's live events.
    pub events: EventHub,
    /// Provisioning log entries, oldest first.
    pub log: Mutex<VecDeque<Arc<LoggedEvent>>>,
    /// Recent exchanges with the target.
    pub exchanges: Mutex<VecDeque<ExchangeView>>,
    /// The schema in force (`synchronizationSchema` JSON).
    pub schema: RwLock<serde_json::Value>,
    /// The mapping in force.
    pub mapping: RwLock<Arc<MappingSet>>,
    /// The endpoint.
    pub target: RwLock<TargetInfo>,
    /// The last Test Connection.
    pub connection: RwLock<Option<TestConnectionResult>>,
    /// Tokens the Graph token endpoint issued (the control routes accept them too).
    pub tokens: Tokens,
    /// To the job task.
    pub commands: mpsc::UnboundedSender<Command>,
}

/// Reads a lock even if a writer panicked: every value behind these locks is valid at all times.
pub fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(|p| p.into_inner())
}

/// Writes a lock even if a writer panicked (see [`read`]).
pub fn write<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(|p| p.into_inner())
}

/// Locks a mutex even if a holder panicked (see [`read`]).
pub fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

impl Shared {
    /// Sends a command and waits for its answer; a job task that is gone answers 503.
    pub async fn ask<T>(
        &self,
        make: impl FnOnce(oneshot::Sender<Result<T, BackendError>>) -> Command,
    ) -> Result<T, BackendError> {
        let (tx, rx) = oneshot::channel();
        let gone = || BackendError {
            status: 503,
            code: "ServiceUnavailable".into(),
            message: "the provisioning job has stopped".into(),
        };
        self.commands.send(make(tx)).map_err(|_| gone())?;
        rx.await.map_err(|_| gone())?
    }

    /// Appends log entries, dropping the oldest past [`LOG_CAPACITY`].
    pub fn append_log(&self, entries: impl IntoIterator<Item = LoggedEvent>) {
        let mut log = lock(&self.log);
        log.extend(entries.into_iter().map(Arc::new));
        let excess = log.len().saturating_sub(LOG_CAPACITY);
        log.drain(..excess);
    }

    /// Appends exchanges, dropping the oldest past [`EXCHANGE_CAPACITY`].
    pub fn append_exchanges(&self, views: impl IntoIterator<Item = ExchangeView>) {
        let mut kept = lock(&self.exchanges);
        kept.extend(views);
        let excess = kept.len().saturating_sub(EXCHANGE_CAPACITY);
        kept.drain(..excess);
    }
}

/// The id of cycle `number` of job `job_id`, as the provisioning log's `cycleId` and the job status's
/// `activityIdentifier` both show it: a GUID, the same for the same cycle every time it is asked for.
pub fn cycle_id(job_id: &str, number: u32) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::new().chain_update(job_id.as_bytes()).chain_update(number.to_be_bytes()).finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_random_bytes(bytes).into_uuid().to_string()
}
