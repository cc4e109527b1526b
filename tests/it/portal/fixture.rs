//! A Graph-shaped stand-in for the tenant, for the portal's browser tests while the pages are checked
//! against Microsoft's documented shapes on their own: the Graph resources the portal reads and changes
//! (users, groups, members, `appRoleAssignedTo`, deleted items, the synchronization job and its schema,
//! `provisionOnDemand` answering in the shape of Microsoft's own example, `auditLogs/provisioning`),
//! and `/_entrasim/events` streaming a cycle when the job is started. It keeps its state in memory and
//! has no provisioning logic: a started job runs one scripted cycle over the assigned users.

use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use entrasim::engine::result::{
    Counts, CycleKind, Event as EngineEvent, Execution, JobCode, JobStatus, QuarantineStatus,
};
use entrasim::portal::PortalConfig;
use serde_json::{json, Value};
use tokio::sync::broadcast;

pub const TOKEN: &str = "fixture-graph-token-0123456789";
pub const SP: &str = "6f1c1b0e-0000-4000-8000-00000000a001";
pub const JOB: &str = "scim.0a1b2c3d4e5f.8d9e0f1a-2b3c-4d5e-8f70-0123456789ab";
pub const RULE: &str = "03f7d90d-bf71-41b1-bda6-aaf0ddbee5d8";

#[derive(Default)]
struct Data {
    users: Vec<Value>,
    groups: Vec<Value>,
    deleted: Vec<Value>,
    members: Vec<(String, String)>,
    assignments: Vec<Value>,
    logs: Vec<Value>,
    job_code: String,
    quarantine: Option<Value>,
    last_began: Option<String>,
    last_ended: Option<String>,
    cycles: u32,
    exchanges: Vec<Value>,
    status: Option<JobStatus>,
    next_id: u32,
}

#[derive(Clone)]
pub struct Fixture {
    data: Arc<Mutex<Data>>,
    events: broadcast::Sender<String>,
}

