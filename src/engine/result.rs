//! What a run produced: per-step results, provisioning-log style events, findings and a summary.
//!
//! Findings are data (STYLE C2.1): an endpoint that answers differently from what Entra expects gives a
//! [`Finding`] here, never an `Err`. Reporters are pure functions of a [`ScenarioResult`]; every type
//! serialises with serde for the JSON report.

use serde::{Deserialize, Serialize};

use crate::engine::dialect::Dialect;
use crate::exit;
use crate::scim::client::{Exchange, RequestRecord};

mod finding;
mod isolation;
mod job;
mod log;
mod scrub;
mod views;

/// Defined with the redactor that reads it, so the redactor needs nothing from the engine.
pub use crate::redact::IdAlias;
pub use finding::{hint, Finding, FindingKind, Severity};
pub use isolation::{IsolationReport, TargetObject, Undeletable};
pub use job::{Execution, JobCode, JobStatus, QuarantineStatus, Running, PAGE_SIZE};
pub use log::{
    ErrorCode, LogAction, LogStatus, ModifiedProperty, ObjectKind, ObjectRef, ProvisioningEvent, RequestRef,
};
pub use scrub::Scrub;
pub use views::{Detail, Event, Flap, OnDemandResult, OnDemandStep, OnDemandStepKind, SteadyResult};

/// The result of running one scenario.
#[derive(Debug, Clone, Serialize)]
pub struct ScenarioResult {
    /// Scenario name (its path as given, or its file stem).
    pub name: String,
    /// The scenario's description.
    pub description: String,
    /// The dialect Entra would use for cycles (on-demand always uses legacy).
    pub dialect: Dialect,
    /// `embedded` or the tenant URL without credentials.
    pub target: String,
    /// The wire switches away from their defaults, as `name=value` (transcripts show them).
    #[serde(skip)]
    pub wire: Vec<String>,
    /// One result per scenario step, in order.
    pub steps: Vec<StepResult>,
    /// Findings that belong to the run rather than one step (e.g. the target became unreachable).
    pub findings: Vec<Finding>,
    /// Set when the run stopped before its last step: the target could not be used, or Test Connection
    /// failed (the steps after it are [`Outcome::NotRun`]).
    pub aborted: Option<Abort>,
    /// Portal-style current status.
    pub summary: Summary,
    /// Target ids and probe values with the stable alias each is shown as in transcripts.
    pub aliases: Vec<IdAlias>,
    /// Every exchange of the run (not serialised; the snapshot module renders it). Empty when the run kept
    /// a lean transcript: see `records`.
    #[serde(skip)]
    pub transcript: Vec<Exchange>,
    /// A record per exchange when the run kept a lean transcript (`RunOptions::keep_bodies` off).
    #[serde(skip)]
    pub records: Vec<RequestRecord>,
    /// The base URL requests went to (not serialised: the embedded endpoint's port changes every run).
    #[serde(skip)]
    pub base_url: String,
    /// Leftovers found, and what was deleted or kept after the last step (runs against a `--target`).
    pub isolation: Option<IsolationReport>,
    /// The `--unique-names` tag the run appended to names; transcripts remove it.
    #[serde(skip)]
    pub run_tag: Option<String>,
}

impl ScenarioResult {
    /// True when no step failed, no finding is an error and the run was not stopped by an unusable target.
    /// Steps not run after a Test Connection that failed as the scenario expected do not fail the run.
    pub fn passed(&self) -> bool {
        !self.aborted.as_ref().is_some_and(|a| a.kind.is_runtime())
            && self.steps.iter().all(|s| s.outcome != Outcome::Failed)
            && !self.findings.iter().any(Finding::is_error)
    }

    /// Every finding: run-level ones, then each step's in order.
    pub fn all_findings(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().chain(self.steps.iter().flat_map(|s| s.findings.iter()))
    }

    /// The exit code this result calls for: [`exit::RUNTIME`] when the target could not be used,
    /// [`exit::FINDINGS`] when anything failed, else [`exit::OK`].
    pub fn exit_code(&self) -> u8 {
        if self.aborted.as_ref().is_some_and(|a| a.kind.is_runtime()) {
            exit::RUNTIME
        } else if self.passed() {
            exit::OK
        } else {
            exit::FINDINGS
        }
    }
}

/// Why a run stopped early, or why its setup or cleanup failed: either calls for exit 4.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Abort {
    /// Classification.
    pub kind: AbortKind,
    /// One line, lowercase.
    pub message: String,
}

