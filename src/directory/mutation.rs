//! Mutations of the [`Directory`]: the changes a scenario step makes to the tenant. Each one checks its
//! references, applies, and records the objects it changed in the change log (nothing when it changed
//! nothing, so an incremental cycle sees exactly what Graph's delta query would report).

use super::attributes::{classify_user_attribute, AttributeName};
use super::change::ChangeKind;
use super::error::{invalid, read_only, DirectoryError};
use super::index;
use super::model::{GroupId, NewGroup, NewUser, ObjectId, ObjectRef, Stamp, User, UserId};
use super::tenant::{index_u32, Directory};
use crate::mapping::Value;

/// A change to the directory, as a scenario step describes it (objects named by alias).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Mutation {
    /// Add a user.
    AddUser(NewUser),
    /// Set and remove attributes of a user (`manager` takes an alias, `accountEnabled` a boolean).
    Update {
        /// The user.
        user: String,
        /// Attributes to set.
        set: Vec<(String, Value)>,
        /// Attributes to remove.
        unset: Vec<String>,
    },
    /// Assign the user to the application.
    Assign(String),
    /// Remove the user's direct assignment.
    Unassign(String),
    /// Set `accountEnabled` to false.
    Disable(String),
    /// Set `accountEnabled` to true.
    Enable(String),
    /// Move the user to the recycle bin.
    SoftDelete(String),
    /// Restore the user from the recycle bin.
    Restore(String),
    /// Delete the user permanently.
    HardDelete(String),
    /// Add a group.
    AddGroup(NewGroup),
    /// Change a group's `displayName`.
    RenameGroup {
        /// The group.
        group: String,
        /// The new `displayName`.
        to: String,
    },
    /// Add a direct member (a user; a group becomes a nested group that Entra does not provision).
    AddMember {
        /// The group.
        group: String,
        /// The user (or group) to add.
        member: String,
    },
    /// Remove a direct member.
    RemoveMember {
        /// The group.
        group: String,
        /// The user (or group) to remove.
        member: String,
    },
    /// Assign the group to the application (its direct members come into scope).
    AssignGroup(String),
    /// Remove the group's assignment.
    UnassignGroup(String),
    /// Delete the group.
    DeleteGroup(String),
}

/// What a mutation changed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Applied {
    /// Sequence number in the change log; `None` when nothing changed.
    pub seq: Option<u64>,
    /// The objects changed and how.
    pub changed: Vec<(ObjectRef, ChangeKind)>,
}

impl Applied {
    /// True when the mutation changed nothing (e.g. disabling a user that is already disabled).
    pub fn is_noop(&self) -> bool {
        self.changed.is_empty()
    }
}

pub(super) type Changes = Vec<(ObjectRef, ChangeKind)>;

impl Directory {
    /// Applies a mutation and records it in the change log.
    pub fn apply(&mut self, mutation: &Mutation) -> Result<Applied, DirectoryError> {
        let changed = match mutation {
            Mutation::AddUser(new) => self.add_user_changes(new)?,
            Mutation::Update { user, set, unset } => self.update_changes(user, set, unset)?,
            Mutation::Assign(u) => self.user_flag(u, ChangeKind::Assigned, |u| &mut u.assigned, true)?,
            Mutation::Unassign(u) => self.user_flag(u, ChangeKind::Unassigned, |u| &mut u.assigned, false)?,
            Mutation::Disable(u) => self.user_flag(u, ChangeKind::Disabled, |u| &mut u.account_enabled, false)?,
            Mutation::Enable(u) => self.user_flag(u, ChangeKind::Enabled, |u| &mut u.account_enabled, true)?,
            Mutation::SoftDelete(u) => self.soft_delete_changes(u)?,
            Mutation::Restore(u) => self.restore_changes(u)?,
            Mutation::HardDelete(u) => self.hard_delete_changes(u)?,
            Mutation::AddGroup(new) => self.add_group_changes(new)?,
            Mutation::RenameGroup { group, to } => self.rename_group_changes(group, to)?,
            Mutation::AddMember { group, member } => self.membership_changes(group, member, true)?,
            Mutation::RemoveMember { group, member } => self.membership_changes(group, member, false)?,
            Mutation::AssignGroup(g) => self.group_assignment_changes(g, true)?,
            Mutation::UnassignGroup(g) => self.group_assignment_changes(g, false)?,
            Mutation::DeleteGroup(g) => self.delete_group_changes(g)?,
        };
        let seq = self.log.record(&changed);
        self.restamp(&changed);
        Ok(Applied { seq, changed })
    }

    /// Gives every user a change touched a new [`Stamp`].
    pub(super) fn restamp(&mut self, changed: &[(ObjectRef, ChangeKind)]) {
        for (object, _) in changed {
            if let ObjectRef::User(id) = object {
                if let Some(user) = self.users.get_mut(id.index()) {
                    user.stamp = Stamp::fresh();
                }
            }
        }
    }

