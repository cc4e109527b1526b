//! `GET /auditLogs/provisioning`: the job's provisioning log as Graph's `provisioningObjectSummary`
//! entries, newest first, filterable (`jobId`, `cycleId`, `changeId`, `provisioningAction`,
//! `provisioningStatusInfo/status`, `activityDateTime` ge/le, identities, ...) and paged.
//!
//! Each [`LoggedEvent`] becomes a [`LogRecord`], the model `logs` reads every format into, and is written
//! by `logs::record_to_graph`, the same writer `entrasim logs anonymize` uses; so what this endpoint serves
//! is exactly what `entrasim logs summarize` and `entrasim replay` read. The source identity is completed
//! from the directory (display name, `userPrincipalName`), as Entra's entries carry them.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value as Json};

use super::audit_steps;
use super::backend::{Initiator, LoggedEvent, TenantIdentity};
use super::error::GraphError;
use super::odata::{Ctx, EntityType};
use super::routes::Graph;
use crate::directory::{Directory, ObjectId, ObjectRef};
use crate::engine::result::{ErrorCode, LogAction, LogStatus, ObjectKind};
use crate::logs::{self, Action, ErrorInfo, Identity, LogRecord, ModifiedProperty, Status};

static SUMMARY: EntityType = EntityType {
    name: "microsoft.graph.provisioningObjectSummary",
    properties: &[
        "id",
        "activityDateTime",
        "tenantId",
        "jobId",
        "cycleId",
        "changeId",
        "provisioningAction",
        "durationInMilliseconds",
        "provisioningStatusInfo",
        "provisioningSteps",
        "modifiedProperties",
        "sourceSystem",
        "targetSystem",
        "sourceIdentity",
        "targetIdentity",
        "initiatedBy",
        "servicePrincipal",
    ],
    defaults: &[],
    expandable: &[],
};

/// `GET /auditLogs/provisioning`.
pub async fn list(State(g): State<Graph>, ctx: Ctx) -> Result<Response, GraphError> {
    let mut events = g.backend.provisioning_log();
    events.sort_by_key(|e| std::cmp::Reverse(e.at));
    let identity = g.backend.identity();
    let answer = {
        let dir = g.read();
        ctx.collection_of("auditLogs/provisioning", &SUMMARY, events, |e, read| entry(identity, &dir, &e, read))?
    };
    Ok(axum::Json(answer).into_response())
}

/// One entry as Graph JSON, with `initiatedBy` and `servicePrincipal` added to what the log writer gives.
/// When only the properties in `read` are wanted (to test `$filter` or `$search`, or to sort), the two that
/// cost most to write, `provisioningSteps` and `modifiedProperties`, are left empty unless named: a filtered
/// read of a 100,000-entry log shapes every entry.
fn entry(identity: &TenantIdentity, dir: &Directory, e: &LoggedEvent, read: Option<&[String]>) -> Json {
    let whole = read.is_none_or(|names| {
        names
            .iter()
            .any(|n| n.eq_ignore_ascii_case("provisioningSteps") || n.eq_ignore_ascii_case("modifiedProperties"))
    });
    let mut json = logs::record_to_graph(&record(identity, dir, e, whole));
    if let Json::Object(map) = &mut json {
        let initiator = match e.initiated_by {
            Initiator::System => {
                json!({"id": "", "displayName": "Microsoft Entra provisioning service", "initiatorType": "system"})
            }
            Initiator::OnDemand => json!({"id": "", "displayName": "Provision on demand", "initiatorType": "user"}),
        };
        map.insert("initiatedBy".into(), initiator);
        map.insert(
            "servicePrincipal".into(),
            json!({"id": identity.service_principal_id, "displayName": identity.display_name}),
        );
    }
    json
}

