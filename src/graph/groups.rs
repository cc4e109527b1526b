//! `groups`: list, get, create, update, delete; direct members: list, add (`members/$ref`) and remove
//! (`members/{id}/$ref`). Groups created here get a new random objectId, an alias from their
//! `mailNickname`, and no assignment. A deleted group is gone for good (the simulator has no recycle bin
//! for groups).

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::Value as Json;

use super::error::GraphError;
use super::objects;
use super::odata::{Ctx, EntityType};
use super::routes::Graph;
use super::shape::{self, GROUP, USER};
use crate::directory::{Directory, Mutation, NewGroup, ObjectId, ObjectRef};

type Answer = Result<Response, GraphError>;

/// Members are users or (nested) groups: a `directoryObject` collection, filterable on what both have.
static DIRECTORY_OBJECT: EntityType = EntityType {
    name: "microsoft.graph.directoryObject",
    properties: &["id", "displayName", "userPrincipalName", "mail", "mailNickname", "accountEnabled", "description"],
    defaults: &[],
    expandable: &[],
};

/// `GET /groups`.
pub async fn list(State(g): State<Graph>, ctx: Ctx) -> Answer {
    let answer = {
        let dir = g.read();
        let ids = dir.groups().map(|(id, _)| id).collect();
        ctx.collection_of("groups", &GROUP, ids, |id, _| shape::group(&dir, id))?
    };
    Ok(axum::Json(answer).into_response())
}

/// `GET /groups/$count`: the number of groups (after `$filter`), as plain text.
pub async fn count(State(g): State<Graph>, ctx: Ctx) -> Answer {
    let n = {
        let dir = g.read();
        let ids = dir.groups().map(|(id, _)| id).collect();
        ctx.count_of(&GROUP, ids, |id, _| shape::group(&dir, id))?
    };
    Ok(([(axum::http::header::CONTENT_TYPE, "text/plain")], n.to_string()).into_response())
}

/// `GET /groups/{id}`.
pub async fn get(State(g): State<Graph>, ctx: Ctx, Path(key): Path<String>) -> Answer {
    let item = {
        let dir = g.read();
        shape::group(&dir, objects::group(&dir, &key)?)
    };
    Ok(axum::Json(ctx.entity("groups", &GROUP, item)?).into_response())
}

/// `POST /groups`: needs `displayName`, `mailEnabled`, `mailNickname` and `securityEnabled`; takes
/// `members@odata.bind` (URLs of users or groups) too.
pub async fn create(State(g): State<Graph>, ctx: Ctx, bytes: Bytes) -> Answer {
    let body = objects::body(&bytes)?;
    for required in ["displayName", "mailEnabled", "mailNickname", "securityEnabled"] {
        if body.get(required).is_none_or(Json::is_null) {
            return Err(GraphError::bad_request(format!(
                "Property '{required}' is required when creating a group (required: displayName, mailEnabled, mailNickname, securityEnabled)."
            )));
        }
    }
    let binds = match body.get("members@odata.bind") {
        None => Vec::new(),
        Some(Json::Array(urls)) => urls
            .iter()
            .map(|u| u.as_str().ok_or_else(|| GraphError::bad_request("`members@odata.bind` must list URLs")))
            .map(|u| u.and_then(objects::reference_id))
            .collect::<Result<Vec<_>, _>>()?,
        Some(_) => return Err(GraphError::bad_request("`members@odata.bind` must be a list of directory object URLs")),
    };
    let (set, _) = shape::group_changes(&body, &["id", "members@odata.bind", "owners@odata.bind"])?;
    let item = {
        let mut dir = g.write();
        let members = binds
            .iter()
            .map(|key| objects::object(&dir, key).map(|o| objects::alias(&dir, o)))
            .collect::<Result<Vec<_>, _>>()?;
        let nickname = set.iter().find(|(n, _)| n == "mailNickname").and_then(|(_, v)| v.to_text()).unwrap_or_default();
        let new = NewGroup {
            alias: dir.free_alias(&nickname),
            object_id: Some(ObjectId::random()),
            attrs: set.into_iter().collect(),
            members,
            assigned: false,
        };
        let id = dir.add_group(new).map_err(objects::directory_error)?;
        shape::group(&dir, id)
    };
    Ok((StatusCode::CREATED, axum::Json(ctx.entity("groups", &GROUP, item)?)).into_response())
}

