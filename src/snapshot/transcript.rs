//! A run as deterministic text: per step, a cycle's start time, escrows and quarantine, each exchange's
//! request line (query decoded), request body, status, headers of interest and response body as pretty
//! JSON — all redacted — then the step's provisioning log, findings and expectations; at the end the
//! job's status and counters. Every exchange, log entry and finding is shown, so drift in any of them fails
//! a snapshot comparison; a scenario with a huge generated tenant may ask for a compact snapshot
//! (`snapshot = "compact"`), which shows the first ones of each step and stands for the rest with counts and
//! a hash of their redacted text. Two runs of the same scenario render byte-identical text.
//!
//! ```text
//! ## step 2: cycle initial [passed]
//! cycle 1 initial at 2026-01-01T00:00:00Z
//!
//! → GET /Users?filter=userName eq "alice@contoso.com"
//! ← 200 application/scim+json
//! {
//!   "Resources": [],
//!   "totalResults": 0
//! }
//! ```

use std::fmt::Write as _;

use sha2::{Digest as _, Sha256};

use crate::engine::result::{FindingKind, ScenarioResult, StepDetail};
use crate::redact::Redactor;
use crate::scenario::SnapshotDetail;
use crate::scim::client::{Body, Exchange, Origin};

/// Renders a whole run in full. `base_url` is the URL the run used (its host and port are redacted; `None`
/// uses [`ScenarioResult::base_url`]); `secrets` are values that must never show (bearer tokens).
pub fn render(result: &ScenarioResult, base_url: Option<&str>, secrets: &[String]) -> String {
    render_with(result, base_url, secrets, SnapshotDetail::Full)
}

/// Renders a whole run with the detail its scenario asks for ([`render`] is the full form).
pub fn render_with(
    result: &ScenarioResult,
    base_url: Option<&str>,
    secrets: &[String],
    detail: SnapshotDetail,
) -> String {
    let shown = match detail {
        SnapshotDetail::Full => usize::MAX,
        SnapshotDetail::Compact => COMPACT_SHOWN,
    };
    let base_url = base_url.or(Some(result.base_url.as_str()).filter(|b| !b.is_empty()));
    let mut redactor = Redactor::new(&result.aliases, base_url, secrets).with_run_tag(result.run_tag.as_deref());
    redactor.learn(&result.transcript);
    let mut out = String::new();
    let _ = writeln!(out, "# {}", result.description);
    let _ = writeln!(out, "# dialect: {}", result.dialect.name());
    if !result.wire.is_empty() {
        let _ = writeln!(out, "# wire switches: {}", result.wire.join(", "));
    }
    for step in &result.steps {
        let _ = writeln!(out, "\n## step {}: {} [{}]", step.index, step.label, step.outcome.word());
        if let StepDetail::Steady(s) = &step.detail {
            let _ = writeln!(out, "steady: {} (writes per pass: {:?})", s.steady, s.writes_per_pass);
        }
        if let StepDetail::TestConnection(t) = &step.detail {
            let _ = writeln!(
                out,
                "test connection: {}",
                if t.passed { "ok" } else { t.message.as_deref().unwrap_or("failed") }
            );
        }
        render_cycle(&mut out, &step.detail);
        let exchanges: Vec<&Exchange> = result.transcript.iter().filter(|e| step.requests.contains(&e.index)).collect();
        let mut left_out = LeftOut::new("exchanges");
        for (n, e) in exchanges.iter().enumerate() {
            let text = render_exchange(e, &redactor);
            if n < shown {
                out.push('\n');
                out.push_str(&text);
            } else {
                let kind = match e.status {
                    Some(status) => format!("{} → {status}", e.method),
                    None => format!("{} → no answer", e.method),
                };
                left_out.add(kind, &text);
            }
        }
        left_out.write(&mut out);
        render_log(&mut out, &step.detail, &redactor, shown);
        let finding_line = |f: &crate::engine::result::Finding| {
            let code = f.code.map(|c| format!(" {c:?}")).unwrap_or_default();
            format!("{:?}{code}", f.severity)
        };
        // In a compact snapshot, per-object failures beyond the first few are counted; every other finding
        // is shown.
        let (mut failures, mut left_out) = (0, LeftOut::new("object failures"));
        for f in &step.findings {
            let text = format!("\n! {}: {}\n", finding_line(f), redactor.text(&f.message));
            if f.kind == FindingKind::ObjectFailure {
                failures += 1;
                if failures > shown {
                    left_out.add(finding_line(f), &text);
                    continue;
                }
            }
            out.push_str(&text);
        }
        if !left_out.is_empty() {
            out.push('\n');
        }
        left_out.write(&mut out);
        for x in step.expectations.iter().filter(|x| !x.passed) {
            let _ = writeln!(
                out,
                "\n✗ expected {} = {}, got {}",
                x.what,
                redactor.text(&x.expected),
                redactor.text(&x.actual)
            );
        }
    }
    let s = &result.summary;
    let _ = writeln!(
        out,
        "\n## status: {} cycle(s), initial cycle complete: {}, users linked: {}, groups linked: {}, quarantine: {}, steady: {}",
        s.cycles,
        s.initial_cycle_complete,
        s.users_provisioned,
        s.groups_provisioned,
        s.quarantine.as_deref().unwrap_or("none"),
        s.steady_state.map_or("not checked".to_string(), |b| b.to_string())
    );
    let _ = writeln!(
        out,
        "## escrows: {} outstanding, {} retried, {} given up · 429 retries: {} · job: {}",
        s.escrows_outstanding,
        s.escrow_retries,
        s.given_up,
        s.retries_429,
        s.job.name()
    );
    if let Some(abort) = &result.aborted {
        let _ = writeln!(out, "\n## aborted: {}", redactor.text(&abort.message));
    }
    out
}