/// The log model's record of one event; without its steps and modified properties unless `whole`.
fn record(identity: &TenantIdentity, dir: &Directory, e: &LoggedEvent, whole: bool) -> LogRecord {
    // Only the parts a filtered read tests, unless the whole entry is shaped.
    let ev = if whole { e.event.unpack() } else { e.event.head() };
    let ev = &ev;
    let (kind, scim_type) = match ev.object.kind {
        ObjectKind::User => ("User", crate::mapping::target_object_name(crate::mapping::ObjectKind::User)),
        ObjectKind::Group => ("Group", "urn:ietf:params:scim:schemas:core:2.0:Group"),
    };
    let (display_name, upn) = source_names(dir, &ev.object.source_id);
    let display_name = display_name.unwrap_or_else(|| ev.object.alias.clone());
    let mut source_details = vec![("DisplayName".to_string(), display_name.clone())];
    if let Some(upn) = &upn {
        source_details.push(("UserPrincipalName".into(), upn.clone()));
    }
    let status = match ev.status {
        LogStatus::Success => Status::Success,
        LogStatus::Failure => Status::Failure,
        LogStatus::Skipped => Status::Skipped,
        LogStatus::Warning => Status::Warning,
    };
    let action = match ev.action {
        LogAction::Create => Action::Create,
        LogAction::Update | LogAction::Enable => Action::Update,
        LogAction::Disable => Action::Disable,
        LogAction::Delete => Action::Delete,
        LogAction::StagedDelete => Action::StagedDelete,
        _ => Action::Other,
    };
    let error = (ev.code.is_some() || ev.status == LogStatus::Failure).then(|| ErrorInfo {
        code: ev.code.map(code_name).unwrap_or_default(),
        reason: Some(ev.message.clone()),
        ..ErrorInfo::default()
    });
    let steps = if whole {
        let name = upn.clone().unwrap_or_else(|| display_name.clone());
        let present = match ObjectId::parse(&ev.object.source_id).and_then(|oid| dir.by_object_id(oid)) {
            Some(ObjectRef::User(id)) => dir.user(id).is_some_and(|u| !u.is_hard_deleted()),
            Some(ObjectRef::Group(id)) => dir.group(id).is_some_and(|g| !g.is_deleted()),
            None => false,
        };
        let current = if e.source.is_none() { source_attributes(dir, &ev.object.source_id) } else { Vec::new() };
        let names = audit_steps::Names { kind, object: &name, app: &identity.display_name };
        let source = e.source.as_ref().map(|f| f.unpack());
        audit_steps::steps(ev, source.as_ref(), &names, present, current)
    } else {
        Vec::new()
    };
    LogRecord {
        id: e.id.to_string(),
        activity_date_time: e.at,
        cycle_id: e.cycle_id.to_string(),
        change_id: e.change_id.to_string(),
        job_id: identity.job_id.clone(),
        action,
        status,
        error,
        source: Identity {
            id: ev.object.source_id.clone(),
            display_name,
            identity_type: kind.into(),
            details: source_details,
        },
        target: Identity {
            id: ev.object.target_id.clone().unwrap_or_default(),
            display_name: String::new(),
            identity_type: scim_type.into(),
            details: Vec::new(),
        },
        modified_properties: ev
            .modified
            .iter()
            .filter(|_| whole)
            .map(|m| ModifiedProperty {
                name: m.name.clone(),
                old_value: m.old.as_ref().map(text),
                new_value: m.new.as_ref().map(text),
            })
            .collect(),
        steps,
        duration_ms: None,
        source_system: Some("Microsoft Entra ID".into()),
        target_system: Some(identity.display_name.clone()),
        tenant_id: Some(identity.tenant_id.clone()),
    }
}

/// The source object's attributes as the import step's details (canonical names, values as text), when
/// it is still in the directory.
fn source_attributes(dir: &Directory, source_id: &str) -> Vec<(String, String)> {
    let attrs = match ObjectId::parse(source_id).and_then(|oid| dir.by_object_id(oid)) {
        Some(ObjectRef::User(id)) => dir.source_object(id),
        Some(ObjectRef::Group(id)) => dir.group_source_object(id),
        None => return Vec::new(),
    };
    attrs.iter().map(|(k, v)| (k.to_string(), v.to_text().unwrap_or_else(|| v.to_json().to_string()))).collect()
}

/// Display name and userPrincipalName of the source object, when it is still in the directory.
fn source_names(dir: &Directory, source_id: &str) -> (Option<String>, Option<String>) {
    match ObjectId::parse(source_id).and_then(|oid| dir.by_object_id(oid)) {
        Some(ObjectRef::User(id)) => {
            let attrs = dir.source_object(id);
            (attrs.get("displayName").to_text(), dir.user_principal_name(id))
        }
        Some(ObjectRef::Group(id)) => (dir.group(id).and_then(|g| g.display_name()), None),
        None => (None, None),
    }
}

/// Entra's name of an error code (how the engine serialises it).
fn code_name(code: ErrorCode) -> String {
    serde_json::to_value(code).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
}

fn text(v: &Json) -> String {
    match v {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}
