//! What a run or check prints on stdout, in the shape test runners such as cargo-nextest taught CI
//! engineers to read: one status line per suite (scenario or check group), the failing cases of a suite
//! under it with their findings, and a closing summary that repeats what did not pass.
//!
//! ```text
//!         PASS [   0.027s] legacy    scenarios/connection/test_connection.toml
//!         FAIL [   2.820s] legacy    scenarios/failures/all_fail.toml
//!       ✗ step 1: initial cycle — 4998 failed (4998 requests)
//!           4,998 × error[InternalServerError]: target returned 500 for GET /Users?filter=…: …
//!             request: GET /Users?filter=userName eq "a@contoso.com" → 500 (first of 4,998)
//!             hint: Entra escrows the object and retries it …
//!      Summary [   2.847s] 2 scenarios: 1 passed, 1 failed
//!         FAIL [   2.820s] legacy    scenarios/failures/all_fail.toml
//! ```
//!
//! Findings that differ only in the object they name (the same kind, status and request shape) are
//! grouped with a count, so 5,000 users failing the same way take three lines, not 5,000. The functions
//! here are pure functions of a [`Report`]; colour comes in as a [`Paint`] value.
//!
//! [`Printer`] is the terminal as a [`super::Reporter`]: it writes these lines as a run goes, with the
//! live progress bar (`live`), a finished scenario's steps and provisioning log by verbosity (`log`);
//! [`on_demand`] is `entrasim provision`'s view of one object.

mod live;
mod log;
pub mod on_demand;
mod printer;

use std::fmt::Write as _;
use std::time::Duration;

use super::model::{Case, Finding, Outcome, Report, Severity, Suite};
use crate::paint::Paint;

pub use printer::Printer;

/// How much to show and how.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Colour or plain.
    pub paint: Paint,
    /// 0: failing cases only; 1: every case with its result; 2: also the evidence bodies.
    pub verbosity: u8,
}

impl Options {
    /// Plain text at the default level.
    pub fn plain() -> Self {
        Options { paint: Paint::plain(), verbosity: 0 }
    }
}

/// Finding groups shown per case at the default level; the rest are counted.
const GROUPS_SHOWN: usize = 10;

/// Every suite (status line and details) and the summary: the whole output of `check`.
pub fn render(report: &Report, elapsed: Option<Duration>, opts: &Options) -> String {
    let mut out = String::new();
    for suite in &report.suites {
        out.push_str(&status_line(suite, opts.paint));
        out.push_str(&suite_details(suite, opts));
    }
    out.push_str(&summary(report, elapsed, opts.paint));
    out
}

/// The opening line of a run: `    Starting 7 scenarios against the embedded endpoint`.
pub fn starting(scenarios: usize, against: &str, paint: Paint) -> String {
    let plural = if scenarios == 1 { "" } else { "s" };
    format!("{} {scenarios} scenario{plural} against {against}\n", paint.bold(format!("{:>12}", "Starting")))
}

/// The line naming a suite's outcome, wall time, dialect and name, e.g.
/// `        PASS [   0.027s] legacy    scenarios/connection/test_connection.toml`.
pub fn status_line(suite: &Suite, paint: Paint) -> String {
    let outcome = suite.outcome();
    let tag = format!("{:>12}", outcome_word(outcome));
    let tag = match outcome {
        Outcome::Pass => paint.pass(tag),
        Outcome::Fail | Outcome::Error => paint.fail(tag),
        Outcome::Skipped => paint.yellow(tag),
    };
    let secs = Duration::from_millis(suite.duration_ms).as_secs_f64();
    let dialect = suite.dialect.as_deref().unwrap_or("");
    let warnings = suite.cases.iter().flat_map(|c| &c.findings).filter(|f| f.severity == Severity::Warning).count();
    let note = match (outcome, warnings) {
        (Outcome::Pass, 1) => paint.yellow("  (1 warning)"),
        (Outcome::Pass, n) if n > 1 => paint.yellow(format!("  ({n} warnings)")),
        _ => String::new(),
    };
    format!("{tag} {} {dialect:<9} {}{note}\n", paint.dim(format!("[{secs:>8.3}s]")), paint.bold(&suite.name))
}

