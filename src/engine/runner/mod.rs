//! The provisioning job as Entra runs it: the schedule (a cycle every 40 simulated minutes, less often in
//! quarantine), quarantine and disabling, escrows settled after each cycle, restart (with or without
//! resetting the scope), pause and start, Test Connection and provision on demand.
//!
//! The runner owns the engine (the connector data store, the job's state, the clock) and receives the
//! source directory and the mapping at each call, so whoever drives it decides when they change: a
//! scenario between steps, `entrasim tenant` whenever Graph changes them. A cycle reads a
//! [`SourceSnapshot`] taken at its start; a change made meanwhile lands in the next cycle.
//!
//! ```text
//! caller ─▶ next_cycle() ─▶ Due { at, kind } | Paused | Disabled
//!        ─▶ cycle(kind, snapshot, mapper) ─▶ (clock moves to the start) ─▶ Engine::run_cycle
//!                                         ─▶ quarantine transition ─▶ status board + events
//! ```
//!
//! Whatever the runner does is published as it happens: [`Event`]s on the [`EventHub`] (any number of
//! listeners) and the [`JobStatus`] on the [`StatusBoard`] (readable while a cycle runs).

use chrono::{DateTime, TimeDelta, Utc};

pub use crate::engine::events::EventHub;
pub use crate::engine::status::StatusBoard;

use crate::engine::probe::Probe;
use crate::engine::quarantine::{self, Transition};
use crate::engine::result::{
    CycleKind, Event, Execution, Finding, FindingKind, JobCode, LogStatus, OnDemandResult, QuarantineStatus, Running,
    SteadyResult, StepDetail,
};
use crate::engine::source::{Mapper, SourceGroup, SourceSnapshot, SourceUser};
use crate::engine::state::Engine;
use crate::scim::client::Exchange;

/// How long the runner lives, which decides what it keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lifetime {
    /// A scenario: everything is kept for the result and its transcript; a target that never answered
    /// stays unusable for the rest of the run.
    #[default]
    Scenario,
    /// A job that runs for days: each cycle starts with an empty transcript and fresh request flags, so
    /// memory stays bounded ([`Runner::take_exchanges`] hands the exchanges on).
    LongRunning,
}

/// What the job does next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NextCycle {
    /// A cycle of `kind` is due at `at` (now, or later).
    Due {
        /// When it starts.
        at: DateTime<Utc>,
        /// Initial until an initial cycle has completed, incremental afterwards.
        kind: CycleKind,
    },
    /// Stopped by the admin.
    Paused,
    /// Quarantined for too long: nothing runs until a restart.
    Disabled(String),
}

/// What a cycle did.
#[derive(Debug)]
pub struct CycleRun {
    /// The cycle, or why none ran.
    pub detail: StepDetail,
    /// Findings, in order.
    pub findings: Vec<Finding>,
}

/// The provisioning job.
#[derive(Debug)]
pub struct Runner {
    /// The engine: connector data store, the job's schedule and quarantine, clock, client.
    pub engine: Engine,
    lifetime: Lifetime,
    paused: bool,
    /// `Retry-After` time taken from the clock and not yet added to a cycle's start.
    waited: TimeDelta,
}

impl Runner {
    /// A job over `engine`.
    pub fn new(engine: Engine, lifetime: Lifetime) -> Self {
        let runner = Runner { engine, lifetime, paused: false, waited: TimeDelta::zero() };
        runner.publish();
        runner
    }

    /// The live events.
    pub fn events(&self) -> &EventHub {
        &self.engine.events
    }

    /// The status, readable at any time.
    pub fn status(&self) -> &StatusBoard {
        &self.engine.status
    }

    /// Whether the admin stopped the job.
    pub fn is_paused(&self) -> bool {
        self.paused
    }

    /// Puts back what a job that was saved reported (its pause and its status: last executions, steady
    /// state); the engine's own state is put back by whoever saved it.
    pub fn resume_from(&mut self, paused: bool, status: crate::engine::result::JobStatus) {
        self.paused = paused;
        self.engine.status.update(|s| {
            *s = status;
            true
        });
        self.publish();
    }

    /// Stops the job: no cycle is due until [`Runner::start`].
    pub fn pause(&mut self) {
        self.paused = true;
        self.publish();
    }

    /// Starts a paused job again (a disabled one needs [`Runner::restart`]).
    pub fn start(&mut self) {
        self.paused = false;
        self.publish();
    }

    /// Restarts provisioning: the quarantine is cleared, a disabled job runs again, and the next cycle is
    /// an initial one. `reset_scope` also forgets every link and exported value (Entra's "clear current
    /// state and restart synchronization"), so every object is matched again.
    pub fn restart(&mut self, reset_scope: bool) {
        self.engine.cds.restart(reset_scope);
        self.engine.job.restart();
        self.paused = false;
        self.engine.status.update(|s| {
            s.quarantine = None;
            s.successive_complete_failures = 0;
            true
        });
        self.publish();
    }

