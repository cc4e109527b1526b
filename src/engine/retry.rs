//! Escrows during a cycle: whether an object's retry is due, recording a failure or a success, and
//! settling the escrows once the cycle's log is complete (retries counted, resolved, given up, reference
//! failures told apart). The escrow entries and their retry schedule are data in [`crate::engine::escrow`];
//! this is the part of the job that reads the clock and the cycle's log.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};

use crate::engine::escrow::{EscrowCounts, Escrows, Failure};
use crate::engine::log::CycleLog;
use crate::engine::result::{CycleKind, ErrorCode, Finding};
use crate::engine::source::{group_fingerprint, user_fingerprint, SourceSnapshot};
use crate::engine::state::Engine;

impl Engine {
    /// Whether an escrowed object's retry is due in the cycle running now.
    pub(crate) fn escrow_due(&self, object_id: &str) -> bool {
        self.cds.escrows.due(object_id, self.clock.at())
    }

    /// Whether an object is escrowed and its retry is not due in the cycle running now.
    pub(crate) fn escrow_held(&self, object_id: &str) -> bool {
        self.cds.escrows.held(object_id, self.clock.at())
    }

    /// Provision on demand clears an escrowed object's back-off (Microsoft Q&A 623752): a success removes
    /// its escrow; a failure starts the schedule again from now.
    pub(crate) fn on_demand_clears_backoff(&mut self, object_id: &str, succeeded: bool, findings: &[Finding]) {
        let Some(entry) = self.cds.escrows.remove(object_id) else { return };
        if !succeeded {
            let code = findings.iter().find_map(|f| f.code).or(entry.code);
            let failure = Failure { code, reference: entry.reference, fingerprint: entry.fingerprint };
            self.cds.escrows.fail(object_id, failure, self.clock.at(), self.settings.escrow_retry);
        }
    }

    /// Settles the escrows at the end of a cycle from its log: see the module docs. Every failed object's
    /// fingerprint is recorded, so an unchanged escrow is retried by its schedule only.
    pub(crate) fn settle_escrows(
        &mut self,
        kind: CycleKind,
        snapshot: &SourceSnapshot<'_>,
        log: &CycleLog,
    ) -> EscrowCounts {
        let now = self.clock.at();
        let full = kind == CycleKind::Initial || !self.cds.initialized;
        let mut failed: BTreeMap<&str, (Option<ErrorCode>, bool)> = BTreeMap::new();
        // A failed entry that carried only reference attributes (the enterprise `manager`, group `members`)
        // is a "reference failure" (ENTRA.md 6.5).
        for (object_id, code, reference_only) in log.failures() {
            let slot = failed.entry(object_id).or_insert((code, true));
            *slot = (code, slot.1 && reference_only);
        }
        for id in &log.failed {
            failed.entry(id.as_str()).or_insert((None, false));
        }
        // From the counts, not the entries: a lean log keeps no entry for a create.
        let c = &log.counts;
        self.cds.escrows.successes += c.creates + c.updates + c.enables + c.disables + c.deletes;
        let mut fingerprints = current_fingerprints(snapshot, &log.failed, &self.cds.escrows);
        let mut counts = EscrowCounts::default();
        let before: Vec<(String, Option<u64>, DateTime<Utc>)> =
            self.cds.escrows.iter().map(|(id, e)| (id.clone(), e.fingerprint, e.next_retry)).collect();
        for (id, fingerprint, next) in before {
            if failed.contains_key(id.as_str()) {
                counts.retried += 1;
                continue;
            }
            let current = fingerprints.get(&id);
            let linked = self.cds.users.contains_key(&id) || self.cds.groups.contains_key(&id);
            if current.is_none() && !linked {
                // The source object is gone and was never linked: there is nothing left to retry.
                self.cds.escrows.remove(&id);
            } else if full || next <= now || current.is_some_and(|c| Some(c) != fingerprint.as_ref()) {
                counts.retried += 1;
                counts.resolved += 1;
                self.cds.escrows.remove(&id);
            } else {
                counts.not_due += 1;
            }
        }
        let schedule = self.settings.escrow_retry;
        for (id, (code, reference)) in failed {
            let fingerprint = fingerprints.remove(id);
            if let Some(fp) = fingerprint {
                self.cds.fingerprints.insert(id, fp);
            }
            counts.new += usize::from(!self.cds.escrows.contains(id));
            if !self.cds.escrows.fail(id, Failure { code, reference, fingerprint }, now, schedule) {
                counts.given_up += 1;
            }
        }
        counts.outstanding = self.cds.escrows.len();
        // An escrow due at once (the next-cycle schedule) has no time of its own: it goes with the next cycle.
        let next_due = self.cds.escrows.next_due().filter(|t| *t > now);
        counts.next_due = next_due.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
        counts
    }
}

/// The current fingerprints of the source objects that failed or are escrowed (their attributes are read
/// again: these are few).
fn current_fingerprints(
    snapshot: &SourceSnapshot<'_>,
    failed: &BTreeSet<String>,
    escrows: &Escrows,
) -> BTreeMap<String, u64> {
    let wanted = |id: &str| failed.contains(id) || escrows.contains(id);
    let users = snapshot
        .heads()
        .filter(|h| wanted(h.object_id))
        .filter_map(|h| snapshot.user_at(h.index))
        .map(|u| (u.object_id.clone(), user_fingerprint(&u)));
    let groups =
        snapshot.groups.iter().filter(|g| wanted(&g.object_id)).map(|g| (g.object_id.clone(), group_fingerprint(g)));
    users.chain(groups).collect()
}
