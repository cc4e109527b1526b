//! The seam between the Graph surface and the tenant that runs behind it: [`Backend`]. The Graph handlers
//! read and change the live directory through it, read the provisioning job's state as a [`JobView`],
//! send it [`JobCommand`]s and on-demand requests, and read its provisioning log as [`LoggedEvent`]s.
//! `tenant` implements it over the engine's job runner; the integration tests implement it over a bare
//! directory.

use std::future::Future;
use std::pin::Pin;
use std::sync::RwLock;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::directory::{AppRole, Directory, ObjectId};
use crate::engine::compact_id::CompactId;
use crate::engine::log::packed::{NameList, NameLists, PackedEvent};
use crate::engine::result::OnDemandResult;
use crate::scim::client::Secret;

/// A boxed, sendable future: what the asynchronous [`Backend`] methods return, so `Arc<dyn Backend>`
/// works.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The live tenant behind the Graph surface.
pub trait Backend: Send + Sync + 'static {
    /// Who the tenant and its application are (ids, names, the client secret's hash, app roles).
    fn identity(&self) -> &TenantIdentity;

    /// The live directory. Graph reads under the read lock and changes it under the write lock, in short
    /// sections that never span an `.await`; the job's next incremental cycle picks the changes up from
    /// the directory's change log.
    fn directory(&self) -> &RwLock<Directory>;

    /// The provisioning job's schedule and status now.
    fn job(&self) -> JobView;

    /// Starts, pauses or restarts the job.
    fn control(&self, command: JobCommand) -> BoxFuture<'_, Result<(), BackendError>>;

    /// Provisions one user or group on demand and reports its steps.
    fn provision_on_demand(&self, object: OnDemandTarget) -> BoxFuture<'_, Result<OnDemandResult, BackendError>>;

    /// Test Connection against `base_address` with `secret_token`, without saving them.
    fn validate_credentials(
        &self,
        base_address: String,
        secret_token: Secret,
    ) -> BoxFuture<'_, Result<(), BackendError>>;

    /// Test Connection against the job's own endpoint with the credentials it already has
    /// (`useSavedCredentials`). A backend that keeps none refuses with a 400 that says what to send.
    fn validate_saved_credentials(&self) -> BoxFuture<'_, Result<(), BackendError>> {
        Box::pin(async {
            Err(BackendError::bad_request(
                "`useSavedCredentials` is not supported here: send `credentials` with BaseAddress and SecretToken",
            ))
        })
    }

    /// Saves the job's target (tenant URL and secret token).
    fn set_secrets(&self, base_address: String, secret_token: Secret) -> BoxFuture<'_, Result<(), BackendError>>;

    /// The job's `synchronizationSchema` JSON (the format `mapping` imports).
    fn schema(&self) -> serde_json::Value;

    /// Replaces the job's schema; an error says what is wrong with it.
    fn put_schema(&self, schema: serde_json::Value) -> Result<(), BackendError>;

    /// Every provisioning log entry so far, oldest first (shared: a log holds up to 100,000 entries, and
    /// every read of it would otherwise copy them all).
    fn provisioning_log(&self) -> Vec<std::sync::Arc<LoggedEvent>>;
}

/// The ids and names of the tenant, its application and the provisioning job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantIdentity {
    /// The tenant (directory) id, a GUID: the token endpoint's `{tenant}` segment.
    pub tenant_id: String,
    /// The application's service principal objectId (`servicePrincipals/{id}`).
    pub service_principal_id: String,
    /// The application (client) id: the token endpoint's `client_id` and the service principal's `appId`.
    pub app_id: String,
    /// The application's display name.
    pub display_name: String,
    /// The provisioning job id (`scim.<hex>.<hex>` in Entra).
    pub job_id: String,
    /// The job's `templateId` (`scim` for non-gallery SCIM apps).
    pub template_id: String,
    /// SHA-256 of the client secret, lower-case hex: the token endpoint compares hashes, so the secret is
    /// never kept in clear.
    pub client_secret_sha256: String,
    /// App roles the application defines, besides the default access role (which every application has).
    pub app_roles: Vec<AppRole>,
}

