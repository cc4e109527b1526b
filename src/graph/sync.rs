//! The provisioning job under `servicePrincipals/{id}/synchronization`: `jobs` list and get (Graph's
//! `synchronizationJob` from the backend's [`JobView`]), `start`, `pause`, `restart` (with
//! `criteria.resetScope`), `provisionOnDemand`, the job's `schema`, `secrets` and `validateCredentials`.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{json, Map, Value as Json};

use super::apps::check_service_principal;
use super::backend::{JobCommand, OnDemandTarget};
use super::error::GraphError;
use super::job;
use super::objects;
use super::odata::{Ctx, EntityType};
use super::on_demand;
use super::routes::Graph;
use crate::scim::client::Secret;

type Answer = Result<Response, GraphError>;

static JOB: EntityType = EntityType {
    name: "microsoft.graph.synchronizationJob",
    properties: &["id", "templateId", "schedule", "status", "synchronizationJobSettings"],
    defaults: &[],
    expandable: &[],
};

fn check_job(g: &Graph, sp: &str, job: &str) -> Result<(), GraphError> {
    check_service_principal(g, sp)?;
    if job.eq_ignore_ascii_case(&g.backend.identity().job_id) {
        Ok(())
    } else {
        Err(GraphError::not_found(job))
    }
}

fn job_json(g: &Graph) -> Json {
    let id = g.backend.identity();
    job::to_json(&id.job_id, &id.template_id, &g.backend.job())
}

/// `GET /servicePrincipals/{id}/synchronization/jobs`.
pub async fn list(State(g): State<Graph>, ctx: Ctx, Path(sp): Path<String>) -> Answer {
    check_service_principal(&g, &sp)?;
    let set = format!("servicePrincipals('{sp}')/synchronization/jobs");
    Ok(axum::Json(ctx.collection(&set, &JOB, vec![job_json(&g)])?).into_response())
}

/// `GET /servicePrincipals/{id}/synchronization/jobs/{jobId}`.
pub async fn get(State(g): State<Graph>, ctx: Ctx, Path((sp, job)): Path<(String, String)>) -> Answer {
    check_job(&g, &sp, &job)?;
    let set = format!("servicePrincipals('{sp}')/synchronization/jobs");
    Ok(axum::Json(ctx.entity(&set, &JOB, job_json(&g))?).into_response())
}

