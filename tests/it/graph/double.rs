//! The in-test tenant behind the Graph surface: a real [`Directory`] and a job double that records the
//! commands, on-demand requests and secrets it receives. It tests the HTTP layer only; the tenant's real
//! job (engine runner) is tested end to end in `tests/it/tenant*.rs`.

use std::sync::{Arc, Mutex, RwLock};

use chrono::{DateTime, Duration, Utc};
use entrasim::directory::{AppRole, Directory, NewGroup, NewUser, ObjectId, ObjectRef as DirRef};
use entrasim::engine::compact_id::CompactId;
use entrasim::engine::result::{
    Detail, ErrorCode, LogAction, LogStatus, ModifiedProperty, ObjectKind, ObjectRef, OnDemandResult, OnDemandStep,
    OnDemandStepKind, ProvisioningEvent, RequestRef,
};
use entrasim::graph::{
    secret_sha256, Backend, BackendError, BoxFuture, Initiator, JobCommand, JobSchedule, JobStatus, JobView,
    LoggedEvent, OnDemandTarget, ScheduleState, StatusCode, TenantIdentity,
};
use entrasim::mapping::Value;
use entrasim::scim::client::Secret;
use serde_json::{json, Value as Json};

pub const TENANT: &str = "8f3d2c1b-0a9e-4f7d-8c6b-5a4e3d2c1b0a";
pub const SP: &str = "5e1c3c7b-0d44-4c1e-9f0a-6c8f4b9d2a11";
pub const APP: &str = "2b7a9c4e-1f3d-4e5a-9b8c-7d6e5f4a3b2c";
pub const JOB: &str = "scim.7d2c4e1f0b9a4c2e8f3d6a5b4c3d2e1f.5e1c3c7b-0d44-4c1e-9f0a-6c8f4b9d2a11";
/// The client secret of the test application (a test value).
pub const SECRET: &str = "test-client-secret-value";
/// The SCIM secret token `validateCredentials` accepts.
pub const GOOD_SCIM_TOKEN: &str = "good-scim-token";
/// The rule id of the bundled schema fixture.
pub const RULE: &str = "6c4ffd06-2bf4-4b1d-9c1e-0e2b0d7d1f10";

pub struct Double {
    identity: TenantIdentity,
    directory: RwLock<Directory>,
    job: Mutex<JobView>,
    pub commands: Mutex<Vec<JobCommand>>,
    pub on_demand: Mutex<Vec<OnDemandTarget>>,
    pub secrets: Mutex<Vec<String>>,
    schema: Mutex<Json>,
    log: Mutex<Vec<LoggedEvent>>,
}

/// alice (assigned, Alice Smith), bob (not assigned, manager alice), group eng = [alice, bob] (not
/// assigned); a two-cycle provisioning log.
pub fn double() -> Double {
    let mut dir = Directory::new();
    let mut alice = NewUser::new("alice");
    for (k, v) in [
        ("userPrincipalName", "alice@contoso.com"),
        ("displayName", "Alice Smith"),
        ("mailNickname", "alice"),
        ("jobTitle", "Engineer"),
    ] {
        alice.attrs.set(k, Value::from(v));
    }
    dir.add_user(alice).unwrap();
    let mut bob = NewUser::new("bob");
    for (k, v) in [("userPrincipalName", "bob@contoso.com"), ("displayName", "Bob Jones"), ("mailNickname", "bob")] {
        bob.attrs.set(k, Value::from(v));
    }
    bob.assigned = false;
    bob.manager = Some("alice".into());
    dir.add_user(bob).unwrap();
    let mut eng = NewGroup::new("eng");
    eng.attrs.set("displayName", Value::from("Engineering"));
    eng.members = vec!["alice".into(), "bob".into()];
    eng.assigned = false;
    dir.add_group(eng).unwrap();
    dir.baseline();
    let schema: Json =
        serde_json::from_str(include_str!("../../fixtures/schema/contoso-scim.json")).expect("schema fixture is JSON");
    Double {
        identity: TenantIdentity {
            tenant_id: TENANT.into(),
            service_principal_id: SP.into(),
            app_id: APP.into(),
            display_name: "Contoso SCIM".into(),
            job_id: JOB.into(),
            template_id: "scim".into(),
            client_secret_sha256: secret_sha256(SECRET),
            app_roles: vec![AppRole::from_value("Admin")],
        },
        log: Mutex::new(seed_log(&dir)),
        directory: RwLock::new(dir),
        job: Mutex::new(JobView {
            schedule: JobSchedule { interval: std::time::Duration::from_secs(40 * 60), state: ScheduleState::Disabled },
            status: JobStatus { code: StatusCode::NotRun, ..JobStatus::default() },
        }),
        commands: Mutex::default(),
        on_demand: Mutex::default(),
        secrets: Mutex::default(),
        schema: Mutex::new(schema),
    }
}

