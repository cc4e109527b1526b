//! The view model the templates read: the [`Report`] and its [`SuiteExtras`] arranged for the page —
//! suites that did not pass first, stable element ids, badges, findings in the order the terminal shows
//! them (failed expectations first) and drift as side-by-side rows. Pure; the templates do the markup.

use similar::{DiffOp, TextDiff};

use super::model::{StepExtras, SuiteExtras};
use crate::report::{Case, Evidence, Finding, Outcome, Report, Severity, Suite, Totals};

/// A status badge: its CSS modifier and its word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Badge {
    /// `pass`, `fail`, `error`, `skip`, `warn`, `info`.
    pub class: &'static str,
    /// What it says.
    pub label: &'static str,
}

impl Badge {
    /// The badge of an outcome.
    pub fn outcome(outcome: Outcome) -> Badge {
        match outcome {
            Outcome::Pass => Badge { class: "pass", label: "Passed" },
            Outcome::Fail => Badge { class: "fail", label: "Failed" },
            Outcome::Error => Badge { class: "error", label: "Could not run" },
            Outcome::Skipped => Badge { class: "skip", label: "Skipped" },
        }
    }

    /// The badge of a provisioning-log status (`Success`, `Failure`, `Skipped`, `Warning`).
    pub fn log_status(status: &str) -> Badge {
        match status {
            "Success" => Badge { class: "pass", label: "Success" },
            "Failure" => Badge { class: "fail", label: "Failure" },
            "Skipped" => Badge { class: "skip", label: "Skipped" },
            _ => Badge { class: "warn", label: "Warning" },
        }
    }

    /// The badge of a finding's severity.
    pub fn severity(severity: Severity) -> Badge {
        match severity {
            Severity::Error => Badge { class: "fail", label: "Error" },
            Severity::Warning => Badge { class: "warn", label: "Warning" },
        }
    }
}

/// The whole page.
pub struct PageView<'a> {
    /// `run` or `check`.
    pub command: &'a str,
    /// The target as the user named it.
    pub target: &'a str,
    /// The run's overall badge.
    pub badge: Badge,
    /// Suite counts.
    pub totals: Totals,
    /// Cases and findings over every suite.
    pub case_count: usize,
    /// Error findings over every suite.
    pub error_count: usize,
    /// Warning findings over every suite.
    pub warning_count: usize,
    /// `scenario` or `check group`.
    pub noun: &'static str,
    /// Suites, those that did not pass first.
    pub suites: Vec<SuiteView<'a>>,
    /// entrasim's version.
    pub version: &'static str,
}

/// One suite on the page.
pub struct SuiteView<'a> {
    /// Element id (`s3`), stable for links.
    pub id: String,
    /// The suite.
    pub suite: &'a Suite,
    /// Its badge.
    pub badge: Badge,
    /// Whether it opens expanded (it did not pass).
    pub open: bool,
    /// Warning findings.
    pub warnings: usize,
    /// Its cases.
    pub cases: Vec<CaseView<'a>>,
    /// What the engine result adds (empty for check groups).
    pub extras: &'a SuiteExtras,
    /// Snapshot drift as side-by-side rows.
    pub drift: Vec<DiffRow>,
    /// Seconds, for the header.
    pub seconds: String,
}

/// One case on the page.
pub struct CaseView<'a> {
    /// Element id (`s3-c2`).
    pub id: String,
    /// The case.
    pub case: &'a Case,
    /// Its badge.
    pub badge: Badge,
    /// The result line unless it only repeats the name.
    pub detail: &'a str,
    /// Findings, failed expectations first.
    pub findings: Vec<FindingView<'a>>,
    /// When it ran and what it sent.
    pub extras: Option<&'a StepExtras>,
}

/// One finding on the page.
pub struct FindingView<'a> {
    /// The finding.
    pub finding: &'a Finding,
    /// Its severity badge.
    pub badge: Badge,
    /// The evidence as text blocks (request line, sent body, answer), when there is evidence.
    pub evidence: Option<EvidenceView<'a>>,
}

/// A finding's exchange, pretty-printed.
pub struct EvidenceView<'a> {
    /// `METHOD /path`.
    pub request: &'a str,
    /// `200`, or `no response`.
    pub status: String,
    /// The body sent, pretty JSON.
    pub sent: Option<String>,
    /// The answer, pretty JSON or text.
    pub answer: Option<String>,
}

/// One row of a side-by-side diff; `tag` is `same`, `del`, `ins`, `mod` or `gap` (hunk separator).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiffRow {
    /// `same`, `del`, `ins`, `mod` or `gap`.
    pub tag: &'static str,
    /// Line number in the stored snapshot.
    pub old_no: Option<usize>,
    /// The stored line.
    pub old: Option<String>,
    /// Line number in the new transcript.
    pub new_no: Option<usize>,
    /// The new line.
    pub new: Option<String>,
}

/// Lays the report out for the page. `extras[i]` belongs to `report.suites[i]`; missing ones are empty.
pub fn page<'a>(report: &'a Report, extras: &'a [SuiteExtras], empty: &'a SuiteExtras) -> PageView<'a> {
    let totals = report.totals();
    let badge = Badge::outcome(if totals.errored > 0 {
        Outcome::Error
    } else if totals.failed > 0 {
        Outcome::Fail
    } else {
        Outcome::Pass
    });
    let mut suites: Vec<SuiteView<'a>> = report
        .suites
        .iter()
        .enumerate()
        .map(|(i, suite)| suite_view(i, suite, extras.get(i).unwrap_or(empty)))
        .collect();
    // Failing first, then the rest in run order (the sort is stable).
    suites.sort_by_key(|s| match s.suite.outcome() {
        Outcome::Error | Outcome::Fail => 0,
        Outcome::Pass if s.warnings > 0 => 1,
        _ => 2,
    });
    let findings = || report.suites.iter().flat_map(|s| &s.cases).flat_map(|c| &c.findings);
    PageView {
        command: &report.command,
        target: &report.target,
        badge,
        totals,
        case_count: report.suites.iter().map(|s| s.cases.len()).sum(),
        error_count: findings().filter(|f| f.severity == Severity::Error).count(),
        warning_count: findings().filter(|f| f.severity == Severity::Warning).count(),
        noun: if report.command == "check" { "check group" } else { "scenario" },
        suites,
        version: env!("CARGO_PKG_VERSION"),
    }
}

