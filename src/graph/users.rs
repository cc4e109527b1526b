//! `users`: list, get (by objectId or `userPrincipalName`), create, update, delete (to the recycle bin);
//! the recycle bin (`directory/deletedItems`): list, get, restore, permanent delete; and the manager
//! reference (`users/{id}/manager`, `manager/$ref`).
//!
//! Every change is a directory mutation under the write lock, so it lands in the change log and the next
//! incremental cycle provisions it. Users created here get a new random objectId, an alias from their
//! `mailNickname`, and no assignment (assign them through `appRoleAssignedTo`, as in Entra).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value as Json};

use super::error::GraphError;
use super::objects::{self, Bin};
use super::odata::Ctx;
use super::routes::Graph;
use super::shape::{self, GROUP, USER};
use crate::directory::{Mutation, NewUser, ObjectId, ObjectRef, UserId};
use crate::mapping::Value;

type Answer = Result<Response, GraphError>;

/// `GET /users`.
pub async fn list(State(g): State<Graph>, ctx: Ctx) -> Answer {
    let answer = {
        let dir = g.read();
        let ids = dir.users().filter(|(_, u)| !u.is_soft_deleted()).map(|(id, _)| id).collect();
        let manager = ctx.expands(&USER)?.is_some();
        ctx.collection_of("users", &USER, ids, |id, only| {
            let user = shape::user_fields(&dir, id, only);
            if manager && only.is_none() {
                with_manager(&dir, id, user)
            } else {
                user
            }
        })?
    };
    Ok(axum::Json(answer).into_response())
}

/// The user's JSON with its live manager under `manager` (`$expand=manager`); none when it has none.
fn with_manager(dir: &crate::directory::Directory, id: UserId, mut user: Json) -> Json {
    if let (Some(manager), Json::Object(map)) = (live_manager(dir, id), &mut user) {
        map.insert("manager".into(), shape::typed(shape::user(dir, manager), USER.name));
    }
    user
}

/// The user's manager, unless it was permanently deleted.
fn live_manager(dir: &crate::directory::Directory, id: UserId) -> Option<UserId> {
    dir.user(id).and_then(|u| u.manager()).filter(|&m| dir.user(m).is_some_and(|m| !m.is_hard_deleted()))
}

/// `GET /users/$count`: the number of live users (after `$filter`), as plain text.
pub async fn count(State(g): State<Graph>, ctx: Ctx) -> Answer {
    let n = {
        let dir = g.read();
        let ids = dir.users().filter(|(_, u)| !u.is_soft_deleted()).map(|(id, _)| id).collect();
        ctx.count_of(&USER, ids, |id, only| shape::user_fields(&dir, id, only))?
    };
    Ok(([(axum::http::header::CONTENT_TYPE, "text/plain")], n.to_string()).into_response())
}

/// `GET /users/{id}/memberOf`: the groups the user is a direct member of.
pub async fn member_of(State(g): State<Graph>, ctx: Ctx, Path(key): Path<String>) -> Answer {
    let items = {
        let dir = g.read();
        let user = objects::user(&dir, &key, Bin::Live)?;
        dir.groups_of(user).into_iter().map(|gid| shape::typed(shape::group(&dir, gid), GROUP.name)).collect()
    };
    Ok(axum::Json(ctx.collection("directoryObjects", &GROUP, items)?).into_response())
}

/// `GET /users/{id | userPrincipalName}`.
pub async fn get(State(g): State<Graph>, ctx: Ctx, Path(key): Path<String>) -> Answer {
    let item = {
        let dir = g.read();
        let id = objects::user(&dir, &key, Bin::Live)?;
        let user = shape::user(&dir, id);
        if ctx.expands(&USER)?.is_some() {
            with_manager(&dir, id, user)
        } else {
            user
        }
    };
    Ok(axum::Json(ctx.entity("users", &USER, item)?).into_response())
}

