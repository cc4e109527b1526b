//! [`Directory`]: the users and groups of the simulated tenant, their indexes, the read side used by the
//! engine (scope helpers, source objects, change queries). Mutations are in `mutation.rs`.

use std::collections::BTreeSet;

use super::change::{Change, ChangeLog, ChangeSet, Watermark};
use super::index::Tables;
use super::model::{Group, GroupId, ObjectRef, User, UserId};
use crate::mapping::{SourceObject, Value};

/// The simulated Entra tenant: users and groups keyed by alias, each with an objectId, plus the change log
/// that incremental cycles read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Directory {
    pub(crate) users: Vec<User>,
    pub(crate) groups: Vec<Group>,
    /// Alias → object (aliases are unique across users and groups: a step such as `on_demand` may name
    /// either), objectId → object, and lower-cased `userPrincipalName` → user (Entra keeps them unique,
    /// case-insensitively, until a user is permanently deleted).
    pub(crate) tables: Tables,
    pub(crate) log: ChangeLog,
}

impl Directory {
    /// An empty directory.
    pub fn new() -> Self {
        Self::default()
    }

    /// Users that are not hard-deleted, in creation order.
    pub fn users(&self) -> impl Iterator<Item = (UserId, &User)> + '_ {
        self.all_users().filter(|(_, u)| !u.hard_deleted)
    }

    /// Every user including hard-deleted tombstones, in creation order.
    pub fn all_users(&self) -> impl Iterator<Item = (UserId, &User)> + '_ {
        self.users.iter().enumerate().map(|(i, u)| (UserId(index_u32(i)), u))
    }

    /// Groups that are not deleted, in creation order.
    pub fn groups(&self) -> impl Iterator<Item = (GroupId, &Group)> + '_ {
        self.all_groups().filter(|(_, g)| !g.deleted)
    }

    /// Every group including deleted tombstones, in creation order.
    pub fn all_groups(&self) -> impl Iterator<Item = (GroupId, &Group)> + '_ {
        self.groups.iter().enumerate().map(|(i, g)| (GroupId(index_u32(i)), g))
    }

    /// Number of users that are not hard-deleted.
    pub fn user_count(&self) -> usize {
        self.users.iter().filter(|u| !u.hard_deleted).count()
    }

    /// Number of groups that are not deleted.
    pub fn group_count(&self) -> usize {
        self.groups.iter().filter(|g| !g.deleted).count()
    }

    /// The user with this id (ids only come from this directory, so `None` means a foreign id).
    pub fn user(&self, id: UserId) -> Option<&User> {
        self.users.get(id.index())
    }

    /// The group with this id.
    pub fn group(&self, id: GroupId) -> Option<&Group> {
        self.groups.get(id.index())
    }

    /// The user an alias names.
    pub fn user_id(&self, alias: &str) -> Option<UserId> {
        match self.lookup(alias)? {
            ObjectRef::User(id) => Some(id),
            ObjectRef::Group(_) => None,
        }
    }

    /// The group an alias names.
    pub fn group_id(&self, alias: &str) -> Option<GroupId> {
        match self.lookup(alias)? {
            ObjectRef::Group(id) => Some(id),
            ObjectRef::User(_) => None,
        }
    }

    /// The user's `userPrincipalName`, if it has one.
    pub fn user_principal_name(&self, user: UserId) -> Option<String> {
        let u = self.user(user)?;
        match &u.persona {
            Some(p) => Some(p.user_principal_name()),
            None => u.attrs.get("userPrincipalName").to_text(),
        }
    }

    /// Every alias in use (users and groups, including tombstones), for "did you mean" hints.
    pub fn aliases(&self) -> impl Iterator<Item = &str> + '_ {
        self.users.iter().map(|u| &*u.alias).chain(self.groups.iter().map(|g| &*g.alias))
    }

    /// The user is assigned to the application directly.
    pub fn is_assigned_directly(&self, user: UserId) -> bool {
        self.user(user).is_some_and(User::is_assigned_directly)
    }

    /// The user is a direct member of a live group assigned to the application (nested groups do not
    /// count: Entra does not expand them, ENTRA.md 4.2).
    pub fn is_assigned_via_group(&self, user: UserId) -> bool {
        self.user(user).is_some_and(User::is_assigned_via_group)
    }

    /// Assigned directly or through a group: in scope when the scope is "assigned users and groups"
    /// (before scoping filters and `IsSoftDeleted`).
    pub fn is_assigned(&self, user: UserId) -> bool {
        self.user(user).is_some_and(|u| u.assigned || u.assigned_groups > 0)
    }

    /// Live groups that have `user` as a direct member.
    pub fn groups_of(&self, user: UserId) -> Vec<GroupId> {
        self.groups().filter(|(_, g)| g.members.contains(&user)).map(|(id, _)| id).collect()
    }

    /// Users whose manager is `user`.
    pub fn reports_of(&self, user: UserId) -> Vec<UserId> {
        self.users().filter(|(_, u)| u.manager == Some(user)).map(|(id, _)| id).collect()
    }

    /// The attributes the user mappings evaluate: every attribute of the user plus `objectId`,
    /// `accountEnabled` and `manager` (the manager's objectId, absent when there is none). `IsSoftDeleted`
    /// is not included: the engine computes it because scope decides part of it (ENTRA.md 4.5).
    pub fn source_object(&self, user: UserId) -> SourceObject {
        let Some(u) = self.user(user) else { return SourceObject::new() };
        let object_id = Value::Str(u.object_id.text());
        let account_enabled = Value::Bool(u.account_enabled);
        let manager = u.manager.and_then(|m| self.user(m)).filter(|m| !m.hard_deleted);
        let manager = manager.map_or(Value::Null, |m| Value::Str(m.object_id.text()));
        if let Some(p) = &u.persona {
            return p.source_object(object_id, account_enabled, manager);
        }
        let mut obj = u.attrs.clone();
        obj.set("objectId", object_id);
        obj.set("accountEnabled", account_enabled);
        if !manager.is_null() {
            obj.set("manager", manager);
        }
        obj
    }

    /// The attributes the group mappings evaluate: the group's attributes plus `objectId`. Membership is
    /// not an attribute here: read it with [`Group::members`] (the engine translates members to target ids).
    pub fn group_source_object(&self, group: GroupId) -> SourceObject {
        let Some(g) = self.group(group) else { return SourceObject::new() };
        let mut obj = g.attrs.clone();
        obj.set("objectId", Value::Str(g.object_id.to_string()));
        obj
    }

    /// The current position of the change log: an incremental cycle that starts now passes it to
    /// [`Directory::changed_since`] next time.
    pub fn watermark(&self) -> Watermark {
        self.log.watermark()
    }

    /// The objects a Graph delta query from `since` reports: each changed object once, in creation order.
    /// When `since` predates the start of the scenario (see [`Directory::baseline`]) every object is
    /// reported, as Graph does when a delta token expired.
    pub fn changed_since(&self, since: Watermark) -> ChangeSet {
        if self.log.is_truncated_at(since) {
            return ChangeSet {
                users: self.all_users().map(|(id, _)| id).collect(),
                groups: self.all_groups().map(|(id, _)| id).collect(),
            };
        }
        let mut users = BTreeSet::new();
        let mut groups = BTreeSet::new();
        for change in self.log.since(since) {
            match change.object {
                ObjectRef::User(id) => users.insert(id),
                ObjectRef::Group(id) => groups.insert(id),
            };
        }
        ChangeSet { users: users.into_iter().collect(), groups: groups.into_iter().collect() }
    }

    /// The change log entries after `since`, oldest first (empty when `since` predates the baseline).
    pub fn changes_since(&self, since: Watermark) -> &[Change] {
        self.log.since(since)
    }

    /// Makes the current state the starting point: drops the log entries recorded while the directory was
    /// built. The scenario loader calls this after building the initial directory; from then on
    /// `changed_since(Watermark::default())` reports every object, as a first delta query does.
    pub fn baseline(&mut self) {
        self.log.baseline();
    }
}

/// Ids are `u32` to keep 100,000-user directories compact; more than `u32::MAX` objects cannot be built
/// because [`Directory`] refuses to add them.
pub(crate) fn index_u32(i: usize) -> u32 {
    u32::try_from(i).unwrap_or(u32::MAX)
}
