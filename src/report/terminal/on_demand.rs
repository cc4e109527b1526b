//! The portal's "Provision on demand" view of one object as text (`entrasim provision`): the import,
//! scope, match and action steps with their detail rows and the result with the modified properties; from
//! `-v` each step's requests with their status, from `-vv` the whole exchanges, redacted as snapshots are.

use std::fmt::Write as _;

use crate::engine::result::{OnDemandResult, ScenarioResult};
use crate::paint::Paint;
use crate::redact::Redactor;
use crate::snapshot::transcript::render_exchange;

/// The portal's on-demand view as text.
pub fn render(o: &OnDemandResult, result: &ScenarioResult, paint: Paint, verbosity: u8) -> String {
    let mut redactor = Redactor::new(&result.aliases, Some(&result.base_url), &[]);
    redactor.learn(&result.transcript);
    let mut out = String::new();
    let kind = format!("{:?}", o.object.kind).to_lowercase();
    let _ = writeln!(
        out,
        "{} {} ({kind}, objectId {})",
        paint.bold("Provision on demand:"),
        o.object.alias,
        o.object.source_id
    );
    for (i, step) in o.steps.iter().enumerate() {
        let mark = super::log::status_mark(step.status, paint);
        let _ = writeln!(out, "\n{mark} {}. {}", i + 1, paint.bold(&step.title));
        for d in &step.details {
            let (value, passed) = super::log::detail_row(d, paint);
            let _ = writeln!(out, "     {:<40} {}{passed}", d.name, redactor.text(&value));
        }
        for r in &step.requests {
            match result.transcript.get(r.index) {
                Some(e) if verbosity > 1 => {
                    let _ = write!(out, "{}", indent(&render_exchange(e, &redactor), 5));
                }
                Some(e) if verbosity == 1 => {
                    let status = e.status.map_or_else(|| "no answer".to_string(), |s| s.to_string());
                    let _ = writeln!(out, "     → {} ← {status}", redactor.request_line(e));
                }
                _ => {}
            }
        }
    }
    let _ = writeln!(out, "\n{} {:?} — {:?}", paint.bold("Result:"), o.action, o.status);
    if !o.modified.is_empty() {
        let _ = writeln!(out, "Modified properties:");
        for m in &o.modified {
            let show = |v: &Option<serde_json::Value>| {
                v.as_ref().map_or("(none)".to_string(), |v| redactor.json(v).to_string())
            };
            let _ = writeln!(out, "  {:<60} {} → {}", m.name, show(&m.old), show(&m.new));
        }
    }
    out
}

fn indent(text: &str, n: usize) -> String {
    let pad = " ".repeat(n);
    text.lines().map(|l| format!("{pad}{l}\n")).collect()
}
