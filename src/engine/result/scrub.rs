//! Hiding secrets in a run's results before they leave the engine (issue 18): a run reads every answer as
//! the endpoint sent it, and only what it hands out — the [`ScenarioResult`] and each live [`Event`] —
//! goes through a [`Scrubber`]. Every text a result can carry is visited here, down to the transcript's
//! bodies, so that an endpoint echoing the token cannot put it into a report, a snapshot or the terminal.

use serde_json::Value as Json;

use super::views::{Detail, Flap, OnDemandStep};
use super::JobStatus;
use super::{
    Abort, CycleResult, Event, ExpectationResult, Finding, IdAlias, ModifiedProperty, ObjectRef, OnDemandResult,
    ProvisioningEvent, RequestRef, ScenarioResult, SteadyResult, StepDetail, StepResult,
};
use super::{IsolationReport, TargetObject};
use crate::scim::client::{Exchange, Scrubber};

/// A value whose texts can hold a secret.
pub trait Scrub {
    /// Replaces every secret in the value's texts by `***`.
    fn scrub(&mut self, s: &Scrubber);
}

impl Scrub for String {
    fn scrub(&mut self, s: &Scrubber) {
        s.string(self);
    }
}

impl Scrub for Json {
    fn scrub(&mut self, s: &Scrubber) {
        s.json(self);
    }
}

impl Scrub for Exchange {
    fn scrub(&mut self, s: &Scrubber) {
        s.exchange(self);
    }
}

impl<T: Scrub> Scrub for Option<T> {
    fn scrub(&mut self, s: &Scrubber) {
        if let Some(v) = self {
            v.scrub(s);
        }
    }
}

impl<T: Scrub> Scrub for Vec<T> {
    fn scrub(&mut self, s: &Scrubber) {
        self.iter_mut().for_each(|v| v.scrub(s));
    }
}

impl Scrub for ScenarioResult {
    fn scrub(&mut self, s: &Scrubber) {
        if s.is_empty() {
            return;
        }
        let ScenarioResult {
            name,
            description,
            dialect: _,
            target,
            steps,
            findings,
            aborted,
            summary,
            aliases,
            transcript,
            records: _, // kinds and statuses only: no text from the endpoint
            base_url,
            isolation,
            run_tag: _, // drawn by entrasim
            wire: _,    // switch names and values
        } = self;
        for text in [name, description, target, base_url] {
            text.scrub(s);
        }
        steps.scrub(s);
        findings.scrub(s);
        aborted.scrub(s);
        summary.quarantine.scrub(s);
        aliases.scrub(s);
        transcript.scrub(s);
        if let Some(report) = isolation {
            report.scrub(s);
        }
    }
}

impl Scrub for IsolationReport {
    fn scrub(&mut self, s: &Scrubber) {
        let IsolationReport { leftovers, cleaned, deleted, kept, undeletable } = self;
        for objects in [leftovers, cleaned, deleted, kept] {
            objects.scrub(s);
        }
        for u in undeletable {
            u.object.scrub(s);
            u.reason.scrub(s);
        }
    }
}

impl Scrub for TargetObject {
    fn scrub(&mut self, s: &Scrubber) {
        self.id.scrub(s);
        self.name.scrub(s);
    }
}

impl Scrub for Abort {
    fn scrub(&mut self, s: &Scrubber) {
        self.message.scrub(s);
    }
}

impl Scrub for IdAlias {
    fn scrub(&mut self, s: &Scrubber) {
        self.id.scrub(s);
        self.alias.scrub(s);
    }
}

impl Scrub for StepResult {
    fn scrub(&mut self, s: &Scrubber) {
        self.label.scrub(s);
        self.detail.scrub(s);
        self.expectations.scrub(s);
        self.findings.scrub(s);
    }
}

impl Scrub for ExpectationResult {
    fn scrub(&mut self, s: &Scrubber) {
        self.what.scrub(s);
        self.expected.scrub(s);
        self.actual.scrub(s);
    }
}

