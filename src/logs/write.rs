//! Writing records back out as a Graph v1.0 response (`{"value": [...]}`), e.g. after anonymising them.

use serde_json::{json, Map, Value};

use super::model::{Identity, LogRecord};

/// The records as a pretty-printed Graph `auditLogs/provisioning` response.
pub fn to_graph_json(records: &[LogRecord]) -> String {
    let value: Vec<Value> = records.iter().map(record_to_graph).collect();
    let doc = json!({
        "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#auditLogs/provisioning",
        "value": value,
    });
    serde_json::to_string_pretty(&doc).unwrap_or_default()
}

/// One record as a Graph `provisioningObjectSummary` object (what [`to_graph_json`] lists).
pub fn record_to_graph(r: &LogRecord) -> Value {
    let error = r.error.as_ref().map(|e| {
        json!({
            "errorCode": e.code,
            "reason": e.reason,
            "additionalDetails": e.additional_details,
            "errorCategory": e.category,
            "recommendedAction": e.recommended_action,
        })
    });
    json!({
        "id": r.id,
        "activityDateTime": r.activity_date_time.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
        "tenantId": r.tenant_id,
        "jobId": r.job_id,
        "cycleId": r.cycle_id,
        "changeId": r.change_id,
        "provisioningAction": r.action.as_str(),
        "durationInMilliseconds": r.duration_ms,
        "provisioningStatusInfo": { "status": r.status.as_str(), "errorInformation": error },
        "provisioningSteps": r.steps.iter().map(|s| json!({
            "name": s.name,
            "provisioningStepType": s.step_type.as_str(),
            "status": s.status.map(|s| s.as_str()),
            "description": s.description,
            "details": details(&s.details),
        })).collect::<Vec<_>>(),
        "modifiedProperties": r.modified_properties.iter().map(|p| json!({
            "displayName": p.name,
            "oldValue": p.old_value,
            "newValue": p.new_value,
        })).collect::<Vec<_>>(),
        "sourceSystem": { "displayName": r.source_system },
        "targetSystem": { "displayName": r.target_system },
        "sourceIdentity": identity(&r.source),
        "targetIdentity": identity(&r.target),
    })
}

fn identity(i: &Identity) -> Value {
    json!({
        "id": i.id,
        "displayName": i.display_name,
        "identityType": i.identity_type,
        "details": details(&i.details),
    })
}

fn details(d: &[(String, String)]) -> Value {
    Value::Object(d.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect::<Map<_, _>>())
}
