//! The HTML report (`--report-html FILE`): one self-contained page — inline CSS and JavaScript, no
//! request to anywhere, readable offline — that a CI job keeps as its artifact. It shows the summary,
//! the scenarios or check groups with those that did not pass first and open, each step with its
//! findings and hints, and from a run's engine results ([`SuiteExtras`]) the cycle timeline, the
//! provisioning log, the exchanges (collapsed), snapshot drift side by side and the steady-state table.
//!
//! ```text
//! Report + [SuiteExtras] ──view::page──▶ PageView ──askama (templates/report.html)──▶ HTML
//! ```
//!
//! Templates are askama's, compiled into the binary and HTML-escaped by default; the pieces in
//! `templates/partials/` (badges, findings, exchanges, timeline, provisioning log, diff) are macros and
//! includes meant to be reused by the portal. Everything shown is redacted before it gets to the page
//! (ids as aliases, secrets never present): `from_scenario` derives a scenario's extras through the same
//! redactor and exchange text as snapshots; `view` and the templates only lay it out. [`Exporter`] is the
//! page as a [`Reporter`], written once the run is over.

mod from_scenario;
mod model;
pub mod view;

use std::path::PathBuf;
use std::time::Duration;

use askama::Template;

pub use from_scenario::scenario_extras;
pub use model::{Drift, ExchangeText, FlapRow, LogEntry, OnDemandStep, StepExtras, SuiteExtras, TimelineEntry};

use super::reporter::{write_file, Finished, ReportError, Reporter};
use super::Report;

#[derive(Template)]
#[template(path = "report.html")]
struct ReportPage<'a> {
    page: view::PageView<'a>,
}

/// Renders the page. `extras[i]` belongs to `report.suites[i]` (a check passes none).
pub fn render(report: &Report, extras: &[SuiteExtras]) -> Result<String, askama::Error> {
    let empty = SuiteExtras::default();
    ReportPage { page: view::page(report, extras, &empty) }.render()
}

/// Writes the page to a file once the run is over, with each scenario's extras taken as it finishes.
pub struct Exporter {
    path: PathBuf,
    secrets: Vec<String>,
    extras: Vec<SuiteExtras>,
}

impl Exporter {
    /// The page goes to `path`; `secrets` never show in its exchanges.
    pub fn new(path: PathBuf, secrets: &[String]) -> Self {
        Exporter { path, secrets: secrets.to_vec(), extras: Vec::new() }
    }
}

impl Reporter for Exporter {
    fn suite(&mut self, finished: &Finished<'_>) -> Result<(), ReportError> {
        let mut extras = finished.scenario.map(|r| scenario_extras(r, &self.secrets)).unwrap_or_default();
        extras.drift = finished.drift.cloned();
        self.extras.push(extras);
        Ok(())
    }

    fn finish(&mut self, report: &Report, _elapsed: Option<Duration>) -> Result<(), ReportError> {
        let html =
            render(report, &self.extras).map_err(|e| ReportError::Render { format: "HTML", message: e.to_string() })?;
        write_file(&self.path, &html)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::model::sample;

    #[test]
    fn page_is_self_contained_and_escapes_what_it_shows() {
        let mut report = sample::report();
        report.suites[0].name = "<script>alert(1)</script>.toml".into();
        let html = render(&report, &[]).expect("renders");
        assert!(!html.contains("<script>alert(1)"), "unescaped name");
        assert!(html.contains("&#60;script&#62;alert(1)&#60;/script&#62;.toml"), "the name is shown, escaped");
        for remote in ["http://", "https://", "src=\"//", "href=\"//", "@import", "url("] {
            assert!(!html.contains(remote), "the page refers to something outside itself: {remote}");
        }
    }

    #[test]
    fn failing_suites_come_first_and_open_with_their_findings_and_hints() {
        let html = render(&sample::report(), &[]).expect("renders");
        let failing = html.find("scenarios/steady/drops_title.toml").expect("failing suite shown");
        let passing = html.rfind("scenarios/users/initial_cycle.toml").expect("passing suite shown");
        assert!(failing < passing, "the failing suite is listed before the passing one");
        assert!(html.contains("store `title` and return it on GET"), "hint shown");
        assert!(html.contains("Needs attention"));
        assert!(html.contains("EncounteredEscrowProportionThreshold"), "quarantine shown");
    }
}