/// The provisioning-log view of a step: one line per object event, or the on-demand steps.
fn render_log(out: &mut String, detail: &StepDetail, redactor: &Redactor, shown: usize) {
    let events = match detail {
        StepDetail::Cycle(c) => c.events.iter().collect::<Vec<_>>(),
        StepDetail::Steady(s) => s.passes.iter().flat_map(|p| p.events.iter()).collect(),
        StepDetail::OnDemand(o) => {
            let _ = writeln!(out, "\non-demand {}: {:?} {:?}", o.object.alias, o.action, o.status);
            for st in &o.steps {
                let names: Vec<String> = st
                    .details
                    .iter()
                    .map(|d| match d.passed {
                        Some(true) => format!("{} (pass)", redactor.text(&d.name)),
                        Some(false) => format!("{} (FAIL)", redactor.text(&d.name)),
                        None => redactor.text(&d.name),
                    })
                    .collect();
                let _ = writeln!(out, "  {:?} {}: {}", st.status, st.title, names.join(", "));
            }
            return;
        }
        _ => return,
    };
    if events.is_empty() {
        return;
    }
    out.push('\n');
    let mut left_out = LeftOut::new("log entries");
    for (n, e) in events.iter().enumerate() {
        let code = e.code.map(|c| format!(" {c:?}")).unwrap_or_default();
        let names: Vec<&str> = e.modified.iter().map(|m| m.name.as_str()).collect();
        let modified = if names.is_empty() { String::new() } else { format!(" [{}]", names.join(", ")) };
        let line =
            format!("log: {:?} {:?} {} {:?}{code}{modified}\n", e.action, e.object.kind, e.object.alias, e.status);
        if n < shown {
            out.push_str(&line);
        } else {
            left_out.add(format!("{:?} {:?} {:?}{code}", e.action, e.object.kind, e.status), &line);
        }
    }
    left_out.write(out);
}

/// Exchanges, log entries and object failures a compact snapshot shows in full per step.
const COMPACT_SHOWN: usize = 25;

/// What a compact snapshot leaves out of one step: counts by kind and a hash of the redacted text, so a
/// change anywhere in it still changes the snapshot.
struct LeftOut {
    what: &'static str,
    counts: std::collections::BTreeMap<String, usize>,
    hash: Sha256,
}

impl LeftOut {
    fn new(what: &'static str) -> Self {
        LeftOut { what, counts: std::collections::BTreeMap::new(), hash: Sha256::new() }
    }

