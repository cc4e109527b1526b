//! The closing summary printed on stdout after a run or check: one line per passing suite, the failing
//! cases of other suites with their findings (hint and evidence request), and the totals.

use std::fmt::Write as _;

use colored::Colorize;

use super::model::{Finding, Outcome, Report, Severity, Suite};

/// Renders the summary. Colour is decided by the caller through `colored`'s global switch.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    for suite in &report.suites {
        render_suite(&mut out, suite);
    }
    let t = report.totals();
    let noun = if report.command == "check" { "check group" } else { "scenario" };
    let total = report.suites.len();
    let mut parts = vec![format!("{} passed", t.passed).green().to_string()];
    if t.failed > 0 {
        parts.push(format!("{} failed", t.failed).red().bold().to_string());
    }
    if t.errored > 0 {
        parts.push(format!("{} could not run", t.errored).red().bold().to_string());
    }
    if t.skipped > 0 {
        parts.push(format!("{} skipped", t.skipped).yellow().to_string());
    }
    let _ = writeln!(out, "\n{total} {noun}{}: {}", if total == 1 { "" } else { "s" }, parts.join(", "));
    out
}

fn render_suite(out: &mut String, suite: &Suite) {
    let outcome = suite.outcome();
    let tag = match outcome {
        Outcome::Pass => "PASS ".green().bold(),
        Outcome::Fail => "FAIL ".red().bold(),
        Outcome::Error => "ERROR".red().bold(),
        Outcome::Skipped => "SKIP ".yellow().bold(),
    };
    let dialect = suite.dialect.as_deref().map(|d| format!("{d}, ")).unwrap_or_default();
    let _ = writeln!(out, "{tag} {} {}", suite.name.bold(), format!("({dialect}{} ms)", suite.duration_ms).dimmed());
    if let Some(error) = &suite.error {
        let _ = writeln!(out, "      {error}");
    }
    for case in &suite.cases {
        let warnings = case.findings.iter().any(|f| f.severity == Severity::Warning);
        if outcome == Outcome::Pass && !warnings {
            continue;
        }
        let mark = match case.outcome {
            Outcome::Pass => "✓".green(),
            Outcome::Fail | Outcome::Error => "✗".red(),
            Outcome::Skipped => "-".yellow(),
        };
        let detail = if case.detail.is_empty() { String::new() } else { format!(" — {}", case.detail) };
        let _ = writeln!(out, "      {mark} {}{detail}", case.name);
        for finding in &case.findings {
            render_finding(out, finding);
        }
    }
}

fn render_finding(out: &mut String, f: &Finding) {
    let label = match f.severity {
        Severity::Error => format!("error[{}]", f.kind).red().bold(),
        Severity::Warning => format!("warning[{}]", f.kind).yellow().bold(),
    };
    let mut lines = f.message.lines();
    let _ = writeln!(out, "          {label}: {}", lines.next().unwrap_or_default());
    for line in lines {
        let _ = writeln!(out, "            {line}");
    }
    if let Some(e) = &f.evidence {
        let status = e.status.map_or_else(|| "no response".to_string(), |s| s.to_string());
        let _ = writeln!(out, "            {} {} → {status}", "request:".dimmed(), e.request);
    }
    if let Some(hint) = &f.hint {
        let _ = writeln!(out, "            {} {hint}", "hint:".cyan());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::model::sample;

    #[test]
    fn summary_shows_failures_with_evidence_and_totals() {
        colored::control::set_override(false);
        insta::assert_snapshot!(render(&sample::report()));
    }
}