fn id(n: u32) -> String {
    format!("00000000-0000-4000-8000-{n:012}")
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

impl Fixture {
    pub fn new() -> Fixture {
        let mut d = Data { job_code: "Paused".into(), next_id: 100, ..Data::default() };
        for (i, (name, upn, dept)) in [
            ("Alice Doe", "alice@contoso.com", "Engineering"),
            ("Bob Stone", "bob@contoso.com", "Sales"),
            ("Carol Reyes", "carol@contoso.com", "Engineering"),
            ("Dan Wu", "dan@contoso.com", "Finance"),
        ]
        .into_iter()
        .enumerate()
        {
            let uid = id(i as u32 + 1);
            d.users.push(json!({
                "id": uid, "displayName": name, "userPrincipalName": upn, "mailNickname": upn.split('@').next(),
                "accountEnabled": true, "department": dept, "givenName": name.split(' ').next(),
            }));
            if i < 3 {
                d.assignments.push(json!({ "id": format!("assign-{i}"), "principalId": uid, "principalType": "User",
                    "principalDisplayName": name, "resourceId": SP, "appRoleId": "00000000-0000-0000-0000-000000000000" }));
            }
        }
        d.groups.push(json!({ "id": id(50), "displayName": "Engineering", "mailNickname": "engineering",
            "description": "Everyone who builds things", "securityEnabled": true, "mailEnabled": false }));
        d.members.push((id(50), id(1)));
        let (events, _) = broadcast::channel(256);
        Fixture { data: Arc::new(Mutex::new(d)), events }
    }

    /// The fixture's Graph routes and event stream, merged with the portal under test.
    pub fn router(&self) -> Router {
        let portal = entrasim::portal::router(PortalConfig {
            access_token: Arc::new(|| TOKEN.to_string()),
            service_principal_id: SP.into(),
            job_id: JOB.into(),
            tenant_id: "0a1b2c3d-4e5f-4000-8000-000000000001".into(),
            app_name: "Contoso SCIM app".into(),
        });
        let jobs = format!("/v1.0/servicePrincipals/{SP}/synchronization/jobs");
        let graph = Router::new()
            .route("/v1.0/users", get(list_users).post(create_user))
            .route("/v1.0/users/{id}", delete(delete_user).patch(patch_user))
            .route("/v1.0/groups", get(list_groups))
            .route("/v1.0/groups/{id}/members", get(list_members))
            .route("/v1.0/groups/{id}/members/$ref", post(add_member))
            .route("/v1.0/directory/deletedItems/microsoft.graph.user", get(list_deleted))
            .route("/v1.0/directory/deletedItems/{id}/restore", post(restore))
            .route(&format!("/v1.0/servicePrincipals/{SP}/appRoleAssignedTo"), get(list_assignments).post(assign))
            .route(&format!("{jobs}/{JOB}"), get(job))
            .route(&format!("{jobs}/{JOB}/start"), post(start))
            .route(&format!("{jobs}/{JOB}/pause"), post(pause))
            .route(&format!("{jobs}/{JOB}/schema"), get(schema))
            .route(&format!("{jobs}/{JOB}/provisionOnDemand"), post(on_demand))
            .route(&format!("{jobs}/validateCredentials"), post(validate))
            .route("/v1.0/auditLogs/provisioning", get(logs))
            .route("/_entrasim/events", get(events))
            .route("/_entrasim/status", get(status))
            .route("/_entrasim/exchanges", get(exchanges))
            .route_layer(axum::middleware::from_fn(authorize))
            .with_state(self.clone());
        graph.merge(portal)
    }

    fn emit(&self, event: Value) {
        let _ = self.events.send(event.to_string());
    }

    /// An engine event, serialized as the tenant's `/_entrasim/events` sends it.
    fn emit_engine(&self, event: &EngineEvent) {
        let _ = self.events.send(serde_json::to_string(event).expect("an engine event serializes"));
    }

    /// One cycle over the assigned users, in pages, with a log entry and an exchange per user.
    async fn run_cycle(self) {
        let (cycle, users) = {
            let mut d = self.data.lock().unwrap();
            d.cycles += 1;
            d.last_began = Some(now());
            d.last_ended = None;
            let assigned: Vec<String> =
                d.assignments.iter().filter_map(|a| a["principalId"].as_str().map(String::from)).collect();
            let users: Vec<Value> = d
                .users
                .iter()
                .filter(|u| assigned.contains(&u["id"].as_str().unwrap_or("").to_string()))
                .cloned()
                .collect();
            (d.cycles, users)
        };
        let kind = if cycle == 1 { CycleKind::Initial } else { CycleKind::Incremental };
        let began = chrono::Utc::now();
        self.emit_engine(&EngineEvent::CycleStarted { cycle, kind, at: now() });
        let total = users.len();
        let mut counts = Counts::default();
        for (i, u) in users.iter().enumerate() {
            tokio::time::sleep(Duration::from_millis(700)).await;
            let upn = u["userPrincipalName"].as_str().unwrap_or("").to_string();
            let failed = upn.starts_with("carol");
            let entry = log_entry(cycle, i, u, failed);
            {
                let mut d = self.data.lock().unwrap();
                d.logs.push(entry.clone());
                let seq = d.exchanges.len() + 1;
                let code = if failed { 500 } else { 201 };
                let text = format!("→ POST /Users\n{{\"userName\": \"{upn}\", \"active\": true}}\n← {code}");
                d.exchanges.push(json!({ "seq": seq, "cycle": cycle, "origin": "cycle", "request_line": "POST /Users", "status": code, "text": text }));
            }
            if failed {
                counts.failures += 1;
            } else {
                counts.creates += 1;
            }
            counts.requests += 2;
            self.emit(json!({ "type": "object", "cycle": cycle, "event": { "identity": upn } }));
            self.emit_engine(&EngineEvent::Progress { cycle, done: i + 1, total });
            // A kind of event the portal does not know yet: ignored, not an error.
            self.emit(json!({ "type": "something_new", "cycle": cycle }));
        }
        self.data.lock().unwrap().last_ended = Some(now());
        self.emit_engine(&EngineEvent::CycleFinished { cycle, counts });
        let status = JobStatus {
            code: JobCode::Active,
            cycles: cycle,
            last_execution: Some(Execution {
                cycle,
                kind,
                began,
                ended: chrono::Utc::now(),
                succeeded: counts.failures == 0,
                error: None,
                counts,
            }),
            escrows_outstanding: counts.failures,
            users_provisioned: counts.creates,
            initial_cycle_complete: true,
            ..JobStatus::default()
        };
        self.data.lock().unwrap().status = Some(status.clone());
        self.emit_engine(&EngineEvent::JobStatus { status: Box::new(status) });
    }

    /// Puts the job in quarantine, as the tenant does after most requests failed.
    pub fn quarantine(&self) {
        let mut d = self.data.lock().unwrap();
        let at = chrono::Utc::now();
        let mut status = d.status.clone().unwrap_or_default();
        status.code = JobCode::Quarantine;
        status.quarantine = Some(QuarantineStatus {
            reason: "EncounteredQuarantineException".into(),
            detail: "the target answered 401 to every request".into(),
            what_to_do:
                "Renew the secret token in the admin credentials, select Test connection, then Restart provisioning."
                    .into(),
            current_began: at,
            series_began: at,
            series_count: 1,
            next_attempt: at + chrono::TimeDelta::hours(24),
        });
        d.status = Some(status);
        d.job_code = "Quarantine".into();
        d.quarantine = Some(
            json!({ "currentBegan": now(), "nextAttempt": "2026-12-08T09:00:00Z", "reason": "EncounteredQuarantineException",
            "seriesBegan": now(), "seriesCount": 1, "error": { "code": "Unauthorized", "message": "the target answered 401 to every request", "tenantActionable": true } }),
        );
    }
}

fn log_entry(cycle: u32, i: usize, u: &Value, failed: bool) -> Value {
    let upn = u["userPrincipalName"].as_str().unwrap_or("");
    let error = failed.then(|| json!({ "errorCode": "InternalServerError", "reason": "target returned 500 for POST /Users: simulated internal server error",
        "errorCategory": "NonServiceFailure", "recommendedAction": "Entra retries the object in the next cycle; make the endpoint answer reliably", "additionalDetails": null }));
    json!({
        "id": format!("log-{cycle}-{i}"), "activityDateTime": now(), "tenantId": "0a1b2c3d-4e5f-4000-8000-000000000001",
        "jobId": JOB, "cycleId": format!("cycle-{cycle}-0f3a"), "changeId": format!("change-{cycle}-{i}"),
        "provisioningAction": "create", "durationInMilliseconds": 120,
        "provisioningStatusInfo": { "status": if failed { "failure" } else { "success" }, "errorInformation": error },
        "provisioningSteps": [
            { "name": "EntryImportAdd", "provisioningStepType": "import", "status": "success", "description": format!("Received User '{upn}' change of type (Add) from Microsoft Entra ID"), "details": { "objectId": u["id"], "userPrincipalName": upn, "accountEnabled": "True" } },
            { "name": "EntrySynchronizationScoping", "provisioningStepType": "scoping", "status": "success", "description": format!("Determine if User in scope by evaluating against each scoping filter"), "details": { "Active in the source system": "True", "Assigned to the application": "True", "ScopeEvaluationResult": "{}" } },
            { "name": "EntrySynchronizationAdd", "provisioningStepType": "matching", "status": "success", "description": format!("User '{upn}' will be created in the target (no matching user was found)"), "details": {} },
            { "name": "EntryExportAdd", "provisioningStepType": "export", "status": if failed { "failure" } else { "success" }, "description": if failed { "Failed to create User: the target returned 500".to_string() } else { format!("User '{upn}' was created in the target") }, "details": { "ReportableIdentifier": upn } },
        ],
        "modifiedProperties": [
            { "displayName": "userName", "oldValue": null, "newValue": upn },
            { "displayName": "displayName", "oldValue": null, "newValue": u["displayName"] },
            { "displayName": "active", "oldValue": null, "newValue": "True" },
        ],
        "sourceSystem": { "displayName": "Microsoft Entra ID" }, "targetSystem": { "displayName": "Contoso SCIM app" },
        "sourceIdentity": { "id": u["id"], "displayName": u["displayName"], "identityType": "User", "details": {} },
        "targetIdentity": { "id": if failed { Value::Null } else { json!(format!("scim-{i}")) }, "displayName": upn, "identityType": "urn:ietf:params:scim:schemas:core:2.0:User", "details": {} },
    })
}

async fn authorize(headers: HeaderMap, request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    // EventSource sends no headers: the event stream takes the token in the query, as the tenant's does.
    let query = request.uri().query().unwrap_or("").split('&').any(|p| p == format!("access_token={TOKEN}"));
    let ok = headers.get("authorization").and_then(|h| h.to_str().ok()) == Some(&format!("Bearer {TOKEN}"));
    if ok || query {
        next.run(request).await
    } else {
        (
            StatusCode::UNAUTHORIZED,
            Json(json!({ "error": { "code": "InvalidAuthenticationToken", "message": "Access token is empty." } })),
        )
            .into_response()
    }
}

fn collection(items: Vec<Value>) -> Json<Value> {
    Json(json!({ "value": items }))
}

async fn list_users(State(f): State<Fixture>) -> Json<Value> {
    collection(f.data.lock().unwrap().users.clone())
}
async fn create_user(State(f): State<Fixture>, Json(mut body): Json<Value>) -> (StatusCode, Json<Value>) {
    let mut d = f.data.lock().unwrap();
    d.next_id += 1;
    body["id"] = json!(id(d.next_id));
    if let Some(o) = body.as_object_mut() {
        o.remove("passwordProfile");
    }
    d.users.push(body.clone());
    (StatusCode::CREATED, Json(body))
}
async fn patch_user(State(f): State<Fixture>, Path(uid): Path<String>, Json(body): Json<Value>) -> StatusCode {
    let mut d = f.data.lock().unwrap();
    let Some(u) = d.users.iter_mut().find(|u| u["id"] == uid.as_str()) else { return StatusCode::NOT_FOUND };
    for (k, v) in body.as_object().into_iter().flatten() {
        u[k] = v.clone();
    }
    StatusCode::NO_CONTENT
}
async fn delete_user(State(f): State<Fixture>, Path(uid): Path<String>) -> StatusCode {
    let mut d = f.data.lock().unwrap();
    let Some(at) = d.users.iter().position(|u| u["id"] == uid.as_str()) else { return StatusCode::NOT_FOUND };
    let mut user = d.users.remove(at);
    user["deletedDateTime"] = json!(now());
    d.deleted.push(user);
    StatusCode::NO_CONTENT
}
async fn list_deleted(State(f): State<Fixture>) -> Json<Value> {
    collection(f.data.lock().unwrap().deleted.clone())
}
async fn restore(State(f): State<Fixture>, Path(uid): Path<String>) -> Response {
    let mut d = f.data.lock().unwrap();
    let Some(at) = d.deleted.iter().position(|u| u["id"] == uid.as_str()) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let mut user = d.deleted.remove(at);
    user.as_object_mut().map(|o| o.remove("deletedDateTime"));
    d.users.push(user.clone());
    Json(user).into_response()
}
async fn list_groups(State(f): State<Fixture>) -> Json<Value> {
    collection(f.data.lock().unwrap().groups.clone())
}
async fn list_members(State(f): State<Fixture>, Path(gid): Path<String>) -> Json<Value> {
    let d = f.data.lock().unwrap();
    let ids: Vec<&String> = d.members.iter().filter(|(g, _)| *g == gid).map(|(_, m)| m).collect();
    collection(d.users.iter().filter(|u| ids.iter().any(|i| u["id"] == i.as_str())).cloned().collect())
}
async fn add_member(State(f): State<Fixture>, Path(gid): Path<String>, Json(body): Json<Value>) -> StatusCode {
    let member = body["@odata.id"].as_str().and_then(|s| s.rsplit('/').next()).unwrap_or("").to_string();
    f.data.lock().unwrap().members.push((gid, member));
    StatusCode::NO_CONTENT
}
async fn list_assignments(State(f): State<Fixture>) -> Json<Value> {
    collection(f.data.lock().unwrap().assignments.clone())
}
async fn assign(State(f): State<Fixture>, Json(body): Json<Value>) -> (StatusCode, Json<Value>) {
    let mut d = f.data.lock().unwrap();
    d.next_id += 1;
    let a = json!({ "id": format!("assign-{}", d.next_id), "principalId": body["principalId"], "resourceId": SP, "appRoleId": body["appRoleId"] });
    d.assignments.push(a.clone());
    (StatusCode::CREATED, Json(a))
}

async fn job(State(f): State<Fixture>) -> Json<Value> {
    let d = f.data.lock().unwrap();
    let users = d.logs.iter().filter(|l| l["provisioningStatusInfo"]["status"] == "success").count();
    let last = d.last_began.as_ref().map(|b| json!({ "timeBegan": b, "timeEnded": d.last_ended, "state": if d.last_ended.is_some() { "Succeeded" } else { "InProgress" } }));
    Json(json!({
        "id": JOB, "templateId": "scim",
        "schedule": { "expiration": null, "interval": "PT40M", "state": if d.job_code == "Paused" { "Paused" } else { "Active" } },
        "status": {
            "code": d.job_code, "countSuccessiveCompleteFailures": 0, "escrowsPruned": false,
            "lastExecution": last, "lastSuccessfulExecution": if d.last_ended.is_some() { last.clone() } else { None },
            "progress": [], "quarantine": d.quarantine,
            "steadyStateFirstAchievedTime": "0001-01-01T00:00:00Z", "steadyStateLastAchievedTime": null,
            "synchronizedEntryCountByType": [ { "key": "urn:ietf:params:scim:schemas:core:2.0:User", "value": users } ],
        },
    }))
}
async fn start(State(f): State<Fixture>) -> StatusCode {
    {
        let mut d = f.data.lock().unwrap();
        d.job_code = "Active".into();
        d.quarantine = None;
    }
    tokio::spawn(f.clone().run_cycle());
    StatusCode::NO_CONTENT
}
async fn pause(State(f): State<Fixture>) -> StatusCode {
    f.data.lock().unwrap().job_code = "Paused".into();
    StatusCode::NO_CONTENT
}
async fn validate() -> StatusCode {
    StatusCode::NO_CONTENT
}
async fn schema() -> Json<Value> {
    Json(
        json!({ "id": "scim", "synchronizationRules": [ { "id": RULE, "name": "USER_OUTBOUND_USER", "sourceDirectoryName": "Azure Active Directory", "targetDirectoryName": "customappsso",
        "objectMappings": [ {
            "enabled": true, "flowTypes": "Add, Update, Delete", "name": "Provision Microsoft Entra ID Users", "sourceObjectName": "User", "targetObjectName": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
            "attributeMappings": [
                { "targetAttributeName": "userName", "matchingPriority": 1, "flowType": "Always", "defaultValue": "", "source": { "expression": "[userPrincipalName]", "name": "userPrincipalName", "type": "Attribute", "parameters": [] } },
                { "targetAttributeName": "active", "matchingPriority": 0, "flowType": "Always", "defaultValue": "", "source": { "expression": "Switch([IsSoftDeleted], , \"False\", \"True\", \"True\", \"False\")", "name": "Switch", "type": "Function", "parameters": [] } },
                { "targetAttributeName": "displayName", "matchingPriority": 0, "flowType": "Always", "defaultValue": "", "source": { "expression": "[displayName]", "name": "displayName", "type": "Attribute", "parameters": [] } },
                { "targetAttributeName": "externalId", "matchingPriority": 0, "flowType": "ObjectAddOnly", "defaultValue": "", "source": { "expression": "[mailNickname]", "name": "mailNickname", "type": "Attribute", "parameters": [] } },
            ],
            "scope": { "groups": [ { "name": "Engineering only", "clauses": [ { "operatorName": "EQUALS", "sourceOperandName": "department", "targetOperand": { "values": ["Engineering"] } } ] } ] },
        } ] } ] }),
    )
}

/// Shaped like the example in Microsoft's `synchronizationJob: provisionOnDemand` reference: `key` and
/// `value` are JSON text.
async fn on_demand(State(f): State<Fixture>, Json(body): Json<Value>) -> Response {
    let subject = &body["parameters"][0]["subjects"][0];
    if body["parameters"][0]["ruleId"] != RULE {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({ "error": { "code": "BadRequest", "message": "unknown ruleId" } })),
        )
            .into_response();
    }
    let d = f.data.lock().unwrap();
    let Some(u) = d.users.iter().find(|u| u["id"] == subject["objectId"]) else {
        return (
            StatusCode::NOT_FOUND,
            Json(json!({ "error": { "code": "ResourceNotFound", "message": "no such user" } })),
        )
            .into_response();
    };
    let upn = u["userPrincipalName"].as_str().unwrap_or("");
    let dept = u["department"].as_str().unwrap_or("");
    let in_scope = dept == "Engineering";
    let steps = json!([
        { "name": "EntryImport", "type": "Import", "status": "Success", "description": format!("Retrieved User '{upn}' from Azure Active Directory"), "timestamp": now(), "details": { "objectId": u["id"], "accountEnabled": "True", "displayName": u["displayName"], "userPrincipalName": upn, "department": dept } },
        { "name": "EntrySynchronizationScoping", "type": "Scoping", "status": if in_scope { "Success" } else { "Skipped" }, "description": "Determine if User in scope by evaluating against each scoping filter", "timestamp": now(),
          "details": { "IsActive": "True", "Assigned": "True", "ScopeEvaluationResult": json!({ format!("Engineering only.department EQUALS 'Engineering'"): in_scope }).to_string() } },
        { "name": "EntryImport", "type": "Matching", "status": "Success", "description": format!("Retrieved 0 users from customappsso with userName eq \"{upn}\""), "timestamp": now(), "details": {} },
        { "name": "EntryExportAdd", "type": "Export", "status": if in_scope { "Success" } else { "Skipped" }, "description": if in_scope { format!("User '{upn}' was created in customappsso") } else { "The user is not in scope".to_string() }, "timestamp": now(), "details": { "ReportableIdentifier": upn } },
    ]);
    let value = json!({ "action": if in_scope { "Create" } else { "Other" }, "changeId": "g8ba3be8-1d7f-4a60-ae31-a8980da0a389",
        "modifiedProperties": if in_scope { json!([{ "displayName": "userName", "oldValue": null, "newValue": upn }, { "displayName": "active", "oldValue": null, "newValue": "True" }, { "displayName": "displayName", "oldValue": null, "newValue": u["displayName"] }]) } else { json!([]) },
        "provisioningSteps": steps, "reportableIdentifier": upn, "statusInfo": { "status": if in_scope { "Success" } else { "Skipped" } } });
    let key = json!({ "result": if in_scope { "Success" } else { "Skipped" }, "details": {} });
    Json(json!({ "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#microsoft.graph.stringKeyStringValuePair", "key": key.to_string(), "value": value.to_string() })).into_response()
}

