//! Running one scenario step: a directory change, Test Connection, a cycle (or a restart and its initial
//! cycle), provision on demand, a steady-state check, a target edit, a `wait` or a change of the embedded
//! endpoint's faults; then checking the step's expectations against what it did. Each step is a call to
//! the job's [`Runner`] (or a change to the directory between calls).
//!
//! A step can stop the scenario (an [`Abort`]): Test Connection failed (Entra does not start the job), the
//! endpoint refused the credentials or could not be reached, or no request of the step got an answer.

use std::time::Duration;

use crate::directory::Directory;
use crate::engine::isolation::tag::{apply_tag, name_like_path, remove_tag};
use crate::engine::result::{Abort, AbortKind, CycleKind, ErrorCode, Finding, FindingKind, StepDetail, StepResult};
use crate::engine::runner::Runner;
use crate::engine::source::Mapper;
use crate::engine::state::Engine;
use crate::engine::view;
use crate::engine::{audit, check};
use crate::redact::Redactor;
use crate::scenario::{self, Action, FaultChange, ObjectAlias, Restart, Step};
use crate::scim::client::{Client, Exchange, Method, Request, TransportErrorKind};
use crate::server::ServerHandle;

/// What steps use besides the engine and the directory.
pub(crate) struct StepEnv<'a> {
    /// Sends setup requests that are not Entra traffic (target edits).
    pub setup: &'a Client,
    /// The embedded endpoint, when the run started one (`embedded` steps change its faults).
    pub endpoint: Option<&'a ServerHandle>,
    /// The target's base URL, for redacted request lines.
    pub base: &'a str,
    /// The `--unique-names` tag, which request lines are read without.
    pub run_tag: Option<&'a str>,
    /// The per-request timeout, for the finding of a step that got no answer.
    pub timeout: Duration,
}