/// Classification of an early stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum AbortKind {
    /// The connection failed before the endpoint ever answered (refused, DNS, TLS).
    Unreachable,
    /// The endpoint refused the credentials (401/403 on Test Connection).
    AuthRefused,
    /// Objects from an earlier run hold values the scenario uses (or `--clean` could not delete them):
    /// no step ran.
    Leftovers,
    /// A `[target]` seed could not be created: no step ran.
    SetupFailed,
    /// Interrupted (Ctrl-C): the current step was cancelled and the later ones did not run.
    Interrupted,
    /// Every step ran, but cleanup could not delete some objects the scenario created.
    CleanupFailed,
    /// No request of a step got an answer (every one timed out or lost its connection).
    NoAnswer,
    /// Test Connection failed for another reason (a non-compliant answer): Entra does not start the job.
    TestConnectionFailed,
}

impl AbortKind {
    /// True when the target could not be used at all ([`exit::RUNTIME`]); a failed Test Connection is a
    /// finding about the endpoint, not a runtime error.
    pub fn is_runtime(self) -> bool {
        !matches!(self, AbortKind::TestConnectionFailed)
    }

    /// A few words for the steps it leaves not run.
    pub fn describe(self) -> &'static str {
        match self {
            AbortKind::Unreachable => "the target is unreachable",
            AbortKind::AuthRefused => "the endpoint refused the credentials",
            AbortKind::NoAnswer => "no request got an answer",
            AbortKind::TestConnectionFailed => "Test Connection failed",
            AbortKind::Leftovers => "objects from an earlier run are in the way",
            AbortKind::SetupFailed => "a seed could not be created",
            AbortKind::Interrupted => "the run was interrupted",
            AbortKind::CleanupFailed => "cleanup could not delete every object",
        }
    }
}

/// Whether a step (or a run) met its expectations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Outcome {
    /// Every expectation held and no error finding was raised.
    Passed,
    /// An expectation failed or an error finding was raised.
    Failed,
    /// The step was not run: an earlier step stopped the scenario (see [`ScenarioResult::aborted`]).
    NotRun,
}

impl Outcome {
    /// The word reports and transcripts show: `passed`, `FAILED`, `not run`.
    pub fn word(self) -> &'static str {
        match self {
            Outcome::Passed => "passed",
            Outcome::Failed => "FAILED",
            Outcome::NotRun => "not run",
        }
    }
}

/// The result of one scenario step.
#[derive(Debug, Clone, Serialize)]
pub struct StepResult {
    /// Position in the scenario, from 1.
    pub index: usize,
    /// Short label such as `cycle initial`, `update alice`, `steady`.
    pub label: String,
    /// Simulated wall-clock time of the step (ISO 8601): a cycle's start, or when the step ended.
    pub at: String,
    /// Passed or failed.
    pub outcome: Outcome,
    /// What the step did, by kind.
    pub detail: StepDetail,
    /// Each expectation with what was observed.
    pub expectations: Vec<ExpectationResult>,
    /// Findings raised by the step.
    pub findings: Vec<Finding>,
    /// Transcript indices of the requests the step sent (`start..end`).
    pub requests: std::ops::Range<usize>,
}

/// Step-specific detail.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum StepDetail {
    /// A step without Entra traffic: a directory change (add, update, assign, ...), a target edit, a
    /// `wait` or a change of the embedded endpoint's faults.
    Directory {
        /// What changed, one line.
        change: String,
    },
    /// Test Connection.
    TestConnection(TestConnectionResult),
    /// A provisioning cycle.
    Cycle(CycleResult),
    /// Provision on demand.
    OnDemand(OnDemandResult),
    /// A steady-state check.
    Steady(SteadyResult),
    /// A step that did not run: a cycle of a disabled job, or any step after one that stopped the
    /// scenario.
    NotRun {
        /// Why, one line.
        reason: String,
        /// The job's quarantine (`Reason: detail`), which a disabled job keeps.
        quarantine: Option<String>,
    },
}

impl StepResult {
    /// A step that is not run because an earlier one stopped the scenario; `requests` is the empty range
    /// at the transcript's end, `at` the simulated time the scenario stopped.
    pub fn not_run(index: usize, label: String, at: String, reason: String, transcript_len: usize) -> Self {
        StepResult {
            index,
            label,
            at,
            outcome: Outcome::NotRun,
            detail: StepDetail::NotRun { reason, quarantine: None },
            expectations: Vec::new(),
            findings: Vec::new(),
            requests: transcript_len..transcript_len,
        }
    }
}

/// One expectation of a step, checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExpectationResult {
    /// What was checked (`creates`, `requests`, `steady`, ...).
    pub what: String,
    /// Expected value, as text.
    pub expected: String,
    /// Observed value, as text.
    pub actual: String,
    /// Whether it held.
    pub passed: bool,
}

/// Result of Test Connection (ENTRA.md 1.1).
#[derive(Debug, Clone, Serialize)]
pub struct TestConnectionResult {
    /// Whether Entra would report success.
    pub passed: bool,
    /// The portal's message on failure (`You appear to have entered invalid credentials`, ...).
    pub message: Option<String>,
    /// The probe requests.
    pub probes: Vec<RequestRef>,
}