/// The provisioning job as Graph's `synchronizationJob` reports it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct JobView {
    /// How often the job runs, and whether it is scheduled at all.
    pub schedule: JobSchedule,
    /// Where the job stands.
    pub status: JobStatus,
}

/// `synchronizationSchedule`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct JobSchedule {
    /// Time between incremental cycles (written as an ISO 8601 duration, `PT40M`).
    pub interval: std::time::Duration,
    /// Active, paused or disabled.
    pub state: ScheduleState,
}

/// `synchronizationScheduleState`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ScheduleState {
    /// Cycles run on the schedule.
    Active,
    /// Stopped by an administrator (or a quarantine); state is kept.
    Paused,
    /// Never started.
    #[default]
    Disabled,
}

/// `synchronizationStatusCode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StatusCode {
    /// No credentials were given.
    #[default]
    NotConfigured,
    /// Configured, first cycle not complete.
    NotRun,
    /// Running on its schedule.
    Active,
    /// Paused.
    Paused,
    /// In quarantine.
    Quarantine,
}

/// `synchronizationStatus`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct JobStatus {
    /// High-level state.
    pub code: StatusCode,
    /// The last cycle.
    pub last_execution: Option<Execution>,
    /// The last cycle without errors.
    pub last_successful_execution: Option<Execution>,
    /// The last cycle without errors that exported something.
    pub last_successful_execution_with_exports: Option<Execution>,
    /// Progress of the running (or last) cycle.
    pub progress: Vec<Progress>,
    /// Quarantine details, while quarantined.
    pub quarantine: Option<Quarantine>,
    /// When a cycle first exported nothing.
    pub steady_state_first_achieved: Option<DateTime<Utc>>,
    /// When a cycle last exported nothing.
    pub steady_state_last_achieved: Option<DateTime<Utc>>,
    /// Objects in the connector data store by type (`user`, `group`).
    pub synchronized_entry_count_by_type: Vec<(String, u64)>,
    /// Cycles in a row that failed completely.
    pub count_successive_complete_failures: u64,
    /// Escrows were pruned during the initial cycle.
    pub escrows_pruned: bool,
    /// A URL explaining the current error.
    pub troubleshooting_url: Option<String>,
}

/// `synchronizationTaskExecution`: one cycle.
#[derive(Debug, Clone, PartialEq)]
pub struct Execution {
    /// The cycle id (as the provisioning log's `cycleId`).
    pub activity_identifier: String,
    /// When it began.
    pub time_began: DateTime<Utc>,
    /// When it ended (`None` while it runs).
    pub time_ended: Option<DateTime<Utc>>,
    /// How it ended.
    pub state: ExecutionState,
    /// The error that ended it, if any.
    pub error: Option<JobError>,
}

/// `synchronizationTaskExecutionResult`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExecutionState {
    /// Every object was processed without error.
    Succeeded,
    /// The cycle failed as a whole.
    Failed,
    /// Some objects failed (escrowed).
    EntryLevelErrors,
}

/// `synchronizationError`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobError {
    /// Error code (`SystemForCrossDomainIdentityManagementCredentialValidationUnavailable`, ...).
    pub code: String,
    /// What went wrong.
    pub message: String,
}

/// `synchronizationProgress`.
#[derive(Debug, Clone, PartialEq)]
pub struct Progress {
    /// Units done.
    pub completed_units: u64,
    /// Units to do.
    pub total_units: u64,
    /// What a unit is (`Users`).
    pub units: String,
    /// When this was observed.
    pub time_recorded: DateTime<Utc>,
}

