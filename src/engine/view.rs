//! The source snapshot of a [`Directory`] at one moment: what the engine's cycles read.

use crate::directory::Directory;
use std::borrow::Cow;

use crate::engine::source::{IdText, SourceGroup, SourceSnapshot};

/// Snapshots the directory: live users (with assignment direct or through an assigned group) and live
/// groups with their direct user members as objectIds. Hard-deleted objects are absent. User attributes
/// are read from the directory when the engine asks for a user.
pub fn snapshot(dir: &Directory) -> SourceSnapshot<'_> {
    let ids: Vec<_> = dir.users().map(|(id, _)| id).collect();
    let heads: Vec<_> = dir
        .users()
        .map(|(id, u)| {
            let mut text = uuid::Uuid::encode_buffer();
            let object_id = uuid::Uuid::from_bytes(*u.object_id().as_bytes()).hyphenated().encode_lower(&mut text);
            (
                Cow::Borrowed(u.alias()),
                IdText::new(object_id),
                dir.is_assigned(id),
                u.is_soft_deleted(),
                Some(u.stamp().get()),
            )
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
    SourceSnapshot::reading(heads, move |i| ids.get(i).map(|id| dir.source_object(*id)).unwrap_or_default(), groups)
}