/// Kind of cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CycleKind {
    /// Every in-scope object is evaluated.
    Initial,
    /// Only objects changed since the watermark are evaluated.
    Incremental,
}

/// One provisioning cycle.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CycleResult {
    /// Cycle number in the run, from 1.
    pub number: u32,
    /// Initial or incremental.
    pub kind: CycleKind,
    /// Simulated start time (ISO 8601); cycles are 40 minutes apart, further apart in quarantine.
    pub started_at: String,
    /// Seconds since the previous cycle started (none for the first cycle).
    pub since_previous: Option<u64>,
    /// Provisioning-log entries, in processing order.
    pub events: Vec<ProvisioningEvent>,
    /// Counts by action.
    pub counts: Counts,
    /// The job's quarantine after the cycle (`Reason: detail`), if it is quarantined.
    pub quarantine: Option<String>,
    /// What happened to the escrows.
    pub escrows: EscrowCounts,
}

/// Action counts of a cycle (successful actions only, except `failures`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// Objects created.
    pub creates: usize,
    /// Objects updated (attribute `PATCH`es, manager links, membership changes).
    pub updates: usize,
    /// Users disabled.
    pub disables: usize,
    /// Users re-enabled.
    pub enables: usize,
    /// Objects deleted.
    pub deletes: usize,
    /// Objects skipped (out of scope, already in sync, import skipped).
    pub skips: usize,
    /// Objects whose action failed.
    pub failures: usize,
    /// Requests sent.
    pub requests: usize,
    /// Write requests sent (POST, PATCH, DELETE).
    pub writes: usize,
}

impl Counts {
    /// The actions that happened, as the portal words them (`["1 created", "2 updated"]`), or
    /// `["no changes"]`.
    pub fn changes(&self) -> Vec<String> {
        let mut parts: Vec<String> = [
            (self.creates, "created"),
            (self.updates, "updated"),
            (self.disables, "disabled"),
            (self.enables, "enabled"),
            (self.deletes, "deleted"),
            (self.skips, "skipped"),
            (self.failures, "failed"),
        ]
        .into_iter()
        .filter(|(count, _)| *count > 0)
        .map(|(count, word)| format!("{count} {word}"))
        .collect();
        if parts.is_empty() {
            parts.push("no changes".into());
        }
        parts
    }
}

/// Portal-style "Current status".
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Summary {
    /// Cycles run.
    pub cycles: u32,
    /// Whether an initial cycle completed.
    pub initial_cycle_complete: bool,
    /// Users linked in the connector data store at the end.
    pub users_provisioned: usize,
    /// Groups linked in the connector data store at the end.
    pub groups_provisioned: usize,
    /// Quarantine reason (Graph's `quarantineReason` name, then what tripped it), if the job is quarantined.
    pub quarantine: Option<String>,
    /// The job's state at the end.
    pub job: JobState,
    /// Result of the last steady-state check, if any.
    pub steady_state: Option<bool>,
    /// Requests sent.
    pub requests: usize,
    /// Error findings.
    pub errors: usize,
    /// Warning findings.
    pub warnings: usize,
    /// Failed expectations.
    pub failed_expectations: usize,
    /// Objects escrowed at the end (their last operation failed; retried by the escrow schedule).
    pub escrows_outstanding: usize,
    /// Escrowed objects evaluated again, over every cycle.
    pub escrow_retries: usize,
    /// Requests sent again after a `429` and its `Retry-After` (request-level retries, not escrows).
    pub retries_429: usize,
    /// Escrows removed because they still failed 28 days after their first failure.
    pub given_up: usize,
}

/// The provisioning job's state (Graph `synchronizationStatus.code`, and the schedule's `Disabled`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    /// Cycles run every 40 minutes.
    #[default]
    Active,
    /// Quarantined: cycles run less and less often.
    Quarantine,
    /// Disabled after more than four weeks in quarantine: no cycle runs.
    Disabled,
}

impl JobState {
    /// The name reports and scenarios use.
    pub fn name(self) -> &'static str {
        match self {
            JobState::Active => "active",
            JobState::Quarantine => "quarantine",
            JobState::Disabled => "disabled",
        }
    }
}

/// What happened to the escrows in one cycle (shown on the cycle's status line and counted in the summary).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct EscrowCounts {
    /// Escrowed objects evaluated again in this cycle (their retry was due, or they changed).
    pub retried: usize,
    /// Of those, the ones that did not fail again: their escrow is resolved.
    pub resolved: usize,
    /// Escrowed objects left alone because their retry was not due and they did not change.
    pub not_due: usize,
    /// Objects that failed for the first time in this series.
    pub new: usize,
    /// Escrows removed because they still failed 28 days after their first failure.
    pub given_up: usize,
    /// Escrowed objects after the cycle.
    pub outstanding: usize,
    /// The earliest next retry among them (ISO 8601); none when they are retried in the next cycle.
    pub next_due: Option<String>,
}