fn outcome_word(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Pass => "PASS",
        Outcome::Fail => "FAIL",
        Outcome::Error => "ERROR",
        Outcome::Skipped => "SKIP",
    }
}

/// Under a status line: why the suite could not run, and its cases — at the default level only those
/// that did not pass, from `-v` on every case.
pub fn suite_details(suite: &Suite, opts: &Options) -> String {
    let mut out = String::new();
    if let Some(error) = &suite.error {
        let _ = writeln!(out, "      {} {error}", opts.paint.fail("error:"));
    }
    for case in &suite.cases {
        if opts.verbosity > 0 || case.outcome != Outcome::Pass {
            out.push_str(&case_lines(case, opts));
        }
    }
    out
}

/// One case: a mark, its name and result, then its findings grouped.
pub fn case_lines(case: &Case, opts: &Options) -> String {
    let paint = opts.paint;
    let mark = match case.outcome {
        Outcome::Pass => paint.green("✓"),
        Outcome::Fail | Outcome::Error => paint.red("✗"),
        Outcome::Skipped => paint.yellow("-"),
    };
    // A directory change's result often repeats its label (`update alice`): said once.
    let detail = if case.detail.is_empty() || case.name.ends_with(&case.detail) {
        String::new()
    } else {
        format!(" — {}", case.detail)
    };
    let mut out = format!("      {mark} {}{detail}\n", case.name);
    out.push_str(&findings(&case.findings, opts));
    out
}

/// Findings grouped by shape, failed expectations first (they say why a step failed).
pub fn findings(findings: &[Finding], opts: &Options) -> String {
    let mut sorted: Vec<&Finding> = findings.iter().collect();
    sorted.sort_by_key(|f| f.kind != "expectation_failed");
    let groups = group(&sorted);
    let shown = if opts.verbosity > 0 { groups.len() } else { groups.len().min(GROUPS_SHOWN) };
    let mut out = String::new();
    for g in &groups[..shown] {
        render_group(&mut out, g, opts);
    }
    let hidden: usize = groups[shown..].iter().map(|g| g.count).sum();
    if hidden > 0 {
        let _ = writeln!(
            out,
            "          {}",
            opts.paint.dim(format!(
                "… {} more finding(s) not shown: -v shows every one, --report-json keeps them",
                thousands(hidden)
            ))
        );
    }
    out
}

/// Findings that differ only in the object they name.
struct Group<'a> {
    first: &'a Finding,
    /// The message with the request line replaced by its shape (only used when `count > 1`).
    shape: String,
    count: usize,
}

fn group<'a>(findings: &[&'a Finding]) -> Vec<Group<'a>> {
    let mut groups: Vec<Group<'a>> = Vec::new();
    let mut index: std::collections::BTreeMap<(Severity, &str, Option<u16>, String), usize> =
        std::collections::BTreeMap::new();
    for f in findings {
        let shape = match &f.evidence {
            Some(e) => f.message.replace(&e.request, &request_shape(&e.request)),
            None => f.message.clone(),
        };
        let key = (f.severity, f.kind.as_str(), f.evidence.as_ref().and_then(|e| e.status), shape.clone());
        match index.get(&key) {
            Some(&i) => groups[i].count += 1,
            None => {
                index.insert(key, groups.len());
                groups.push(Group { first: f, shape, count: 1 });
            }
        }
    }
    groups
}