    /// Adds a user; returns its id.
    pub fn add_user(&mut self, new: NewUser) -> Result<UserId, DirectoryError> {
        let alias = new.alias.clone();
        self.apply(&Mutation::AddUser(new))?;
        self.user_id(&alias).ok_or(DirectoryError::UnknownUser(alias))
    }

    /// Adds a group; returns its id.
    pub fn add_group(&mut self, new: NewGroup) -> Result<GroupId, DirectoryError> {
        let alias = new.alias.clone();
        self.apply(&Mutation::AddGroup(new))?;
        self.group_id(&alias).ok_or(DirectoryError::UnknownGroup(alias))
    }

    /// A user that exists and is not hard-deleted (soft-deleted users are returned: callers decide).
    pub(crate) fn resolve_user(&self, alias: &str) -> Result<UserId, DirectoryError> {
        match self.lookup(alias) {
            None => Err(DirectoryError::UnknownUser(alias.to_string())),
            Some(ObjectRef::Group(_)) => Err(DirectoryError::NotAUser(alias.to_string())),
            Some(ObjectRef::User(id)) if self.users[id.index()].hard_deleted => {
                Err(DirectoryError::HardDeleted(alias.to_string()))
            }
            Some(ObjectRef::User(id)) => Ok(id),
        }
    }

    /// A user that exists and is neither hard- nor soft-deleted.
    pub(super) fn resolve_active_user(&self, alias: &str) -> Result<UserId, DirectoryError> {
        let id = self.resolve_user(alias)?;
        if self.users[id.index()].soft_deleted {
            return Err(DirectoryError::SoftDeleted(alias.to_string()));
        }
        Ok(id)
    }

    pub(super) fn resolve_group(&self, alias: &str) -> Result<GroupId, DirectoryError> {
        match self.lookup(alias) {
            None => Err(DirectoryError::UnknownGroup(alias.to_string())),
            Some(ObjectRef::User(_)) => Err(DirectoryError::NotAGroup(alias.to_string())),
            Some(ObjectRef::Group(id)) if self.groups[id.index()].deleted => {
                Err(DirectoryError::GroupDeleted(alias.to_string()))
            }
            Some(ObjectRef::Group(id)) => Ok(id),
        }
    }

    pub(super) fn check_new_object(&self, alias: &str, object_id: ObjectId) -> Result<(), DirectoryError> {
        if self.lookup(alias).is_some() {
            return Err(DirectoryError::DuplicateAlias(alias.to_string()));
        }
        if let Some(other) = self.by_object_id(object_id) {
            let other = match other {
                ObjectRef::User(id) => self.users[id.index()].alias.to_string(),
                ObjectRef::Group(id) => self.groups[id.index()].alias.to_string(),
            };
            return Err(DirectoryError::DuplicateObjectId {
                alias: alias.to_string(),
                object_id: object_id.to_string(),
                other,
            });
        }
        if self.users.len() + self.groups.len() >= u32::MAX as usize {
            return Err(DirectoryError::TooManyObjects);
        }
        Ok(())
    }

    fn add_user_changes(&mut self, new: &NewUser) -> Result<Changes, DirectoryError> {
        let object_id = new.object_id.unwrap_or_else(|| ObjectId::derive(&new.alias));
        self.check_new_object(&new.alias, object_id)?;
        if let Some(upn) = new.attrs.get("userPrincipalName").to_text() {
            self.check_upn_free(&upn, &new.alias, None)?;
        }
        let manager = match &new.manager {
            Some(m) if *m == new.alias => return Err(DirectoryError::SelfManager(m.clone())),
            Some(m) => Some(self.resolve_user(m)?),
            None => None,
        };
        let user = User {
            alias: new.alias.as_str().into(),
            object_id,
            attrs: new.attrs.clone(),
            persona: None,
            manager,
            assigned: new.assigned,
            account_enabled: new.account_enabled,
            soft_deleted: new.soft_deleted,
            hard_deleted: false,
            assigned_groups: 0,
            stamp: Stamp::fresh(),
        };
        Ok(vec![(ObjectRef::User(self.push_user(user)), ChangeKind::UserAdded)])
    }

    /// Appends a user whose alias, objectId and userPrincipalName were checked.
    pub(crate) fn push_user(&mut self, user: User) -> UserId {
        let id = UserId(index_u32(self.users.len()));
        let upn = index::upn_key(&user);
        self.users.push(user);
        self.index_object(ObjectRef::User(id));
        if let Some(upn) = upn {
            self.index_upn(id, &upn);
        }
        id
    }

    /// Fails when another user than `me` holds `upn`.
    fn check_upn_free(&self, upn: &str, alias: &str, me: Option<UserId>) -> Result<(), DirectoryError> {
        match self.user_by_principal_name(upn) {
            Some(other) if Some(other) != me => Err(DirectoryError::DuplicateUserPrincipalName {
                alias: alias.to_string(),
                upn: upn.to_string(),
                other: self.users[other.index()].alias.to_string(),
            }),
            _ => Ok(()),
        }
    }

