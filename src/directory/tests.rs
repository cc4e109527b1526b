//! Directory behaviour: mutations, the change log as an incremental cycle sees it, assignment scope.

use super::*;
use crate::mapping::Value;

fn user(alias: &str, upn: &str) -> NewUser {
    let mut u = NewUser::new(alias);
    u.attrs.set("userPrincipalName", Value::from(upn));
    u
}

fn group(alias: &str, name: &str, members: &[&str]) -> NewGroup {
    let mut g = NewGroup::new(alias);
    g.attrs.set("displayName", Value::from(name));
    g.members = members.iter().map(|m| m.to_string()).collect();
    g
}

/// alice (directly assigned), bob (not assigned), group eng = [alice, bob] not assigned.
fn tenant() -> Directory {
    let mut dir = Directory::new();
    dir.add_user(user("alice", "alice@contoso.com")).unwrap();
    let mut bob = user("bob", "bob@contoso.com");
    bob.assigned = false;
    bob.manager = Some("alice".into());
    dir.add_user(bob).unwrap();
    let mut eng = group("eng", "Engineering", &["alice", "bob"]);
    eng.assigned = false;
    dir.add_group(eng).unwrap();
    dir.baseline();
    dir
}

fn aliases(dir: &Directory, set: &ChangeSet) -> (Vec<String>, Vec<String>) {
    let users = set.users.iter().map(|&u| dir.user(u).unwrap().alias().to_string()).collect();
    let groups = set.groups.iter().map(|&g| dir.group(g).unwrap().alias().to_string()).collect();
    (users, groups)
}

