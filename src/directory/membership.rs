//! Group mutations: add, rename, membership, assignment, delete; and the per-user count of assigned
//! groups that makes `is_assigned_via_group` O(1) and tells which users' scope flipped.

use super::change::ChangeKind;
use super::error::DirectoryError;
use super::model::{Group, GroupId, NewGroup, ObjectId, ObjectRef, UserId};
use super::mutation::Changes;
use super::tenant::{index_u32, Directory};
use crate::mapping::Value;

impl Directory {
    pub(super) fn add_group_changes(&mut self, new: &NewGroup) -> Result<Changes, DirectoryError> {
        let object_id = new.object_id.unwrap_or_else(|| ObjectId::derive(&new.alias));
        self.check_new_object(&new.alias, object_id)?;
        let mut group = Group {
            alias: new.alias.as_str().into(),
            object_id,
            attrs: new.attrs.clone(),
            members: Default::default(),
            nested: Default::default(),
            assigned: new.assigned,
            deleted: false,
        };
        for member in &new.members {
            match self.lookup(member) {
                Some(ObjectRef::User(_)) => group.members.insert(self.resolve_active_user(member)?),
                Some(ObjectRef::Group(_)) => group.nested.insert(self.resolve_group(member)?),
                // The new group is not indexed yet, so naming itself looks like an unknown alias.
                None if *member == new.alias => return Err(DirectoryError::SelfMember(member.clone())),
                None => return Err(DirectoryError::UnknownObject(member.clone())),
            };
        }
        let gid = self.push_group(group);
        let mut changes = vec![(ObjectRef::Group(gid), ChangeKind::GroupAdded)];
        if new.assigned {
            let members: Vec<UserId> = self.groups[gid.index()].members.iter().copied().collect();
            for user in members {
                self.adjust_group_count(user, true, &mut changes);
            }
        }
        Ok(changes)
    }

    /// Appends a group whose alias, objectId and members were checked (assignment counts not updated).
    pub(crate) fn push_group(&mut self, group: Group) -> GroupId {
        let id = GroupId(index_u32(self.groups.len()));
        self.groups.push(group);
        self.index_object(ObjectRef::Group(id));
        id
    }

    pub(super) fn rename_group_changes(&mut self, alias: &str, to: &str) -> Result<Changes, DirectoryError> {
        let gid = self.resolve_group(alias)?;
        let group = &mut self.groups[gid.index()];
        if group.attrs.get("displayName").to_text().as_deref() == Some(to) {
            return Ok(Vec::new());
        }
        group.attrs.set("displayName", Value::Str(to.to_string()));
        Ok(vec![(ObjectRef::Group(gid), ChangeKind::GroupRenamed)])
    }

    pub(super) fn membership_changes(
        &mut self,
        alias: &str,
        member: &str,
        add: bool,
    ) -> Result<Changes, DirectoryError> {
        let gid = self.resolve_group(alias)?;
        let kind = |member| if add { ChangeKind::MemberAdded(member) } else { ChangeKind::MemberRemoved(member) };
        let mut changes = Vec::new();
        match self.lookup(member) {
            None => return Err(DirectoryError::UnknownObject(member.to_string())),
            Some(ObjectRef::Group(_)) => {
                let nested = self.resolve_group(member)?;
                if nested == gid {
                    return Err(DirectoryError::SelfMember(member.to_string()));
                }
                let set = &mut self.groups[gid.index()].nested;
                if if add { set.insert(nested) } else { set.remove(&nested) } {
                    changes.push((ObjectRef::Group(gid), kind(ObjectRef::Group(nested))));
                }
            }
            Some(ObjectRef::User(_)) => {
                let user = self.resolve_active_user(member)?;
                let group = &mut self.groups[gid.index()];
                if if add { group.members.insert(user) } else { group.members.remove(&user) } {
                    changes.push((ObjectRef::Group(gid), kind(ObjectRef::User(user))));
                    if group.assigned {
                        self.adjust_group_count(user, add, &mut changes);
                    }
                }
            }
        }
        Ok(changes)
    }

    pub(super) fn group_assignment_changes(&mut self, alias: &str, assign: bool) -> Result<Changes, DirectoryError> {
        let gid = self.resolve_group(alias)?;
        let group = &mut self.groups[gid.index()];
        if group.assigned == assign {
            return Ok(Vec::new());
        }
        group.assigned = assign;
        let kind = if assign { ChangeKind::GroupAssigned } else { ChangeKind::GroupUnassigned };
        let mut changes = vec![(ObjectRef::Group(gid), kind)];
        let members: Vec<UserId> = group.members.iter().copied().collect();
        for user in members {
            self.adjust_group_count(user, assign, &mut changes);
        }
        Ok(changes)
    }

    pub(super) fn delete_group_changes(&mut self, alias: &str) -> Result<Changes, DirectoryError> {
        let gid = self.resolve_group(alias)?;
        let mut changes = vec![(ObjectRef::Group(gid), ChangeKind::GroupDeleted)];
        let group = &mut self.groups[gid.index()];
        group.deleted = true;
        if group.assigned {
            let members: Vec<UserId> = group.members.iter().copied().collect();
            for user in members {
                self.adjust_group_count(user, false, &mut changes);
            }
        }
        Ok(changes)
    }

    /// Counts one more (or one less) assigned group for `user`; records the user when that flips whether
    /// it is assigned at all (directly or through a group).
    pub(super) fn adjust_group_count(&mut self, user: UserId, up: bool, changes: &mut Changes) {
        let u = &mut self.users[user.index()];
        let before = u.assigned || u.assigned_groups > 0;
        u.assigned_groups = if up { u.assigned_groups.saturating_add(1) } else { u.assigned_groups.saturating_sub(1) };
        let after = u.assigned || u.assigned_groups > 0;
        if before != after && !u.hard_deleted {
            changes.push((ObjectRef::User(user), ChangeKind::AssignmentViaGroup));
        }
    }
}
