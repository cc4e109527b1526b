//! A run as deterministic text: per step, each exchange's request line (query decoded), request body,
//! status, headers of interest and response body as pretty JSON — all redacted — then the step's
//! findings and expectations. Two runs of the same scenario render byte-identical text.
//!
//! ```text
//! ## step 2: cycle initial [passed]
//!
//! → GET /Users?filter=userName eq "alice@contoso.com"
//! ← 200 application/scim+json
//! {
//!   "Resources": [],
//!   "totalResults": 0
//! }
//! ```

use std::fmt::Write as _;

use crate::engine::result::{Outcome, ScenarioResult, StepDetail};
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
        for e in result.transcript.iter().filter(|e| step.requests.contains(&e.index)) {
            out.push('\n');
            out.push_str(&render_exchange(e, &redactor));
        }
        render_log(&mut out, &step.detail, &redactor);
        for f in &step.findings {
            let code = f.code.map(|c| format!(" {c:?}")).unwrap_or_default();
            let _ = writeln!(out, "\n! {:?}{code}: {}", f.severity, redactor.text(&f.message));
        }
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
    for e in events {
        let code = e.code.map(|c| format!(" {c:?}")).unwrap_or_default();
        let names: Vec<&str> = e.modified.iter().map(|m| m.name.as_str()).collect();
        let modified = if names.is_empty() { String::new() } else { format!(" [{}]", names.join(", ")) };
        let _ =
            writeln!(out, "log: {:?} {:?} {} {:?}{code}{modified}", e.action, e.object.kind, e.object.alias, e.status);
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