    /// Lets simulated time pass (a scenario's `wait` step).
    pub fn wait(&mut self, by: std::time::Duration) {
        self.engine.clock.advance(by);
        self.publish();
    }

    /// What the job does next; `Retry-After` waits since the last cycle push the next start later.
    pub fn next_cycle(&mut self) -> NextCycle {
        self.absorb_waits();
        if let Some(why) = &self.engine.job.disabled {
            return NextCycle::Disabled(why.clone());
        }
        if self.paused {
            return NextCycle::Paused;
        }
        let at = self.engine.job.next_start(self.engine.clock.at(), self.waited);
        NextCycle::Due { at, kind: self.next_kind() }
    }

    /// The kind of the next cycle: initial until one has completed.
    pub fn next_kind(&self) -> CycleKind {
        if self.engine.cds.initialized {
            CycleKind::Incremental
        } else {
            CycleKind::Initial
        }
    }

    fn absorb_waits(&mut self) {
        self.waited += TimeDelta::from_std(self.engine.clock.take_waited()).unwrap_or(TimeDelta::zero());
    }

    /// Moves the clock to the next start the schedule allows and returns it.
    fn start_at_schedule(&mut self) -> DateTime<Utc> {
        self.absorb_waits();
        let start = self.engine.job.next_start(self.engine.clock.at(), std::mem::take(&mut self.waited));
        self.engine.clock.set(start);
        self.engine.job.started(start);
        start
    }

    /// Starts a long-running job's next unit of work with an empty transcript and fresh request flags.
    fn begin_work(&mut self) {
        if self.lifetime == Lifetime::LongRunning {
            self.engine.actor.reset_run();
            // Whoever runs the job took what it wanted with `take_exchanges`; the rest is let go.
            self.engine.actor.client().transcript().take();
        }
    }

    /// The exchanges recorded since the last call (a long-running job's transcript starts again after it).
    pub fn take_exchanges(&self) -> Vec<Exchange> {
        self.engine.actor.client().transcript().take()
    }

    /// Runs a cycle when the schedule says (at once when it is due already; the clock jumps to its start),
    /// unless the job is disabled (more than four weeks in quarantine); afterwards its failures and the
    /// escrows decide the quarantine (ENTRA.md 6.5). A paused job still runs a cycle asked for explicitly.
    pub async fn cycle(&mut self, kind: CycleKind, source: &SourceSnapshot<'_>, mapper: &dyn Mapper) -> CycleRun {
        self.begin_work();
        let mut findings = Vec::new();
        self.absorb_waits();
        let start = self.engine.job.next_start(self.engine.clock.at(), self.waited);
        if self.engine.job.disabled.is_none() && self.engine.job.disables_at(start) {
            let why = self.engine.job.disable();
            let finding = Finding::warning(FindingKind::Quarantine, format!("the job is disabled: {why}"));
            self.engine.emit(Event::Finding { finding: finding.clone() });
            findings.push(finding);
        }
        if let Some(why) = &self.engine.job.disabled {
            self.waited = TimeDelta::zero();
            let reason = format!("no cycle runs: the job is disabled ({why})");
            self.publish();
            return CycleRun {
                detail: StepDetail::NotRun { reason, quarantine: self.engine.job.quarantine_text() },
                findings,
            };
        }
        let since_previous = self.engine.job.since_last(start).map(|d| u64::try_from(d.num_seconds()).unwrap_or(0));
        let start = self.start_at_schedule();
        let number = self.engine.cycles + 1;
        let total = source.heads().count();
        self.engine.status.update(|s| {
            s.running = Some(Running { cycle: number, kind, began: start, done: 0, total });
            true
        });
        self.engine.emit(Event::CycleStarted { cycle: number, kind, at: self.engine.clock.now() });
        let first_request = self.engine.transcript_len();
        let (mut result, log) = self.engine.run_cycle(kind, source, mapper).await;
        let sent = self.engine.transcript_len() > first_request;
        for finding in &log.findings {
            self.engine.emit(Event::Finding { finding: finding.clone() });
        }
        findings.extend(log.findings);
        let cause = quarantine::exception_cause(&findings)
            .or_else(|| quarantine::deletion_cause(result.quarantine.as_deref()))
            .or_else(|| quarantine::escrow_cause(&self.engine.cds.escrows));
        let complete_failure = quarantine::exception_cause(&findings).is_some();
        let transition = self.engine.job.after_cycle(start, cause, sent);
        result.quarantine = self.engine.job.quarantine_text();
        result.since_previous = since_previous;
        if let (Transition::Entered | Transition::Changed, Some(q)) = (transition, &result.quarantine) {
            let finding = Finding::error(FindingKind::Quarantine, format!("the job is quarantined: {q}"));
            self.engine.emit(Event::Finding { finding: finding.clone() });
            self.engine.emit(Event::Quarantine { text: q.clone() });
            findings.push(finding);
        }
        let error = findings.iter().find(|f| f.is_error()).map(|f| f.message.clone());
        let execution = Execution {
            cycle: result.number,
            kind,
            began: start,
            ended: self.engine.clock.at(),
            succeeded: error.is_none(),
            error,
            counts: result.counts,
        };
        let steady = execution.succeeded && result.counts.writes == 0 && result.counts.failures == 0;
        self.engine.status.update(|s| {
            s.running = None;
            s.successive_complete_failures = if complete_failure { s.successive_complete_failures + 1 } else { 0 };
            s.escrows_pruned += result.escrows.given_up;
            if steady {
                s.steady_state_first_achieved.get_or_insert(execution.ended);
                s.steady_state_last_achieved = Some(execution.ended);
            }
            if execution.succeeded {
                if result.counts.writes > 0 {
                    s.last_successful_execution_with_exports = Some(execution.clone());
                }
                s.last_successful_execution = Some(execution.clone());
            }
            s.last_execution = Some(execution);
            true
        });
        self.publish();
        self.engine.emit(Event::CycleFinished { cycle: result.number, counts: result.counts });
        CycleRun { detail: StepDetail::Cycle(result), findings }
    }

