//! A check run into the report model: one suite per check group (a group split by dialect names its
//! dialect), one case per check (a warning passes), and the problems as findings with their exchange; a run
//! that stopped early or left objects behind gets an error suite saying so.

use crate::check::{evidence, Check, CheckResult, CheckStatus, Problem, RunEnd};
use crate::engine::Dialect;
use crate::report;

// Defined here, beside the scenario conversion, so every conversion into the report model is in one place;
// `check` itself knows nothing of how its results are reported.
impl CheckResult {
    /// The result as a report (suites = check groups, cases = checks) for the JUnit/JSON/terminal renderers.
    pub fn to_report(&self) -> report::Report {
        let mut suites = check_suites(&self.checks);
        let end_error = match &self.end {
            RunEnd::Completed => None,
            RunEnd::Stopped { reason } => Some(format!("checks stopped early: {reason}")),
            RunEnd::Interrupted => Some("interrupted before all checks ran; created objects were cleaned up".into()),
        };
        let leftover = (!self.left_behind.is_empty())
            .then(|| format!("could not delete objects created by the check: {}", self.left_behind.join(", ")));
        for error in [end_error, leftover].into_iter().flatten() {
            suites.push(report::Suite {
                name: "run".into(),
                dialect: None,
                cases: Vec::new(),
                duration_ms: 0,
                error: Some(error),
                status: None,
            });
        }
        report::Report { command: "check".into(), target: self.target.clone(), suites }
    }
}

/// Consecutive checks of one group as one suite each, in order: the suites of [`CheckResult::to_report`]
/// without the run's own error suites. `entrasim check` reports each suite as soon as its group is done.
pub fn check_suites(checks: &[Check]) -> Vec<report::Suite> {
    let mut suites: Vec<report::Suite> = Vec::new();
    for check in checks {
        if suites.last().is_none_or(|s| s.name != check.group) {
            suites.push(report::Suite {
                name: check.group.clone(),
                dialect: dialect_of(&check.group),
                cases: Vec::new(),
                duration_ms: 0,
                error: None,
                status: None,
            });
        }
        let suite = suites.last_mut().expect("invariant: a suite was pushed above");
        let case = to_case(check);
        suite.duration_ms += case.duration_ms;
        suite.cases.push(case);
    }
    suites
}

fn dialect_of(group: &str) -> Option<String> {
    [Dialect::Legacy, Dialect::Compliant]
        .into_iter()
        .find(|d| group.ends_with(&format!("/{}", d.name())))
        .map(|d| d.name().to_string())
}

fn to_case(check: &Check) -> report::Case {
    let outcome = match check.status {
        CheckStatus::Pass | CheckStatus::Warning => report::Outcome::Pass,
        CheckStatus::Fail => report::Outcome::Fail,
        CheckStatus::Skipped => report::Outcome::Skipped,
    };
    report::Case {
        name: check.name.clone(),
        outcome,
        detail: check.detail.clone(),
        findings: check.problems.iter().map(to_finding).collect(),
        duration_ms: u64::try_from(check.duration.as_millis()).unwrap_or(u64::MAX),
    }
}

fn to_finding(problem: &Problem) -> report::Finding {
    report::Finding {
        severity: problem.severity,
        kind: problem.kind.clone(),
        message: problem.message.clone(),
        hint: problem.hint.clone(),
        evidence: problem.exchange.as_deref().map(evidence),
    }
}