    fn is_empty(&self) -> bool {
        self.counts.is_empty()
    }

    /// Counts one left-out item under `kind` and hashes its text as it would have been shown.
    fn add(&mut self, kind: String, text: &str) {
        *self.counts.entry(kind).or_default() += 1;
        self.hash.update(text.as_bytes());
    }

    /// One line: `… 4975 more exchanges: GET → 500 × 4975 (sha256 of their text 0123456789abcdef; ...)`.
    fn write(self, out: &mut String) {
        if self.counts.is_empty() {
            return;
        }
        let total: usize = self.counts.values().sum();
        let kinds: Vec<String> = self.counts.iter().map(|(k, n)| format!("{k} × {n}")).collect();
        let digest = self.hash.finalize();
        let hex: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
        let _ = writeln!(
            out,
            "… {total} more {}: {} (compact snapshot: sha256 of their redacted text {hex}; \
             set `snapshot = \"full\"` in the scenario to see them)",
            self.what,
            kinds.join(", ")
        );
    }
}

/// A cycle's timing, escrows and quarantine; or why no cycle ran.
fn render_cycle(out: &mut String, detail: &StepDetail) {
    let c = match detail {
        StepDetail::Cycle(c) => c,
        StepDetail::NotRun { reason, .. } => {
            let _ = writeln!(out, "{reason}");
            return;
        }
        _ => return,
    };
    let since = c.since_previous.map_or_else(String::new, |s| {
        format!(" (+{})", crate::scenario::duration::format(std::time::Duration::from_secs(s)))
    });
    let kind = format!("{:?}", c.kind).to_lowercase();
    let _ = writeln!(out, "cycle {} {kind} at {}{since}", c.number, c.started_at);
    let e = &c.escrows;
    if e.retried + e.not_due + e.new + e.given_up + e.outstanding > 0 {
        let _ = writeln!(
            out,
            "escrows: {} retried ({} resolved), {} not due, {} new, {} given up; {} outstanding{}",
            e.retried,
            e.resolved,
            e.not_due,
            e.new,
            e.given_up,
            e.outstanding,
            match (&e.next_due, e.outstanding) {
                (_, 0) => String::new(),
                (Some(t), _) => format!(", next retry due {t}"),
                (None, _) => ", retried in the next cycle".to_string(),
            }
        );
    }
    if let Some(q) = &c.quarantine {
        let _ = writeln!(out, "quarantine: {q}");
    }
}

/// Renders one exchange.
pub fn render_exchange(e: &Exchange, redactor: &Redactor) -> String {
    let mut out = String::new();
    let marker = if e.origin == Origin::Verification { "  [verification: not sent by Entra]" } else { "" };
    let _ = writeln!(out, "→ {}{marker}", redactor.request_line(e));
    if let Some(body) = &e.request_body {
        let _ = writeln!(out, "{}", pretty(&redactor.json(body)));
    }
    match (e.status, e.error) {
        (Some(status), _) => {
            let headers: Vec<String> = e
                .response_headers
                .iter()
                .map(|(n, v)| {
                    if n == "content-type" {
                        redactor.header(n, v)
                    } else {
                        format!("{n}: {}", redactor.header(n, v))
                    }
                })
                .collect();
            let _ = writeln!(out, "← {status} {}", headers.join("; ")).map(|_| ());
        }
        (None, Some(kind)) => {
            let _ = writeln!(out, "← no answer: {kind}");
        }
        (None, None) => {
            let _ = writeln!(out, "← no answer");
        }
    }
    match &e.response_body {
        Body::Empty => {}
        Body::Json { value } => {
            let _ = writeln!(out, "{}", pretty(&redactor.json(value)));
        }
        Body::Text { text, .. } => {
            let excerpt: String = text.chars().take(500).collect();
            let _ = writeln!(out, "{}", redactor.text(&excerpt));
        }
        Body::TooLarge { limit } => {
            let _ = writeln!(out, "<body larger than {limit} bytes>");
        }
    }
    out.trim_end().to_string() + "\n"
}

fn pretty(value: &serde_json::Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}