pub(crate) async fn run_step(
    runner: &mut Runner,
    env: &StepEnv<'_>,
    dir: &mut Directory,
    mapper: &dyn Mapper,
    (index, label): (usize, String),
    step: Option<&Step>,
) -> (StepResult, Option<Abort>) {
    let first = runner.engine.transcript_len();
    runner.engine.actor.begin_step();
    let mut findings = Vec::new();
    let mut abort = None;
    let action = step.map_or(&Action::Steady, |s| &s.action);
    let detail = match action {
        Action::TestConnection => {
            let probe = runner.test_connection(mapper).await;
            findings.extend(probe.findings);
            abort = probe.abort;
            StepDetail::TestConnection(probe.result)
        }
        Action::Cycle(kind) => {
            let kind = match kind {
                scenario::CycleKind::Initial => CycleKind::Initial,
                scenario::CycleKind::Incremental => CycleKind::Incremental,
            };
            let run = runner.cycle(kind, &view::snapshot(dir), mapper).await;
            findings.extend(run.findings);
            run.detail
        }
        Action::Restart(r) => {
            runner.restart(*r == Restart::Full);
            let run = runner.cycle(CycleKind::Initial, &view::snapshot(dir), mapper).await;
            findings.extend(run.findings);
            run.detail
        }
        Action::Change(m) => {
            if let Err(e) = dir.apply(m) {
                findings.push(Finding::error(FindingKind::Expectation, format!("directory change failed: {e}")));
            }
            StepDetail::Directory { change: action.to_string() }
        }
        Action::OnDemand(ObjectAlias::User(alias)) => {
            let snapshot = view::snapshot(dir);
            match snapshot.user_by_alias(alias) {
                Some(user) => {
                    let (od, f) = runner.provision_user(&user, mapper).await;
                    findings.extend(f);
                    StepDetail::OnDemand(od)
                }
                None => {
                    findings.push(Finding::error(
                        FindingKind::Expectation,
                        format!("user `{alias}` is not in the directory"),
                    ));
                    StepDetail::Directory { change: action.to_string() }
                }
            }
        }
        Action::OnDemand(ObjectAlias::Group(alias)) => {
            let snapshot = view::snapshot(dir);
            match snapshot.groups.iter().find(|g| g.alias == *alias) {
                Some(group) => {
                    let (od, f) = runner.provision_group(group, &snapshot, mapper).await;
                    findings.extend(f);
                    StepDetail::OnDemand(od)
                }
                None => {
                    findings.push(Finding::error(
                        FindingKind::Expectation,
                        format!("group `{alias}` is not in the directory"),
                    ));
                    StepDetail::Directory { change: action.to_string() }
                }
            }
        }
        Action::Steady => {
            let (steady, f) = runner.steady(&view::snapshot(dir), mapper).await;
            findings.extend(f);
            StepDetail::Steady(steady)
        }
        Action::TargetEdit(edit) => {
            findings.extend(target_edit(&runner.engine, env, dir, edit).await);
            StepDetail::Directory { change: action.to_string() }
        }
        Action::Wait(d) => {
            runner.wait(*d);
            StepDetail::Directory { change: action.to_string() }
        }
        Action::Embedded(change) => {
            findings.extend(change_faults(env.endpoint, change));
            StepDetail::Directory { change: action.to_string() }
        }
    };
    // A cycle's time is its start, which the job's schedule picked; a wait's is its end.
    let engine = &runner.engine;
    let at = engine.clock.now();
    let end = engine.transcript_len();
    let transcript = engine.actor.client().transcript();
    if abort.is_none() {
        let what = step_name(index, &detail);
        let silence = transcript.inspect_since(first, |exchanges| {
            unanswered(&what, &exchanges[..exchanges.len().min(end - first)], engine.actor.not_sent(), env.timeout)
        });
        if let Some(finding) = silence {
            abort = Some(Abort { kind: AbortKind::NoAnswer, message: finding.message.clone() });
            // The no-answer finding counts the requests not sent; one finding each would only repeat it.
            findings.retain(|f| !f.message.ends_with(crate::engine::action::NOT_SENT));
            findings.push(finding);
        }
    }
    if let (None, StepDetail::TestConnection(t)) = (&abort, &detail) {
        if !t.passed {
            let why = t.message.as_deref().unwrap_or("failed");
            let message =
                format!("Test Connection failed ({why}): Entra does not start a job whose connection test fails");
            abort = Some(Abort { kind: AbortKind::TestConnectionFailed, message });
        }
    }
    findings.extend(
        transcript.inspect_since(first, |exchanges| audit::audit(&exchanges[..exchanges.len().min(end - first)])),
    );
    let expect = step.and_then(|s| s.expect.as_ref());
    // Expectations read the step's requests as redacted lines; a step without any needs no copy of them.
    let expectations = match expect {
        None => Vec::new(),
        Some(x) => {
            let mut exchanges = engine.actor.client().transcript().since(first);
            if let Some(tag) = env.run_tag {
                // Request patterns are written without the `--unique-names` tag.
                for e in &mut exchanges {
                    (e.path, e.query) = (remove_tag(&e.path, tag), remove_tag(&e.query, tag));
                }
            }
            // No secrets here: expectations judge what was sent; the result is scrubbed when the run ends.
            let mut redactor = Redactor::new(&engine.aliases.list, Some(env.base), &[]).with_run_tag(env.run_tag);
            redactor.learn(&exchanges);
            let step_exchanges: Vec<&crate::scim::client::Exchange> = exchanges.iter().take(end - first).collect();
            let line_of = |e: &crate::scim::client::Exchange| redactor.request_line(e);
            check::check(x, &detail, &findings, &step_exchanges, &line_of)
        }
    };
    let outcome = check::outcome(expect, &findings, &expectations);
    let result = StepResult { index, label, at, outcome, detail, expectations, findings, requests: first..end };
    (result, abort)
}

