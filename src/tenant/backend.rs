//! The tenant as the Graph surface's [`Backend`]: directory reads and writes go straight to the live
//! directory; job commands, on-demand requests and credentials go to the job task and wait for its answer;
//! the job's view is built from the status board, which the runner keeps current even while a cycle runs.

use std::sync::{Arc, RwLock};

use chrono::{DateTime, Utc};

use super::shared::{self, Command, Shared};
use crate::diagnostic::SourceFile;
use crate::directory::Directory;
use crate::engine::quarantine::CYCLE_INTERVAL;
use crate::engine::result::{Execution as Cycle, JobCode, JobStatus as Status, OnDemandResult};
use crate::graph::{
    Backend, BackendError, BoxFuture, Execution, ExecutionState, JobCommand, JobError, JobSchedule, JobStatus, JobView,
    LoggedEvent, OnDemandTarget, Progress, Quarantine, ScheduleState, StatusCode, TenantIdentity,
};
use crate::scim::client::Secret;

/// [`Shared`] behind the Graph surface.
#[derive(Debug, Clone)]
pub struct TenantBackend(pub Arc<Shared>);

impl Backend for TenantBackend {
    fn identity(&self) -> &TenantIdentity {
        &self.0.identity
    }

    fn directory(&self) -> &RwLock<Directory> {
        &self.0.directory
    }

    fn job(&self) -> JobView {
        job_view(&self.0.status.get(), self.0.clock_now(), &self.0.identity.job_id)
    }

    fn control(&self, command: JobCommand) -> BoxFuture<'_, Result<(), BackendError>> {
        Box::pin(self.0.ask(move |reply| Command::Control(command, reply)))
    }

    fn provision_on_demand(&self, object: OnDemandTarget) -> BoxFuture<'_, Result<OnDemandResult, BackendError>> {
        Box::pin(self.0.ask(move |reply| Command::OnDemand(object, reply)))
    }

    fn validate_credentials(
        &self,
        base_address: String,
        secret_token: Secret,
    ) -> BoxFuture<'_, Result<(), BackendError>> {
        Box::pin(self.0.ask(move |reply| Command::Validate(base_address, secret_token, reply)))
    }

    fn validate_saved_credentials(&self) -> BoxFuture<'_, Result<(), BackendError>> {
        Box::pin(self.0.ask(Command::TestSaved))
    }

    fn set_secrets(&self, base_address: String, secret_token: Secret) -> BoxFuture<'_, Result<(), BackendError>> {
        Box::pin(self.0.ask(move |reply| Command::SetSecrets(base_address, secret_token, reply)))
    }

    fn schema(&self) -> serde_json::Value {
        shared::read(&self.0.schema).clone()
    }

    fn put_schema(&self, schema: serde_json::Value) -> Result<(), BackendError> {
        let text = serde_json::to_string_pretty(&schema).unwrap_or_default();
        let file = SourceFile::new("schema (PUT)", text);
        let (set, diagnostics) = crate::mapping::import_schema(&file);
        let Some(set) = set.filter(|_| diagnostics.iter().all(|d| !d.is_error())) else {
            let message = diagnostics
                .iter()
                .find(|d| d.is_error())
                .map(|d| d.message.clone())
                .unwrap_or_else(|| "the schema has no User object mapping".into());
            return Err(BackendError::bad_request(format!("the schema was not accepted: {message}")));
        };
        *shared::write(&self.0.schema) = schema;
        *shared::write(&self.0.mapping) = Arc::new(set.clone());
        self.0.commands.send(Command::SetMapping(Box::new(set))).map_err(|_| BackendError {
            status: 503,
            code: "ServiceUnavailable".into(),
            message: "the provisioning job has stopped".into(),
        })
    }

    fn provisioning_log(&self) -> Vec<Arc<LoggedEvent>> {
        shared::lock(&self.0.log).iter().cloned().collect()
    }
}

impl Shared {
    fn clock_now(&self) -> DateTime<Utc> {
        crate::engine::clock::Clock::now(&*self.clock)
    }
}

/// Graph's `synchronizationJob` from the runner's status.
pub fn job_view(status: &Status, now: DateTime<Utc>, job_id: &str) -> JobView {
    let state = match status.code {
        JobCode::Paused => ScheduleState::Paused,
        JobCode::Disabled => ScheduleState::Disabled,
        JobCode::NotRun | JobCode::Active | JobCode::Quarantine => ScheduleState::Active,
    };
    let code = match status.code {
        JobCode::NotRun => StatusCode::NotRun,
        JobCode::Active => StatusCode::Active,
        JobCode::Paused | JobCode::Disabled => StatusCode::Paused,
        JobCode::Quarantine => StatusCode::Quarantine,
    };
    let interval = match (&status.quarantine, status.next_cycle_at, status.last_execution.as_ref()) {
        (Some(_), Some(next), Some(last)) => (next - last.began).to_std().unwrap_or_default(),
        _ => CYCLE_INTERVAL.to_std().unwrap_or_default(),
    };
    let progress = match &status.running {
        Some(running) => {
            let (done, total) = running.pages();
            vec![Progress {
                completed_units: done as u64,
                total_units: total as u64,
                units: "Pages".into(),
                time_recorded: now,
            }]
        }
        None => Vec::new(),
    };
    let error = |e: &Cycle| {
        e.error.as_ref().map(|message| JobError { code: "SynchronizationFailed".into(), message: message.clone() })
    };
    let execution = |e: &Cycle| Execution {
        activity_identifier: shared::cycle_id(job_id, e.cycle),
        time_began: e.began,
        time_ended: Some(e.ended),
        state: if e.succeeded {
            ExecutionState::Succeeded
        } else if e.counts.failures > 0 && e.counts.creates + e.counts.updates + e.counts.deletes > 0 {
            ExecutionState::EntryLevelErrors
        } else {
            ExecutionState::Failed
        },
        error: error(e),
    };
    let quarantine = status.quarantine.as_ref().map(|q| Quarantine {
        current_began: q.current_began,
        next_attempt: q.next_attempt,
        reason: q.reason.clone(),
        series_began: q.series_began,
        series_count: u64::from(q.series_count),
        error: Some(JobError { code: q.reason.clone(), message: format!("{} ({})", q.detail, q.what_to_do) }),
    });
    JobView {
        schedule: JobSchedule { interval, state },
        status: JobStatus {
            code,
            last_execution: status.last_execution.as_ref().map(execution),
            last_successful_execution: status.last_successful_execution.as_ref().map(execution),
            last_successful_execution_with_exports: status
                .last_successful_execution_with_exports
                .as_ref()
                .map(execution),
            progress,
            quarantine,
            steady_state_first_achieved: status.steady_state_first_achieved,
            steady_state_last_achieved: status.steady_state_last_achieved,
            synchronized_entry_count_by_type: vec![
                ("user".into(), status.users_provisioned as u64),
                ("group".into(), status.groups_provisioned as u64),
            ],
            count_successive_complete_failures: u64::from(status.successive_complete_failures),
            escrows_pruned: status.escrows_pruned > 0,
            troubleshooting_url: None,
        },
    }
}
