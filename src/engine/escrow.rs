//! Escrows (ENTRA.md 6.4): the objects whose last operation failed, kept in the connector data store with
//! their failure count, first and last failure time, next retry time on the simulated clock and last error
//! code, and the schedule that decides when an incremental cycle retries them.
//!
//! ```text
//! cycle start ─▶ candidates: changed objects + escrows due (Escrows::due) ─▶ export
//! cycle end   ─▶ settle: retried and failed again → rescheduled (or given up after 28 days)
//!                        retried and not failed  → resolved (entry removed)
//!                        not due and unchanged   → held, counted as "not due"
//!                        failed for the first time → new entry
//! ```
//!
//! Two schedules, because the sources disagree (`[settings] escrow_retry`, `docs/entra-notes.md`):
//! [`EscrowRetry::NextCycle`] retries at every cycle ("retried in 40 minutes", DOC S17; "retried in the
//! next sync cycle", DOC S3); [`EscrowRetry::Backoff`] retries 6 h, 12 h and 24 h after the first failure,
//! then every 24 h (DOC S9). Either way an escrow still failing 28 days after its first failure is removed
//! (DOC S9) and counted as given up. Restart clears every escrow; provision on demand clears one.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use crate::engine::result::ErrorCode;
pub use crate::engine::result::EscrowCounts;

/// When an incremental cycle retries an escrowed object.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EscrowRetry {
    /// At the next cycle, every cycle (DOC S17: 5xx and timeouts are "retried in 40 minutes").
    #[default]
    NextCycle,
    /// 6 h, 12 h and 24 h after the first failure, then every 24 h (DOC S9 "Retry duration").
    Backoff,
}

/// How long an escrow is retried: 28 days after its first failure it is removed (DOC S9).
pub const ESCROW_LIFETIME: TimeDelta = TimeDelta::days(28);

/// Offsets from the first failure of the first three back-off retries (DOC S9); later retries are every
/// 24 h after the third.
const BACKOFF_FIRST_RETRIES: [TimeDelta; 3] = [TimeDelta::hours(6), TimeDelta::hours(12), TimeDelta::hours(24)];

/// One escrowed object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EscrowEntry {
    /// Failed attempts so far (1 after the first failure).
    pub failures: u32,
    /// When the object first failed in this escrow series.
    pub first_failure: DateTime<Utc>,
    /// When it failed last.
    pub last_failure: DateTime<Utc>,
    /// The earliest cycle start at which it is retried.
    pub next_retry: DateTime<Utc>,
    /// Entra's code of the last failure.
    pub code: Option<ErrorCode>,
    /// Only reference attributes (manager, group members) failed: a reference failure, which the
    /// escrow-threshold quarantine counts apart (ENTRA.md 6.5).
    pub reference: bool,
    /// The source fingerprint at the last failure: a change after it is re-evaluated at once, as delta
    /// would report it, whether the retry is due or not.
    pub fingerprint: Option<u64>,
}

/// The escrows of the connector data store, and the successes counted towards the escrow proportion since
/// the last restart.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Escrows {
    entries: BTreeMap<String, EscrowEntry>,
    /// Successful provisioning events (create, update, disable, enable, delete) since the last restart: the
    /// other side of the escrow proportion (ENTRA.md 6.5).
    pub successes: usize,
}

impl Escrows {
    /// Whether the object is escrowed (due or not).
    pub fn contains(&self, object_id: &str) -> bool {
        self.entries.contains_key(object_id)
    }

    /// The entry of an escrowed object.
    pub fn get(&self, object_id: &str) -> Option<&EscrowEntry> {
        self.entries.get(object_id)
    }

    /// Every entry, by source objectId.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &EscrowEntry)> {
        self.entries.iter()
    }

    /// Escrowed objects.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// No object is escrowed.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Outstanding failures as the escrow thresholds count them: (non-reference, reference).
    pub fn failures(&self) -> (usize, usize) {
        let reference = self.entries.values().filter(|e| e.reference).count();
        (self.entries.len() - reference, reference)
    }

    /// Whether an escrowed object is due for a retry at `now`.
    pub fn due(&self, object_id: &str, now: DateTime<Utc>) -> bool {
        self.entries.get(object_id).is_some_and(|e| e.next_retry <= now)
    }

    /// Whether an object is escrowed and not due yet at `now` (it is held back unless it changes).
    pub fn held(&self, object_id: &str, now: DateTime<Utc>) -> bool {
        self.entries.get(object_id).is_some_and(|e| e.next_retry > now)
    }

    /// The earliest next retry among the entries.
    pub fn next_due(&self) -> Option<DateTime<Utc>> {
        self.entries.values().map(|e| e.next_retry).min()
    }

    /// Restart: every escrow and the success count are cleared.
    pub fn clear(&mut self) {
        self.entries.clear();
        self.successes = 0;
    }

    /// Removes one object's escrow (provision on demand clears its back-off); returns the entry.
    pub fn remove(&mut self, object_id: &str) -> Option<EscrowEntry> {
        self.entries.remove(object_id)
    }

    /// Records a failure of `object_id` at `now` under `schedule`: a new entry, or the next attempt of an
    /// existing one. Returns `false` when the escrow is given up (removed) instead: 28 days passed since its
    /// first failure.
    pub fn fail(&mut self, object_id: &str, failure: Failure, now: DateTime<Utc>, schedule: EscrowRetry) -> bool {
        let previous = self.entries.remove(object_id);
        let (failures, first_failure) = match &previous {
            Some(e) => (e.failures + 1, e.first_failure),
            None => (1, now),
        };
        let Some(next_retry) = next_retry(schedule, first_failure, now) else { return false };
        let entry = EscrowEntry {
            failures,
            first_failure,
            last_failure: now,
            next_retry,
            code: failure.code,
            reference: failure.reference,
            fingerprint: failure.fingerprint,
        };
        self.entries.insert(object_id.to_string(), entry);
        true
    }
}