    /// Runs Test Connection. A job with a refused connection does not start.
    pub async fn test_connection(&mut self, mapper: &dyn Mapper) -> Probe {
        self.begin_work();
        let probe = self.engine.test_connection(mapper).await;
        for finding in &probe.findings {
            self.engine.emit(Event::Finding { finding: finding.clone() });
        }
        probe
    }

    /// Provisions one user on demand (the five steps Entra shows). A success clears the user's escrow.
    pub async fn provision_user(&mut self, user: &SourceUser, mapper: &dyn Mapper) -> (OnDemandResult, Vec<Finding>) {
        self.begin_work();
        let (result, findings) = self.engine.provision_on_demand(user, mapper).await;
        self.engine.on_demand_clears_backoff(&user.object_id, result.status != LogStatus::Failure, &findings);
        self.after_on_demand(&result, &findings);
        (result, findings)
    }

    /// Provisions one group on demand (with up to five of its members).
    pub async fn provision_group(
        &mut self,
        group: &SourceGroup,
        source: &SourceSnapshot<'_>,
        mapper: &dyn Mapper,
    ) -> (OnDemandResult, Vec<Finding>) {
        self.begin_work();
        let (result, findings) = self.engine.provision_group_on_demand(group, source, mapper).await;
        self.engine.on_demand_clears_backoff(&group.object_id, result.status != LogStatus::Failure, &findings);
        self.after_on_demand(&result, &findings);
        (result, findings)
    }

    fn after_on_demand(&self, result: &OnDemandResult, findings: &[Finding]) {
        for finding in findings {
            self.engine.emit(Event::Finding { finding: finding.clone() });
        }
        self.engine.emit(Event::OnDemand { result: result.clone() });
        self.publish();
    }

    /// The steady-state check: cycles until one sends no write (or the passes run out). Its passes are
    /// full cycles, so the schedule moves on as for one.
    pub async fn steady(&mut self, source: &SourceSnapshot<'_>, mapper: &dyn Mapper) -> (SteadyResult, Vec<Finding>) {
        self.begin_work();
        self.start_at_schedule();
        let (steady, findings) = self.engine.steady_check(source, mapper).await;
        for finding in &findings {
            self.engine.emit(Event::Finding { finding: finding.clone() });
        }
        self.publish();
        (steady, findings)
    }

    /// Publishes the job's status (and sends [`Event::JobStatus`] when it changed).
    fn publish(&self) {
        let job = &self.engine.job;
        let code = if job.disabled.is_some() {
            JobCode::Disabled
        } else if self.paused {
            JobCode::Paused
        } else if job.quarantine.is_some() {
            JobCode::Quarantine
        } else if self.engine.cycles == 0 {
            JobCode::NotRun
        } else {
            JobCode::Active
        };
        let next = (code != JobCode::Disabled && code != JobCode::Paused)
            .then(|| job.next_start(self.engine.clock.at(), self.waited));
        let quarantine = job.quarantine.as_ref().map(|q| QuarantineStatus {
            reason: q.reason.name().to_string(),
            detail: q.detail.clone(),
            what_to_do: crate::engine::status::what_to_do(q.reason.name()).to_string(),
            current_began: q.current_began,
            series_began: q.series_began,
            series_count: q.cycles,
            next_attempt: job.next_start(self.engine.clock.at(), self.waited),
        });
        let cds = &self.engine.cds;
        let mut changed = None;
        self.engine.status.update(|s| {
            let before = s.clone();
            s.code = code;
            s.disabled = job.disabled.clone();
            s.cycles = self.engine.cycles;
            s.next_cycle_at = next;
            s.quarantine = quarantine;
            s.initial_cycle_complete = cds.initialized;
            s.users_provisioned = cds.users.len();
            s.groups_provisioned = cds.groups.len();
            s.escrows_outstanding = cds.escrows.len();
            let modified = *s != before;
            if modified {
                changed = Some(s.clone());
            }
            modified
        });
        if let Some(status) = changed {
            self.engine.emit(Event::JobStatus { status: Box::new(status) });
        }
    }
}
