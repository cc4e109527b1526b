//! A scenario's engine result into what the HTML report shows beyond the shared report model
//! ([`SuiteExtras`]): each step's simulated time, exchanges and on-demand steps, the cycle timeline, the
//! provisioning log and the flapping attributes. Everything passes through the same
//! [`Redactor`] and [`render_exchange`] as snapshots and `-vv`, with the run's secrets, so the page shows
//! exactly what a transcript would.

use super::{ExchangeText, FlapRow, LogEntry, OnDemandStep, StepExtras, SuiteExtras, TimelineEntry};
use crate::engine::result::{CycleKind, CycleResult, ModifiedProperty, ScenarioResult, StepDetail, StepResult};
use crate::redact::Redactor;
use crate::snapshot::transcript::render_exchange;

/// Exchanges shown per step; a 5,000-user cycle would otherwise make a file no browser opens quickly.
const EXCHANGES_PER_STEP: usize = 200;
/// Provisioning-log entries shown per scenario.
const LOG_ENTRIES: usize = 2_000;

/// The HTML report's extras of one scenario. `secrets` never show.
pub fn scenario_extras(result: &ScenarioResult, secrets: &[String]) -> SuiteExtras {
    let mut redactor = Redactor::new(&result.aliases, Some(&result.base_url), secrets);
    redactor.learn(&result.transcript);
    let mut extras = SuiteExtras {
        description: redactor.text(&result.description),
        steps: result.steps.iter().map(|s| step(s, result, &redactor)).collect(),
        status: status(result),
        ..SuiteExtras::default()
    };
    for s in &result.steps {
        match &s.detail {
            StepDetail::Cycle(c) => cycle(&mut extras, c, kind_name(c.kind), &redactor),
            StepDetail::Steady(st) => {
                for pass in &st.passes {
                    cycle(&mut extras, pass, "steady-state pass", &redactor);
                }
                extras.flapping.extend(st.flapping.iter().map(|f| FlapRow {
                    identity: format!("{} {}", kind_word(f.object.kind), f.object.alias),
                    attribute: f.attribute.clone(),
                    sent: json(&f.sent, &redactor),
                    returned: f.returned.as_ref().map_or_else(|| "(nothing)".into(), |v| json(v, &redactor)),
                    cause: redactor.text(&f.cause),
                }));
            }
            _ => {}
        }
    }
    extras
}

fn step(s: &StepResult, result: &ScenarioResult, redactor: &Redactor) -> StepExtras {
    let exchanges: Vec<_> = result.transcript.iter().filter(|e| s.requests.contains(&e.index)).collect();
    let on_demand = match &s.detail {
        StepDetail::OnDemand(o) => o
            .steps
            .iter()
            .map(|st| OnDemandStep {
                title: st.title.clone(),
                status: format!("{:?}", st.status),
                details: st
                    .details
                    .iter()
                    .map(|d| (redactor.text(&d.name), json(&d.value, redactor), d.passed))
                    .collect(),
            })
            .collect(),
        _ => Vec::new(),
    };
    StepExtras {
        at: s.at.clone(),
        exchanges_left_out: exchanges.len().saturating_sub(EXCHANGES_PER_STEP),
        exchanges: exchanges
            .into_iter()
            .take(EXCHANGES_PER_STEP)
            .map(|e| ExchangeText {
                request: redactor.request_line(e),
                status: e.status,
                text: render_exchange(e, redactor),
            })
            .collect(),
        on_demand,
    }
}

fn cycle(extras: &mut SuiteExtras, c: &CycleResult, kind: &str, redactor: &Redactor) {
    let n = &c.counts;
    let parts = n.changes();
    extras.timeline.push(TimelineEntry {
        number: c.number,
        kind: kind.to_string(),
        started_at: c.started_at.clone(),
        since_previous: c.since_previous.map(duration),
        summary: format!("{} ({} requests, {} writes)", parts.join(", "), n.requests, n.writes),
        failed: n.failures > 0,
        quarantine: c.quarantine.as_ref().map(|q| redactor.text(q)),
    });
    for e in &c.events {
        if extras.log.len() >= LOG_ENTRIES {
            extras.log_left_out += 1;
            continue;
        }
        extras.log.push(LogEntry {
            cycle: c.number,
            kind: kind_word(e.object.kind).to_string(),
            identity: e.object.alias.clone(),
            action: format!("{:?}", e.action),
            status: format!("{:?}", e.status),
            code: e.code.map(|c| format!("{c:?}")),
            message: redactor.text(&e.message),
            modified: e.modified.iter().map(|m| modified(m, redactor)).collect(),
        });
    }
}

fn modified(m: &ModifiedProperty, redactor: &Redactor) -> (String, String, String) {
    let value = |v: &Option<serde_json::Value>| v.as_ref().map_or_else(String::new, |v| json(v, redactor));
    (m.name.clone(), value(&m.old), value(&m.new))
}

/// A value as compact text, redacted; strings without their quotes.
fn json(v: &serde_json::Value, redactor: &Redactor) -> String {
    match redactor.json(v) {
        serde_json::Value::String(s) => s,
        other => other.to_string(),
    }
}

fn kind_name(kind: CycleKind) -> &'static str {
    match kind {
        CycleKind::Initial => "initial",
        CycleKind::Incremental => "incremental",
    }
}

fn kind_word(kind: crate::engine::result::ObjectKind) -> &'static str {
    match kind {
        crate::engine::result::ObjectKind::User => "user",
        crate::engine::result::ObjectKind::Group => "group",
    }
}

/// `2400` → `40 min`; `93600` → `1 d 2 h`.
fn duration(secs: u64) -> String {
    let (d, h, m) = (secs / 86_400, secs % 86_400 / 3_600, secs % 3_600 / 60);
    match (d, h, m) {
        (0, 0, m) => format!("{m} min"),
        (0, h, 0) => format!("{h} h"),
        (0, h, m) => format!("{h} h {m} min"),
        (d, 0, _) => format!("{d} d"),
        (d, h, _) => format!("{d} d {h} h"),
    }
}

/// The portal's "Current status" beyond the job state and cycles the report model carries.
fn status(result: &ScenarioResult) -> Vec<String> {
    let s = &result.summary;
    let mut parts = vec![
        format!("{} user(s) and {} group(s) provisioned", s.users_provisioned, s.groups_provisioned),
        if s.initial_cycle_complete { "initial cycle complete" } else { "no initial cycle" }.to_string(),
        format!("{} escrow(s) outstanding", s.escrows_outstanding),
        format!("{} escrow retries, {} given up, {} 429 retries", s.escrow_retries, s.given_up, s.retries_429),
        format!("{} requests", s.requests),
    ];
    if let Some(steady) = s.steady_state {
        parts.push(if steady { "steady state reached" } else { "not steady" }.to_string());
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::duration;

    #[test]
    fn simulated_gaps_read_as_the_portal_would() {
        assert_eq!(duration(2_400), "40 min");
        assert_eq!(duration(7_200), "2 h");
        assert_eq!(duration(9_000), "2 h 30 min");
        assert_eq!(duration(93_600), "1 d 2 h");
    }
}