fn suite_view<'a>(index: usize, suite: &'a Suite, extras: &'a SuiteExtras) -> SuiteView<'a> {
    let id = format!("s{}", index + 1);
    let outcome = suite.outcome();
    let cases = suite
        .cases
        .iter()
        .enumerate()
        .map(|(i, case)| CaseView {
            id: format!("{id}-c{}", i + 1),
            case,
            badge: Badge::outcome(case.outcome),
            detail: if case.name.ends_with(&case.detail) { "" } else { &case.detail },
            findings: findings(&case.findings),
            extras: extras.steps.get(i),
        })
        .collect();
    SuiteView {
        id,
        suite,
        badge: Badge::outcome(outcome),
        open: matches!(outcome, Outcome::Fail | Outcome::Error),
        warnings: suite.cases.iter().flat_map(|c| &c.findings).filter(|f| f.severity == Severity::Warning).count(),
        cases,
        extras,
        drift: extras.drift.as_ref().map(|d| side_by_side(&d.stored, &d.new)).unwrap_or_default(),
        seconds: format!("{:.3}s", suite.duration_ms as f64 / 1000.0),
    }
}

fn findings(findings: &[Finding]) -> Vec<FindingView<'_>> {
    let mut sorted: Vec<&Finding> = findings.iter().collect();
    sorted.sort_by_key(|f| (f.kind != "expectation_failed", f.severity));
    sorted
        .into_iter()
        .map(|finding| FindingView {
            finding,
            badge: Badge::severity(finding.severity),
            evidence: finding.evidence.as_ref().map(evidence),
        })
        .collect()
}

fn evidence(e: &Evidence) -> EvidenceView<'_> {
    let pretty = |v: &serde_json::Value| match v {
        serde_json::Value::String(s) => s.clone(),
        other => serde_json::to_string_pretty(other).unwrap_or_default(),
    };
    EvidenceView {
        request: &e.request,
        status: e.status.map_or_else(|| "no response".into(), |s| s.to_string()),
        sent: e.request_body.as_ref().map(pretty),
        answer: e.response_body.as_ref().map(pretty),
    }
}

/// Stored → new as side-by-side rows: changed lines paired, three lines of context, `gap` rows between
/// hunks.
pub fn side_by_side(old: &str, new: &str) -> Vec<DiffRow> {
    let diff = TextDiff::from_lines(old, new);
    let (old_lines, new_lines): (Vec<&str>, Vec<&str>) = (old.lines().collect(), new.lines().collect());
    let line = |lines: &[&str], i: usize| lines.get(i).map(|l| l.to_string());
    let mut rows = Vec::new();
    for (g, group) in diff.grouped_ops(3).iter().enumerate() {
        if g > 0 || group.first().is_some_and(|op| op.old_range().start > 0) {
            rows.push(DiffRow { tag: "gap", old_no: None, old: None, new_no: None, new: None });
        }
        for op in group {
            let (o, n) = (op.old_range(), op.new_range());
            match op {
                DiffOp::Equal { .. } => {
                    for k in 0..o.len() {
                        rows.push(DiffRow {
                            tag: "same",
                            old_no: Some(o.start + k + 1),
                            old: line(&old_lines, o.start + k),
                            new_no: Some(n.start + k + 1),
                            new: line(&new_lines, n.start + k),
                        });
                    }
                }
                _ => {
                    for k in 0..o.len().max(n.len()) {
                        let (has_old, has_new) = (k < o.len(), k < n.len());
                        rows.push(DiffRow {
                            tag: match (has_old, has_new) {
                                (true, true) => "mod",
                                (true, false) => "del",
                                _ => "ins",
                            },
                            old_no: has_old.then(|| o.start + k + 1),
                            old: if has_old { line(&old_lines, o.start + k) } else { None },
                            new_no: has_new.then(|| n.start + k + 1),
                            new: if has_new { line(&new_lines, n.start + k) } else { None },
                        });
                    }
                }
            }
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn side_by_side_pairs_changed_lines_and_marks_gaps() {
        let old = (1..=12).map(|i| format!("line {i}\n")).collect::<String>();
        let new = old.replace("line 2\n", "line two\n").replace("line 11\n", "");
        let rows = side_by_side(&old, &new);
        let tags: Vec<&str> = rows.iter().map(|r| r.tag).collect();
        assert_eq!(tags.iter().filter(|t| **t == "gap").count(), 1, "{tags:?}");
        let changed = rows.iter().find(|r| r.tag == "mod").expect("a modified row");
        assert_eq!(changed.old.as_deref(), Some("line 2"));
        assert_eq!(changed.new.as_deref(), Some("line two"));
        assert_eq!((changed.old_no, changed.new_no), (Some(2), Some(2)));
        let deleted = rows.iter().find(|r| r.tag == "del").expect("a deleted row");
        assert_eq!((deleted.old.as_deref(), deleted.new.as_deref()), (Some("line 11"), None));
    }
}
