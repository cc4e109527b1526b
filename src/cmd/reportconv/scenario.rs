//! A scenario's engine result into the report model: one suite per scenario, one case per step;
//! expectation failures and engine findings become report findings with the exchange that showed them
//! (redacted as snapshots are) and a hint.

use std::time::Duration;

use crate::engine::result::{Outcome, ScenarioResult, StepDetail, StepResult};
use crate::engine::{self};
use crate::redact::Redactor;
use crate::report::{self, Case, Evidence, Severity, Suite};
use crate::scim::client::Exchange;

/// The report suite of one scenario run.
pub fn scenario_suite(name: &str, result: &ScenarioResult, elapsed: Duration) -> Suite {
    let mut redactor = Redactor::new(&result.aliases, None, &[]).with_run_tag(result.run_tag.as_deref());
    redactor.learn(&result.transcript);
    let mut cases: Vec<Case> = result.steps.iter().map(|s| step_case(s, result, &redactor)).collect();
    let run_findings: Vec<report::Finding> = result.findings.iter().map(|f| finding(f, result, &redactor)).collect();
    if !run_findings.is_empty() {
        let mut case = Case {
            name: "run".into(),
            outcome: report::Outcome::Pass,
            detail: String::new(),
            findings: run_findings,
            duration_ms: 0,
        };
        case.outcome = case.outcome_from_findings();
        cases.push(case);
    }
    Suite {
        name: name.to_string(),
        dialect: Some(result.dialect.name().to_string()),
        cases,
        duration_ms: elapsed.as_millis() as u64,
        // A failed Test Connection fails its step; only an unusable target is a suite error.
        error: result.aborted.as_ref().filter(|a| a.kind.is_runtime()).map(|a| redactor.text(&a.message)),
        status: Some(job_status(&result.summary)),
    }
}

/// The job's status and the escrow and retry counters of a run.
fn job_status(s: &engine::Summary) -> report::JobStatus {
    report::JobStatus {
        cycles: s.cycles,
        job: s.job.name().to_string(),
        quarantine: s.quarantine.clone(),
        escrows_outstanding: s.escrows_outstanding,
        escrow_retries: s.escrow_retries,
        retries_429: s.retries_429,
        given_up: s.given_up,
    }
}

fn step_case(step: &StepResult, result: &ScenarioResult, redactor: &Redactor) -> Case {
    let mut findings: Vec<report::Finding> = step.findings.iter().map(|f| finding(f, result, redactor)).collect();
    for x in step.expectations.iter().filter(|x| !x.passed) {
        findings.push(report::Finding {
            severity: Severity::Error,
            kind: "expectation_failed".into(),
            message: format!("expected {} = {}, got {}", x.what, redactor.text(&x.expected), redactor.text(&x.actual)),
            hint: None,
            evidence: None,
        });
    }
    let outcome = match step.outcome {
        Outcome::Passed => report::Outcome::Pass,
        Outcome::Failed => report::Outcome::Fail,
        _ => report::Outcome::Skipped,
    };
    Case {
        name: format!("step {}: {}", step.index, step.label),
        outcome,
        detail: redactor.text(&detail(&step.detail)),
        findings,
        duration_ms: 0,
    }
}

/// One line saying what a step did.
fn detail(detail: &StepDetail) -> String {
    match detail {
        StepDetail::Directory { change } => change.clone(),
        StepDetail::TestConnection(t) => {
            if t.passed {
                "connection ok".into()
            } else {
                t.message.clone().unwrap_or_else(|| "connection failed".into())
            }
        }
        StepDetail::Cycle(c) => {
            let n = &c.counts;
            let mut parts = n.changes();
            let e = &c.escrows;
            for (count, word) in
                [(e.retried, "escrows retried"), (e.not_due, "escrows not due"), (e.given_up, "escrows given up")]
            {
                if count > 0 {
                    parts.push(format!("{count} {word}"));
                }
            }
            if let Some(q) = &c.quarantine {
                parts.push(format!("quarantined: {q}"));
            }
            format!("{} ({} requests)", parts.join(", "), n.requests)
        }
        StepDetail::NotRun { reason, .. } => reason.clone(),
        StepDetail::OnDemand(o) => format!("{:?} {:?} for {}", o.action, o.status, o.object.alias),
        StepDetail::Steady(s) => {
            if s.steady {
                format!("steady (writes per pass: {:?})", s.writes_per_pass)
            } else {
                format!("not steady: {} attribute(s) flap (writes per pass: {:?})", s.flapping.len(), s.writes_per_pass)
            }
        }
    }
}

fn finding(f: &engine::Finding, result: &ScenarioResult, redactor: &Redactor) -> report::Finding {
    let kind = match f.code {
        Some(code) => format!("{code:?}"),
        None => format!("{:?}", f.kind).to_lowercase(),
    };
    let evidence = f.request.as_ref().and_then(|r| result.transcript.get(r.index)).map(|e| evidence(e, redactor));
    report::Finding {
        severity: match f.severity {
            engine::result::Severity::Error => Severity::Error,
            engine::result::Severity::Warning => Severity::Warning,
        },
        kind,
        message: redactor.text(&f.message),
        hint: f.hint().map(str::to_string),
        evidence,
    }
}

/// The exchange behind a finding, redacted the way snapshots are.
pub fn evidence(e: &Exchange, redactor: &Redactor) -> Evidence {
    Evidence {
        request: redactor.request_line(e),
        request_body: e.request_body.as_ref().map(|b| redactor.json(b)),
        status: e.status,
        response_body: e.response_body.json().map(|b| redactor.json(b)).or_else(|| {
            let excerpt = e.body_excerpt();
            (!excerpt.is_empty()).then(|| serde_json::Value::String(redactor.text(&excerpt)))
        }),
    }
}
