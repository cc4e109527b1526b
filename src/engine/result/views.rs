//! Step details of on-demand provisioning and steady-state checks, and the live progress events.

use serde::Serialize;

use super::{
    Counts, CycleKind, CycleResult, Finding, JobStatus, LogAction, LogStatus, ModifiedProperty, ObjectRef, Outcome,
    ProvisioningEvent, RequestRef,
};

/// On-demand step names (ENTRA.md 6.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OnDemandStepKind {
    /// Test connection (shown only when it fails).
    TestConnection,
    /// Import user.
    ImportUser,
    /// Determine if user is in scope.
    DetermineScope,
    /// Match user between source and target.
    MatchUser,
    /// Perform action.
    PerformAction,
}

/// One on-demand step.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OnDemandStep {
    /// Which step.
    pub kind: OnDemandStepKind,
    /// Title as the portal shows it.
    pub title: String,
    /// Success, failure or skipped.
    pub status: LogStatus,
    /// "View details": name/value rows (source properties, scope conditions, matched users, ...).
    pub details: Vec<Detail>,
    /// Requests of this step.
    pub requests: Vec<RequestRef>,
}

/// One row of an on-demand step's details.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Detail {
    /// Row name (attribute, condition, query).
    pub name: String,
    /// Row value.
    pub value: serde_json::Value,
    /// For conditions: whether it passed.
    pub passed: Option<bool>,
}

/// Result of provisioning one object on demand.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OnDemandResult {
    /// The object.
    pub object: ObjectRef,
    /// The steps shown, in order.
    pub steps: Vec<OnDemandStep>,
    /// The action performed (Create, Update, Delete/Disable, Skip).
    pub action: LogAction,
    /// Final status.
    pub status: LogStatus,
    /// Attributes exported, old → new.
    pub modified: Vec<ModifiedProperty>,
}

/// Result of a steady-state check.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SteadyResult {
    /// True when a pass sent no writes.
    pub steady: bool,
    /// Writes sent by each pass.
    pub writes_per_pass: Vec<usize>,
    /// Attributes re-sent in every pass.
    pub flapping: Vec<Flap>,
    /// The passes, as cycles.
    pub passes: Vec<CycleResult>,
}

/// An attribute Entra re-sends on every pass.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Flap {
    /// The object.
    pub object: ObjectRef,
    /// Target attribute path.
    pub attribute: String,
    /// Value Entra sent.
    pub sent: serde_json::Value,
    /// Value the endpoint returned afterwards (none when absent).
    pub returned: Option<serde_json::Value>,
    /// Likely cause (ENTRA.md 3.3).
    pub cause: String,
}

/// A live progress event (provisioning-log style) the CLI may print while the run goes on.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Event {
    /// A step starts.
    StepStarted {
        /// Step index.
        index: usize,
        /// Step label.
        label: String,
    },
    /// An object was processed in a cycle.
    Object {
        /// Cycle number.
        cycle: u32,
        /// The log entry.
        event: ProvisioningEvent,
    },
    /// Source users a cycle has evaluated so far, sent while it goes on (each time another half percent is
    /// done, and at the end) so a progress bar can follow a long cycle.
    Progress {
        /// Cycle number.
        cycle: u32,
        /// Users evaluated so far.
        done: usize,
        /// Users the cycle evaluates.
        total: usize,
    },
    /// A step ended.
    StepFinished {
        /// Step index.
        index: usize,
        /// Outcome.
        outcome: Outcome,
    },
    /// A cycle starts.
    CycleStarted {
        /// Cycle number.
        cycle: u32,
        /// Initial or incremental.
        kind: CycleKind,
        /// Simulated start (ISO 8601).
        at: String,
    },
    /// A cycle ended.
    CycleFinished {
        /// Cycle number.
        cycle: u32,
        /// What it did.
        counts: Counts,
    },
    /// Something went wrong or deserves a look (as the run's result will also list it).
    Finding {
        /// The finding.
        finding: Finding,
    },
    /// The job went into quarantine or its reason changed.
    Quarantine {
        /// `Reason: detail`.
        text: String,
    },
    /// An object was provisioned on demand.
    OnDemand {
        /// The step-by-step result.
        result: OnDemandResult,
    },
    /// The job's status changed (state, schedule, counts, quarantine).
    JobStatus {
        /// The new status.
        status: Box<JobStatus>,
    },
}
