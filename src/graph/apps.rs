//! The application's service principal (`servicePrincipals`, `servicePrincipals/{id}`) and who is
//! assigned to it: `servicePrincipals/{id}/appRoleAssignedTo` list, add and remove, and
//! `users/{id}/appRoleAssignments` list and add.
//!
//! The directory keeps assignment as a flag per user and group plus a user's app roles
//! (`appRoleAssignments`). Graph shows them as `appRoleAssignment` objects: one per app role of a user, or
//! one with the default access role (`00000000-0000-0000-0000-000000000000`) for a user assigned without
//! a role, and one per assigned group. An assignment's `id` is derived from its principal and role, so it
//! is stable and needs no table of its own.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde_json::{json, Value as Json};
use sha2::{Digest, Sha256};

use super::error::GraphError;
use super::objects::{self, Bin};
use super::odata::{Ctx, EntityType};
use super::routes::Graph;
use crate::directory::{AppRole, Directory, ObjectId, ObjectRef};

type Answer = Result<Response, GraphError>;

/// The default access role: assignment to the application without an app role.
pub const DEFAULT_ACCESS: &str = "00000000-0000-0000-0000-000000000000";

static SERVICE_PRINCIPAL: EntityType = EntityType {
    name: "microsoft.graph.servicePrincipal",
    properties: &[
        "id",
        "appId",
        "displayName",
        "appDisplayName",
        "accountEnabled",
        "servicePrincipalType",
        "appRoleAssignmentRequired",
        "appOwnerOrganizationId",
        "servicePrincipalNames",
        "tags",
        "appRoles",
    ],
    defaults: &[],
    expandable: &[],
};

static ASSIGNMENT: EntityType = EntityType {
    name: "microsoft.graph.appRoleAssignment",
    properties: &[
        "id",
        "appRoleId",
        "createdDateTime",
        "deletedDateTime",
        "principalDisplayName",
        "principalId",
        "principalType",
        "resourceDisplayName",
        "resourceId",
    ],
    defaults: &[],
    expandable: &[],
};

fn service_principal(g: &Graph) -> Json {
    let id = g.backend.identity();
    let roles: Vec<Json> = id
        .app_roles
        .iter()
        .map(|r| {
            json!({
                "allowedMemberTypes": ["User"], "description": r.display_name, "displayName": r.display_name,
                "id": r.id, "isEnabled": true, "origin": "Application", "value": r.value,
            })
        })
        .collect();
    json!({
        "id": id.service_principal_id, "appId": id.app_id, "displayName": id.display_name,
        "appDisplayName": id.display_name, "accountEnabled": true, "servicePrincipalType": "Application",
        "appRoleAssignmentRequired": true, "appOwnerOrganizationId": id.tenant_id,
        "servicePrincipalNames": [id.app_id],
        "tags": ["WindowsAzureActiveDirectoryCustomSingleSignOnApplication", "WindowsAzureActiveDirectoryIntegratedApp"],
        "appRoles": roles,
    })
}

/// Fails with 404 unless `key` is the application's service principal.
pub fn check_service_principal(g: &Graph, key: &str) -> Result<(), GraphError> {
    if key.eq_ignore_ascii_case(&g.backend.identity().service_principal_id) {
        Ok(())
    } else {
        Err(GraphError::not_found(key))
    }
}

/// `GET /servicePrincipals`: the one application of the tenant (filterable, e.g. on `appId`).
pub async fn list(State(g): State<Graph>, ctx: Ctx) -> Answer {
    Ok(axum::Json(ctx.collection("servicePrincipals", &SERVICE_PRINCIPAL, vec![service_principal(&g)])?)
        .into_response())
}

/// `GET /servicePrincipals/{id}`.
pub async fn get(State(g): State<Graph>, ctx: Ctx, Path(key): Path<String>) -> Answer {
    check_service_principal(&g, &key)?;
    Ok(axum::Json(ctx.entity("servicePrincipals", &SERVICE_PRINCIPAL, service_principal(&g))?).into_response())
}