/// How a step is named in the finding of a step that got no answer.
fn step_name(index: usize, detail: &StepDetail) -> String {
    match detail {
        StepDetail::Cycle(c) => format!("cycle {}", c.number),
        StepDetail::TestConnection(_) => "Test Connection".into(),
        StepDetail::OnDemand(_) => "provision on demand".into(),
        StepDetail::Steady(_) => "the steady-state check".into(),
        _ => format!("step {index}"),
    }
}

/// The finding of a step none of whose requests got an answer, saying what the endpoint did with them
/// (`no request of cycle 2 got an answer: 2 timed out after 30 s; the other 12 were not sent`);
/// `None` when the step sent nothing or got any answer.
fn unanswered(what: &str, exchanges: &[Exchange], not_sent: u64, timeout: Duration) -> Option<Finding> {
    if exchanges.is_empty() || exchanges.iter().any(|e| e.error.is_none()) {
        return None;
    }
    let mut counts: Vec<(TransportErrorKind, usize)> = Vec::new();
    for kind in exchanges.iter().filter_map(|e| e.error) {
        match counts.iter_mut().find(|(k, _)| *k == kind) {
            Some((_, n)) => *n += 1,
            None => counts.push((kind, 1)),
        }
    }
    let seconds = if timeout.subsec_millis() == 0 {
        format!("{} s", timeout.as_secs())
    } else {
        format!("{} ms", timeout.as_millis())
    };
    let parts: Vec<String> = counts
        .iter()
        .map(|(kind, n)| match kind {
            TransportErrorKind::Timeout => format!("{n} timed out after {seconds}"),
            TransportErrorKind::Connect => format!("{n} could not connect"),
            TransportErrorKind::Io => format!("{n} lost the connection before the answer was complete"),
            TransportErrorKind::Other => format!("{n} failed in transport"),
        })
        .collect();
    let mut message = format!("no request of {what} got an answer: {}", parts.join(", "));
    if not_sent > 0 {
        message.push_str(&format!("; the other {not_sent} were not sent"));
    }
    let all_timed_out = counts.iter().all(|(kind, _)| *kind == TransportErrorKind::Timeout);
    let code = if all_timed_out { ErrorCode::Timeout } else { ErrorCode::WebExceptionProtocolError };
    Some(Finding::error(FindingKind::Transport, message).with_code(code))
}

/// An `embedded` step: the embedded endpoint's fault injection changes; against another target it does
/// nothing (a warning says so).
fn change_faults(endpoint: Option<&ServerHandle>, change: &FaultChange) -> Vec<Finding> {
    let Some(endpoint) = endpoint else {
        let message =
            "`embedded` changes only the embedded endpoint; the target is another endpoint, so nothing changed";
        return vec![Finding::warning(FindingKind::Expectation, message)];
    };
    let mut faults = endpoint.faults();
    let rates = [
        (&mut faults.error_rate, change.error_rate),
        (&mut faults.rate_limit_rate, change.rate_limit_rate),
        (&mut faults.timeout_rate, change.timeout_rate),
        (&mut faults.malformed_rate, change.malformed_rate),
    ];
    for (slot, new) in rates {
        if let Some(rate) = new {
            *slot = rate;
        }
    }
    if let Some(secs) = change.retry_after_secs {
        faults.retry_after_secs = secs;
    }
    match endpoint.set_faults(faults) {
        Ok(()) => Vec::new(),
        Err(e) => vec![Finding::error(FindingKind::Expectation, format!("`embedded` step: {e}"))],
    }
}

