//! The job's health (ENTRA.md 6.5): whether it is quarantined and why (Graph's `quarantineReason` names),
//! the escrow thresholds that quarantine it, the reduced cycle frequency while it is quarantined, leaving
//! quarantine, and disabling the job after more than four weeks in quarantine. The runner asks [`Job`] when
//! the next cycle starts and tells it how each cycle went; the choices made where the documentation is
//! silent are in `docs/entra-notes.md`.
//!
//! ```text
//! cycle step ─▶ Job::next_start (40 min, doubling while quarantined up to 24 h; `wait` steps push it later)
//!            ─▶ Job::disables_at? ── yes ─▶ the job is disabled: no cycle runs any more (until a restart)
//!            ─▶ run_cycle ─▶ cause: credentials/404 findings · TooManyDeletes · escrow thresholds
//!            ─▶ Job::after_cycle ─▶ Entered | Changed | Stayed | Left | Healthy
//! ```

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use crate::engine::escrow::Escrows;
use crate::engine::result::{Finding, FindingKind};

/// Cycles of a healthy job run this far apart (ENTRA.md 6.1: about 40 minutes, not configurable).
pub const CYCLE_INTERVAL: TimeDelta = TimeDelta::minutes(40);

/// While quarantined, the interval doubles after every quarantined cycle up to once per day (DOC S9: "the
/// frequency of incremental cycles is gradually reduced to once per day"; the progression is ours).
pub const QUARANTINED_INTERVAL_CAP: TimeDelta = TimeDelta::hours(24);

/// A job quarantined for longer than this is disabled (DOC S9: "more than four weeks").
pub const QUARANTINE_DISABLES_AFTER: TimeDelta = TimeDelta::days(28);

/// The escrow thresholds are evaluated only from this many outstanding failures, reference failures
/// included (DOC S9: "5,000 failures are the minimum to start evaluating").
pub const ESCROW_EVALUATION_MINIMUM: usize = 5_000;

/// More than this percentage of provisioning events failing quarantines the job with
/// `EncounteredEscrowProportionThreshold`; reference failures are not counted (DOC S9: "more than 40%").
pub const ESCROW_PROPORTION_PERCENT: usize = 40;

/// More non-reference failures than this quarantine the job with `EncounteredBaseEscrowThreshold`
/// (DOC S9: "more than 40,000 failures", reference failures excluded).
pub const BASE_ESCROW_THRESHOLD: usize = 40_000;

/// More failures than this, reference failures included, quarantine the job with
/// `EncounteredTotalEscrowThreshold` (DOC S9: "an absolute threshold of 60,000 failures").
pub const TOTAL_ESCROW_THRESHOLD: usize = 60_000;

/// Why a job is quarantined: Graph's `quarantineReason` values the simulator can produce (DOC S27).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum QuarantineReason {
    /// Too many non-reference failures ([`BASE_ESCROW_THRESHOLD`]).
    EncounteredBaseEscrowThreshold,
    /// Too many failures in all ([`TOTAL_ESCROW_THRESHOLD`]).
    EncounteredTotalEscrowThreshold,
    /// Too large a share of provisioning events failed ([`ESCROW_PROPORTION_PERCENT`]).
    EncounteredEscrowProportionThreshold,
    /// Credentials refused, or a SCIM compliance failure such as 404 on a zero-result query.
    EncounteredQuarantineException,
    /// The accidental-deletion threshold was exceeded.
    TooManyDeletes,
}

impl QuarantineReason {
    /// Every reason, for scenario validation.
    pub const ALL: [QuarantineReason; 5] = [
        QuarantineReason::EncounteredBaseEscrowThreshold,
        QuarantineReason::EncounteredTotalEscrowThreshold,
        QuarantineReason::EncounteredEscrowProportionThreshold,
        QuarantineReason::EncounteredQuarantineException,
        QuarantineReason::TooManyDeletes,
    ];