/// Every assignment to the application, users (by creation order) then groups.
fn assignments(g: &Graph, dir: &Directory) -> Vec<Json> {
    let id = g.backend.identity();
    let entry = |principal: ObjectId, kind: &str, name: Option<String>, role: &str| {
        json!({
            "id": assignment_id(principal, role), "deletedDateTime": null, "appRoleId": role,
            "createdDateTime": null, "principalDisplayName": name, "principalId": principal.to_string(),
            "principalType": kind, "resourceDisplayName": id.display_name, "resourceId": id.service_principal_id,
        })
    };
    let mut out = Vec::new();
    for (uid, user) in dir.users().filter(|(_, u)| u.is_assigned_directly() && !u.is_soft_deleted()) {
        let name = dir.source_object(uid).get("displayName").to_text();
        let roles = dir.app_roles(uid);
        if roles.is_empty() {
            out.push(entry(user.object_id(), "User", name.clone(), DEFAULT_ACCESS));
        }
        for role in roles {
            out.push(entry(user.object_id(), "User", name.clone(), &role.id));
        }
    }
    for (_, group) in dir.groups().filter(|(_, g)| g.is_assigned()) {
        out.push(entry(group.object_id(), "Group", group.display_name(), DEFAULT_ACCESS));
    }
    out
}

