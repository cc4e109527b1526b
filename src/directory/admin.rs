//! Changes an administrator makes through Microsoft Graph that scenario steps do not express: updating
//! any group attribute, assigning a user to the application with an app role (or the default access
//! role) and removing one such assignment, and picking an alias for an object Graph creates. Like
//! [`Mutation`](super::Mutation)s they check their references, apply, and record what they changed in the
//! change log, so the next incremental cycle picks them up.

use super::attributes::{classify_group_attribute, AttributeName};
use super::change::ChangeKind;
use super::error::{invalid, read_only, DirectoryError};
use super::mutation::{Applied, Changes};
use super::roles::AppRole;
use super::tenant::Directory;
use super::{ObjectRef, UserId};
use crate::mapping::Value;

/// The user attribute that holds a user's app role assignments (ENTRA.md 1.9).
const ROLES: &str = "appRoleAssignments";

impl Directory {
    /// An alias no object uses yet: `base` itself, else `base-2`, `base-3`, ... Objects created through
    /// Graph get one from their `mailNickname`, so reports and logs name them readably.
    pub fn free_alias(&self, base: &str) -> String {
        let base = if base.trim().is_empty() { "object" } else { base.trim() };
        if self.lookup(base).is_none() {
            return base.to_string();
        }
        (2u64..)
            .map(|n| format!("{base}-{n}"))
            .find(|a| self.lookup(a).is_none())
            .expect("invariant: an unbounded sequence of distinct aliases has a free one")
    }

    /// Sets and removes attributes of a live group (any group attribute or directory extension;
    /// `objectId` and `members` are structural). Records [`ChangeKind::GroupUpdated`] when a value changed.
    pub fn update_group(
        &mut self,
        alias: &str,
        set: &[(String, Value)],
        unset: &[String],
    ) -> Result<Applied, DirectoryError> {
        let gid = self.resolve_group(alias)?;
        let mut plain = Vec::new();
        let names = set.iter().map(|(n, v)| (n, Some(v))).chain(unset.iter().map(|n| (n, None)));
        for (name, value) in names {
            let name = match classify_group_attribute(name) {
                AttributeName::Known(n) => n.to_string(),
                AttributeName::Extension(n) => n,
                AttributeName::Structural(n) => return Err(read_only(n, "it is not an attribute of the group")),
                _ => return Err(invalid(name, "a group attribute")),
            };
            plain.push((name, value.cloned().unwrap_or_default()));
        }
        let group = &mut self.groups[gid.index()];
        let before = group.attrs.clone();
        for (name, value) in plain {
            group.attrs.set(name, value);
        }
        let changed: Changes =
            if group.attrs != before { vec![(ObjectRef::Group(gid), ChangeKind::GroupUpdated)] } else { Vec::new() };
        Ok(self.record(changed))
    }

    /// The app roles assigned to a user (its `appRoleAssignments`).
    pub fn app_roles(&self, user: UserId) -> Vec<AppRole> {
        AppRole::all_of(self.source_object(user).get(ROLES))
    }

    /// Assigns a live user to the application: with `role`, adds that app role to its
    /// `appRoleAssignments`; with `None`, the default access role (assignment without a role). Either way
    /// the user becomes directly assigned. Assigning what is already assigned changes nothing.
    pub fn assign_app_role(&mut self, alias: &str, role: Option<&AppRole>) -> Result<Applied, DirectoryError> {
        let id = self.resolve_active_user(alias)?;
        let mut changes = Vec::new();
        if let Some(role) = role {
            let mut roles = self.app_roles(id);
            if !roles.iter().any(|r| r.id.eq_ignore_ascii_case(&role.id)) {
                roles.push(role.clone());
                self.set_roles(id, &roles);
                changes.push((ObjectRef::User(id), ChangeKind::UserUpdated));
            }
        }
        let user = &mut self.users[id.index()];
        if !user.assigned {
            user.assigned = true;
            changes.push((ObjectRef::User(id), ChangeKind::Assigned));
        }
        Ok(self.record(changes))
    }

    /// Removes one assignment of a user: the app role with `role_id`, or with `None` the default access
    /// assignment. The user stays directly assigned while it has another app role; removing the default
    /// access assignment of a user that has roles changes nothing (the directory keeps one flag for it).
    pub fn unassign_app_role(&mut self, alias: &str, role_id: Option<&str>) -> Result<Applied, DirectoryError> {
        let id = self.resolve_user(alias)?;
        let mut roles = self.app_roles(id);
        let mut changes = Vec::new();
        if let Some(role_id) = role_id {
            let before = roles.len();
            roles.retain(|r| !r.id.eq_ignore_ascii_case(role_id));
            if roles.len() != before {
                self.set_roles(id, &roles);
                changes.push((ObjectRef::User(id), ChangeKind::UserUpdated));
            }
        }
        let user = &mut self.users[id.index()];
        if user.assigned && roles.is_empty() {
            user.assigned = false;
            changes.push((ObjectRef::User(id), ChangeKind::Unassigned));
        }
        Ok(self.record(changes))
    }

