//! The provisioning log of one cycle as it is written: events, findings, counts and the objects that
//! failed (escrowed for the next cycle).

use std::collections::BTreeSet;

use crate::engine::result::{
    Counts, ErrorCode, Finding, LogAction, LogStatus, ModifiedProperty, ObjectRef, ProvisioningEvent, RequestRef,
};

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
}

impl CycleLog {
    /// An empty log, lean or not.
    pub fn new(lean: bool) -> Self {
        CycleLog { lean, ..CycleLog::default() }
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
