//! A finished scenario as the terminal shows it under its status line, by verbosity:
//!
//! - default: the cases that did not pass with their findings grouped (see `report::terminal`), and the
//!   portal's "Current status" when the scenario failed;
//! - `-v`: every step with its result (a cycle's counts, Test Connection's verdict, an on-demand
//!   provisioning's outcome and its five portal steps, a steady-state verdict, a directory change), the
//!   per-object provisioning log of each cycle, and the status;
//! - `-vv`: also each step's exchanges, requests and answers, redacted as snapshots are (ids as aliases,
//!   secrets never shown).
//!
//! A pure function of the engine's [`ScenarioResult`] and its report [`Suite`]; printing is the caller's.

use std::fmt::Write as _;

use crate::engine::result::{
    Detail, JobState, LogStatus, OnDemandResult, Outcome, ProvisioningEvent, ScenarioResult, StepDetail, StepResult,
};
use crate::paint::Paint;
use crate::redact::Redactor;
use crate::report::terminal::{self, Options};
use crate::report::{self, Suite};
use crate::snapshot::transcript::render_exchange;

/// The lines under a scenario's status line. `secrets` are never shown in exchanges.
pub fn render(result: &ScenarioResult, suite: &Suite, opts: &Options, secrets: &[String]) -> String {
    let passed = suite.outcome() == report::Outcome::Pass;
    if opts.verbosity == 0 {
        let mut out = terminal::suite_details(suite, opts);
        if !passed {
            out.push_str(&status(result, opts.paint));
        }
        return out;
    }
    let mut redactor = Redactor::new(&result.aliases, Some(&result.base_url), secrets);
    redactor.learn(&result.transcript);
    let mut out = String::new();
    if !result.description.is_empty() {
        let _ = writeln!(out, "      {}", opts.paint.dim(&result.description));
    }
    if let Some(error) = &suite.error {
        let _ = writeln!(out, "      {} {error}", opts.paint.fail("error:"));
    }
    for (i, case) in suite.cases.iter().enumerate() {
        let mut lines = terminal::case_lines(case, opts);
        let Some(step) = result.steps.get(i) else {
            out.push_str(&lines);
            continue;
        };
        if step.outcome != Outcome::Passed && step.outcome != Outcome::Failed {
            // An outcome this printer does not know by name is shown by its report name.
            let name = serde_json::to_value(step.outcome).ok().and_then(|v| v.as_str().map(str::to_string));
            if let (Some(name), Some(end)) = (name, lines.find('\n')) {
                lines.insert_str(end, &format!(" [{}]", name.replace('_', " ")));
            }
        }
        out.push_str(&lines);
        step_log(&mut out, step, opts.paint, opts.verbosity);
        if opts.verbosity > 1 {
            for e in result.transcript.iter().filter(|e| step.requests.contains(&e.index)) {
                for line in render_exchange(e, &redactor).lines() {
                    let _ = writeln!(out, "          {line}");
                }
            }
        }
    }
    out.push_str(&status(result, opts.paint));
    out
}

/// The per-object log of a step's cycles, or an on-demand provisioning's portal steps.
fn step_log(out: &mut String, step: &StepResult, paint: Paint, verbosity: u8) {
    match &step.detail {
        StepDetail::Cycle(c) => {
            for e in &c.events {
                out.push_str(&object_line(c.number, e, paint));
            }
        }
        StepDetail::Steady(s) => {
            for pass in &s.passes {
                for e in &pass.events {
                    out.push_str(&object_line(pass.number, e, paint));
                }
            }
        }
        StepDetail::OnDemand(o) => on_demand(out, o, paint, verbosity),
        _ => {}
    }
}

/// One provisioning-log entry: `cycle 1  user   alice   Create   Success — created`.
pub fn object_line(cycle: u32, event: &ProvisioningEvent, paint: Paint) -> String {
    let status = match event.status {
        LogStatus::Success => paint.green("Success"),
        LogStatus::Failure => paint.fail("Failure"),
        LogStatus::Skipped => paint.yellow("Skipped"),
        LogStatus::Warning => paint.yellow("Warning"),
    };
    let code = event.code.map(|c| format!(" {c:?}")).unwrap_or_default();
    let message = if event.message.is_empty() { String::new() } else { format!(" — {}", event.message) };
    format!(
        "          cycle {cycle}  {:<6} {:<22} {:<12} {status}{code}{message}\n",
        format!("{:?}", event.object.kind).to_lowercase(),
        event.object.alias,
        format!("{:?}", event.action),
    )
}

/// The mark of an on-demand step's status, as the portal's icons: ✓ ✗ - !.
pub(super) fn status_mark(status: LogStatus, paint: Paint) -> String {
    match status {
        LogStatus::Success => paint.green("✓"),
        LogStatus::Failure => paint.red("✗"),
        LogStatus::Skipped => paint.yellow("-"),
        LogStatus::Warning => paint.yellow("!"),
    }
}

/// An on-demand detail row's value as text, and its verdict (` pass`, ` fail` or nothing).
pub(super) fn detail_row(d: &Detail, paint: Paint) -> (String, String) {
    let verdict = match d.passed {
        Some(true) => format!(" {}", paint.green("pass")),
        Some(false) => format!(" {}", paint.red("fail")),
        None => String::new(),
    };
    let value = match &d.value {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    (value, verdict)
}

/// The portal's on-demand steps with their status; from `-vv` their details too.
fn on_demand(out: &mut String, o: &OnDemandResult, paint: Paint, verbosity: u8) {
    for (i, step) in o.steps.iter().enumerate() {
        let _ = writeln!(out, "          {} {}. {}", status_mark(step.status, paint), i + 1, step.title);
        if verbosity > 1 {
            for d in &step.details {
                let (value, verdict) = detail_row(d, paint);
                let _ = writeln!(out, "               {:<40} {value}{verdict}", d.name);
            }
        }
    }
    let _ = writeln!(out, "          result: {:?} {:?}", o.action, o.status);
}

/// The portal's "Current status" of the job after the scenario (why a run stopped early is the suite's
/// error line, shown above it).
pub fn status(result: &ScenarioResult, paint: Paint) -> String {
    let s = &result.summary;
    let mut parts = vec![format!("{} user(s) and {} group(s) provisioned", s.users_provisioned, s.groups_provisioned)];
    parts.push(if s.initial_cycle_complete { "initial cycle complete" } else { "no initial cycle" }.into());
    parts.push(match (&s.quarantine, s.job) {
        (Some(reason), JobState::Disabled) => paint.red(format!("disabled after four weeks quarantined ({reason})")),
        (Some(reason), _) => paint.red(format!("quarantined ({reason})")),
        (None, _) => "not quarantined".into(),
    });
    let escrows = format!(
        "{} escrow(s) outstanding, {} escrow retries, {} given up, {} 429 retries",
        s.escrows_outstanding, s.escrow_retries, s.given_up, s.retries_429
    );
    parts.push(if s.escrows_outstanding > 0 { paint.yellow(escrows) } else { escrows });
    if let Some(steady) = s.steady_state {
        parts.push(if steady { paint.green("steady state reached") } else { paint.red("not steady") });
    }
    format!("      {} {}\n", paint.dim("status:"), parts.join(" · "))
}
