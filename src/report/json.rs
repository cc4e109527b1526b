//! The JSON report (`--report-json FILE`). The wire format is versioned by `schema_version`; every
//! change bumps it, because the published schema forbids unknown fields, so a consumer validating against
//! an older schema would reject a document with a new field. The JSON Schema is
//! `docs/report-json.schema.json` and the field reference `docs/report-json.md`. Version 2 added
//! `suites[].status` (the job's quarantine and escrow counters).
//!
//! ```json
//! {
//!   "schema_version": 2,
//!   "tool": {"name": "entrasim", "version": "0.1.0"},
//!   "command": "run",
//!   "target": "embedded",
//!   "outcome": "fail",
//!   "totals": {"passed": 1, "failed": 1, "errored": 0, "skipped": 0},
//!   "suites": [{"name": "...", "outcome": "fail", "dialect": "legacy", "duration_ms": 20,
//!               "status": {"cycles": 2, "job": "active", "escrows_outstanding": 1, "escrow_retries": 1,
//!                          "retries_429": 0, "given_up": 0},
//!               "cases": [{"name": "steady", "outcome": "fail", "detail": "...", "duration_ms": 20,
//!                          "findings": [{"severity": "error", "kind": "not_steady", "message": "...",
//!                                        "hint": "...", "evidence": {"request": "PATCH /Users/...", "status": 200}}]}]}]
//! }
//! ```

use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;

use super::model::{Outcome, Report, Suite, Totals};
use super::reporter::{write_file, ReportError, Reporter};

/// The version of the JSON wire format.
pub const SCHEMA_VERSION: u32 = 2;

#[derive(Serialize)]
struct Document<'a> {
    schema_version: u32,
    tool: Tool,
    command: &'a str,
    target: &'a str,
    outcome: Outcome,
    totals: Totals,
    suites: Vec<SuiteDoc<'a>>,
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct SuiteDoc<'a> {
    outcome: Outcome,
    #[serde(flatten)]
    suite: &'a Suite,
}

/// Renders the report as pretty JSON.
pub fn render(report: &Report) -> String {
    let totals = report.totals();
    let outcome = if totals.errored > 0 {
        Outcome::Error
    } else if totals.failed > 0 {
        Outcome::Fail
    } else {
        Outcome::Pass
    };
    let doc = Document {
        schema_version: SCHEMA_VERSION,
        tool: Tool { name: "entrasim", version: env!("CARGO_PKG_VERSION") },
        command: &report.command,
        target: &report.target,
        outcome,
        totals,
        suites: report.suites.iter().map(|suite| SuiteDoc { outcome: suite.outcome(), suite }).collect(),
    };
    serde_json::to_string_pretty(&doc).expect("invariant: the report is made of strings, numbers and enums")
}

/// Writes the JSON report to a file once the run is over.
pub struct Exporter {
    path: PathBuf,
}

impl Exporter {
    /// The report goes to `path`.
    pub fn new(path: PathBuf) -> Self {
        Exporter { path }
    }
}

impl Reporter for Exporter {
    fn finish(&mut self, report: &Report, _elapsed: Option<Duration>) -> Result<(), ReportError> {
        write_file(&self.path, &render(report))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::model::sample;

    #[test]
    fn json_report_has_version_totals_and_findings() {
        let json = render(&sample::report());
        insta::assert_snapshot!(json.replace(env!("CARGO_PKG_VERSION"), "[version]"));
    }

    #[test]
    fn json_report_validates_against_the_published_schema() {
        let schema: serde_json::Value =
            serde_json::from_str(include_str!("../../docs/report-json.schema.json")).expect("schema is JSON");
        let validator = jsonschema::validator_for(&schema).expect("schema compiles");
        let doc: serde_json::Value = serde_json::from_str(&render(&sample::report())).unwrap();
        let errors: Vec<String> =
            validator.iter_errors(&doc).map(|e| format!("{e} at {}", e.instance_path())).collect();
        assert!(errors.is_empty(), "{errors:#?}");
    }
}
