//! `provisionOnDemand`'s request body (`parameters[].subjects[]` with `objectId` and `objectTypeName`,
//! a group's members under `links.members`, and `ruleId`) and its answer: a `stringKeyStringValuePair`
//! whose `key` is the JSON text `{"result", "details"}` and whose `value` is the JSON text of the
//! provisioning event with its steps, as Graph returns them.

use chrono::{SecondsFormat, Utc};
use serde_json::{json, Map, Value as Json};

use super::backend::OnDemandTarget;
use super::error::GraphError;
use crate::directory::ObjectId;
use crate::engine::result::{LogAction, LogStatus, ObjectKind, OnDemandResult, OnDemandStepKind};

/// Graph's limit on the members of a group provisioned on demand.
const MAX_MEMBERS: usize = 5;

/// The subject of a request and its `ruleId`.
pub fn parse_request(body: &Map<String, Json>) -> Result<(OnDemandTarget, String), GraphError> {
    let bad = |m: &str| GraphError::bad_request(m);
    let params = match body.get("parameters") {
        Some(Json::Array(p)) if !p.is_empty() => p,
        _ => return Err(bad("`parameters` must be a list with one synchronizationJobApplicationParameters")),
    };
    if params.len() > 1 {
        return Err(bad("the simulator provisions one subject per request: give one entry in `parameters`"));
    }
    let rule_id = params[0].get("ruleId").and_then(Json::as_str).unwrap_or("").to_string();
    if rule_id.is_empty() {
        return Err(bad("`parameters[0].ruleId` is required: the id of a synchronizationRule of the job's schema"));
    }
    let subjects = match params[0].get("subjects") {
        Some(Json::Array(s)) if s.len() == 1 => s,
        Some(Json::Array(s)) if s.len() > 1 => {
            return Err(bad("the simulator provisions one subject per request: give one entry in `subjects`"))
        }
        _ => return Err(bad("`parameters[0].subjects` must list the object to provision")),
    };
    let subject = &subjects[0];
    let id = object_id(subject, "parameters[0].subjects[0]")?;
    let kind = subject.get("objectTypeName").and_then(Json::as_str).unwrap_or("");
    let target = match kind.to_ascii_lowercase().as_str() {
        "user" => OnDemandTarget::User(id),
        "group" => {
            let members = match subject.get("links").and_then(|l| l.get("members")) {
                None | Some(Json::Null) => Vec::new(),
                Some(Json::Array(m)) if m.len() <= MAX_MEMBERS => m
                    .iter()
                    .enumerate()
                    .map(|(i, m)| object_id(m, &format!("parameters[0].subjects[0].links.members[{i}]")))
                    .collect::<Result<_, _>>()?,
                Some(Json::Array(_)) => {
                    return Err(bad(&format!("a group is provisioned on demand with at most {MAX_MEMBERS} members")))
                }
                Some(_) => return Err(bad("`links.members` must be a list of subjects")),
            };
            OnDemandTarget::Group { id, members }
        }
        _ => return Err(bad(&format!("`objectTypeName` must be `User` or `Group`, not `{kind}`"))),
    };
    Ok((target, rule_id))
}

fn object_id(subject: &Json, at: &str) -> Result<ObjectId, GraphError> {
    let text = subject.get("objectId").and_then(Json::as_str).unwrap_or("");
    ObjectId::parse(text)
        .ok_or_else(|| GraphError::bad_request(format!("`{at}.objectId` must be an objectId (a GUID), not `{text}`")))
}

/// The answer: `{"key": "<result JSON>", "value": "<event JSON>"}`.
pub fn to_json(result: &OnDemandResult, app: &str) -> Json {
    let now = Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true);
    let status = status_name(result.status);
    let failed = result.steps.iter().find(|s| s.status == LogStatus::Failure || s.status == LogStatus::Skipped);
    let details = match failed {
        Some(step) if result.status != LogStatus::Success => json!({"errorCode": status, "errorMessage": step.title}),
        _ => json!({}),
    };
    let (type_name, scim_type) = match result.object.kind {
        ObjectKind::User => ("User", crate::mapping::target_object_name(crate::mapping::ObjectKind::User)),
        ObjectKind::Group => ("Group", "urn:ietf:params:scim:schemas:core:2.0:Group"),
    };
    let steps: Vec<Json> = result
        .steps
        .iter()
        .map(|s| {
            let (name, kind) = step_name(s.kind, result.action);
            let details: Map<String, Json> = s.details.iter().map(|d| (d.name.clone(), Json::String(text(&d.value)))).collect();
            json!({"name": name, "type": kind, "status": status_name(s.status), "description": s.title, "timestamp": now, "details": details})
        })
        .collect();
    let value = json!({
        "action": action_name(result.action),
        "changeId": uuid::Uuid::new_v4().to_string(),
        "startTime": now,
        "endTime": now,
        "modifiedProperties": result.modified.iter().map(|m| json!({
            "displayName": m.name,
            "oldValue": m.old.as_ref().map(text),
            "newValue": m.new.as_ref().map(text),
        })).collect::<Vec<_>>(),
        "provisioningSteps": steps,
        "reportableIdentifier": result.object.alias,
        "statusInfo": {"status": status, "errorCode": null, "reason": null, "additionalDetails": null, "errorCategory": null, "recommendedAction": null},
        "sourceIdentity": {"id": result.object.source_id, "type": type_name, "displayName": result.object.alias, "details": null},
        "sourceSystem": {"id": null, "name": "Microsoft Entra ID", "details": null},
        "targetIdentity": {"id": result.object.target_id, "type": scim_type, "displayName": null, "details": null},
        "targetSystem": {"id": null, "name": app, "details": null},
    });
    json!({
        "key": json!({"result": status, "details": details}).to_string(),
        "value": value.to_string(),
    })
}

