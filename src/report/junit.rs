//! JUnit XML: one `<testsuite>` per scenario or check group, one `<testcase>` per step or check.
//! Findings of error severity become `<failure>` (type = finding kind, message = first finding, body =
//! every finding with its evidence); a suite entrasim could not run gets one `<testcase>` with `<error>`.
//! Warnings go to the case's `<system-out>` so CI shows them without failing. A scenario's suite carries the
//! job's status as properties: `dialect`, `job`, `quarantine` (when quarantined), `escrows_outstanding`,
//! `escrow_retries`, `retries_429`, `given_up`.
//!
//! ```xml
//! <testsuites name="entrasim run" tests="3" failures="1" errors="1">
//!   <testsuite name="scenarios/steady/drops_title.toml" tests="1" failures="1">
//!     <testcase name="steady" classname="scenarios/steady/drops_title.toml">
//!       <failure type="not_steady" message="`title` re-sent every pass ...">...</failure>
//!     </testcase>
//!   </testsuite>
//! </testsuites>
//! ```

use std::path::PathBuf;
use std::time::Duration;

use quick_junit::{NonSuccessKind, TestCase, TestCaseStatus, TestSuite};

use super::model::{Case, Finding, JobStatus, Outcome, Report, Severity};
use super::reporter::{write_file, ReportError, Reporter};

/// Renders the report as JUnit XML.
pub fn render(report: &Report) -> Result<String, quick_junit::SerializeError> {
    let mut junit = quick_junit::Report::new(format!("entrasim {}", report.command));
    for suite in &report.suites {
        let mut ts = TestSuite::new(suite.name.as_str());
        ts.set_time(Duration::from_millis(suite.duration_ms));
        if let Some(dialect) = &suite.dialect {
            ts.add_property(("dialect", dialect.as_str()));
        }
        if let Some(status) = &suite.status {
            add_status(&mut ts, status);
        }
        if let Some(error) = &suite.error {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
            status.set_message(error.as_str()).set_type("entrasim_error");
            let mut tc = TestCase::new("run", status);
            tc.set_classname(suite.name.as_str());
            ts.add_test_case(tc);
        }
        for case in &suite.cases {
            ts.add_test_case(test_case(&suite.name, case));
        }
        junit.add_test_suite(ts);
    }
    junit.to_string()
}

/// The job's status as suite properties, where CI shows them next to the results.
fn add_status(ts: &mut TestSuite, status: &JobStatus) {
    ts.add_property(("job", status.job.as_str()));
    if let Some(q) = &status.quarantine {
        ts.add_property(("quarantine", q.as_str()));
    }
    let counters = [
        ("escrows_outstanding", status.escrows_outstanding),
        ("escrow_retries", status.escrow_retries),
        ("retries_429", status.retries_429),
        ("given_up", status.given_up),
    ];
    for (name, value) in counters {
        ts.add_property((name, value.to_string().as_str()));
    }
}

fn test_case(classname: &str, case: &Case) -> TestCase {
    let errors: Vec<&Finding> = case.findings.iter().filter(|f| f.severity == Severity::Error).collect();
    let warnings: Vec<&Finding> = case.findings.iter().filter(|f| f.severity == Severity::Warning).collect();
    let status = match case.outcome {
        Outcome::Pass => TestCaseStatus::success(),
        Outcome::Skipped => {
            let mut s = TestCaseStatus::skipped();
            if !case.detail.is_empty() {
                s.set_message(case.detail.as_str());
            }
            s
        }
        Outcome::Fail | Outcome::Error => {
            let kind = if case.outcome == Outcome::Fail { NonSuccessKind::Failure } else { NonSuccessKind::Error };
            let mut s = TestCaseStatus::non_success(kind);
            let first = errors.first().copied();
            s.set_message(first.map_or(case.detail.as_str(), |f| f.message.as_str()));
            s.set_type(first.map_or("failure", |f| f.kind.as_str()));
            s.set_description(errors.iter().map(|f| describe(f)).collect::<Vec<_>>().join("\n\n"));
            s
        }
    };
    let mut tc = TestCase::new(case.name.as_str(), status);
    tc.set_classname(classname).set_time(Duration::from_millis(case.duration_ms));
    if !warnings.is_empty() {
        tc.set_system_out(
            warnings.iter().map(|f| format!("warning: {}", describe(f))).collect::<Vec<_>>().join("\n\n"),
        );
    }
    tc
}

/// A finding as plain text: kind, message, hint and the evidence exchange.
fn describe(f: &Finding) -> String {
    let mut out = format!("[{}] {}", f.kind, f.message);
    if let Some(hint) = &f.hint {
        out.push_str(&format!("\nhint: {hint}"));
    }
    if let Some(e) = &f.evidence {
        out.push_str(&format!("\nrequest: {}", e.request));
        if let Some(body) = &e.request_body {
            out.push_str(&format!("\n{body}"));
        }
        match e.status {
            Some(status) => out.push_str(&format!("\nresponse: {status}")),
            None => out.push_str("\nresponse: none (transport failed)"),
        }
        if let Some(body) = &e.response_body {
            out.push_str(&format!("\n{body}"));
        }
    }
    out
}

/// Writes the JUnit XML to a file once the run is over.
pub struct Exporter {
    path: PathBuf,
}

impl Exporter {
    /// The XML goes to `path`.
    pub fn new(path: PathBuf) -> Self {
        Exporter { path }
    }
}

impl Reporter for Exporter {
    fn finish(&mut self, report: &Report, _elapsed: Option<Duration>) -> Result<(), ReportError> {
        let xml = render(report).map_err(|e| ReportError::Render { format: "JUnit", message: e.to_string() })?;
        write_file(&self.path, &xml)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::model::sample;

    #[test]
    fn failures_errors_and_warnings_land_where_ci_looks() {
        let xml = render(&sample::report()).unwrap();
        insta::assert_snapshot!(xml);
    }
}