fn render_group(out: &mut String, g: &Group<'_>, opts: &Options) {
    let (paint, f) = (opts.paint, g.first);
    let label = match f.severity {
        Severity::Error => paint.fail(format!("error[{}]", f.kind)),
        Severity::Warning => paint.yellow(format!("warning[{}]", f.kind)),
    };
    let count = if g.count > 1 { format!("{} × ", thousands(g.count)) } else { String::new() };
    let message = if g.count > 1 { &g.shape } else { &f.message };
    // A snapshot drift's message is a unified diff: its hunk marks dimmed, its changes in colour.
    let drift = f.kind == "snapshot_drift";
    let style = |line: &str| match line.chars().next() {
        Some('@') if drift && line == "@@" => paint.dim(line),
        Some('+') if drift => paint.green(line),
        Some('-') if drift => paint.red(line),
        _ => line.to_string(),
    };
    let mut lines = message.lines();
    let first = lines.next().unwrap_or_default();
    let first = if drift && first == "@@" { style(first) } else { first.to_string() };
    let _ = writeln!(out, "          {count}{label}: {first}");
    for line in lines {
        let _ = writeln!(out, "            {}", style(line));
    }
    if let Some(e) = &f.evidence {
        let status = e.status.map_or_else(|| "no response".to_string(), |s| s.to_string());
        let which = if g.count > 1 { format!(" (first of {})", thousands(g.count)) } else { String::new() };
        let _ = writeln!(out, "            {} {} → {status}{which}", paint.dim("request:"), e.request);
        if opts.verbosity > 1 {
            for (what, body) in [("sent:", &e.request_body), ("answer:", &e.response_body)] {
                if let Some(body) = body {
                    let text = serde_json::to_string_pretty(body).unwrap_or_default();
                    let _ = writeln!(out, "            {}", paint.dim(what));
                    for line in text.lines() {
                        let _ = writeln!(out, "              {line}");
                    }
                }
            }
        }
    }
    if let Some(hint) = &f.hint {
        let _ = writeln!(out, "            {} {hint}", paint.cyan("hint:"));
    }
}

/// A request line with what varies per object taken out: ids after `/Users/` or `/Groups/` become
/// `{id}`, query values `…` (`GET /Users?filter=userName eq "a"` → `GET /Users?filter=…`).
pub fn request_shape(line: &str) -> String {
    let (method, target) = line.split_once(' ').unwrap_or(("", line));
    let (path, query) = target.split_once('?').map_or((target, None), |(p, q)| (p, Some(q)));
    let mut segments: Vec<&str> = Vec::new();
    let mut after_collection = false;
    for segment in path.split('/') {
        segments.push(if after_collection { "{id}" } else { segment });
        after_collection = matches!(segment, "Users" | "Groups");
    }
    let mut shape = segments.join("/");
    if let Some(query) = query {
        let params: Vec<String> =
            query.split('&').map(|p| format!("{}=…", p.split_once('=').map_or(p, |(k, _)| k))).collect();
        shape = format!("{shape}?{}", params.join("&"));
    }
    if method.is_empty() {
        shape
    } else {
        format!("{method} {shape}")
    }
}

/// The closing lines: totals, wall time, and every suite that did not pass named again.
pub fn summary(report: &Report, elapsed: Option<Duration>, paint: Paint) -> String {
    let t = report.totals();
    let noun = if report.command == "check" { "check group" } else { "scenario" };
    let total = report.suites.len();
    let mut parts = vec![paint.green(format!("{} passed", t.passed))];
    if t.failed > 0 {
        parts.push(paint.fail(format!("{} failed", t.failed)));
    }
    if t.errored > 0 {
        parts.push(paint.fail(format!("{} could not run", t.errored)));
    }
    if t.skipped > 0 {
        parts.push(paint.yellow(format!("{} skipped", t.skipped)));
    }
    let time = elapsed.map(|e| format!("{} ", paint.dim(format!("[{:>8.3}s]", e.as_secs_f64())))).unwrap_or_default();
    let plural = if total == 1 { "" } else { "s" };
    let mut out =
        format!("{} {time}{total} {noun}{plural}: {}\n", paint.bold(format!("{:>12}", "Summary")), parts.join(", "));
    for suite in report.suites.iter().filter(|s| matches!(s.outcome(), Outcome::Fail | Outcome::Error)) {
        out.push_str(&status_line(suite, paint));
    }
    out
}

