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
//! includes meant to be reused by the portal. Everything shown was redacted before it got here (ids as
//! aliases, secrets never present): this module only lays it out.

mod model;
pub mod view;

use askama::Template;

pub use model::{Drift, ExchangeText, FlapRow, LogEntry, OnDemandStep, StepExtras, SuiteExtras, TimelineEntry};

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