/// `POST /users`: needs `accountEnabled`, `displayName`, `mailNickname`, `userPrincipalName` and
/// `passwordProfile` (whose password is checked for presence and not kept).
pub async fn create(State(g): State<Graph>, ctx: Ctx, bytes: Bytes) -> Answer {
    let body = objects::body(&bytes)?;
    for required in ["accountEnabled", "displayName", "mailNickname", "userPrincipalName", "passwordProfile"] {
        if body.get(required).is_none_or(Json::is_null) {
            return Err(GraphError::bad_request(format!(
                "Property '{required}' is required when creating a user (required: accountEnabled, displayName, mailNickname, userPrincipalName, passwordProfile)."
            )));
        }
    }
    let Some(Json::Bool(enabled)) = body.get("accountEnabled") else {
        return Err(GraphError::bad_request(
            "Invalid value specified for property 'accountEnabled' of resource 'User'.",
        ));
    };
    check_password_profile(&body)?;
    let (set, _) = shape::user_changes(&body, &["accountEnabled", "passwordProfile", "id"])?;
    check_user_principal_name(&set)?;
    let item = {
        let mut dir = g.write();
        let nickname = set.iter().find(|(n, _)| n == "mailNickname").and_then(|(_, v)| v.to_text()).unwrap_or_default();
        let new = NewUser {
            alias: dir.free_alias(&nickname),
            object_id: Some(ObjectId::random()),
            attrs: set.into_iter().collect(),
            manager: None,
            assigned: false,
            account_enabled: *enabled,
            soft_deleted: false,
        };
        let id = dir.add_user(new).map_err(objects::directory_error)?;
        shape::user(&dir, id)
    };
    Ok((StatusCode::CREATED, axum::Json(ctx.entity("users", &USER, item)?)).into_response())
}

/// A `userPrincipalName` being set must look like `alias@domain`.
fn check_user_principal_name(set: &[(String, Value)]) -> Result<(), GraphError> {
    let Some((_, value)) = set.iter().find(|(n, _)| n == "userPrincipalName") else { return Ok(()) };
    let upn = value.to_text().unwrap_or_default();
    let valid = match upn.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty() && !domain.is_empty() && !domain.contains('@') && !upn.contains(char::is_whitespace)
        }
        None => false,
    };
    if valid {
        return Ok(());
    }
    Err(GraphError::bad_request(format!(
        "Invalid value specified for property 'userPrincipalName' of resource 'User': `{upn}` is not of the form alias@domain."
    )))
}

fn check_password_profile(body: &Map<String, Json>) -> Result<(), GraphError> {
    match body.get("passwordProfile") {
        Some(Json::Object(p)) if p.get("password").and_then(Json::as_str).is_some_and(|s| !s.is_empty()) => Ok(()),
        Some(Json::Object(_)) => {
            Err(GraphError::bad_request("Property 'passwordProfile' needs a non-empty 'password'."))
        }
        _ => Err(GraphError::bad_request("Invalid value specified for property 'passwordProfile' of resource 'User'.")),
    }
}