async fn target_edit(engine: &Engine, env: &StepEnv<'_>, dir: &Directory, edit: &scenario::TargetEdit) -> Vec<Finding> {
    let (path, target_id) = match &edit.object {
        ObjectAlias::User(a) => {
            let oid = dir.user_id(a).and_then(|id| dir.user(id)).map(|u| u.object_id().to_string());
            ("Users", oid.and_then(|o| engine.cds.user_target(&o).map(str::to_string)))
        }
        ObjectAlias::Group(a) => {
            let oid = dir.group_id(a).and_then(|id| dir.group(id)).map(|g| g.object_id().to_string());
            ("Groups", oid.and_then(|o| engine.cds.groups.get(&o).map(|g| g.target_id.clone())))
        }
    };
    let Some(id) = target_id else {
        return vec![Finding::error(
            FindingKind::Expectation,
            format!("target_edit: `{}` is not linked to a target object yet", edit.object.alias()),
        )];
    };
    // A name set in the target carries the `--unique-names` tag like every other name the run sends.
    let tagged = |path: &str, value: &serde_json::Value| match (env.run_tag, value) {
        (Some(tag), serde_json::Value::String(s)) if name_like_path(path) => serde_json::json!(apply_tag(s, tag)),
        _ => value.clone(),
    };
    let mut ops: Vec<serde_json::Value> =
        edit.set.iter().map(|(p, v)| serde_json::json!({"op": "replace", "path": p, "value": tagged(p, v)})).collect();
    ops.extend(edit.unset.iter().map(|p| serde_json::json!({"op": "remove", "path": p})));
    let body = crate::engine::dialect::patch_body(ops);
    let request = Request::new(Method::Patch, format!("/{path}/{id}")).body(body);
    match env.setup.send(&request).await {
        Ok(e) if e.is_success() => Vec::new(),
        // An HTTP status is the endpoint refusing the edit, not a transport problem.
        Ok(e) => {
            let why = crate::engine::action::describe_failure(&crate::engine::action::Sent::Answer(e.clone()));
            vec![Finding::error(FindingKind::Setup, format!("target_edit failed: {why}")).with_request(&e)]
        }
        Err(err) => {
            let code = match err.exchange().and_then(|e| e.error) {
                Some(TransportErrorKind::Timeout) => ErrorCode::Timeout,
                _ => ErrorCode::WebExceptionProtocolError,
            };
            vec![Finding::error(FindingKind::Transport, format!("target_edit failed: {err}")).with_code(code)]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::client::{Body, Origin};

    fn unanswered_exchange(error: Option<TransportErrorKind>) -> Exchange {
        Exchange {
            index: 0,
            origin: Origin::Entra,
            method: Method::Get,
            path: "/Users".into(),
            query: String::new(),
            request_body: None,
            status: None,
            response_headers: Vec::new(),
            response_body: Body::Empty,
            duration: Duration::ZERO,
            error,
        }
    }

    #[test]
    fn the_no_answer_finding_counts_what_the_endpoint_did() {
        use TransportErrorKind::{Connect, Io, Timeout};
        let exchanges: Vec<Exchange> =
            [Timeout, Io, Timeout, Connect].into_iter().map(|k| unanswered_exchange(Some(k))).collect();
        let f = unanswered("cycle 2", &exchanges, 7, Duration::from_secs(30)).expect("nothing was answered");
        assert_eq!(
            f.message,
            "no request of cycle 2 got an answer: 2 timed out after 30 s, 1 lost the connection before the answer \
             was complete, 1 could not connect; the other 7 were not sent"
        );
        assert_eq!((f.kind, f.code), (FindingKind::Transport, Some(ErrorCode::WebExceptionProtocolError)));
        let timeouts = [unanswered_exchange(Some(Timeout))];
        let f = unanswered("Test Connection", &timeouts, 0, Duration::from_millis(1500)).expect("unanswered");
        assert_eq!(f.message, "no request of Test Connection got an answer: 1 timed out after 1500 ms");
        assert_eq!(f.code, Some(ErrorCode::Timeout));
        let answered = [unanswered_exchange(Some(Timeout)), unanswered_exchange(None)];
        assert!(unanswered("cycle 1", &answered, 0, Duration::from_secs(1)).is_none(), "one answer is enough");
        assert!(unanswered("cycle 1", &[], 3, Duration::from_secs(1)).is_none(), "nothing sent, nothing to say");
    }
}