/// The id of an assignment: base64url of the principal's 16 bytes and 8 bytes of the role id's hash.
fn assignment_id(principal: ObjectId, role: &str) -> String {
    let mut bytes = principal.as_bytes().to_vec();
    bytes.extend_from_slice(&Sha256::digest(role.to_ascii_lowercase().as_bytes())[..8]);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// `GET /servicePrincipals/{id}/appRoleAssignedTo`.
pub async fn list_assigned(State(g): State<Graph>, ctx: Ctx, Path(key): Path<String>) -> Answer {
    check_service_principal(&g, &key)?;
    let items = assignments(&g, &g.read());
    let set = format!("servicePrincipals('{key}')/appRoleAssignedTo");
    Ok(axum::Json(ctx.collection(&set, &ASSIGNMENT, items)?).into_response())
}

/// `GET /users/{id}/appRoleAssignments`: the user's assignments to the application.
pub async fn list_user_assignments(State(g): State<Graph>, ctx: Ctx, Path(key): Path<String>) -> Answer {
    let items = {
        let dir = g.read();
        let user = objects::user(&dir, &key, Bin::Live)?;
        let oid = dir.user(user).map(|u| u.object_id().to_string());
        assignments(&g, &dir).into_iter().filter(|a| a["principalId"].as_str() == oid.as_deref()).collect()
    };
    Ok(axum::Json(ctx.collection(&format!("users('{key}')/appRoleAssignments"), &ASSIGNMENT, items)?).into_response())
}

/// `POST /servicePrincipals/{id}/appRoleAssignedTo` with `principalId`, `resourceId` and `appRoleId`.
pub async fn assign(State(g): State<Graph>, ctx: Ctx, Path(key): Path<String>, bytes: Bytes) -> Answer {
    check_service_principal(&g, &key)?;
    add(&g, &ctx, &format!("servicePrincipals('{key}')/appRoleAssignedTo"), &bytes, None)
}

/// `POST /users/{id}/appRoleAssignments`: as `appRoleAssignedTo`, the principal being the user.
pub async fn assign_user(State(g): State<Graph>, ctx: Ctx, Path(key): Path<String>, bytes: Bytes) -> Answer {
    add(&g, &ctx, &format!("users('{key}')/appRoleAssignments"), &bytes, Some(&key))
}

fn add(g: &Graph, ctx: &Ctx, set: &str, bytes: &Bytes, user: Option<&str>) -> Answer {
    let body = objects::body(bytes)?;
    let field = |name: &str| body.get(name).and_then(Json::as_str).map(str::to_string);
    let (Some(principal), Some(resource), Some(role_id)) =
        (field("principalId"), field("resourceId"), field("appRoleId"))
    else {
        return Err(GraphError::bad_request(
            "an app role assignment needs `principalId`, `resourceId` and `appRoleId`",
        ));
    };
    if user.is_some_and(|u| !u.eq_ignore_ascii_case(&principal) && ObjectId::parse(u).is_some()) {
        return Err(GraphError::bad_request(format!("`principalId` {principal} is not the user of the URL")));
    }
    let Some(oid) = ObjectId::parse(&principal) else {
        return Err(GraphError::bad_request(format!("`principalId` must be an objectId (a GUID), not `{principal}`")));
    };
    check_resource(g, &resource)?;
    let item = {
        let mut dir = g.write();
        let object = objects::object(&dir, &principal)?;
        let role = role(g, &dir, &role_id)?;
        let alias = objects::alias(&dir, object);
        let wanted = assignment_id(oid, &role_id);
        if assignments(g, &dir).iter().any(|a| a["id"] == wanted.as_str()) {
            return Err(GraphError::bad_request("Permission being assigned already exists on the object."));
        }
        match (object, &role) {
            (ObjectRef::User(_), role) => dir.assign_app_role(&alias, role.as_ref()),
            (ObjectRef::Group(_), None) => dir.apply(&crate::directory::Mutation::AssignGroup(alias)),
            (ObjectRef::Group(_), Some(_)) => return Err(GraphError::bad_request(
                "the simulator assigns groups with the default access role only (00000000-0000-0000-0000-000000000000)",
            )),
        }
        .map_err(objects::directory_error)?;
        assignments(g, &dir).into_iter().find(|a| a["id"] == wanted.as_str()).unwrap_or(Json::Null)
    };
    Ok((StatusCode::CREATED, axum::Json(ctx.entity(set, &ASSIGNMENT, item)?)).into_response())
}

fn check_resource(g: &Graph, resource: &str) -> Result<(), GraphError> {
    if resource.eq_ignore_ascii_case(&g.backend.identity().service_principal_id) {
        return Ok(());
    }
    Err(GraphError::bad_request(format!(
        "`resourceId` {resource} is not the application's service principal ({})",
        g.backend.identity().service_principal_id
    )))
}

/// The app role `role_id` names: `None` for the default access role, else a role of the application or
/// one already assigned to someone in the directory.
fn role(g: &Graph, dir: &Directory, role_id: &str) -> Result<Option<AppRole>, GraphError> {
    if role_id == DEFAULT_ACCESS {
        return Ok(None);
    }
    let known = g.backend.identity().app_roles.iter().find(|r| r.id.eq_ignore_ascii_case(role_id)).cloned();
    let assigned = || dir.users().flat_map(|(id, _)| dir.app_roles(id)).find(|r| r.id.eq_ignore_ascii_case(role_id));
    known.or_else(assigned).map(Some).ok_or_else(|| {
        GraphError::bad_request(format!(
            "Permission being assigned was not found on application '{}': app role `{role_id}` is not one of its appRoles",
            g.backend.identity().app_id
        ))
    })
}

/// `DELETE /servicePrincipals/{id}/appRoleAssignedTo/{assignmentId}`.
pub async fn unassign(State(g): State<Graph>, Path((key, assignment)): Path<(String, String)>) -> Answer {
    check_service_principal(&g, &key)?;
    let mut dir = g.write();
    let all = assignments(&g, &dir);
    let found =
        all.iter().find(|a| a["id"] == assignment.as_str()).ok_or_else(|| GraphError::not_found(&assignment))?;
    let principal = found["principalId"].as_str().unwrap_or_default().to_string();
    let role_id = found["appRoleId"].as_str().unwrap_or_default().to_string();
    let object = objects::object(&dir, &principal)?;
    let alias = objects::alias(&dir, object);
    let role = (role_id != DEFAULT_ACCESS).then_some(role_id.as_str());
    match object {
        ObjectRef::User(_) => dir.unassign_app_role(&alias, role),
        ObjectRef::Group(_) => dir.apply(&crate::directory::Mutation::UnassignGroup(alias)),
    }
    .map_err(objects::directory_error)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