    fn set_roles(&mut self, id: UserId, roles: &[AppRole]) {
        let user = &mut self.users[id.index()];
        if let Some(p) = user.persona.take() {
            user.attrs = p.attributes();
        }
        let value = if roles.is_empty() { Value::Null } else { AppRole::to_source(roles) };
        user.attrs.set(ROLES, value);
    }

    fn record(&mut self, changed: Changes) -> Applied {
        let seq = self.log.record(&changed);
        self.restamp(&changed);
        Applied { seq, changed }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::directory::{NewGroup, NewUser, Watermark};

    fn tenant() -> Directory {
        let mut dir = Directory::new();
        let mut alice = NewUser::new("alice");
        alice.assigned = false;
        dir.add_user(alice).unwrap();
        let mut eng = NewGroup::new("eng");
        eng.attrs.set("displayName", Value::from("Engineering"));
        dir.add_group(eng).unwrap();
        dir.baseline();
        dir
    }

    #[test]
    fn free_alias_appends_a_counter_when_taken() {
        let dir = tenant();
        assert_eq!(dir.free_alias("bob"), "bob");
        assert_eq!(dir.free_alias("alice"), "alice-2");
        assert_eq!(dir.free_alias("  "), "object");
    }

    #[test]
    fn update_group_sets_and_removes_attributes_and_logs_one_change() {
        let mut dir = tenant();
        let mark = dir.watermark();
        let set = [("description".to_string(), Value::from("All engineers"))];
        let applied = dir.update_group("eng", &set, &[]).unwrap();
        let eng = dir.group_id("eng").unwrap();
        assert_eq!(applied.changed, vec![(ObjectRef::Group(eng), ChangeKind::GroupUpdated)]);
        assert_eq!(dir.changed_since(mark).groups, vec![eng]);
        assert!(dir.update_group("eng", &set, &[]).unwrap().is_noop(), "the same value again changes nothing");
        dir.update_group("eng", &[], &["description".to_string()]).unwrap();
        assert!(dir.group(eng).unwrap().attrs.get("description").is_null());
        let err = dir.update_group("eng", &[("members".into(), Value::from("x"))], &[]).unwrap_err();
        assert!(matches!(err, DirectoryError::ReadOnlyAttribute { .. }), "{err}");
        let err = dir.update_group("eng", &[("colour".into(), Value::from("x"))], &[]).unwrap_err();
        assert_eq!(err.to_string(), "`colour` must be a group attribute");
    }

    #[test]
    fn app_role_assignment_assigns_the_user_and_removing_the_last_role_unassigns_it() {
        let mut dir = tenant();
        let alice = dir.user_id("alice").unwrap();
        let admin = AppRole::from_value("Admin");
        let applied = dir.assign_app_role("alice", Some(&admin)).unwrap();
        let kinds: Vec<_> = applied.changed.iter().map(|c| c.1).collect();
        assert_eq!(kinds, vec![ChangeKind::UserUpdated, ChangeKind::Assigned]);
        assert!(dir.is_assigned_directly(alice));
        assert_eq!(dir.app_roles(alice), vec![admin.clone()]);
        assert!(dir.assign_app_role("alice", Some(&admin)).unwrap().is_noop());
        assert!(dir.unassign_app_role("alice", None).unwrap().is_noop(), "a role keeps the user assigned");
        let mark = dir.watermark();
        dir.unassign_app_role("alice", Some(&admin.id)).unwrap();
        assert!(!dir.is_assigned_directly(alice));
        assert!(dir.app_roles(alice).is_empty());
        assert_eq!(dir.changed_since(mark).users, vec![alice]);
    }

    #[test]
    fn default_access_assignment_is_the_assigned_flag() {
        let mut dir = tenant();
        let alice = dir.user_id("alice").unwrap();
        assert!(!dir.assign_app_role("alice", None).unwrap().is_noop());
        assert!(dir.is_assigned_directly(alice) && dir.app_roles(alice).is_empty());
        dir.unassign_app_role("alice", None).unwrap();
        assert!(!dir.is_assigned_directly(alice));
        assert!(dir.changed_since(Watermark::default()).users.contains(&alice));
        dir.apply(&crate::directory::Mutation::SoftDelete("alice".into())).unwrap();
        assert_eq!(dir.assign_app_role("alice", None).unwrap_err(), DirectoryError::SoftDeleted("alice".into()));
    }
}
