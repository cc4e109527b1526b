//! A run as deterministic text: per step, a cycle's start time, escrows and quarantine, each exchange's
//! request line (query decoded), request body, status, headers of interest and response body as pretty
//! JSON — all redacted — then the step's provisioning log, findings and expectations; at the end the
//! job's status and counters. A step with more than a few dozen exchanges, log entries or findings shows
//! the first ones and counts the rest. Two runs of the same scenario render byte-identical text.
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

use crate::engine::result::{FindingKind, Outcome, ScenarioResult, StepDetail};
use crate::scim::client::{Body, Exchange, Origin};
use crate::snapshot::redact::Redactor;

/// Renders a whole run. `base_url` is the URL the run used (its host and port are redacted; `None` uses
/// [`ScenarioResult::base_url`]); `secrets` are values that must never show (bearer tokens).
pub fn render(result: &ScenarioResult, base_url: Option<&str>, secrets: &[String]) -> String {
    let base_url = base_url.or(Some(result.base_url.as_str()).filter(|b| !b.is_empty()));
    let mut redactor = Redactor::new(&result.aliases, base_url, secrets);
    redactor.learn(&result.transcript);
    let mut out = String::new();
    let _ = writeln!(out, "# {}", result.description);
    let _ = writeln!(out, "# dialect: {}", result.dialect.name());
    if !result.wire.is_empty() {
        let _ = writeln!(out, "# wire switches: {}", result.wire.join(", "));
    }
    for step in &result.steps {
        let outcome = if step.outcome == Outcome::Passed { "passed" } else { "FAILED" };
        let _ = writeln!(out, "\n## step {}: {} [{outcome}]", step.index, step.label);
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
        for e in exchanges.iter().take(SHOWN) {
            out.push('\n');
            out.push_str(&render_exchange(e, &redactor));
        }
        elided(
            &mut out,
            "exchanges",
            exchanges.iter().skip(SHOWN).map(|e| match e.status {
                Some(status) => format!("{} → {status}", e.method),
                None => format!("{} → no answer", e.method),
            }),
        );
        render_log(&mut out, &step.detail, &redactor);
        let finding_line = |f: &crate::engine::Finding| {
            let code = f.code.map(|c| format!(" {c:?}")).unwrap_or_default();
            format!("{:?}{code}", f.severity)
        };
        // Per-object failures beyond the first few are counted; every other finding is shown.
        let (mut failures, mut rest) = (0, Vec::new());
        for f in &step.findings {
            if f.kind == FindingKind::ObjectFailure {
                failures += 1;
                if failures > SHOWN {
                    rest.push(finding_line(f));
                    continue;
                }
            }
            let _ = writeln!(out, "\n! {}: {}", finding_line(f), redactor.text(&f.message));
        }
        if !rest.is_empty() {
            out.push('\n');
        }
        elided(&mut out, "object failures", rest.into_iter());
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
fn render_log(out: &mut String, detail: &StepDetail, redactor: &Redactor) {
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
    for e in events.iter().take(SHOWN) {
        let code = e.code.map(|c| format!(" {c:?}")).unwrap_or_default();
        let names: Vec<&str> = e.modified.iter().map(|m| m.name.as_str()).collect();
        let modified = if names.is_empty() { String::new() } else { format!(" [{}]", names.join(", ")) };
        let _ =
            writeln!(out, "log: {:?} {:?} {} {:?}{code}{modified}", e.action, e.object.kind, e.object.alias, e.status);
    }
    elided(
        out,
        "log entries",
        events.iter().skip(SHOWN).map(|e| {
            let code = e.code.map(|c| format!(" {c:?}")).unwrap_or_default();
            format!("{:?} {:?} {:?}{code}", e.action, e.object.kind, e.status)
        }),
    );
}

/// Exchanges, log entries and findings shown in full per step; a step with more (thousands of failing
/// users) shows the rest as counts, so its snapshot stays readable.
const SHOWN: usize = 25;

/// One line counting what was left out, by kind: `… 4975 more exchanges: GET → 500 × 4975`.
fn elided(out: &mut String, what: &str, rest: impl Iterator<Item = String>) {
    let mut counts: std::collections::BTreeMap<String, usize> = std::collections::BTreeMap::new();
    for key in rest {
        *counts.entry(key).or_default() += 1;
    }
    if counts.is_empty() {
        return;
    }
    let total: usize = counts.values().sum();
    let kinds: Vec<String> = counts.iter().map(|(k, n)| format!("{k} × {n}")).collect();
    let _ = writeln!(out, "… {total} more {what}: {}", kinds.join(", "));
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
