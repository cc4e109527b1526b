//! The `expect` table of a step: which keys each step kind accepts, and their values.

use super::duration;
use super::model::{Expect, Located, OnDemandAction, Outcome, RequestPattern};
use super::parse::{choice, quoted_list};
use super::raw::{self, entries, Node, Sink};
use crate::diagnostic::{did_you_mean, Diagnostic, Span};

const COUNT_KEYS: &[&str] = &[
    "creates", "updates", "disables", "enables", "deletes", "skips", "failures", "retries", "not_due", "escrows",
    "given_up",
];

/// Graph's `quarantineReason` names a cycle can end with, and `none`.
const QUARANTINE_VALUES: &[&str] = &[
    "none",
    "EncounteredBaseEscrowThreshold",
    "EncounteredTotalEscrowThreshold",
    "EncounteredEscrowProportionThreshold",
    "EncounteredQuarantineException",
    "TooManyDeletes",
];

/// Step kinds that take `expect` (`restart` checks what `cycle` checks).
const EXPECTING: &[&str] = &["test_connection", "cycle", "on_demand", "steady"];

/// True when some step kind checks `key`.
fn is_expect_key(key: &str) -> bool {
    EXPECTING.iter().any(|kind| allowed_keys(kind).contains(&key))
}

/// The `expect` keys a step kind accepts (none for directory changes and target edits: they send nothing
/// on Entra's behalf).
pub(crate) fn allowed_keys(action: &str) -> &'static [&'static str] {
    match action {
        "test_connection" => &["outcome", "requests", "no_requests", "findings"],
        "cycle" | "restart" => &[
            "creates",
            "updates",
            "disables",
            "enables",
            "deletes",
            "skips",
            "failures",
            "retries",
            "not_due",
            "escrows",
            "given_up",
            "quarantine",
            "interval",
            "job",
            "requests",
            "no_requests",
            "findings",
            "outcome",
        ],
        "on_demand" => &["action", "outcome", "requests", "no_requests", "findings"],
        "steady" => &["steady", "flapping", "findings", "requests", "no_requests"],
        _ => &[],
    }
}

/// Reads `expect` for a step whose action key is `action`. `key_span` is the span of the `expect` key.
pub(crate) fn parse_expect(sink: &mut Sink, node: &Node<'_>, key_span: Span, action: &str) -> Option<Expect> {
    let allowed = allowed_keys(action);
    if allowed.is_empty() {
        let label = if action == "target_edit" {
            "a target edit is setup, not Entra traffic"
        } else if action == "wait" || action == "embedded" {
            "this step sends nothing: put `expect` on the next `cycle`"
        } else {
            "directory changes send nothing: put `expect` on the next `cycle`"
        };
        sink.error(key_span, format!("`expect` does not apply to `{action}` steps"), label);
        return None;
    }
    let table = raw::table(sink, node, "expect")?;
    let mut expect = Expect { span: raw::span_of(node), ..Expect::default() };
    for (key, span, value) in entries(table) {
        if !is_expect_key(key) {
            let label = match did_you_mean(key, allowed.iter().copied()) {
                Some(s) => format!("did you mean `{s}`?"),
                None => "unknown key".to_string(),
            };
            let d = Diagnostic::error(format!("unknown key `{key}` in `expect`"))
                .at(&sink.file, span)
                .with_label(label)
                .with_help(format!("`{action}` steps check {}", quoted_list(allowed)));
            sink.push(d);
        } else if !allowed.contains(&key) {
            sink.error(
                span,
                format!("`{key}` is not checked for `{action}` steps"),
                format!("`{action}` steps check {}", quoted_list(allowed)),
            );
        } else {
            read_key(sink, &mut expect, key, value);
        }
    }
    Some(expect)
}

fn read_key(sink: &mut Sink, expect: &mut Expect, key: &str, node: &Node<'_>) {
    let span = raw::span_of(node);
    if COUNT_KEYS.contains(&key) {
        let value = raw::count(sink, node, key).map(|value| Located { value, span });
        let slot = match key {
            "creates" => &mut expect.creates,
            "updates" => &mut expect.updates,
            "disables" => &mut expect.disables,
            "enables" => &mut expect.enables,
            "deletes" => &mut expect.deletes,
            "skips" => &mut expect.skips,
            "retries" => &mut expect.retries,
            "not_due" => &mut expect.not_due,
            "escrows" => &mut expect.escrows,
            "given_up" => &mut expect.given_up,
            _ => &mut expect.failures,
        };
        *slot = value;
        return;
    }
    match key {
        "requests" => expect.requests = request_list(sink, node, key),
        "no_requests" => expect.no_requests = request_list(sink, node, key),
        "outcome" => {
            expect.outcome = choice(sink, node, key, &["success", "failure", "skipped", "warning"]).map(|(c, span)| {
                let value = match c {
                    "success" => Outcome::Success,
                    "failure" => Outcome::Failure,
                    "skipped" => Outcome::Skipped,
                    _ => Outcome::Warning,
                };
                Located { value, span }
            })
        }
        "steady" => expect.steady = raw::boolean(sink, node, key).map(|value| Located { value, span }),
        "flapping" => expect.flapping = located_strings(sink, node, key),
        "findings" => expect.findings = located_strings(sink, node, key),
        "quarantine" => {
            expect.quarantine =
                choice(sink, node, key, QUARANTINE_VALUES).map(|(c, span)| Located { value: c.to_string(), span })
        }
        "job" => {
            let states = ["active", "quarantine", "disabled"];
            expect.job = choice(sink, node, key, &states).map(|(c, span)| Located { value: c.to_string(), span })
        }
        "interval" => expect.interval = duration::read(sink, node, key).map(|(value, span)| Located { value, span }),
        _ => {
            let actions = ["create", "update", "disable", "enable", "delete", "skip"];
            expect.action = choice(sink, node, key, &actions).map(|(c, span)| {
                let value = match c {
                    "create" => OnDemandAction::Create,
                    "update" => OnDemandAction::Update,
                    "disable" => OnDemandAction::Disable,
                    "enable" => OnDemandAction::Enable,
                    "delete" => OnDemandAction::Delete,
                    _ => OnDemandAction::Skip,
                };
                Located { value, span }
            })
        }
    }
}

fn located_strings(sink: &mut Sink, node: &Node<'_>, key: &str) -> Vec<Located<String>> {
    let items = raw::string_list(sink, node, key).unwrap_or_default();
    items.into_iter().map(|(value, span)| Located { value, span }).collect()
}

fn request_list(sink: &mut Sink, node: &Node<'_>, key: &str) -> Vec<RequestPattern> {
    let items = raw::string_list(sink, node, key).unwrap_or_default();
    let mut out = Vec::new();
    for (text, span) in items {
        match RequestPattern::parse(&text, span) {
            Ok(p) => out.push(p),
            Err((message, label)) => sink.error(span, message, label),
        }
    }
    out
}