impl Scrub for StepDetail {
    fn scrub(&mut self, s: &Scrubber) {
        match self {
            StepDetail::Directory { change } => change.scrub(s),
            StepDetail::TestConnection(t) => {
                t.message.scrub(s);
                t.probes.scrub(s);
            }
            StepDetail::Cycle(c) => c.scrub(s),
            StepDetail::OnDemand(o) => o.scrub(s),
            StepDetail::Steady(x) => x.scrub(s),
            StepDetail::NotRun { reason, quarantine } => {
                reason.scrub(s);
                quarantine.scrub(s);
            }
        }
    }
}

impl Scrub for CycleResult {
    fn scrub(&mut self, s: &Scrubber) {
        self.events.scrub(s);
        self.quarantine.scrub(s);
    }
}

impl Scrub for ProvisioningEvent {
    fn scrub(&mut self, s: &Scrubber) {
        self.object.scrub(s);
        self.message.scrub(s);
        self.modified.scrub(s);
        self.requests.scrub(s);
    }
}

impl Scrub for ObjectRef {
    fn scrub(&mut self, s: &Scrubber) {
        self.alias.scrub(s);
        self.source_id.scrub(s);
        self.target_id.scrub(s);
    }
}

impl Scrub for ModifiedProperty {
    fn scrub(&mut self, s: &Scrubber) {
        self.name.scrub(s);
        self.old.scrub(s);
        self.new.scrub(s);
    }
}

impl Scrub for RequestRef {
    fn scrub(&mut self, s: &Scrubber) {
        self.line.scrub(s);
    }
}

impl Scrub for Finding {
    fn scrub(&mut self, s: &Scrubber) {
        self.message.scrub(s);
        self.object.scrub(s);
        self.request.scrub(s);
    }
}

impl Scrub for OnDemandResult {
    fn scrub(&mut self, s: &Scrubber) {
        self.object.scrub(s);
        self.steps.scrub(s);
        self.modified.scrub(s);
    }
}

impl Scrub for OnDemandStep {
    fn scrub(&mut self, s: &Scrubber) {
        self.title.scrub(s);
        self.details.scrub(s);
        self.requests.scrub(s);
    }
}

impl Scrub for Detail {
    fn scrub(&mut self, s: &Scrubber) {
        self.name.scrub(s);
        self.value.scrub(s);
    }
}

impl Scrub for SteadyResult {
    fn scrub(&mut self, s: &Scrubber) {
        self.flapping.scrub(s);
        self.passes.scrub(s);
    }
}

impl Scrub for Flap {
    fn scrub(&mut self, s: &Scrubber) {
        self.object.scrub(s);
        self.attribute.scrub(s);
        self.sent.scrub(s);
        self.returned.scrub(s);
        self.cause.scrub(s);
    }
}

impl Scrub for Event {
    fn scrub(&mut self, s: &Scrubber) {
        match self {
            Event::StepStarted { label, .. } => label.scrub(s),
            Event::Object { event, .. } => event.scrub(s),
            Event::Finding { finding } => finding.scrub(s),
            Event::Quarantine { text } => text.scrub(s),
            Event::OnDemand { result } => result.scrub(s),
            Event::JobStatus { status } => status.scrub(s),
            Event::StepFinished { .. }
            | Event::Progress { .. }
            | Event::CycleStarted { .. }
            | Event::CycleFinished { .. } => {}
        }
    }
}

impl Scrub for JobStatus {
    fn scrub(&mut self, s: &Scrubber) {
        self.disabled.scrub(s);
        for execution in [
            &mut self.last_execution,
            &mut self.last_successful_execution,
            &mut self.last_successful_execution_with_exports,
        ]
        .into_iter()
        .flatten()
        {
            execution.error.scrub(s);
        }
        if let Some(q) = &mut self.quarantine {
            q.detail.scrub(s);
        }
    }
}