    /// Graph's name of the reason.
    pub fn name(self) -> &'static str {
        match self {
            QuarantineReason::EncounteredBaseEscrowThreshold => "EncounteredBaseEscrowThreshold",
            QuarantineReason::EncounteredTotalEscrowThreshold => "EncounteredTotalEscrowThreshold",
            QuarantineReason::EncounteredEscrowProportionThreshold => "EncounteredEscrowProportionThreshold",
            QuarantineReason::EncounteredQuarantineException => "EncounteredQuarantineException",
            QuarantineReason::TooManyDeletes => "TooManyDeletes",
        }
    }
}

/// Why a cycle would quarantine the job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cause {
    /// Graph's reason.
    pub reason: QuarantineReason,
    /// One line, lowercase.
    pub detail: String,
}

impl Cause {
    fn new(reason: QuarantineReason, detail: impl Into<String>) -> Self {
        Cause { reason, detail: detail.into() }
    }
}

/// A quarantine in progress (Graph `synchronizationQuarantine`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quarantine {
    /// The current reason.
    pub reason: QuarantineReason,
    /// What tripped it, one line.
    pub detail: String,
    /// When this series of quarantines began (`seriesBegan`).
    pub series_began: DateTime<Utc>,
    /// When the current reason was imposed (`currentBegan`).
    pub current_began: DateTime<Utc>,
    /// Cycles that ended quarantined in this series; each one doubles the interval.
    pub cycles: u32,
}

/// What a cycle did to the quarantine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// Not quarantined before or after.
    Healthy,
    /// The job went into quarantine.
    Entered,
    /// Still quarantined, for another reason.
    Changed,
    /// Still quarantined, for the same reason.
    Stayed,
    /// The job left quarantine.
    Left,
}

/// The provisioning job's schedule and health across steps.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Job {
    /// The quarantine in progress.
    pub quarantine: Option<Quarantine>,
    /// Why the job is disabled (it then runs no cycle), when it is.
    pub disabled: Option<String>,
    /// When the last cycle (or steady-state check) started.
    last_start: Option<DateTime<Utc>>,
}

impl Job {
    /// The time between the last cycle's start and the next one's: [`CYCLE_INTERVAL`], doubled for every
    /// cycle that ended quarantined in the current series, at most [`QUARANTINED_INTERVAL_CAP`].
    pub fn interval(&self) -> TimeDelta {
        let doublings = self.quarantine.as_ref().map_or(0, |q| q.cycles.min(16));
        (CYCLE_INTERVAL * 2_i32.pow(doublings)).min(QUARANTINED_INTERVAL_CAP)
    }

    /// When the next cycle starts: one interval (plus `waited`, the time spent honouring `Retry-After`)
    /// after the last one, or `now` when that is later (a `wait` step), or `now` for the first cycle.
    pub fn next_start(&self, now: DateTime<Utc>, waited: TimeDelta) -> DateTime<Utc> {
        self.last_start.map_or(now, |last| now.max(last + waited + self.interval()))
    }

    /// The time since the last cycle started, for a cycle starting at `start`.
    pub fn since_last(&self, start: DateTime<Utc>) -> Option<TimeDelta> {
        self.last_start.map(|last| start - last)
    }

    /// Records that a cycle starts at `start`.
    pub fn started(&mut self, start: DateTime<Utc>) {
        self.last_start = Some(start);
    }

    /// Whether a cycle due at `start` finds the job quarantined for more than four weeks.
    pub fn disables_at(&self, start: DateTime<Utc>) -> bool {
        self.quarantine.as_ref().is_some_and(|q| start - q.series_began > QUARANTINE_DISABLES_AFTER)
    }

    /// Disables the job: no cycle runs any more. Returns why.
    pub fn disable(&mut self) -> String {
        let why = match &self.quarantine {
            Some(q) => format!("quarantined ({}) for more than four weeks", q.reason.name()),
            None => "disabled".to_string(),
        };
        self.disabled = Some(why.clone());
        why
    }

    /// Restart provisioning: the quarantine is cleared and a disabled job runs again.
    pub fn restart(&mut self) {
        self.quarantine = None;
        self.disabled = None;
    }