/// `PATCH /users/{id}`: sets the properties given (`null` removes one); `accountEnabled` enables or
/// disables sign-in; a `passwordProfile` is accepted and not kept.
pub async fn update(State(g): State<Graph>, Path(key): Path<String>, bytes: Bytes) -> Answer {
    let body = objects::body(&bytes)?;
    if body.contains_key("id") {
        return Err(GraphError::bad_request("Property 'id' is read-only and cannot be set."));
    }
    if body.contains_key("passwordProfile") {
        check_password_profile(&body)?;
    }
    let (mut set, unset) = shape::user_changes(&body, &["accountEnabled", "passwordProfile"])?;
    check_user_principal_name(&set)?;
    if unset.iter().any(|n| n == "userPrincipalName") {
        return Err(GraphError::bad_request("Property 'userPrincipalName' cannot be removed: every user has one."));
    }
    match body.get("accountEnabled") {
        None => {}
        Some(Json::Bool(b)) => set.push(("accountEnabled".into(), Value::Bool(*b))),
        Some(_) => {
            return Err(GraphError::bad_request(
                "Invalid value specified for property 'accountEnabled' of resource 'User'.",
            ))
        }
    }
    let mut dir = g.write();
    let user = objects::user(&dir, &key, Bin::Live)?;
    let alias = objects::alias(&dir, ObjectRef::User(user));
    dir.apply(&Mutation::Update { user: alias, set, unset }).map_err(objects::directory_error)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `DELETE /users/{id}`: to the recycle bin (restorable for 30 days in Entra; here until restored or
/// permanently deleted).
pub async fn delete(State(g): State<Graph>, Path(key): Path<String>) -> Answer {
    let mut dir = g.write();
    let user = objects::user(&dir, &key, Bin::Live)?;
    let alias = objects::alias(&dir, ObjectRef::User(user));
    dir.apply(&Mutation::SoftDelete(alias)).map_err(objects::directory_error)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `GET /directory/deletedItems/microsoft.graph.user`.
pub async fn list_deleted(State(g): State<Graph>, ctx: Ctx) -> Answer {
    let items = {
        let dir = g.read();
        dir.users().filter(|(_, u)| u.is_soft_deleted()).map(|(id, _)| shape::user(&dir, id)).collect()
    };
    Ok(axum::Json(ctx.collection("directory/deletedItems/microsoft.graph.user", &USER, items)?).into_response())
}

/// `GET /directory/deletedItems/{id}`.
pub async fn get_deleted(State(g): State<Graph>, ctx: Ctx, Path(key): Path<String>) -> Answer {
    let item = {
        let dir = g.read();
        shape::typed(shape::user(&dir, objects::user(&dir, &key, Bin::Deleted)?), USER.name)
    };
    Ok(axum::Json(ctx.entity("directoryObjects", &USER, item)?).into_response())
}

/// `POST /directory/deletedItems/{id}/restore`: back from the recycle bin; answers the user.
pub async fn restore(State(g): State<Graph>, ctx: Ctx, Path(key): Path<String>) -> Answer {
    let item = {
        let mut dir = g.write();
        let user = objects::user(&dir, &key, Bin::Deleted)?;
        let alias = objects::alias(&dir, ObjectRef::User(user));
        dir.apply(&Mutation::Restore(alias)).map_err(objects::directory_error)?;
        shape::typed(shape::user(&dir, user), USER.name)
    };
    Ok(axum::Json(ctx.entity("directoryObjects", &USER, item)?).into_response())
}

/// `DELETE /directory/deletedItems/{id}`: permanent deletion of a user in the recycle bin.
pub async fn purge(State(g): State<Graph>, Path(key): Path<String>) -> Answer {
    let mut dir = g.write();
    let user = objects::user(&dir, &key, Bin::Deleted)?;
    let alias = objects::alias(&dir, ObjectRef::User(user));
    dir.apply(&Mutation::HardDelete(alias)).map_err(objects::directory_error)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `GET /users/{id}/manager`.
pub async fn get_manager(State(g): State<Graph>, ctx: Ctx, Path(key): Path<String>) -> Answer {
    let item = {
        let dir = g.read();
        let user = objects::user(&dir, &key, Bin::Live)?;
        let manager = live_manager(&dir, user).ok_or_else(|| GraphError::not_found("manager"))?;
        shape::typed(shape::user(&dir, manager), USER.name)
    };
    Ok(axum::Json(ctx.entity("directoryObjects", &USER, item)?).into_response())
}

/// `PUT /users/{id}/manager/$ref` with `{"@odata.id": ".../users/{managerId}"}`.
pub async fn set_manager(State(g): State<Graph>, Path(key): Path<String>, bytes: Bytes) -> Answer {
    let manager_key = objects::reference(&objects::body(&bytes)?)?;
    let mut dir = g.write();
    let user = objects::user(&dir, &key, Bin::Live)?;
    let manager = objects::user(&dir, &manager_key, Bin::Live)?;
    let (alias, manager) =
        (objects::alias(&dir, ObjectRef::User(user)), objects::alias(&dir, ObjectRef::User(manager)));
    let set = vec![("manager".to_string(), Value::Str(manager))];
    dir.apply(&Mutation::Update { user: alias, set, unset: Vec::new() }).map_err(objects::directory_error)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `DELETE /users/{id}/manager/$ref`: 404 when the user has no manager, as in Graph.
pub async fn remove_manager(State(g): State<Graph>, Path(key): Path<String>) -> Answer {
    let mut dir = g.write();
    let user = objects::user(&dir, &key, Bin::Live)?;
    if dir.user(user).and_then(|u| u.manager()).is_none() {
        return Err(GraphError::not_found("manager"));
    }
    let alias = objects::alias(&dir, ObjectRef::User(user));
    dir.apply(&Mutation::Update { user: alias, set: Vec::new(), unset: vec!["manager".into()] })
        .map_err(objects::directory_error)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
