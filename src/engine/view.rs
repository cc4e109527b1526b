//! The source snapshot of a [`Directory`] at one moment: what the engine's cycles read.

use crate::directory::Directory;
use crate::engine::source::{SourceGroup, SourceSnapshot, SourceUser};

/// Snapshots the directory: live users (with assignment direct or through an assigned group) and live
/// groups with their direct user members as objectIds. Hard-deleted objects are absent.
pub fn snapshot(dir: &Directory) -> SourceSnapshot {
    let users = dir
        .users()
        .map(|(id, u)| SourceUser {
            alias: u.alias().to_string(),
            object_id: u.object_id().to_string(),
            attrs: dir.source_object(id),
            assigned: dir.is_assigned(id),
            soft_deleted: u.is_soft_deleted(),
        })
        .collect();
    let groups = dir
        .groups()
        .map(|(id, g)| SourceGroup {
            alias: g.alias().to_string(),
            object_id: g.object_id().to_string(),
            attrs: dir.group_source_object(id),
            assigned: g.is_assigned(),
            members: g
                .members()
                .filter_map(|m| dir.user(m))
                .filter(|u| !u.is_hard_deleted())
                .map(|u| u.object_id().to_string())
                .collect(),
        })
        .collect();
    SourceSnapshot { users, groups }
}