/// `POST .../jobs/{jobId}/start`.
pub async fn start(State(g): State<Graph>, Path((sp, job)): Path<(String, String)>) -> Answer {
    check_job(&g, &sp, &job)?;
    g.backend.control(JobCommand::Start).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `POST .../jobs/{jobId}/pause`.
pub async fn pause(State(g): State<Graph>, Path((sp, job)): Path<(String, String)>) -> Answer {
    check_job(&g, &sp, &job)?;
    g.backend.control(JobCommand::Pause).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `POST .../jobs/{jobId}/restart` with an optional `{"criteria": {"resetScope": "..."}}`.
pub async fn restart(State(g): State<Graph>, Path((sp, job)): Path<(String, String)>, bytes: Bytes) -> Answer {
    check_job(&g, &sp, &job)?;
    let scope = if bytes.iter().all(u8::is_ascii_whitespace) {
        String::new()
    } else {
        let body = objects::body(&bytes)?;
        match body.get("criteria").and_then(|c| c.get("resetScope")) {
            None | Some(Json::Null) => String::new(),
            Some(Json::String(s)) => s.clone(),
            Some(_) => return Err(GraphError::bad_request("`criteria.resetScope` must be a comma-separated text")),
        }
    };
    g.backend.control(restart_command(&scope)?).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The command a `resetScope` asks for: `None` alone starts the job; `Full` or `ConnectorDataStore`
/// restart it clearing the connector data store; any other combination (or none) is the portal's
/// "Restart provisioning" (watermark, escrows and quarantine).
pub fn restart_command(scope: &str) -> Result<JobCommand, GraphError> {
    const FLAGS: [&str; 7] =
        ["None", "ConnectorDataStore", "Escrows", "Watermark", "QuarantineState", "Full", "ForceDeletes"];
    let flags: Vec<&str> = scope.split(',').map(str::trim).filter(|f| !f.is_empty()).collect();
    if let Some(bad) = flags.iter().find(|f| !FLAGS.iter().any(|k| k.eq_ignore_ascii_case(f))) {
        return Err(GraphError::bad_request(format!(
            "unknown resetScope `{bad}`: expected a comma-separated combination of {}",
            FLAGS.join(", ")
        )));
    }
    let has = |name: &str| flags.iter().any(|f| f.eq_ignore_ascii_case(name));
    if flags.len() == 1 && has("None") {
        return Ok(JobCommand::Start);
    }
    Ok(JobCommand::Restart { reset_scope: has("Full") || has("ConnectorDataStore") })
}

/// `POST .../jobs/{jobId}/provisionOnDemand`: one subject (a user, or a group with its members).
pub async fn provision_on_demand(
    State(g): State<Graph>,
    ctx: Ctx,
    Path((sp, job)): Path<(String, String)>,
    bytes: Bytes,
) -> Answer {
    check_job(&g, &sp, &job)?;
    let (target, rule_id) = on_demand::parse_request(&objects::body(&bytes)?)?;
    check_rule(&g, &rule_id)?;
    let key = match &target {
        OnDemandTarget::User(id) | OnDemandTarget::Group { id, .. } => id.to_string(),
    };
    let known = {
        let dir = g.read();
        objects::object(&dir, &key).is_ok() || objects::user(&dir, &key, objects::Bin::Deleted).is_ok()
    };
    if !known {
        return Err(GraphError::not_found(&key));
    }
    let result = g.backend.provision_on_demand(target).await?;
    let mut answer = on_demand::to_json(&result, &g.backend.identity().display_name);
    if let Json::Object(map) = &mut answer {
        map.insert("@odata.context".into(), json!(ctx.context("microsoft.graph.stringKeyStringValuePair")));
    }
    Ok(axum::Json(answer).into_response())
}

/// Fails unless `rule_id` names a `synchronizationRules[].id` of the job's schema (any id passes when the
/// schema gives its rules no ids).
fn check_rule(g: &Graph, rule_id: &str) -> Result<(), GraphError> {
    let schema = g.backend.schema();
    let ids: Vec<&str> = schema
        .get("synchronizationRules")
        .and_then(Json::as_array)
        .map(|rules| rules.iter().filter_map(|r| r.get("id").and_then(Json::as_str)).collect())
        .unwrap_or_default();
    if ids.is_empty() || ids.iter().any(|id| id.eq_ignore_ascii_case(rule_id)) {
        return Ok(());
    }
    Err(GraphError::bad_request(format!(
        "`ruleId` {rule_id} is not a synchronizationRule of the job's schema (its rules: {})",
        ids.join(", ")
    )))
}

/// `GET .../jobs/{jobId}/schema`.
pub async fn get_schema(State(g): State<Graph>, ctx: Ctx, Path((sp, job)): Path<(String, String)>) -> Answer {
    check_job(&g, &sp, &job)?;
    let mut schema = g.backend.schema();
    if let Json::Object(map) = &mut schema {
        let context = ctx.context(&format!("servicePrincipals('{sp}')/synchronization/jobs('{job}')/schema/$entity"));
        let mut out = Map::new();
        out.insert("@odata.context".into(), json!(context));
        map.remove("@odata.context");
        out.extend(std::mem::take(map));
        schema = Json::Object(out);
    }
    Ok(axum::Json(schema).into_response())
}

/// `PUT .../jobs/{jobId}/schema`: replaces the mapping; the backend checks it.
pub async fn put_schema(State(g): State<Graph>, Path((sp, job)): Path<(String, String)>, bytes: Bytes) -> Answer {
    check_job(&g, &sp, &job)?;
    let mut body = objects::body(&bytes)?;
    body.retain(|k, _| !k.starts_with("@odata."));
    g.backend.put_schema(Json::Object(body))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The `BaseAddress` and `SecretToken` of a `[{"key", "value"}]` list.
fn credentials(list: Option<&Json>, what: &str) -> Result<(String, Secret), GraphError> {
    let Some(Json::Array(items)) = list else {
        return Err(GraphError::bad_request(format!("`{what}` must be a list of {{\"key\", \"value\"}} pairs")));
    };
    let find = |key: &str| {
        items.iter().find_map(|i| {
            let k = i.get("key").and_then(Json::as_str)?;
            k.eq_ignore_ascii_case(key).then(|| i.get("value").and_then(Json::as_str).unwrap_or("").to_string())
        })
    };
    let base = find("BaseAddress").filter(|b| !b.is_empty()).ok_or_else(|| {
        GraphError::bad_request(format!("`{what}` has no `BaseAddress` (the tenant URL of the SCIM endpoint)"))
    })?;
    Ok((base, Secret::new(find("SecretToken").unwrap_or_default())))
}

/// `PUT /servicePrincipals/{id}/synchronization/secrets` with `{"value": [{"key": "BaseAddress", ...},
/// {"key": "SecretToken", ...}]}`.
pub async fn put_secrets(State(g): State<Graph>, Path(sp): Path<String>, bytes: Bytes) -> Answer {
    check_service_principal(&g, &sp)?;
    let body = objects::body(&bytes)?;
    let (base, token) = credentials(body.get("value"), "value")?;
    g.backend.set_secrets(base, token).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `POST .../synchronization/jobs/validateCredentials` (and `jobs/{jobId}/validateCredentials`): Test
/// Connection with `{"credentials": [...]}`; 204 when the endpoint answers as Entra expects.
pub async fn validate_credentials(State(g): State<Graph>, Path(sp): Path<String>, bytes: Bytes) -> Answer {
    check_service_principal(&g, &sp)?;
    validate(&g, &bytes).await
}

/// `POST .../jobs/{jobId}/validateCredentials`.
pub async fn validate_job_credentials(
    State(g): State<Graph>,
    Path((sp, job)): Path<(String, String)>,
    bytes: Bytes,
) -> Answer {
    check_job(&g, &sp, &job)?;
    validate(&g, &bytes).await
}

async fn validate(g: &Graph, bytes: &Bytes) -> Answer {
    let body = objects::body(bytes)?;
    if body.get("useSavedCredentials").and_then(Json::as_bool) == Some(true) {
        g.backend.validate_saved_credentials().await?;
        return Ok(StatusCode::NO_CONTENT.into_response());
    }
    let (base, token) = credentials(body.get("credentials"), "credentials")?;
    g.backend.validate_credentials(base, token).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
