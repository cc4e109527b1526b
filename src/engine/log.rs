//! The provisioning log of one cycle as it is written: events, findings, counts and the objects that
//! failed (escrowed for the next cycle). A log that packs ([`CycleLog::packing`], as the live tenant's
//! cycles do) packs its entries once they are sent live and keeps only the last ones its caller wants.

pub mod packed;

use std::collections::BTreeSet;

use crate::engine::result::{
    Counts, ErrorCode, Finding, LogAction, LogStatus, ModifiedProperty, ObjectRef, ProvisioningEvent, RequestRef,
};
use packed::{NameLists, PackedEvent};

/// Marker returned when an object failed and the failure is already logged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Failed;

/// The log of one cycle (or one on-demand run).
#[derive(Debug, Clone, Default)]
pub struct CycleLog {
    /// Entries in processing order.
    pub events: Vec<ProvisioningEvent>,
    /// Findings raised.
    pub findings: Vec<Finding>,
    /// Counts by action.
    pub counts: Counts,
    /// Source objectIds that failed.
    pub failed: BTreeSet<String>,
    /// A lean log, for runs too large for per-object reporting: creates and skips are only counted,
    /// without an entry each; failures and changes to existing objects (updates, enables, disables,
    /// deletes) keep their entries, with the attributes they changed.
    pub lean: bool,
    /// Entries already sent as live events ([`crate::engine::result::Event::Object`]).
    pub emitted: usize,
    /// The entries before `events`, packed (only when the log packs).
    pub packed: Vec<PackedEvent>,
    /// Pack entries once sent, keeping at most this many packed ones (the caller wants only the last ones).
    pub packing: Option<usize>,
    /// What settling the escrows needs of the failures among the packed entries dropped past `packing`.
    pub dropped_failures: Vec<(String, Option<ErrorCode>, bool)>,
    names: NameLists,
}

impl CycleLog {
    /// An empty log, lean or not.
    pub fn new(lean: bool) -> Self {
        CycleLog { lean, ..CycleLog::default() }
    }

    /// Packs the entries already sent live (when the log packs), dropping the oldest packed ones past the
    /// bound.
    pub fn pack_emitted(&mut self) {
        let Some(keep) = self.packing else { return };
        let names = &mut self.names;
        self.packed.extend(self.events.drain(..self.emitted).map(|e| PackedEvent::pack(e, names)));
        self.emitted = 0;
        let excess = self.packed.len().saturating_sub(keep);
        for e in self.packed.drain(..excess).filter(|e| e.status() == LogStatus::Failure) {
            let only = reference_only(e.names().iter().map(|n| &**n));
            self.dropped_failures.push((e.source_id().to_string(), e.code(), only));
        }
    }

    /// Changes the packed entry at `i` (unpacked, changed, packed again).
    pub fn amend_packed(&mut self, i: usize, change: impl FnOnce(&mut ProvisioningEvent)) {
        let Some(slot) = self.packed.get_mut(i) else { return };
        let mut event = slot.unpack();
        change(&mut event);
        *slot = PackedEvent::pack(event, &mut self.names);
    }

    /// Each failure entry's source objectId, code, and whether it changed only references (managers,
    /// members), in the log's order, packed and dropped ones included.
    pub fn failures(&self) -> impl Iterator<Item = (&str, Option<ErrorCode>, bool)> {
        let dropped = self.dropped_failures.iter().map(|(id, code, only)| (id.as_str(), *code, *only));
        let packed = self.packed.iter().filter(|e| e.status() == LogStatus::Failure);
        let packed = packed.map(|e| (e.source_id(), e.code(), reference_only(e.names().iter().map(|n| &**n))));
        let events = self.events.iter().filter(|e| e.status == LogStatus::Failure);
        let events = events
            .map(|e| (e.object.source_id.as_str(), e.code, reference_only(e.modified.iter().map(|m| m.name.as_str()))));
        dropped.chain(packed).chain(events)
    }