    /// Applies how a cycle that started at `at` went. `cause` is what would quarantine the job now; `sent`
    /// says whether the cycle sent any request. A quarantine ends when a cycle runs without its cause,
    /// except that `TooManyDeletes` waits for a restart (the admin must allow the deletions or restart,
    /// ENTRA.md 4.5), and a credentials or compliance quarantine needs a cycle that sent requests to show
    /// the errors are gone.
    pub fn after_cycle(&mut self, at: DateTime<Utc>, cause: Option<Cause>, sent: bool) -> Transition {
        match (self.quarantine.as_mut(), cause) {
            (None, None) => Transition::Healthy,
            (None, Some(c)) => {
                self.quarantine = Some(Quarantine {
                    reason: c.reason,
                    detail: c.detail,
                    series_began: at,
                    current_began: at,
                    cycles: 1,
                });
                Transition::Entered
            }
            (Some(q), Some(c)) => {
                q.cycles += 1;
                q.detail = c.detail;
                if q.reason == c.reason {
                    Transition::Stayed
                } else {
                    q.reason = c.reason;
                    q.current_began = at;
                    Transition::Changed
                }
            }
            (Some(q), None) => {
                let sticky = q.reason == QuarantineReason::TooManyDeletes
                    || (q.reason == QuarantineReason::EncounteredQuarantineException && !sent);
                if sticky {
                    q.cycles += 1;
                    Transition::Stayed
                } else {
                    self.quarantine = None;
                    Transition::Left
                }
            }
        }
    }

    /// The quarantine as reports show it: `Reason: detail`.
    pub fn quarantine_text(&self) -> Option<String> {
        self.quarantine.as_ref().map(|q| format!("{}: {}", q.reason.name(), q.detail))
    }
}

/// The quarantine causes a cycle's findings show (ENTRA.md 6.5): credentials refused, or a SCIM
/// compliance failure such as 404 on a zero-result query.
pub fn exception_cause(findings: &[Finding]) -> Option<Cause> {
    let status = |f: &Finding| f.request.as_ref().and_then(|r| r.status);
    let exception = QuarantineReason::EncounteredQuarantineException;
    if findings.iter().any(|f| matches!(status(f), Some(401) | Some(403))) {
        return Some(Cause::new(exception, "the endpoint refused Entra's credentials"));
    }
    findings
        .iter()
        .any(|f| f.kind == FindingKind::NonCompliance && status(f) == Some(404))
        .then(|| Cause::new(exception, "HTTP/404 Not Found was returned rather than the expected HTTP/200 OK"))
}

/// The accidental-deletion quarantine a cycle raised (its text starts with the reason).
pub fn deletion_cause(cycle_quarantine: Option<&str>) -> Option<Cause> {
    let text = cycle_quarantine?;
    let name = QuarantineReason::TooManyDeletes.name();
    Some(Cause::new(QuarantineReason::TooManyDeletes, text.strip_prefix(name).unwrap_or(text).trim_start_matches(": ")))
}

