//! Checking a step's `expect` table against what the step did, and deciding the step's outcome: a step
//! fails when an expectation fails or when it raised an error finding the scenario did not expect.

use crate::engine::result::{
    Counts, ExpectationResult, Finding, FindingKind, LogAction, LogStatus, Outcome, ProvisioningEvent, StepDetail,
};
use crate::scenario::{Expect, OnDemandAction, Outcome as ExpectedOutcome};
use crate::scim::client::{Exchange, Origin};

fn result(what: &str, expected: impl ToString, actual: impl ToString) -> ExpectationResult {
    let (expected, actual) = (expected.to_string(), actual.to_string());
    ExpectationResult { what: what.to_string(), passed: expected == actual, expected, actual }
}

/// The status the provisioning log would show for a step.
pub fn step_status(detail: &StepDetail, findings: &[Finding]) -> ExpectedOutcome {
    let events: &[ProvisioningEvent] = match detail {
        StepDetail::Cycle(c) => &c.events,
        StepDetail::Steady(s) => return if s.steady { ExpectedOutcome::Success } else { ExpectedOutcome::Failure },
        StepDetail::TestConnection(t) => {
            return if t.passed { ExpectedOutcome::Success } else { ExpectedOutcome::Failure };
        }
        StepDetail::OnDemand(o) => {
            return match o.status {
                LogStatus::Success => ExpectedOutcome::Success,
                LogStatus::Failure => ExpectedOutcome::Failure,
                LogStatus::Skipped => ExpectedOutcome::Skipped,
                LogStatus::Warning => ExpectedOutcome::Warning,
            };
        }
        StepDetail::Directory { .. } => &[],
        StepDetail::NotRun { .. } => return ExpectedOutcome::Skipped,
    };
    if events.iter().any(|e| e.status == LogStatus::Failure) || findings.iter().any(Finding::is_error) {
        ExpectedOutcome::Failure
    } else if !findings.is_empty() {
        ExpectedOutcome::Warning
    } else if !events.is_empty() && events.iter().all(|e| e.status == LogStatus::Skipped) {
        ExpectedOutcome::Skipped
    } else {
        ExpectedOutcome::Success
    }
}

fn outcome_name(o: ExpectedOutcome) -> &'static str {
    match o {
        ExpectedOutcome::Success => "success",
        ExpectedOutcome::Failure => "failure",
        ExpectedOutcome::Skipped => "skipped",
        ExpectedOutcome::Warning => "warning",
    }
}

fn action_name(a: LogAction) -> &'static str {
    match a {
        LogAction::Create => "create",
        LogAction::Update => "update",
        LogAction::Disable => "disable",
        LogAction::Enable => "enable",
        LogAction::Delete => "delete",
        LogAction::Skip | LogAction::StagedDelete | LogAction::Other => "skip",
    }
}

fn on_demand_name(a: OnDemandAction) -> &'static str {
    match a {
        OnDemandAction::Create => "create",
        OnDemandAction::Update => "update",
        OnDemandAction::Disable => "disable",
        OnDemandAction::Enable => "enable",
        OnDemandAction::Delete => "delete",
        OnDemandAction::Skip => "skip",
    }
}

/// Whether a finding matches an `expect.findings` entry: its kind, its code or part of its message.
pub fn finding_matches(finding: &Finding, wanted: &str) -> bool {
    let kind = serde_json::to_value(finding.kind).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
    let code = finding.code.map(|c| format!("{c:?}")).unwrap_or_default();
    kind.eq_ignore_ascii_case(wanted)
        || code.eq_ignore_ascii_case(wanted)
        || finding.message.to_lowercase().contains(&wanted.to_lowercase())
}

fn counts_checks(expect: &Expect, counts: &Counts, out: &mut Vec<ExpectationResult>) {
    let pairs = [
        ("creates", &expect.creates, counts.creates),
        ("updates", &expect.updates, counts.updates),
        ("disables", &expect.disables, counts.disables),
        ("enables", &expect.enables, counts.enables),
        ("deletes", &expect.deletes, counts.deletes),
        ("skips", &expect.skips, counts.skips),
        ("failures", &expect.failures, counts.failures),
    ];
    for (what, wanted, actual) in pairs {
        if let Some(w) = wanted {
            out.push(result(what, w.value, actual));
        }
    }
}