pub fn start_time() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-12-07T08:00:00Z").unwrap().with_timezone(&Utc)
}

fn object(dir: &Directory, alias: &str, target: Option<&str>) -> ObjectRef {
    let (kind, oid) = match dir.lookup(alias).unwrap() {
        DirRef::User(id) => (ObjectKind::User, dir.user(id).unwrap().object_id()),
        DirRef::Group(id) => (ObjectKind::Group, dir.group(id).unwrap().object_id()),
    };
    ObjectRef { kind, alias: alias.into(), source_id: oid.to_string(), target_id: target.map(str::to_string) }
}

fn event(
    object: ObjectRef,
    action: LogAction,
    status: LogStatus,
    code: Option<ErrorCode>,
    message: &str,
) -> ProvisioningEvent {
    ProvisioningEvent {
        object,
        action,
        status,
        code,
        message: message.into(),
        modified: Vec::new(),
        requests: Vec::new(),
    }
}

/// Cycle 1 (initial): alice created, bob skipped (not assigned), eng created. Cycle 2: alice's update
/// failed with a 400.
fn seed_log(dir: &Directory) -> Vec<LoggedEvent> {
    let mut create =
        event(object(dir, "alice", Some("t-alice")), LogAction::Create, LogStatus::Success, None, "created");
    create.modified = vec![
        ModifiedProperty { name: "userName".into(), old: None, new: Some(json!("alice@contoso.com")) },
        ModifiedProperty { name: "active".into(), old: None, new: Some(json!(true)) },
    ];
    create.requests = vec![RequestRef { index: 3, line: "POST /scim/Users".into(), status: Some(201) }];
    let skip = event(
        object(dir, "bob", None),
        LogAction::Skip,
        LogStatus::Skipped,
        Some(ErrorCode::EntrySynchronizationSkipped),
        "not assigned to the application",
    );
    let group = event(object(dir, "eng", Some("t-eng")), LogAction::Create, LogStatus::Success, None, "created");
    let mut failed = event(
        object(dir, "alice", Some("t-alice")),
        LogAction::Update,
        LogStatus::Failure,
        Some(ErrorCode::SystemForCrossDomainIdentityManagementBadRequest),
        "the endpoint answered 400",
    );
    failed.modified =
        vec![ModifiedProperty { name: "title".into(), old: Some(json!("Engineer")), new: Some(json!("Lead")) }];
    let entries = [("cycle-1", create), ("cycle-1", skip), ("cycle-1", group), ("cycle-2", failed)];
    entries
        .into_iter()
        .enumerate()
        .map(|(i, (cycle, event))| LoggedEvent {
            id: CompactId::new(&format!("entry-{i}")),
            cycle_id: CompactId::new(cycle),
            change_id: CompactId::new(&format!("change-{i}")),
            at: start_time() + Duration::minutes(if cycle == "cycle-1" { i as i64 } else { 40 }),
            initiated_by: Initiator::System,
            event: event.into(),
            source: None,
        })
        .collect()
}

impl Double {
    pub fn dir(&self) -> std::sync::RwLockReadGuard<'_, Directory> {
        self.directory.read().unwrap()
    }

    pub fn oid(&self, alias: &str) -> String {
        let dir = self.dir();
        match dir.lookup(alias).unwrap() {
            DirRef::User(id) => dir.user(id).unwrap().object_id().to_string(),
            DirRef::Group(id) => dir.group(id).unwrap().object_id().to_string(),
        }
    }
}

impl Backend for Double {
    fn identity(&self) -> &TenantIdentity {
        &self.identity
    }

    fn directory(&self) -> &RwLock<Directory> {
        &self.directory
    }

    fn job(&self) -> JobView {
        self.job.lock().unwrap().clone()
    }

