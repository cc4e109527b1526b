//! The `embedded` step: changing the embedded endpoint's fault injection mid-scenario, to break the endpoint
//! or to fix it and watch escrows recover. Only the fault-injection switches can change while the endpoint
//! runs; the others shape its store and are set once in `[embedded]`. The rates the steps leave are
//! tracked from the `[embedded]` table on, so rates adding up to more than 1.0 are reported at the step.

use toml::de::{DeTable, DeValue};

use super::model::FaultChange;
use super::raw::{self, check_keys, entries, get, Node, Sink};

/// The switches an `embedded` step may change.
pub(crate) const FAULT_KEYS: &[&str] =
    &["error_rate", "rate_limit_rate", "timeout_rate", "malformed_rate", "retry_after_secs"];

const RATE_KEYS: [&str; 4] = ["error_rate", "rate_limit_rate", "timeout_rate", "malformed_rate"];

/// The fault rates in effect, in [`RATE_KEYS`] order.
pub(crate) type Rates = [f64; 4];

/// The rates the `[embedded]` table sets (values of the wrong type count as 0: the switch check reports them).
pub(crate) fn initial_rates(root: &DeTable<'_>) -> Rates {
    let mut rates = [0.0; 4];
    if let Some(DeValue::Table(t)) = get(root, "embedded").map(|n| n.get_ref()) {
        for (slot, key) in rates.iter_mut().zip(RATE_KEYS) {
            *slot = get(t, key).and_then(number).unwrap_or(0.0);
        }
    }
    rates
}

fn number(node: &Node<'_>) -> Option<f64> {
    match node.get_ref() {
        DeValue::Float(f) => f.as_str().parse().ok(),
        DeValue::Integer(i) => i.as_str().parse().ok(),
        _ => None,
    }
}

/// Reads `embedded = { ... }`, updating `rates` with what it changes.
pub(crate) fn parse_fault_change(sink: &mut Sink, node: &Node<'_>, rates: &mut Rates) -> Option<FaultChange> {
    let table = raw::table(sink, node, "embedded")?;
    let before = sink.diags.len();
    // The help lists the switches a step may change; the others are set once in `[embedded]`.
    check_keys(sink, table, FAULT_KEYS, "the `embedded` step");
    if entries(table).is_empty() {
        sink.error(raw::span_of(node), "`embedded` changes nothing", "name a switch, e.g. `{ error_rate = 0.0 }`");
        return None;
    }
    let mut change = FaultChange::default();
    let mut ok = sink.diags.len() == before;
    for (i, key) in RATE_KEYS.iter().enumerate() {
        let Some(n) = get(table, key) else { continue };
        match number(n) {
            Some(r) if (0.0..=1.0).contains(&r) => {
                rates[i] = r;
                *change.rate_mut(key) = Some(r);
            }
            Some(_) => {
                sink.error(raw::span_of(n), format!("`{key}` must be between 0.0 and 1.0"), "a fraction of requests");
                ok = false;
            }
            None => {
                raw::type_error(sink, n, key, "a number between 0.0 and 1.0");
                ok = false;
            }
        }
    }
    if let Some(n) = get(table, "retry_after_secs") {
        change.retry_after_secs = raw::count(sink, n, "retry_after_secs");
        ok &= change.retry_after_secs.is_some();
    }
    let sum: f64 = rates.iter().sum();
    if ok && sum > 1.0 + 1e-9 {
        sink.error(
            raw::span_of(node),
            format!("the fault rates add up to {sum} after this step, more than 1.0"),
            "lower a rate here or set another to 0.0",
        );
        return None;
    }
    ok.then_some(change)
}