/// What a failure records about the object.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Failure {
    /// Entra's error code.
    pub code: Option<ErrorCode>,
    /// Only reference attributes failed.
    pub reference: bool,
    /// The source fingerprint when it failed.
    pub fingerprint: Option<u64>,
}

/// When an object that failed at `last` (first failure `first`) is retried, or `None` when it is given up.
/// The back-off slots are anchored to the first failure, so a retry made late (the clock jumped) moves to
/// the next slot after it rather than retrying every cycle to catch up.
pub fn next_retry(schedule: EscrowRetry, first: DateTime<Utc>, last: DateTime<Utc>) -> Option<DateTime<Utc>> {
    if last - first >= ESCROW_LIFETIME {
        return None;
    }
    match schedule {
        EscrowRetry::NextCycle => Some(last),
        EscrowRetry::Backoff => {
            let daily_from = BACKOFF_FIRST_RETRIES[2];
            let slot =
                BACKOFF_FIRST_RETRIES.iter().copied().find(|offset| first + *offset > last).unwrap_or_else(|| {
                    // Every 24 h after the third retry: the first whole day after `last`.
                    let days = (last - first - daily_from).num_days() + 1;
                    daily_from + TimeDelta::days(days)
                });
            (slot <= ESCROW_LIFETIME).then_some(first + slot)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t0() -> DateTime<Utc> {
        DateTime::<Utc>::from_timestamp(1_767_225_600, 0).expect("a valid timestamp")
    }

    fn hours(h: i64) -> DateTime<Utc> {
        t0() + TimeDelta::hours(h)
    }

    #[test]
    fn backoff_retries_at_6_12_and_24_hours_then_daily_until_28_days() {
        let b = EscrowRetry::Backoff;
        assert_eq!(next_retry(b, t0(), t0()), Some(hours(6)));
        assert_eq!(next_retry(b, t0(), hours(6)), Some(hours(12)));
        assert_eq!(next_retry(b, t0(), hours(12)), Some(hours(24)));
        assert_eq!(next_retry(b, t0(), hours(24)), Some(hours(48)));
        assert_eq!(next_retry(b, t0(), hours(49)), Some(hours(72)), "a late retry moves to the next slot");
        assert_eq!(next_retry(b, t0(), hours(26 * 24 + 1)), Some(hours(27 * 24)));
        assert_eq!(next_retry(b, t0(), hours(27 * 24)), Some(hours(28 * 24)), "the last retry is at 28 days");
        assert_eq!(next_retry(b, t0(), hours(28 * 24)), None, "then the escrow is removed");
    }

    #[test]
    fn next_cycle_retries_at_once_until_28_days() {
        let n = EscrowRetry::NextCycle;
        assert_eq!(next_retry(n, t0(), hours(5)), Some(hours(5)));
        assert_eq!(next_retry(n, t0(), hours(28 * 24 - 1)), Some(hours(28 * 24 - 1)));
        assert_eq!(next_retry(n, t0(), hours(28 * 24)), None);
    }

    #[test]
    fn failing_again_keeps_the_first_failure_and_counts_attempts() {
        let mut escrows = Escrows::default();
        let failure = Failure { code: Some(ErrorCode::InternalServerError), ..Failure::default() };
        assert!(escrows.fail("a", failure.clone(), t0(), EscrowRetry::Backoff));
        assert!(escrows.held("a", hours(1)) && !escrows.due("a", hours(1)));
        assert!(escrows.due("a", hours(6)));
        assert!(escrows.fail("a", Failure { reference: true, ..failure.clone() }, hours(6), EscrowRetry::Backoff));
        let e = escrows.get("a").expect("still escrowed");
        assert_eq!((e.failures, e.first_failure, e.next_retry), (2, t0(), hours(12)));
        assert_eq!(escrows.failures(), (0, 1), "the last failure was a reference failure");
        assert!(!escrows.fail("a", failure, hours(28 * 24), EscrowRetry::Backoff), "given up");
        assert!(escrows.is_empty());
    }
}