async fn logs(State(f): State<Fixture>) -> Json<Value> {
    collection(f.data.lock().unwrap().logs.clone())
}

async fn events(State(f): State<Fixture>) -> Sse<impl futures::Stream<Item = Result<Event, Infallible>>> {
    let rx = f.events.subscribe();
    let stream = futures::stream::unfold(rx, |mut rx| async move {
        loop {
            match rx.recv().await {
                Ok(text) => {
                    // Named by its type, as the tenant names them.
                    let name =
                        serde_json::from_str::<Value>(&text).ok().and_then(|v| v["type"].as_str().map(String::from));
                    return Some((Ok(Event::default().event(name.unwrap_or_else(|| "event".into())).data(text)), rx));
                }
                Err(broadcast::error::RecvError::Lagged(_)) => continue,
                Err(broadcast::error::RecvError::Closed) => return None,
            }
        }
    });
    Sse::new(stream)
}

async fn status(State(f): State<Fixture>) -> Json<Value> {
    let d = f.data.lock().unwrap();
    Json(json!({
        "job": d.status.clone().unwrap_or(JobStatus { code: if d.job_code == "Paused" { JobCode::Paused } else { JobCode::Active }, ..JobStatus::default() }),
        "clock": { "now": now(), "paused": false, "speed": 600.0 },
        "target": { "url": "http://127.0.0.1:4711/scim/v2", "dialect": "legacy", "embedded": true },
        "testConnection": null,
    }))
}

async fn exchanges(
    State(f): State<Fixture>,
    axum::extract::Query(q): axum::extract::Query<std::collections::HashMap<String, String>>,
) -> Json<Value> {
    let after: usize = q.get("after").and_then(|a| a.parse().ok()).unwrap_or(0);
    collection(
        f.data
            .lock()
            .unwrap()
            .exchanges
            .iter()
            .filter(|x| x["seq"].as_u64().unwrap_or(0) as usize > after)
            .cloned()
            .collect(),
    )
}