/// The escrow, quarantine and timing expectations of a cycle step. A cycle that did not run (the job is
/// disabled) fails every one of them except `job` and `quarantine`.
fn job_checks(expect: &Expect, detail: &StepDetail, out: &mut Vec<ExpectationResult>) {
    let (cycle, quarantine, job) = match detail {
        StepDetail::Cycle(c) => {
            (Some(c), c.quarantine.as_deref(), if c.quarantine.is_some() { "quarantine" } else { "active" })
        }
        StepDetail::NotRun { quarantine, .. } => (None, quarantine.as_deref(), "disabled"),
        _ => return,
    };
    let not_run = "no cycle ran (the job is disabled)";
    let counts = [
        ("retries", &expect.retries, cycle.map(|c| c.escrows.retried)),
        ("not_due", &expect.not_due, cycle.map(|c| c.escrows.not_due)),
        ("escrows", &expect.escrows, cycle.map(|c| c.escrows.outstanding)),
        ("given_up", &expect.given_up, cycle.map(|c| c.escrows.given_up)),
    ];
    for (what, wanted, actual) in counts {
        if let Some(w) = wanted {
            out.push(result(what, w.value, actual.map_or(not_run.to_string(), |n| n.to_string())));
        }
    }
    if let Some(w) = &expect.interval {
        let actual = match cycle {
            None => not_run.to_string(),
            Some(c) => c.since_previous.map_or("none (the first cycle)".into(), |s| {
                crate::scenario::duration::format(std::time::Duration::from_secs(s))
            }),
        };
        out.push(result("interval", crate::scenario::duration::format(w.value), actual));
    }
    if let Some(w) = &expect.quarantine {
        let reason = quarantine.map_or("none", |q| q.split(':').next().unwrap_or(q));
        out.push(result("quarantine", &w.value, reason));
    }
    if let Some(w) = &expect.job {
        out.push(result("job", &w.value, job));
    }
}

fn requests_checks(
    expect: &Expect,
    exchanges: &[&Exchange],
    line_of: &dyn Fn(&Exchange) -> String,
    out: &mut Vec<ExpectationResult>,
) {
    let entra: Vec<&&Exchange> = exchanges.iter().filter(|e| e.origin == Origin::Entra).collect();
    let target = |e: &Exchange| if e.query.is_empty() { e.path.clone() } else { format!("{}?{}", e.path, e.query) };
    let mut next = 0;
    for pattern in &expect.requests {
        let found = entra[next.min(entra.len())..].iter().position(|e| pattern.matches(e.method.as_str(), &target(e)));
        match found {
            Some(i) => {
                next += i + 1;
                out.push(result("requests", &pattern.text, &pattern.text));
            }
            None => {
                let sent: Vec<String> = entra.iter().map(|e| line_of(e)).collect();
                let actual = if sent.is_empty() { "no requests".to_string() } else { sent.join(", ") };
                out.push(result("requests", format!("{} (in order)", pattern.text), actual));
            }
        }
    }
    for pattern in &expect.no_requests {
        let hit = entra.iter().find(|e| pattern.matches(e.method.as_str(), &target(e)));
        let actual = hit.map_or_else(|| "absent".to_string(), |e| format!("sent: {}", line_of(e)));
        out.push(result("no_requests", "absent", actual).with_what(&format!("no_requests {}", pattern.text)));
    }
}

trait WithWhat {
    fn with_what(self, what: &str) -> Self;
}

impl WithWhat for ExpectationResult {
    fn with_what(mut self, what: &str) -> Self {
        self.what = what.to_string();
        self
    }
}