/// A JSON value as the text Graph puts in string-valued details.
fn text(v: &Json) -> String {
    match v {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn status_name(s: LogStatus) -> &'static str {
    match s {
        LogStatus::Success => "Success",
        LogStatus::Failure => "Failure",
        LogStatus::Skipped => "Skipped",
        LogStatus::Warning => "Warning",
    }
}

fn action_name(a: LogAction) -> &'static str {
    match a {
        LogAction::Create => "Create",
        LogAction::Update | LogAction::Enable => "Update",
        LogAction::Disable => "Disable",
        LogAction::Delete => "Delete",
        LogAction::StagedDelete => "StagedDelete",
        _ => "Other",
    }
}

/// Graph's step name and `type` for an on-demand step.
fn step_name(kind: OnDemandStepKind, action: LogAction) -> (&'static str, &'static str) {
    match kind {
        OnDemandStepKind::TestConnection => ("TestConnection", "Other"),
        OnDemandStepKind::ImportUser => ("EntryImport", "Import"),
        OnDemandStepKind::DetermineScope => ("EntrySynchronizationScoping", "Scoping"),
        OnDemandStepKind::MatchUser => ("EntryImport", "Matching"),
        OnDemandStepKind::PerformAction => match action {
            LogAction::Create => ("EntryExportAdd", "Export"),
            LogAction::Update | LogAction::Enable => ("EntryExportUpdate", "Export"),
            LogAction::Disable => ("EntryExportUpdateSoftDelete", "Export"),
            LogAction::Delete => ("EntryExportDelete", "Export"),
            _ => ("EntrySynchronizationSkip", "Export"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(body: Json) -> Result<(OnDemandTarget, String), String> {
        parse_request(body.as_object().unwrap()).map_err(|e| e.message)
    }

    #[test]
    fn reads_users_and_groups_with_members() {
        let u = "9bb0f679-a883-4a6f-8260-35b491b8b8c8";
        let g = "ea807875-5618-4f0a-9125-0b46a05298ca";
        let (target, rule) =
            parse(json!({"parameters": [{"ruleId": "r1", "subjects": [{"objectId": u, "objectTypeName": "User"}]}]}))
                .unwrap();
        assert_eq!((target, rule.as_str()), (OnDemandTarget::User(ObjectId::parse(u).unwrap()), "r1"));
        let body = json!({"parameters": [{"ruleId": "r1", "subjects": [{"objectId": g, "objectTypeName": "Group",
            "links": {"members": [{"objectId": u, "objectTypeName": "User"}]}}]}]});
        let expected =
            OnDemandTarget::Group { id: ObjectId::parse(g).unwrap(), members: vec![ObjectId::parse(u).unwrap()] };
        assert_eq!(parse(body).unwrap().0, expected);
    }

    #[test]
    fn bad_requests_say_what_is_missing() {
        assert_eq!(
            parse(json!({})).unwrap_err(),
            "`parameters` must be a list with one synchronizationJobApplicationParameters"
        );
        let no_rule = json!({"parameters": [{"subjects": [{"objectId": "x", "objectTypeName": "User"}]}]});
        assert!(parse(no_rule).unwrap_err().starts_with("`parameters[0].ruleId` is required"));
        let bad_id =
            json!({"parameters": [{"ruleId": "r", "subjects": [{"objectId": "alice", "objectTypeName": "User"}]}]});
        assert_eq!(
            parse(bad_id).unwrap_err(),
            "`parameters[0].subjects[0].objectId` must be an objectId (a GUID), not `alice`"
        );
    }
}
