//! The job's status as the provisioning blade and Graph's `synchronizationJob.status` report it: state,
//! the cycle in flight and its progress, the last execution and the last successful one, the quarantine,
//! steady state, entry counts and escrows. The job runner keeps it up to date.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Counts, CycleKind};

/// Users per page of a cycle's progress: the engine exports users in pages of this size.
pub const PAGE_SIZE: usize = 1024;

/// What the job is doing, in Graph's `synchronizationStatusCode` terms plus `disabled`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum JobCode {
    /// No cycle has run yet.
    #[default]
    NotRun,
    /// Cycles run on schedule.
    Active,
    /// Stopped by the admin: no cycle runs until started again.
    Paused,
    /// Quarantined: cycles run less often (ENTRA.md 6.5).
    Quarantine,
    /// Quarantined for more than four weeks: no cycle runs until a restart.
    Disabled,
}

/// A cycle in flight.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Running {
    /// Cycle number, from 1.
    pub cycle: u32,
    /// Initial or incremental.
    pub kind: CycleKind,
    /// Simulated start.
    pub began: DateTime<Utc>,
    /// Source users evaluated so far.
    pub done: usize,
    /// Source users the cycle evaluates.
    pub total: usize,
}

impl Running {
    /// Progress in pages of [`PAGE_SIZE`] users, as Entra counts it: `(done, total)`.
    pub fn pages(&self) -> (usize, usize) {
        (self.done.div_ceil(PAGE_SIZE), self.total.div_ceil(PAGE_SIZE).max(1))
    }
}

/// A finished cycle, as `lastExecution` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Execution {
    /// Cycle number.
    pub cycle: u32,
    /// Initial or incremental.
    pub kind: CycleKind,
    /// Simulated start.
    pub began: DateTime<Utc>,
    /// Simulated end (the clock does not move during a cycle unless the endpoint asked to wait).
    pub ended: DateTime<Utc>,
    /// Whether the cycle ended without error findings.
    pub succeeded: bool,
    /// The first error, one line, when it did not.
    pub error: Option<String>,
    /// What it did.
    pub counts: Counts,
}

/// A quarantine in progress (Graph `synchronizationQuarantine`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuarantineStatus {
    /// Graph's `quarantineReason` name.
    pub reason: String,
    /// What tripped it, one line.
    pub detail: String,
    /// What the admin should do.
    pub what_to_do: String,
    /// When the current reason was imposed.
    pub current_began: DateTime<Utc>,
    /// When the series of quarantines began.
    pub series_began: DateTime<Utc>,
    /// Cycles that ended quarantined in this series.
    pub series_count: u32,
    /// When the next (less frequent) attempt is due.
    pub next_attempt: DateTime<Utc>,
}

/// Everything the blade's overview shows about the job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct JobStatus {
    /// What the job is doing.
    pub code: JobCode,
    /// Why the job is disabled, when it is.
    pub disabled: Option<String>,
    /// Cycles run so far.
    pub cycles: u32,
    /// The cycle in flight.
    pub running: Option<Running>,
    /// The last cycle that ended.
    pub last_execution: Option<Execution>,
    /// The last cycle that ended without errors.
    pub last_successful_execution: Option<Execution>,
    /// The last cycle that ended without errors and exported something.
    pub last_successful_execution_with_exports: Option<Execution>,
    /// When the next cycle is due (none while paused or disabled).
    pub next_cycle_at: Option<DateTime<Utc>>,
    /// The quarantine in progress.
    pub quarantine: Option<QuarantineStatus>,
    /// The first cycle that ended with nothing left to do (no write, no failure).
    pub steady_state_first_achieved: Option<DateTime<Utc>>,
    /// The latest such cycle.
    pub steady_state_last_achieved: Option<DateTime<Utc>>,
    /// Whether the initial cycle has completed.
    pub initial_cycle_complete: bool,
    /// Users linked to a target object (Graph's `synchronizedEntryCountByType`).
    pub users_provisioned: usize,
    /// Groups linked to a target object.
    pub groups_provisioned: usize,
    /// Escrowed objects waiting for a retry.
    pub escrows_outstanding: usize,
    /// Escrows given up on (Graph's `escrowsPruned`).
    pub escrows_pruned: usize,
    /// Cycles in a row that failed outright (Graph's `countSuccessiveCompleteFailures`).
    pub successive_complete_failures: u32,
}
