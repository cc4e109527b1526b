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
    assert_eq!(dir.add_group(group("ops", "Ops", &["ops"])), Err(DirectoryError::SelfMember("ops".into())));
    let add_self = Mutation::AddMember { group: "eng".into(), member: "eng".into() };
    assert_eq!(dir.apply(&add_self), Err(DirectoryError::SelfMember("eng".into())));
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

#[test]
fn a_first_delta_query_reports_everything_and_the_next_only_changes() {
    for mut dir in [tenant(), generate(5, 2, 1)] {
        let first = dir.changed_since(Watermark::default());
        assert_eq!((first.users.len(), first.groups.len()), (dir.user_count(), dir.group_count()));
        let mark = dir.watermark();
        assert!(dir.changed_since(mark).is_empty());
        let (_, someone) = dir.users().next().unwrap();
        let alias = someone.alias().to_string();
        dir.apply(&Mutation::Disable(alias)).unwrap();
        assert_eq!(dir.changed_since(mark).users.len(), 1);
    }
}

mod properties {
    use proptest::prelude::*;

    use super::*;

    const ALIASES: &[&str] = &["alice", "bob", "carol", "eng", "ops", "zed"];

    fn alias() -> impl Strategy<Value = String> {
        prop::sample::select(ALIASES).prop_map(str::to_string)
    }

    fn mutation() -> impl Strategy<Value = Mutation> {
        prop_oneof![
            alias().prop_map(|a| Mutation::AddUser(NewUser::new(a))),
            (alias(), prop::collection::vec(alias(), 0..3), any::<bool>()).prop_map(|(a, members, assigned)| {
                let mut g = group(&a, &a, &[]);
                g.members = members;
                g.assigned = assigned;
                Mutation::AddGroup(g)
            }),
            (alias(), alias()).prop_map(|(user, m)| Mutation::Update {
                user,
                set: vec![("manager".into(), Value::Str(m)), ("city".into(), Value::from("Oslo"))],
                unset: vec![],
            }),
            alias().prop_map(Mutation::Assign),
            alias().prop_map(Mutation::Unassign),
            alias().prop_map(Mutation::Disable),
            alias().prop_map(Mutation::SoftDelete),
            alias().prop_map(Mutation::Restore),
            alias().prop_map(Mutation::HardDelete),
            (alias(), alias()).prop_map(|(group, member)| Mutation::AddMember { group, member }),
            (alias(), alias()).prop_map(|(group, member)| Mutation::RemoveMember { group, member }),
            alias().prop_map(Mutation::AssignGroup),
            alias().prop_map(Mutation::UnassignGroup),
            alias().prop_map(Mutation::DeleteGroup),
        ]
    }

    proptest! {
        /// Whatever the sequence, the O(1) group-assignment count agrees with a recount, failed mutations
        /// change nothing, and the log only grows.
        #[test]
        fn assignment_counts_and_the_log_stay_consistent(mutations in prop::collection::vec(mutation(), 0..40)) {
            let mut dir = tenant();
            for m in &mutations {
                let before = dir.clone();
                match dir.apply(m) {
                    Err(_) => prop_assert_eq!(&dir, &before),
                    Ok(applied) => {
                        prop_assert_eq!(applied.seq.is_none(), applied.is_noop());
                        prop_assert!(dir.watermark() >= before.watermark());
                    }
                }
                for (id, user) in dir.users() {
                    let recount = dir.groups().any(|(_, g)| g.is_assigned() && g.has_member(id));
                    prop_assert_eq!(user.is_assigned_via_group(), recount, "{}", user.alias());
                }
            }
        }
    }
}
#[test]
fn update_sets_and_removes_attributes_manager_and_account_enabled() {
    let mut dir = tenant();
    let bob = dir.user_id("bob").unwrap();
    let update = Mutation::Update {
        user: "bob".into(),
        set: vec![("department".into(), Value::from("Sales")), ("accountEnabled".into(), Value::Bool(false))],
        unset: vec!["manager".into(), "userPrincipalName".into()],
    };
    let applied = dir.apply(&update).unwrap();
    assert_eq!(applied.changed, vec![(ObjectRef::User(bob), ChangeKind::UserUpdated)]);
    let obj = dir.source_object(bob);
    assert_eq!(obj.get("department"), &Value::from("Sales"));
    assert_eq!(obj.get("accountEnabled"), &Value::Bool(false));
    assert!(obj.get("manager").is_null() && obj.get("userPrincipalName").is_null());
}

#[test]
fn updating_a_generated_user_spells_out_its_attributes_once() {
    let mut dir = generate(3, 0, 9);
    let id = dir.user_id("u000002").unwrap();
    let before = dir.source_object(id);
    assert!(dir.user(id).unwrap().is_generated());
    let set = vec![("city".to_string(), Value::from("Oslo"))];
    dir.apply(&Mutation::Update { user: "u000002".into(), set, unset: vec![] }).unwrap();
    assert!(!dir.user(id).unwrap().is_generated());
    let after = dir.source_object(id);
    assert_eq!(after.get("city"), &Value::from("Oslo"));
    let unchanged = |o: &crate::mapping::SourceObject| {
        o.iter().filter(|(k, _)| *k != "city").map(|(k, v)| (k.to_string(), v.clone())).collect::<Vec<_>>()
    };
    assert_eq!(unchanged(&after), unchanged(&before));
}

#[test]
fn user_principal_names_are_unique_until_a_hard_delete() {
    let mut dir = tenant();
    let err = dir.add_user(user("alice2", "ALICE@contoso.com")).unwrap_err();
    assert_eq!(err.to_string(), "userPrincipalName `ALICE@contoso.com` of `alice2` is already used by `alice`");
    let rename = |upn: &str| Mutation::Update {
        user: "bob".into(),
        set: vec![("userPrincipalName".into(), Value::from(upn))],
        unset: vec![],
    };
    assert!(matches!(dir.apply(&rename("alice@contoso.com")), Err(DirectoryError::DuplicateUserPrincipalName { .. })));
    dir.apply(&rename("robert@contoso.com")).unwrap();
    assert_eq!(dir.user_by_principal_name("Robert@Contoso.com"), dir.user_id("bob"));
    assert_eq!(dir.user_by_principal_name("bob@contoso.com"), None, "the old name is free");
    dir.apply(&Mutation::SoftDelete("alice".into())).unwrap();
    assert!(dir.add_user(user("alice2", "alice@contoso.com")).is_err(), "soft-deleted users keep their name");
    dir.apply(&Mutation::HardDelete("alice".into())).unwrap();
    assert!(dir.add_user(user("alice2", "alice@contoso.com")).is_ok(), "a rehire after the purge");
}

#[test]
fn generated_user_principal_names_are_indexed() {
    let mut dir = generate(50, 0, 4);
    let upn = dir.user_principal_name(dir.user_id("u000007").unwrap()).unwrap();
    assert_eq!(dir.user_by_principal_name(&upn), dir.user_id("u000007"));
    assert!(dir.add_user(user("clash", &upn)).is_err());
}