/// `PATCH /groups/{id}`.
pub async fn update(State(g): State<Graph>, Path(key): Path<String>, bytes: Bytes) -> Answer {
    let body = objects::body(&bytes)?;
    if body.contains_key("id") {
        return Err(GraphError::bad_request("Property 'id' is read-only and cannot be set."));
    }
    let (set, unset) = shape::group_changes(&body, &[])?;
    let mut dir = g.write();
    let group = objects::group(&dir, &key)?;
    let alias = objects::alias(&dir, ObjectRef::Group(group));
    dir.update_group(&alias, &set, &unset).map_err(objects::directory_error)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `DELETE /groups/{id}`.
pub async fn delete(State(g): State<Graph>, Path(key): Path<String>) -> Answer {
    let mut dir = g.write();
    let group = objects::group(&dir, &key)?;
    let alias = objects::alias(&dir, ObjectRef::Group(group));
    dir.apply(&Mutation::DeleteGroup(alias)).map_err(objects::directory_error)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `GET /groups/{id}/members`: direct user members, then nested groups.
pub async fn members(State(g): State<Graph>, ctx: Ctx, Path(key): Path<String>) -> Answer {
    let items = {
        let dir = g.read();
        let group = objects::group(&dir, &key)?;
        member_items(&dir, group)
    };
    Ok(axum::Json(ctx.collection("directoryObjects", &DIRECTORY_OBJECT, items)?).into_response())
}

fn member_items(dir: &Directory, group: crate::directory::GroupId) -> Vec<Json> {
    let Some(g) = dir.group(group) else { return Vec::new() };
    let users = g
        .members()
        .filter(|&u| dir.user(u).is_some_and(|u| !u.is_hard_deleted() && !u.is_soft_deleted()))
        .map(|u| shape::typed(shape::user(dir, u), USER.name));
    let nested = g
        .nested_groups()
        .filter(|&n| dir.group(n).is_some_and(|n| !n.is_deleted()))
        .map(|n| shape::typed(shape::group(dir, n), GROUP.name));
    users.chain(nested).collect()
}

/// `POST /groups/{id}/members/$ref` with `{"@odata.id": ".../directoryObjects/{id}"}`.
pub async fn add_member(State(g): State<Graph>, Path(key): Path<String>, bytes: Bytes) -> Answer {
    let member_key = objects::reference(&objects::body(&bytes)?)?;
    let mut dir = g.write();
    let group = objects::group(&dir, &key)?;
    let member = objects::object(&dir, &member_key)?;
    let already = match member {
        ObjectRef::User(u) => dir.group(group).is_some_and(|g| g.has_member(u)),
        ObjectRef::Group(n) => dir.group(group).is_some_and(|g| g.nested_groups().any(|x| x == n)),
    };
    if already {
        return Err(GraphError::bad_request(
            "One or more added object references already exist for the following modified properties: 'members'.",
        ));
    }
    let mutation = Mutation::AddMember {
        group: objects::alias(&dir, ObjectRef::Group(group)),
        member: objects::alias(&dir, member),
    };
    dir.apply(&mutation).map_err(objects::directory_error)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `DELETE /groups/{id}/members/{memberId}/$ref`: 404 when it is not a direct member.
pub async fn remove_member(State(g): State<Graph>, Path((key, member_key)): Path<(String, String)>) -> Answer {
    let mut dir = g.write();
    let group = objects::group(&dir, &key)?;
    let member = objects::object(&dir, &member_key)?;
    let is_member = match member {
        ObjectRef::User(u) => dir.group(group).is_some_and(|g| g.has_member(u)),
        ObjectRef::Group(n) => dir.group(group).is_some_and(|g| g.nested_groups().any(|x| x == n)),
    };
    if !is_member {
        return Err(GraphError::not_found(&member_key));
    }
    let mutation = Mutation::RemoveMember {
        group: objects::alias(&dir, ObjectRef::Group(group)),
        member: objects::alias(&dir, member),
    };
    dir.apply(&mutation).map_err(objects::directory_error)?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