/// `synchronizationQuarantine`.
#[derive(Debug, Clone, PartialEq)]
pub struct Quarantine {
    /// When the current quarantine began.
    pub current_began: DateTime<Utc>,
    /// When the next attempt is due.
    pub next_attempt: DateTime<Utc>,
    /// Why (`EncounteredEscrowProportionThreshold`, `EncounteredQuarantineException`, ...).
    pub reason: String,
    /// When the series of quarantines began.
    pub series_began: DateTime<Utc>,
    /// Quarantines in the series.
    pub series_count: u64,
    /// The error behind it.
    pub error: Option<JobError>,
}

/// What `start`, `pause` and `restart` ask of the job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobCommand {
    /// Start (or resume) the job; lifts a quarantine.
    Start,
    /// Pause the job, keeping its state.
    Pause,
    /// Restart: forget the watermark, escrows and quarantine; with `reset_scope` also the connector data
    /// store (Graph's `resetScope` `Full` or `ConnectorDataStore`).
    Restart {
        /// Clear the connector data store too.
        reset_scope: bool,
    },
}

/// The object of an on-demand request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OnDemandTarget {
    /// A user.
    User(ObjectId),
    /// A group, with the members to provision along with it (Graph allows up to five).
    Group {
        /// The group.
        id: ObjectId,
        /// The members named in the request.
        members: Vec<ObjectId>,
    },
}

/// Why the backend refused a request: the message goes into Graph's error body with the status.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct BackendError {
    /// HTTP status of the Graph answer (400, 404, 409, 503, ...).
    pub status: u16,
    /// Graph's error code (`Request_BadRequest`, ...).
    pub code: String,
    /// What is wrong, for the `message` of the error body.
    pub message: String,
}

impl BackendError {
    /// A 400 `Request_BadRequest` with `message`.
    pub fn bad_request(message: impl Into<String>) -> Self {
        BackendError { status: 400, code: "Request_BadRequest".into(), message: message.into() }
    }
}

/// One provisioning log entry with the ids Graph's `provisioningObjectSummary` carries.
#[derive(Debug, Clone, PartialEq)]
pub struct LoggedEvent {
    /// The entry's id (unique).
    pub id: CompactId,
    /// The cycle it belongs to (`cycleId`).
    pub cycle_id: CompactId,
    /// The change within the cycle (`changeId`).
    pub change_id: CompactId,
    /// When it happened.
    pub at: DateTime<Utc>,
    /// A scheduled cycle or an on-demand request.
    pub initiated_by: Initiator,
    /// What was done (packed: a log holds up to 100,000 entries).
    pub event: PackedEvent,
    /// The source object as the cycle read it, when it was in the directory (not for an object gone from
    /// it): the import and scoping steps of the entry.
    pub source: Option<PackedFacts>,
}

/// What a provisioning log entry records of its source object when it is logged: Entra's entries show the
/// object as the cycle imported it and the parts of its scope verdict, not as it is when the log is read.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SourceFacts {
    /// Its attributes (names as the mapping reads them, values as text): the import step's details.
    pub attributes: Vec<(String, String)>,
    /// A user's `accountEnabled` and not in the recycle bin; `None` for a group.
    pub active: Option<bool>,
    /// Assigned to the application (a user directly or through a group).
    pub assigned: bool,
    /// The job syncs every user and group, not only assigned ones.
    pub sync_all: bool,
    /// Each scoping-filter clause as Entra writes it (`{filter title}.{attribute} {OPERATOR} '{value}'`) and
    /// whether it held.
    pub clauses: Vec<(String, bool)>,
    /// The scoping filters passed (or there are none).
    pub filters_passed: bool,
}

impl SourceFacts {
    /// In scope: active (users), assigned or synced with everything, and through the scoping filters.
    pub fn in_scope(&self) -> bool {
        self.active != Some(false) && (self.assigned || self.sync_all) && self.filters_passed
    }
}