/// The escrow thresholds (DOC S9), over the outstanding escrows and the successes since the last restart:
/// nothing below [`ESCROW_EVALUATION_MINIMUM`] failures; then the absolute cap, the base cap and the
/// proportion, in that order.
pub fn escrow_cause(escrows: &Escrows) -> Option<Cause> {
    let (base, reference) = escrows.failures();
    let all = base + reference;
    if all < ESCROW_EVALUATION_MINIMUM {
        return None;
    }
    if all > TOTAL_ESCROW_THRESHOLD {
        let detail = format!("{all} failures, reference failures included, exceed {TOTAL_ESCROW_THRESHOLD}");
        return Some(Cause::new(QuarantineReason::EncounteredTotalEscrowThreshold, detail));
    }
    if base > BASE_ESCROW_THRESHOLD {
        let detail = format!("{base} failures exceed {BASE_ESCROW_THRESHOLD}");
        return Some(Cause::new(QuarantineReason::EncounteredBaseEscrowThreshold, detail));
    }
    let events = base + escrows.successes;
    (base * 100 > ESCROW_PROPORTION_PERCENT * events).then(|| {
        let detail = format!("{base} of {events} provisioning events failed, more than {ESCROW_PROPORTION_PERCENT}%");
        Cause::new(QuarantineReason::EncounteredEscrowProportionThreshold, detail)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::escrow::{EscrowRetry, Failure};

    fn t(hours: i64) -> DateTime<Utc> {
        DateTime::<Utc>::from_timestamp(1_767_225_600, 0).expect("a valid timestamp") + TimeDelta::hours(hours)
    }

    fn escrows(base: usize, reference: usize, successes: usize) -> Escrows {
        let mut e = Escrows::default();
        e.successes = successes;
        for i in 0..base + reference {
            let failure = Failure { reference: i >= base, ..Failure::default() };
            e.fail(&format!("o{i}"), failure, t(0), EscrowRetry::NextCycle);
        }
        e
    }

    fn reason(e: &Escrows) -> Option<QuarantineReason> {
        escrow_cause(e).map(|c| c.reason)
    }

    #[test]
    fn escrow_thresholds_follow_the_documented_examples() {
        use QuarantineReason::*;
        assert_eq!(reason(&escrows(4_000, 0, 0)), None, "4,000 failures are not evaluated");
        assert_eq!(reason(&escrows(45_000, 0, 1_000_000)), Some(EncounteredBaseEscrowThreshold));
        assert_eq!(reason(&escrows(30_000, 0, 5_000)), Some(EncounteredEscrowProportionThreshold));
        assert_eq!(reason(&escrows(20_000, 0, 100_000)), None);
        assert_eq!(reason(&escrows(40_000, 21_000, 1_000_000)), Some(EncounteredTotalEscrowThreshold));
        assert_eq!(reason(&escrows(100, 5_000, 0)), Some(EncounteredEscrowProportionThreshold));
        assert_eq!(reason(&escrows(0, 6_000, 0)), None, "reference failures alone never pass the proportion");
        assert_eq!(reason(&escrows(4_000, 1_000, 6_000)), None, "exactly 40% is not more than 40%");
    }

    #[test]
    fn the_interval_doubles_while_quarantined_up_to_a_day() {
        let mut job = Job::default();
        job.started(t(0));
        assert_eq!(job.next_start(t(0), TimeDelta::zero()), t(0) + TimeDelta::minutes(40));
        let cause = || Some(Cause::new(QuarantineReason::EncounteredQuarantineException, "404"));
        assert_eq!(job.after_cycle(t(0), cause(), true), Transition::Entered);
        let mut intervals = Vec::new();
        for _ in 0..7 {
            intervals.push(job.interval().num_minutes());
            job.after_cycle(t(1), cause(), true);
        }
        assert_eq!(intervals, [80, 160, 320, 640, 1280, 1440, 1440]);
        assert_eq!(job.next_start(t(100), TimeDelta::zero()), t(100), "a later `wait` wins");
        assert!(!job.disables_at(t(28 * 24)) && job.disables_at(t(28 * 24 + 1)));
        assert_eq!(job.after_cycle(t(2), None, true), Transition::Left);
        assert_eq!(job.interval(), CYCLE_INTERVAL);
    }

    #[test]
    fn deletion_and_silent_exception_quarantines_do_not_lift_by_themselves() {
        let mut job = Job::default();
        job.after_cycle(t(0), deletion_cause(Some("TooManyDeletes: 2 disables/deletes exceed 1")), true);
        assert_eq!(job.quarantine_text().as_deref(), Some("TooManyDeletes: 2 disables/deletes exceed 1"));
        assert_eq!(job.after_cycle(t(1), None, true), Transition::Stayed);
        job.restart();
        assert_eq!(job.quarantine, None);
        job.after_cycle(t(2), Some(Cause::new(QuarantineReason::EncounteredQuarantineException, "401")), true);
        assert_eq!(job.after_cycle(t(3), None, false), Transition::Stayed, "a cycle that sent nothing proves nothing");
        assert_eq!(job.after_cycle(t(4), None, true), Transition::Left);
    }
}