/// `4998` → `4,998`.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::model::sample;
    use crate::report::Evidence;

    #[test]
    fn summary_shows_failures_with_evidence_and_totals() {
        insta::assert_snapshot!(render(&sample::report(), Some(Duration::from_millis(36)), &Options::plain()));
    }

    #[test]
    fn verbose_shows_passing_cases_and_evidence_bodies() {
        let opts = Options { paint: Paint::plain(), verbosity: 2 };
        insta::assert_snapshot!(render(&sample::report(), None, &opts));
    }

    fn server_error(user: &str) -> Finding {
        let request = format!("GET /Users?filter=userName eq \"{user}@contoso.com\"");
        Finding {
            severity: Severity::Error,
            kind: "InternalServerError".into(),
            message: format!("target returned 500 for {request}: simulated internal server error"),
            hint: Some("make the endpoint answer reliably".into()),
            evidence: Some(Evidence { request, request_body: None, status: Some(500), response_body: None }),
        }
    }

    #[test]
    fn identical_findings_are_grouped_with_a_count() {
        let mut findings: Vec<Finding> = (0..4998).map(|i| server_error(&format!("u{i}"))).collect();
        findings.push(Finding {
            severity: Severity::Error,
            kind: "expectation_failed".into(),
            message: "expected creates = 5000, got 2".into(),
            hint: None,
            evidence: None,
        });
        let text = super::findings(&findings, &Options::plain());
        insta::assert_snapshot!(text, @r#"
        error[expectation_failed]: expected creates = 5000, got 2
        4,998 × error[InternalServerError]: target returned 500 for GET /Users?filter=…: simulated internal server error
          request: GET /Users?filter=userName eq "u0@contoso.com" → 500 (first of 4,998)
          hint: make the endpoint answer reliably
        "#);
    }

    #[test]
    fn findings_past_the_shown_groups_are_counted() {
        let findings: Vec<Finding> = (0..15)
            .map(|i| Finding {
                severity: Severity::Error,
                kind: "expectation_failed".into(),
                message: format!("expected thing{i} = 1, got 0"),
                hint: None,
                evidence: None,
            })
            .collect();
        let text = super::findings(&findings, &Options::plain());
        assert_eq!(text.lines().count(), GROUPS_SHOWN + 1, "{text}");
        assert!(text.contains("… 5 more finding(s) not shown"), "{text}");
        let all = super::findings(&findings, &Options { paint: Paint::plain(), verbosity: 1 });
        assert_eq!(all.lines().count(), 15, "{all}");
    }

    #[test]
    fn a_snapshot_drift_is_coloured_by_the_terminal_not_in_the_finding() {
        let drift = Finding {
            severity: Severity::Error,
            kind: "snapshot_drift".into(),
            message: "@@\n-old\n+new\n same".into(),
            hint: None,
            evidence: None,
        };
        let text = super::findings(&[drift], &Options { paint: Paint::new(true), verbosity: 0 });
        assert_eq!(
            text,
            "          \u{1b}[1;31merror[snapshot_drift]\u{1b}[0m: \u{1b}[2m@@\u{1b}[0m\n            \u{1b}[31m-old\u{1b}[0m\n            \u{1b}[32m+new\u{1b}[0m\n             same\n"
        );
    }

    #[test]
    fn request_shapes_drop_what_varies_per_object() {
        assert_eq!(request_shape("GET /Users?filter=userName eq \"a\""), "GET /Users?filter=…");
        assert_eq!(request_shape("PATCH /Users/<user:alice>"), "PATCH /Users/{id}");
        assert_eq!(
            request_shape("GET /Groups?excludedAttributes=members&filter=displayName eq \"x\""),
            "GET /Groups?excludedAttributes=…&filter=…"
        );
        assert_eq!(request_shape("POST /Users"), "POST /Users");
    }

    #[test]
    fn thousands_are_separated() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(4998), "4,998");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }
}