    fn control(&self, command: JobCommand) -> BoxFuture<'_, Result<(), BackendError>> {
        Box::pin(async move {
            self.commands.lock().unwrap().push(command);
            let mut job = self.job.lock().unwrap();
            (job.schedule.state, job.status.code) = match command {
                JobCommand::Pause => (ScheduleState::Paused, StatusCode::Paused),
                JobCommand::Start | JobCommand::Restart { .. } => (ScheduleState::Active, StatusCode::Active),
            };
            Ok(())
        })
    }

    fn provision_on_demand(&self, target: OnDemandTarget) -> BoxFuture<'_, Result<OnDemandResult, BackendError>> {
        Box::pin(async move {
            self.on_demand.lock().unwrap().push(target.clone());
            let oid = match &target {
                OnDemandTarget::User(id) | OnDemandTarget::Group { id, .. } => *id,
            };
            let (object, attrs) = {
                let dir = self.dir();
                let alias = match dir.by_object_id(oid) {
                    Some(DirRef::User(id)) => dir.user(id).unwrap().alias().to_string(),
                    Some(DirRef::Group(id)) => dir.group(id).unwrap().alias().to_string(),
                    None => {
                        return Err(BackendError {
                            status: 404,
                            code: "Request_ResourceNotFound".into(),
                            message: format!("no object {oid}"),
                        })
                    }
                };
                let attrs = match dir.by_object_id(oid) {
                    Some(DirRef::User(id)) => dir.source_object(id).to_json(),
                    _ => json!({}),
                };
                (object(&dir, &alias, Some("t-new")), attrs)
            };
            let detail = |name: &str, value: Json| Detail { name: name.into(), value, passed: None };
            let step = |kind, title: &str, details| OnDemandStep {
                kind,
                title: title.into(),
                status: LogStatus::Success,
                details,
                requests: Vec::new(),
            };
            let imported = attrs.as_object().unwrap().iter().map(|(k, v)| detail(k, v.clone())).collect();
            let modified = vec![ModifiedProperty {
                name: "userName".into(),
                old: None,
                new: attrs.get("userPrincipalName").cloned(),
            }];
            let result = OnDemandResult {
                object: object.clone(),
                steps: vec![
                    step(OnDemandStepKind::ImportUser, "Import user", imported),
                    step(
                        OnDemandStepKind::DetermineScope,
                        "Determine if user is in scope",
                        vec![detail("Assigned to application", json!(true))],
                    ),
                    step(OnDemandStepKind::MatchUser, "Match user between source and target system", Vec::new()),
                    step(
                        OnDemandStepKind::PerformAction,
                        "Perform action",
                        vec![detail("userName", json!({"old": null, "new": attrs.get("userPrincipalName")}))],
                    ),
                ],
                action: LogAction::Create,
                status: LogStatus::Success,
                modified: modified.clone(),
            };
            let mut ev = event(object, LogAction::Create, LogStatus::Success, None, "created on demand");
            ev.modified = modified;
            let mut log = self.log.lock().unwrap();
            let n = log.len();
            log.push(LoggedEvent {
                id: CompactId::new(&format!("entry-{n}")),
                cycle_id: CompactId::new(&format!("on-demand-{n}")),
                change_id: CompactId::new(&format!("change-{n}")),
                at: start_time() + Duration::hours(2),
                initiated_by: Initiator::OnDemand,
                event: ev.into(),
                source: None,
            });
            Ok(result)
        })
    }

    fn validate_credentials(
        &self,
        base_address: String,
        secret_token: Secret,
    ) -> BoxFuture<'_, Result<(), BackendError>> {
        Box::pin(async move {
            if secret_token.expose() == GOOD_SCIM_TOKEN {
                return Ok(());
            }
            Err(BackendError {
                status: 400,
                code: "SystemForCrossDomainIdentityManagementCredentialValidationUnavailable".into(),
                message: format!("Test Connection failed: {base_address} answered 401 to GET /Users"),
            })
        })
    }

    fn set_secrets(&self, base_address: String, _secret_token: Secret) -> BoxFuture<'_, Result<(), BackendError>> {
        Box::pin(async move {
            self.secrets.lock().unwrap().push(base_address);
            Ok(())
        })
    }

    fn schema(&self) -> Json {
        self.schema.lock().unwrap().clone()
    }

    fn put_schema(&self, schema: Json) -> Result<(), BackendError> {
        if schema.get("synchronizationRules").and_then(Json::as_array).is_none() {
            return Err(BackendError::bad_request("no `synchronizationRules` in the schema JSON"));
        }
        *self.schema.lock().unwrap() = schema;
        Ok(())
    }

    fn provisioning_log(&self) -> Vec<Arc<LoggedEvent>> {
        self.log.lock().unwrap().iter().cloned().map(Arc::new).collect()
    }
}

/// An objectId that names nothing.
pub fn unknown_oid() -> String {
    ObjectId::derive("nobody").to_string()
}
