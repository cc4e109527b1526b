//! What the HTML report shows beyond the [`Report`](crate::report::Report) every reporter shares: per
//! scenario, the cycle timeline with simulated times, the provisioning log, each step's exchanges
//! (already redacted), the steady-state table of flapping attributes and snapshot drift. Plain data that
//! `from_scenario` fills from an engine result; nothing here knows the engine.

/// Extra detail of one suite, at the same index as its [`Suite`](crate::report::Suite). A check group
/// has none of it (`Default`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SuiteExtras {
    /// The scenario's description.
    pub description: String,
    /// Per case (same index), when it ran and what it sent. Cases past the end have nothing extra.
    pub steps: Vec<StepExtras>,
    /// One row per cycle (steady-state passes included), in order.
    pub timeline: Vec<TimelineEntry>,
    /// Provisioning-log entries of every cycle, in order.
    pub log: Vec<LogEntry>,
    /// Log entries left out to keep the file small.
    pub log_left_out: usize,
    /// Attributes a steady-state check saw re-sent on every pass.
    pub flapping: Vec<FlapRow>,
    /// The stored snapshot against the new transcript, when they differ.
    pub drift: Option<Drift>,
    /// The job's portal-style status line ("2 user(s) provisioned · not quarantined · ...").
    pub status: Vec<String>,
}

/// What one step did over time and on the wire.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StepExtras {
    /// Simulated time (ISO 8601) of the step.
    pub at: String,
    /// The step's exchanges, redacted as snapshots are.
    pub exchanges: Vec<ExchangeText>,
    /// Exchanges left out to keep the file small.
    pub exchanges_left_out: usize,
    /// Provision on demand: the portal's steps with their detail rows.
    pub on_demand: Vec<OnDemandStep>,
}

/// One redacted exchange.
#[derive(Debug, Clone, PartialEq)]
pub struct ExchangeText {
    /// `PATCH /Users/<user:alice>`.
    pub request: String,
    /// The status, or none when nothing answered.
    pub status: Option<u16>,
    /// The whole exchange as `snapshot::transcript::render_exchange` writes it.
    pub text: String,
}

/// One step of Provision on demand as the portal shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct OnDemandStep {
    /// `Import user`, `Determine if user is in scope`, ...
    pub title: String,
    /// `Success`, `Failure`, `Skipped`, `Warning`.
    pub status: String,
    /// "View details" rows: name, value, and for conditions whether it passed.
    pub details: Vec<(String, String, Option<bool>)>,
}

/// One cycle on the timeline.
#[derive(Debug, Clone, PartialEq)]
pub struct TimelineEntry {
    /// Cycle number.
    pub number: u32,
    /// `initial`, `incremental` or `steady pass`.
    pub kind: String,
    /// Simulated start (ISO 8601).
    pub started_at: String,
    /// Simulated time since the previous cycle, e.g. `40 min`.
    pub since_previous: Option<String>,
    /// `2 created, 1 updated (5 requests)`.
    pub summary: String,
    /// Whether any object failed.
    pub failed: bool,
    /// The job's quarantine after the cycle.
    pub quarantine: Option<String>,
}

/// One provisioning-log entry.
#[derive(Debug, Clone, PartialEq)]
pub struct LogEntry {
    /// Cycle number.
    pub cycle: u32,
    /// `user` or `group`.
    pub kind: String,
    /// The scenario alias.
    pub identity: String,
    /// `Create`, `Update`, ...
    pub action: String,
    /// `Success`, `Failure`, `Skipped`, `Warning`.
    pub status: String,
    /// Error or reason code.
    pub code: Option<String>,
    /// One line.
    pub message: String,
    /// Modified properties: name, old, new (JSON text, redacted).
    pub modified: Vec<(String, String, String)>,
}

/// An attribute that flaps.
#[derive(Debug, Clone, PartialEq)]
pub struct FlapRow {
    /// The object's alias.
    pub identity: String,
    /// Target attribute path.
    pub attribute: String,
    /// What Entra sent (JSON text, redacted).
    pub sent: String,
    /// What the endpoint returned (JSON text, redacted), `(nothing)` when absent.
    pub returned: String,
    /// Likely cause.
    pub cause: String,
}

/// Snapshot drift: both texts are redacted transcripts.
#[derive(Debug, Clone, PartialEq)]
pub struct Drift {
    /// The stored snapshot's path.
    pub path: String,
    /// The stored transcript.
    pub stored: String,
    /// The transcript of this run.
    pub new: String,
}