fn strs(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

#[test]
fn source_object_carries_object_id_account_enabled_and_manager_object_id() {
    let dir = tenant();
    let bob = dir.user_id("bob").unwrap();
    let obj = dir.source_object(bob);
    let alice_oid = ObjectId::derive("alice").to_string();
    assert_eq!(obj.get("manager"), &Value::Str(alice_oid));
    assert_eq!(obj.get("objectId"), &Value::Str(ObjectId::derive("bob").to_string()));
    assert_eq!(obj.get("accountEnabled"), &Value::Bool(true));
    assert_eq!(obj.get("userPrincipalName"), &Value::from("bob@contoso.com"));
    assert!(obj.get("IsSoftDeleted").is_null());
}

#[test]
fn group_assignment_brings_direct_members_into_scope_and_marks_flipped_users() {
    let mut dir = tenant();
    let (alice, bob) = (dir.user_id("alice").unwrap(), dir.user_id("bob").unwrap());
    assert!(!dir.is_assigned(bob));
    let mark = dir.watermark();
    dir.apply(&Mutation::AssignGroup("eng".into())).unwrap();
    assert!(dir.is_assigned_via_group(bob) && !dir.is_assigned_directly(bob));
    assert!(dir.is_assigned_via_group(alice) && dir.is_assigned_directly(alice));
    // alice was already assigned directly: her scope did not change, so only bob is marked.
    assert_eq!(aliases(&dir, &dir.changed_since(mark)), (strs(&["bob"]), strs(&["eng"])));

    let mark = dir.watermark();
    dir.apply(&Mutation::RemoveMember { group: "eng".into(), member: "bob".into() }).unwrap();
    assert!(!dir.is_assigned(bob));
    assert_eq!(aliases(&dir, &dir.changed_since(mark)), (strs(&["bob"]), strs(&["eng"])));
}

#[test]
fn nested_groups_are_kept_but_do_not_assign_their_members() {
    let mut dir = tenant();
    let mut outer = group("all", "Everyone", &["eng"]);
    outer.assigned = true;
    dir.add_group(outer).unwrap();
    let all = dir.group_id("all").unwrap();
    assert_eq!(dir.group(all).unwrap().nested_groups().count(), 1);
    assert!(!dir.is_assigned(dir.user_id("bob").unwrap()));
}

#[test]
fn changed_since_reports_each_object_once_in_creation_order() {
    let mut dir = tenant();
    let mark = dir.watermark();
    assert!(dir.changed_since(mark).is_empty());
    dir.apply(&Mutation::Disable("bob".into())).unwrap();
    dir.apply(&Mutation::Update {
        user: "alice".into(),
        set: vec![("department".into(), Value::from("Sales"))],
        unset: vec![],
    })
    .unwrap();
    dir.apply(&Mutation::Enable("bob".into())).unwrap();
    assert_eq!(aliases(&dir, &dir.changed_since(mark)), (strs(&["alice", "bob"]), vec![]));
    let kinds: Vec<ChangeKind> = dir.changes_since(mark).iter().map(|c| c.kind).collect();
    assert_eq!(kinds, vec![ChangeKind::Disabled, ChangeKind::UserUpdated, ChangeKind::Enabled]);
    // A watermark from before the scenario started sees everything (an expired delta token).
    let all = dir.changed_since(Watermark(0));
    assert_eq!((all.users.len(), all.groups.len()), (2, 1));
}

#[test]
fn mutations_that_change_nothing_record_nothing() {
    let mut dir = tenant();
    let mark = dir.watermark();
    assert!(dir.apply(&Mutation::Enable("alice".into())).unwrap().is_noop());
    assert!(dir.apply(&Mutation::Restore("alice".into())).unwrap().is_noop());
    let same = vec![("userPrincipalName".to_string(), Value::from("alice@contoso.com"))];
    assert!(dir.apply(&Mutation::Update { user: "alice".into(), set: same, unset: vec![] }).unwrap().is_noop());
    assert_eq!(dir.watermark(), mark);
}

#[test]
fn hard_delete_marks_groups_and_reports_and_keeps_a_tombstone() {
    let mut dir = tenant();
    let mark = dir.watermark();
    dir.apply(&Mutation::HardDelete("alice".into())).unwrap();
    let alice = dir.user_id("alice").unwrap();
    assert!(dir.user(alice).unwrap().is_hard_deleted());
    assert_eq!(dir.user_count(), 1);
    assert_eq!(aliases(&dir, &dir.changed_since(mark)), (strs(&["alice", "bob"]), strs(&["eng"])));
    assert!(dir.source_object(dir.user_id("bob").unwrap()).get("manager").is_null());
    assert_eq!(dir.apply(&Mutation::Disable("alice".into())), Err(DirectoryError::HardDeleted("alice".into())));
}

#[test]
fn soft_deleted_users_must_be_restored_before_other_changes() {
    let mut dir = tenant();
    dir.apply(&Mutation::SoftDelete("bob".into())).unwrap();
    assert!(dir.user(dir.user_id("bob").unwrap()).unwrap().is_soft_deleted());
    assert_eq!(dir.apply(&Mutation::Assign("bob".into())), Err(DirectoryError::SoftDeleted("bob".into())));
    dir.apply(&Mutation::Restore("bob".into())).unwrap();
    assert!(dir.apply(&Mutation::Assign("bob".into())).is_ok());
}

#[test]
fn references_and_ids_are_checked() {
    let mut dir = tenant();
    assert_eq!(dir.apply(&Mutation::Disable("zed".into())), Err(DirectoryError::UnknownUser("zed".into())));
    assert_eq!(dir.apply(&Mutation::Disable("eng".into())), Err(DirectoryError::NotAUser("eng".into())));
    assert_eq!(dir.apply(&Mutation::AssignGroup("bob".into())), Err(DirectoryError::NotAGroup("bob".into())));
    assert_eq!(dir.add_user(user("eng", "x@contoso.com")), Err(DirectoryError::DuplicateAlias("eng".into())));
    let mut clash = user("zed", "zed@contoso.com");
    clash.object_id = Some(ObjectId::derive("alice"));
    assert!(matches!(dir.add_user(clash), Err(DirectoryError::DuplicateObjectId { .. })));
    let set = vec![("objectId".to_string(), Value::from("x"))];
    let err = dir.apply(&Mutation::Update { user: "bob".into(), set, unset: vec![] }).unwrap_err();
    assert_eq!(err.to_string(), "`objectId` cannot be changed: objectId never changes");
    let set = vec![("manager".to_string(), Value::from("bob"))];
    let err = dir.apply(&Mutation::Update { user: "bob".into(), set, unset: vec![] }).unwrap_err();
    assert_eq!(err, DirectoryError::SelfManager("bob".into()));
}

#[test]
fn rename_and_delete_group() {
    let mut dir = tenant();
    dir.apply(&Mutation::AssignGroup("eng".into())).unwrap();
    dir.apply(&Mutation::RenameGroup { group: "eng".into(), to: "R&D".into() }).unwrap();
    let eng = dir.group_id("eng").unwrap();
    assert_eq!(dir.group(eng).unwrap().display_name().as_deref(), Some("R&D"));
    let mark = dir.watermark();
    dir.apply(&Mutation::DeleteGroup("eng".into())).unwrap();
    assert!(!dir.is_assigned(dir.user_id("bob").unwrap()));
    assert_eq!(aliases(&dir, &dir.changed_since(mark)), (strs(&["bob"]), strs(&["eng"])));
    assert_eq!(dir.group_count(), 0);
}