    /// Re-indexes the user's userPrincipalName after it changed from `old`.
    fn reindex_upn(&mut self, id: UserId, old: Option<String>) {
        if let Some(old) = old {
            self.unindex_upn(id, &old.to_lowercase());
        }
        if let Some(new) = self.user_principal_name(id).filter(|_| !self.users[id.index()].hard_deleted) {
            self.index_upn(id, &new.to_lowercase());
        }
    }

    fn update_changes(
        &mut self,
        alias: &str,
        set: &[(String, Value)],
        unset: &[String],
    ) -> Result<Changes, DirectoryError> {
        let id = self.resolve_active_user(alias)?;
        let mut manager = self.users[id.index()].manager;
        let mut enabled = self.users[id.index()].account_enabled;
        let mut plain = Vec::new();
        let names = set.iter().map(|(n, v)| (n, Some(v))).chain(unset.iter().map(|n| (n, None)));
        for (name, value) in names {
            match classify_user_attribute(name) {
                AttributeName::Structural("manager") => {
                    manager = match value {
                        None => None,
                        Some(Value::Str(m)) if m == alias => return Err(DirectoryError::SelfManager(m.clone())),
                        Some(Value::Str(m)) => Some(self.resolve_user(m)?),
                        Some(_) => return Err(invalid(name, "the alias of a user")),
                    }
                }
                AttributeName::Structural("accountEnabled") => match value {
                    Some(Value::Bool(b)) => enabled = *b,
                    _ => return Err(invalid(name, "a boolean (use `disable`/`enable` steps)")),
                },
                AttributeName::Structural(n) => return Err(read_only(n, "objectId never changes")),
                AttributeName::Computed(n) => return Err(read_only(n, "the provisioning engine computes it")),
                AttributeName::Known(n) => plain.push((n.to_string(), value.cloned().unwrap_or_default())),
                _ => plain.push((name.clone(), value.cloned().unwrap_or_default())),
            }
        }
        if let Some((_, Some(upn))) =
            plain.iter().find(|(n, _)| n == "userPrincipalName").map(|(n, v)| (n, v.to_text()))
        {
            self.check_upn_free(&upn, alias, Some(id))?;
        }
        let old_upn = self.user_principal_name(id);
        let before = self.source_object(id);
        let user = &mut self.users[id.index()];
        if let Some(p) = user.persona.take() {
            user.attrs = p.attributes();
        }
        for (name, value) in plain {
            user.attrs.set(name, value);
        }
        user.manager = manager;
        user.account_enabled = enabled;
        self.reindex_upn(id, old_upn);
        let changed = self.source_object(id) != before;
        Ok(if changed { vec![(ObjectRef::User(id), ChangeKind::UserUpdated)] } else { Vec::new() })
    }

    fn user_flag(
        &mut self,
        alias: &str,
        kind: ChangeKind,
        field: fn(&mut User) -> &mut bool,
        value: bool,
    ) -> Result<Changes, DirectoryError> {
        let id = self.resolve_active_user(alias)?;
        let flag = field(&mut self.users[id.index()]);
        if *flag == value {
            return Ok(Vec::new());
        }
        *flag = value;
        Ok(vec![(ObjectRef::User(id), kind)])
    }

    fn soft_delete_changes(&mut self, alias: &str) -> Result<Changes, DirectoryError> {
        let id = self.resolve_user(alias)?;
        let user = &mut self.users[id.index()];
        if user.soft_deleted {
            return Ok(Vec::new());
        }
        user.soft_deleted = true;
        Ok(vec![(ObjectRef::User(id), ChangeKind::SoftDeleted)])
    }

    fn restore_changes(&mut self, alias: &str) -> Result<Changes, DirectoryError> {
        let id = self.resolve_user(alias)?;
        let user = &mut self.users[id.index()];
        if !user.soft_deleted {
            return Ok(Vec::new());
        }
        user.soft_deleted = false;
        Ok(vec![(ObjectRef::User(id), ChangeKind::Restored)])
    }

    fn hard_delete_changes(&mut self, alias: &str) -> Result<Changes, DirectoryError> {
        let id = self.resolve_user(alias)?;
        let mut changes = vec![(ObjectRef::User(id), ChangeKind::HardDeleted)];
        for (gid, group) in self.groups.iter_mut().enumerate() {
            if group.members.remove(&id) && !group.deleted {
                changes
                    .push((ObjectRef::Group(GroupId(index_u32(gid))), ChangeKind::MemberRemoved(ObjectRef::User(id))));
            }
        }
        for (uid, user) in self.users.iter_mut().enumerate() {
            if user.manager == Some(id) {
                user.manager = None;
                if !user.hard_deleted {
                    changes.push((ObjectRef::User(UserId(index_u32(uid))), ChangeKind::ManagerRemoved));
                }
            }
        }
        let old_upn = self.user_principal_name(id);
        let user = &mut self.users[id.index()];
        user.hard_deleted = true;
        user.assigned_groups = 0;
        // Permanent deletion frees the userPrincipalName for a new user.
        self.reindex_upn(id, old_upn);
        Ok(changes)
    }
}