/// [`SourceFacts`] as a log of many entries keeps them: the attribute names in a list shared by the entries
/// that have the same ones, the values in one text with their ends (about 0.5 KB an entry instead of 2 KB).
#[derive(Debug, Clone, PartialEq)]
pub struct PackedFacts(FactsForm);

#[derive(Debug, Clone, PartialEq)]
enum FactsForm {
    Packed {
        names: NameList,
        values: Box<str>,
        ends: Box<[u32]>,
        active: Option<bool>,
        assigned: bool,
        sync_all: bool,
        clauses: Box<[(Box<str>, bool)]>,
        filters_passed: bool,
    },
    /// Facts whose values do not fit 32-bit offsets, as they came.
    Whole(Box<SourceFacts>),
}

impl PackedFacts {
    /// Packs `facts`, sharing the attribute names through `lists`.
    pub fn pack(facts: SourceFacts, lists: &mut NameLists) -> Self {
        let mut values = String::new();
        let ends = facts.attributes.iter().map(|(_, value)| {
            values.push_str(value);
            u32::try_from(values.len())
        });
        let Ok(ends) = ends.collect::<Result<Box<[u32]>, _>>() else {
            return PackedFacts(FactsForm::Whole(Box::new(facts)));
        };
        PackedFacts(FactsForm::Packed {
            names: lists.share(facts.attributes.iter().map(|(name, _)| name.as_str())),
            values: values.into_boxed_str(),
            ends,
            active: facts.active,
            assigned: facts.assigned,
            sync_all: facts.sync_all,
            clauses: facts.clauses.into_iter().map(|(text, passed)| (text.into_boxed_str(), passed)).collect(),
            filters_passed: facts.filters_passed,
        })
    }

    /// The facts as they were packed.
    pub fn unpack(&self) -> SourceFacts {
        let (names, values, ends, active, assigned, sync_all, clauses, filters_passed) = match &self.0 {
            FactsForm::Packed { names, values, ends, active, assigned, sync_all, clauses, filters_passed } => {
                (names, values, ends, active, assigned, sync_all, clauses, filters_passed)
            }
            FactsForm::Whole(facts) => return (**facts).clone(),
        };
        let ends = ends.iter().map(|&end| end as usize);
        let starts = std::iter::once(0).chain(ends.clone());
        let attributes = names
            .iter()
            .zip(starts.zip(ends))
            .map(|(name, (start, end))| (name.to_string(), values.get(start..end).unwrap_or("").to_string()))
            .collect();
        SourceFacts {
            attributes,
            active: *active,
            assigned: *assigned,
            sync_all: *sync_all,
            clauses: clauses.iter().map(|(text, passed)| (text.to_string(), *passed)).collect(),
            filters_passed: *filters_passed,
        }
    }
}

impl From<SourceFacts> for PackedFacts {
    fn from(facts: SourceFacts) -> Self {
        PackedFacts::pack(facts, &mut NameLists::default())
    }
}

/// Who started the work an entry logs (`initiatedBy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Initiator {
    /// The job's schedule.
    System,
    /// Provision on demand.
    OnDemand,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn facts() -> impl Strategy<Value = SourceFacts> {
        let attributes = prop::collection::vec(("[a-zA-Z]{1,12}", ".{0,20}"), 0..8);
        let clauses = prop::collection::vec((".{0,30}", any::<bool>()), 0..3);
        (attributes, prop::option::of(any::<bool>()), any::<bool>(), any::<bool>(), clauses, any::<bool>()).prop_map(
            |(attributes, active, assigned, sync_all, clauses, filters_passed)| SourceFacts {
                attributes,
                active,
                assigned,
                sync_all,
                clauses,
                filters_passed,
            },
        )
    }

    proptest! {
        #[test]
        fn packed_facts_unpack_to_the_same_facts(all in prop::collection::vec(facts(), 1..4)) {
            let mut lists = NameLists::default();
            for facts in all {
                prop_assert_eq!(PackedFacts::pack(facts.clone(), &mut lists).unpack(), facts);
            }
        }
    }
}