/// Checks a step's expectations.
pub fn check(
    expect: &Expect,
    detail: &StepDetail,
    findings: &[Finding],
    exchanges: &[&Exchange],
    line_of: &dyn Fn(&Exchange) -> String,
) -> Vec<ExpectationResult> {
    let mut out = Vec::new();
    match detail {
        StepDetail::Cycle(c) => counts_checks(expect, &c.counts, &mut out),
        StepDetail::NotRun { .. } => counts_checks(expect, &Counts::default(), &mut out),
        _ => {}
    }
    job_checks(expect, detail, &mut out);
    requests_checks(expect, exchanges, line_of, &mut out);
    if let Some(o) = &expect.outcome {
        out.push(result("outcome", outcome_name(o.value), outcome_name(step_status(detail, findings))));
    }
    if let (Some(a), StepDetail::OnDemand(od)) = (&expect.action, detail) {
        out.push(result("action", on_demand_name(a.value), action_name(od.action)));
    }
    if let StepDetail::Steady(s) = detail {
        if let Some(w) = &expect.steady {
            out.push(result("steady", w.value, s.steady));
        }
        for attr in &expect.flapping {
            let hit = s.flapping.iter().any(|f| f.attribute.eq_ignore_ascii_case(&attr.value));
            let actual = if hit {
                attr.value.clone()
            } else {
                let names: Vec<&str> = s.flapping.iter().map(|f| f.attribute.as_str()).collect();
                format!("flapping: [{}]", names.join(", "))
            };
            out.push(result("flapping", &attr.value, actual));
        }
    }
    for wanted in &expect.findings {
        let hit = findings.iter().any(|f| finding_matches(f, &wanted.value));
        let actual = if hit { wanted.value.clone() } else { format!("no finding matching `{}`", wanted.value) };
        out.push(result("findings", &wanted.value, actual));
    }
    out
}

/// Passed unless an expectation failed or an error finding was not expected.
pub fn outcome(expect: Option<&Expect>, findings: &[Finding], expectations: &[ExpectationResult]) -> Outcome {
    if expectations.iter().any(|x| !x.passed) {
        return Outcome::Failed;
    }
    let covered = |f: &Finding| {
        let Some(e) = expect else { return false };
        e.outcome.as_ref().is_some_and(|o| o.value == ExpectedOutcome::Failure)
            || (f.kind == FindingKind::NotSteady && e.steady.as_ref().is_some_and(|s| !s.value))
            || (f.kind == FindingKind::ObjectFailure && e.failures.as_ref().is_some_and(|n| n.value > 0))
            || e.findings.iter().any(|w| finding_matches(f, &w.value))
    };
    if findings.iter().any(|f| f.is_error() && !covered(f)) {
        Outcome::Failed
    } else {
        Outcome::Passed
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::Span;
    use crate::engine::result::ErrorCode;
    use crate::scenario::Located;

    fn located<T>(value: T) -> Located<T> {
        Located { value, span: Span::default() }
    }

    #[test]
    fn unexpected_error_findings_fail_the_step() {
        let f = Finding::error(FindingKind::ObjectFailure, "target returned 500");
        assert_eq!(outcome(None, std::slice::from_ref(&f), &[]), Outcome::Failed);
        assert_eq!(
            outcome(None, &[Finding::warning(FindingKind::NonCompliance, "200, not 201")], &[]),
            Outcome::Passed
        );
    }

    #[test]
    fn expected_findings_are_covered() {
        let not_steady = Finding::error(FindingKind::NotSteady, "`title` of alice is re-sent");
        let expect = Expect { steady: Some(located(false)), ..Expect::default() };
        assert_eq!(outcome(Some(&expect), std::slice::from_ref(&not_steady), &[]), Outcome::Passed);
        let failure = Finding::error(FindingKind::ObjectFailure, "409").with_code(ErrorCode::EntryConflict);
        let by_count = Expect { failures: Some(located(1)), ..Expect::default() };
        assert_eq!(outcome(Some(&by_count), std::slice::from_ref(&failure), &[]), Outcome::Passed);
        let by_code = Expect { findings: vec![located("EntryConflict".to_string())], ..Expect::default() };
        assert_eq!(outcome(Some(&by_code), std::slice::from_ref(&failure), &[]), Outcome::Passed);
        assert_eq!(outcome(Some(&expect), &[failure], &[]), Outcome::Failed);
    }

    #[test]
    fn findings_match_by_kind_code_or_message() {
        let f = Finding::error(FindingKind::MembershipDrift, "the remove-all-members hazard")
            .with_code(ErrorCode::EntrySynchronizationSkipped);
        assert!(finding_matches(&f, "membership_drift"));
        assert!(finding_matches(&f, "entrysynchronizationskipped"));
        assert!(finding_matches(&f, "Remove-All-Members"));
        assert!(!finding_matches(&f, "quarantine"));
    }
}