    /// Appends the log of work done elsewhere (one object exported concurrently) whose request indices
    /// were counted from `base`'s point of view: every index is moved by `base`.
    pub fn absorb(&mut self, mut other: CycleLog, base: usize) {
        for event in &mut other.events {
            for r in &mut event.requests {
                r.index = r.index.saturating_add(base);
            }
        }
        for finding in &mut other.findings {
            if let Some(r) = &mut finding.request {
                r.index = r.index.saturating_add(base);
            }
        }
        self.events.append(&mut other.events);
        self.findings.append(&mut other.findings);
        self.failed.append(&mut other.failed);
        let (a, b) = (&mut self.counts, other.counts);
        a.creates += b.creates;
        a.updates += b.updates;
        a.disables += b.disables;
        a.enables += b.enables;
        a.deletes += b.deletes;
        a.skips += b.skips;
        a.failures += b.failures;
        a.requests += b.requests;
        a.writes += b.writes;
    }

    /// Logs a skip.
    pub fn skip(&mut self, obj: &ObjectRef, code: ErrorCode, message: &str) {
        self.counts.skips += 1;
        if self.lean {
            return;
        }
        self.events.push(ProvisioningEvent {
            object: obj.clone(),
            action: LogAction::Skip,
            status: LogStatus::Skipped,
            code: Some(code),
            message: message.to_string(),
            modified: Vec::new(),
            requests: Vec::new(),
        });
    }

    /// Logs a success.
    pub fn success(
        &mut self,
        obj: &ObjectRef,
        action: LogAction,
        message: &str,
        modified: Vec<ModifiedProperty>,
        requests: Vec<RequestRef>,
    ) {
        match action {
            LogAction::Create => self.counts.creates += 1,
            LogAction::Update => self.counts.updates += 1,
            LogAction::Disable => self.counts.disables += 1,
            LogAction::Enable => self.counts.enables += 1,
            LogAction::Delete => self.counts.deletes += 1,
            LogAction::Skip | LogAction::StagedDelete => self.counts.skips += 1,
            LogAction::Other => {}
        }
        if self.lean && action == LogAction::Create {
            return;
        }
        self.events.push(ProvisioningEvent {
            object: obj.clone(),
            action,
            status: LogStatus::Success,
            code: None,
            message: message.to_string(),
            modified,
            requests,
        });
    }

    /// Logs a failure with its finding; the object is escrowed.
    pub fn fail(&mut self, obj: &ObjectRef, requests: &[RequestRef], finding: Finding) -> Failed {
        self.fail_with(obj, requests, finding, Vec::new());
        Failed
    }

    /// Logs a failure with the attributes that were attempted.
    pub fn fail_with(
        &mut self,
        obj: &ObjectRef,
        requests: &[RequestRef],
        finding: Finding,
        modified: Vec<ModifiedProperty>,
    ) {
        self.counts.failures += 1;
        self.failed.insert(obj.source_id.clone());
        // The action attempted, from the last request sent for the object.
        let action = match requests.last().map(|r| r.line.split(' ').next().unwrap_or("")) {
            Some("POST") => LogAction::Create,
            Some("PATCH") if modified.iter().any(|m| m.name == "active") && modified.len() == 1 => LogAction::Disable,
            Some("PATCH") => LogAction::Update,
            Some("DELETE") => LogAction::Delete,
            _ => LogAction::Other,
        };
        self.events.push(ProvisioningEvent {
            object: obj.clone(),
            action,
            status: LogStatus::Failure,
            code: finding.code,
            message: finding.message.clone(),
            modified,
            requests: requests.to_vec(),
        });
        self.findings.push(finding.with_object(obj.clone()));
    }
}

/// Whether the attributes an entry changed are only references (`members`, a manager).
fn reference_only<'a>(mut names: impl Iterator<Item = &'a str>) -> bool {
    let mut any = false;
    let all = names.all(|n| {
        any = true;
        n.eq_ignore_ascii_case("members") || n.rsplit(':').next().is_some_and(|n| n == "manager")
    });
    any && all
}
