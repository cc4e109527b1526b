//! Finding the directory objects a Graph request names (an objectId or a `userPrincipalName` in the URL,
//! an `@odata.id` reference in the body), reading request bodies, and turning directory errors into Graph
//! errors.

use std::sync::{RwLockReadGuard, RwLockWriteGuard};

use axum::body::Bytes;
use serde_json::{Map, Value as Json};

use super::error::GraphError;
use super::routes::Graph;
use crate::directory::{Directory, DirectoryError, GroupId, ObjectId, ObjectRef, UserId};

impl Graph {
    /// The directory, for reading. A poisoned lock is taken over: every mutation leaves the directory
    /// consistent before it can panic, so the data is sound.
    pub fn read(&self) -> RwLockReadGuard<'_, Directory> {
        self.backend.directory().read().unwrap_or_else(|p| p.into_inner())
    }

    /// The directory, for a short change (never held across an `.await`).
    pub fn write(&self) -> RwLockWriteGuard<'_, Directory> {
        self.backend.directory().write().unwrap_or_else(|p| p.into_inner())
    }
}

/// Which users a lookup may find.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bin {
    /// Live users (`/users/{id}`).
    Live,
    /// Users in the recycle bin (`/directory/deletedItems/{id}`).
    Deleted,
}

/// The user `key` names: an objectId, or a `userPrincipalName` (live users only, as in Graph).
pub fn user(dir: &Directory, key: &str, bin: Bin) -> Result<UserId, GraphError> {
    let found = match ObjectId::parse(key) {
        Some(oid) => match dir.by_object_id(oid) {
            Some(ObjectRef::User(id)) => Some(id),
            _ => None,
        },
        None if bin == Bin::Live => dir.user_by_principal_name(key),
        None => None,
    };
    found
        .filter(|&id| {
            dir.user(id).is_some_and(|u| !u.is_hard_deleted() && u.is_soft_deleted() == (bin == Bin::Deleted))
        })
        .ok_or_else(|| GraphError::not_found(key))
}

/// The live group with objectId `key`.
pub fn group(dir: &Directory, key: &str) -> Result<GroupId, GraphError> {
    let found = match ObjectId::parse(key).and_then(|oid| dir.by_object_id(oid)) {
        Some(ObjectRef::Group(id)) => Some(id),
        _ => None,
    };
    found.filter(|&id| dir.group(id).is_some_and(|g| !g.is_deleted())).ok_or_else(|| GraphError::not_found(key))
}

/// The live user or group with objectId `key`.
pub fn object(dir: &Directory, key: &str) -> Result<ObjectRef, GraphError> {
    if let Ok(id) = user(dir, key, Bin::Live) {
        return Ok(ObjectRef::User(id));
    }
    group(dir, key).map(ObjectRef::Group)
}

/// The alias of a user or group, which directory mutations take.
pub fn alias(dir: &Directory, object: ObjectRef) -> String {
    match object {
        ObjectRef::User(id) => dir.user(id).map(|u| u.alias().to_string()),
        ObjectRef::Group(id) => dir.group(id).map(|g| g.alias().to_string()),
    }
    .unwrap_or_default()
}

/// The JSON object of a request body.
pub fn body(bytes: &Bytes) -> Result<Map<String, Json>, GraphError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(GraphError::bad_request("the request body is empty: expected a JSON object"));
    }
    match serde_json::from_slice::<Json>(bytes) {
        Ok(Json::Object(map)) => Ok(map),
        Ok(_) => Err(GraphError::bad_request("the request body must be a JSON object")),
        Err(e) => Err(GraphError::bad_request(format!("the request body is not valid JSON: {e}"))),
    }
}

/// The objectId at the end of a reference body's `@odata.id`
/// (`https://graph.microsoft.com/v1.0/directoryObjects/{id}`, `.../users/{id}`, or the bare id).
pub fn reference(body: &Map<String, Json>) -> Result<String, GraphError> {
    let Some(Json::String(url)) = body.get("@odata.id") else {
        return Err(GraphError::bad_request("a reference body needs `@odata.id`: the URL of the directory object"));
    };
    reference_id(url)
}

/// The objectId at the end of a directory object URL.
pub fn reference_id(url: &str) -> Result<String, GraphError> {
    let last = url.trim_end_matches('/').rsplit('/').next().unwrap_or(url);
    let last = last.strip_prefix("directoryObjects(").unwrap_or(last);
    let last = last.trim_matches(|c| c == '\'' || c == '(' || c == ')');
    if ObjectId::parse(last).is_none() {
        return Err(GraphError::bad_request(format!("Invalid object identifier '{last}' in the reference `{url}`")));
    }
    Ok(last.to_string())
}

/// A directory error as Graph reports it.
pub fn directory_error(e: DirectoryError) -> GraphError {
    match e {
        DirectoryError::DuplicateUserPrincipalName { .. } => {
            GraphError::bad_request("Another object with the same value for property userPrincipalName already exists.")
        }
        DirectoryError::UnknownUser(id)
        | DirectoryError::UnknownGroup(id)
        | DirectoryError::UnknownObject(id)
        | DirectoryError::HardDeleted(id)
        | DirectoryError::GroupDeleted(id) => GraphError::not_found(&id),
        other => GraphError::bad_request(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_take_the_id_from_any_directory_object_url() {
        let id = "9bb0f679-a883-4a6f-8260-35b491b8b8c8";
        for url in [
            format!("https://graph.microsoft.com/v1.0/directoryObjects/{id}"),
            format!("http://127.0.0.1:9/beta/users/{id}/"),
            format!("https://graph.microsoft.com/v1.0/directoryObjects('{id}')"),
            id.to_string(),
        ] {
            assert_eq!(reference_id(&url).unwrap(), id, "{url}");
        }
        assert!(reference_id("https://graph.microsoft.com/v1.0/users/alice").is_err());
    }
}
