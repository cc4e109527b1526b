//! The survey's tests: plans, delta, duplicates, and the memo of what it read.
use super::*;
use crate::engine::action::Actor;
use crate::engine::cds::UserEntry;
use crate::engine::dialect::Dialect;
use crate::engine::escrow::{EscrowRetry, Failure};
use crate::engine::log::CycleLog;
use crate::engine::source::{AttrSpec, IdText, ObjectActions, ScopeCheck};
use crate::engine::state::Settings;
use crate::mapping::{SourceObject, Value};
use crate::scim::client::{Auth, Client, ClientConfig};

struct NoFilters;

impl Mapper for NoFilters {
    fn specs(&self, _: ObjectKind) -> std::sync::Arc<[AttrSpec]> {
        std::sync::Arc::from([])
    }
    fn evaluate(&self, _: ObjectKind, _: usize, _: &SourceObject, _: u64) -> Result<Value, String> {
        Ok(Value::Null)
    }
    fn scope(&self, _: ObjectKind, _: &SourceObject) -> ScopeCheck {
        ScopeCheck { in_scope: true, clauses: Vec::new() }
    }
    fn actions(&self, _: ObjectKind) -> ObjectActions {
        ObjectActions::default()
    }
}

fn engine() -> Engine {
    let client = Client::new(ClientConfig::new("http://127.0.0.1:9/scim", Auth::None)).expect("valid URL");
    Engine::new(Actor::new(client, std::time::Duration::ZERO), Dialect::Legacy, Settings::default(), 0)
}

fn user(assigned: bool, enabled: bool, soft_deleted: bool) -> SourceUser {
    let mut attrs = SourceObject::new();
    attrs.set("accountEnabled", Value::Bool(enabled));
    SourceUser { alias: "a".into(), object_id: "oid".into(), attrs, assigned, soft_deleted }
}

/// The plan of `user` as the survey makes it.
fn plan(e: &Engine, user: SourceUser) -> Plan {
    e.plan_user(&user, &NoFilters, e.cds.users.get(&user.object_id))
}

fn link(e: &mut Engine) {
    e.cds.users.insert("oid", UserEntry { alias: "a".into(), target_id: "t".into(), ..Default::default() });
}

#[test]
fn unassigning_a_linked_user_disables_and_unmanages_unless_skipped() {
    let mut e = engine();
    link(&mut e);
    assert_eq!(plan(&e, user(false, true, false)), Plan::Deprovision { unmanage: true });
    e.settings.skip_out_of_scope_deletions = true;
    assert!(matches!(plan(&e, user(false, true, false)), Plan::Skip(_)));
}

#[test]
fn soft_delete_and_disable_keep_the_user_managed() {
    let mut e = engine();
    link(&mut e);
    assert_eq!(plan(&e, user(true, true, true)), Plan::Deprovision { unmanage: false });
    assert_eq!(plan(&e, user(true, false, false)), Plan::Deprovision { unmanage: false });
    e.cds.users.get_mut("oid").expect("linked").disabled = true;
    assert!(matches!(plan(&e, user(true, false, false)), Plan::Skip(_)));
}

#[test]
fn disabled_users_are_not_created_and_enabled_ones_are_exported() {
    let e = engine();
    assert!(matches!(plan(&e, user(true, false, false)), Plan::Skip(_)));
    assert_eq!(plan(&e, user(true, true, false)), Plan::Export);
}

/// How many users a survey of `snapshot` evaluates.
fn seen(e: &mut Engine, kind: CycleKind, snapshot: &SourceSnapshot<'_>) -> usize {
    e.survey(kind, snapshot, &NoFilters).candidates.len()
}

#[test]
fn incremental_cycles_only_see_changed_escrowed_and_gone_objects() {
    let mut e = engine();
    let snapshot = SourceSnapshot::new(vec![user(true, true, false)], Vec::new());
    e.cds.initialized = true;
    assert_eq!(seen(&mut e, CycleKind::Incremental, &snapshot), 1, "never seen: changed");
    e.cds.fingerprints.insert("oid", user_fingerprint(&user(true, true, false)));
    assert_eq!(seen(&mut e, CycleKind::Incremental, &snapshot), 0);
    assert_eq!(seen(&mut e, CycleKind::Initial, &snapshot), 1);
    let now = e.clock.at();
    e.cds.escrows.fail("oid", Failure::default(), now, EscrowRetry::NextCycle);
    assert_eq!(seen(&mut e, CycleKind::Incremental, &snapshot), 1, "escrowed and due");
    link(&mut e);
    let empty = SourceSnapshot::default();
    assert_eq!(e.survey(CycleKind::Incremental, &empty, &NoFilters).gone, vec!["oid".to_string()]);
}

#[test]
fn users_sharing_a_matching_value_are_duplicates_and_the_rest_are_not() {
    struct ByUpn;
    impl Mapper for ByUpn {
        fn specs(&self, _: ObjectKind) -> std::sync::Arc<[AttrSpec]> {
            std::sync::Arc::from(vec![AttrSpec { matching_priority: Some(1), ..AttrSpec::for_target("userName") }])
        }
        fn evaluate(&self, _: ObjectKind, _: usize, source: &SourceObject, _: u64) -> Result<Value, String> {
            Ok(source.get("userPrincipalName").clone())
        }
        fn scope(&self, _: ObjectKind, _: &SourceObject) -> ScopeCheck {
            ScopeCheck { in_scope: true, clauses: Vec::new() }
        }
        fn actions(&self, _: ObjectKind) -> ObjectActions {
            ObjectActions::default()
        }
    }
    let with_upn = |alias: &str, upn: &str| {
        let mut u = user(true, true, false);
        u.alias = alias.into();
        u.object_id = format!("oid-{alias}");
        u.attrs.set("userPrincipalName", Value::from(upn));
        u
    };
    let snapshot = SourceSnapshot::new(
        vec![with_upn("a", "x@contoso.com"), with_upn("b", "y@contoso.com"), with_upn("c", "X@Contoso.com")],
        Vec::new(),
    );
    let survey = engine().survey(CycleKind::Initial, &snapshot, &ByUpn);
    assert_eq!(survey.duplicates, [0, 2].into_iter().collect());
    assert_eq!(survey.candidates.len(), 3);
}

#[test]
fn users_whose_hashes_meet_are_duplicates_only_when_their_keys_are_equal() {
    // Every hash equal: only the exact keys can tell the users apart.
    let keys = ["userName=x", "userName=y", "userName=x", "userName=z"];
    let keyed = (0..keys.len()).map(|i| (7, i)).collect();
    let shared = sharing_a_key(keyed, |i| Some(keys[i].to_string()));
    assert_eq!(shared, [0, 2].into_iter().collect());
    let distinct = (0..keys.len()).map(|i| (i as u64, i)).collect();
    assert!(sharing_a_key(distinct, |i| Some(keys[i].to_string())).is_empty());
}

/// [`NoFilters`] under a name, so the survey keeps a memo.
struct Named;

impl Mapper for Named {
    fn specs(&self, kind: ObjectKind) -> std::sync::Arc<[AttrSpec]> {
        NoFilters.specs(kind)
    }
    fn evaluate(&self, kind: ObjectKind, i: usize, source: &SourceObject, n: u64) -> Result<Value, String> {
        NoFilters.evaluate(kind, i, source, n)
    }
    fn scope(&self, kind: ObjectKind, source: &SourceObject) -> ScopeCheck {
        NoFilters.scope(kind, source)
    }
    fn actions(&self, kind: ObjectKind) -> ObjectActions {
        NoFilters.actions(kind)
    }
    fn revision(&self) -> Option<u64> {
        Some(1)
    }
}

/// Three users a, b and c whose attributes the survey reads through `read`, with these stamps.
fn stamped<'a>(
    users: &'a [SourceUser],
    stamps: [u64; 3],
    reads: &'a std::sync::atomic::AtomicUsize,
) -> SourceSnapshot<'a> {
    let heads = users.iter().zip(stamps).map(|(u, stamp)| {
        (std::borrow::Cow::Borrowed(u.alias.as_str()), IdText::new(&u.object_id), true, false, Some(stamp))
    });
    let read = move |i: usize| {
        reads.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        users[i].attrs.clone()
    };
    SourceSnapshot::reading(heads, read, Vec::new())
}

fn three_users() -> Vec<SourceUser> {
    ["a", "b", "c"]
        .map(|alias| SourceUser { alias: alias.into(), object_id: format!("oid-{alias}"), ..user(true, true, false) })
        .into()
}

/// Runs the initial survey of `users` and records what a cycle would: the memo and the fingerprints.
fn initial_survey(e: &mut Engine, users: &[SourceUser]) {
    let reads = std::sync::atomic::AtomicUsize::new(0);
    let survey = e.survey(CycleKind::Initial, &stamped(users, [1, 2, 3], &reads), &Named);
    for c in &survey.candidates {
        e.cds.fingerprints.insert(&users[c.index].object_id, c.fingerprint);
    }
    e.cds.initialized = true;
}

#[test]
fn an_incremental_survey_reads_only_the_users_whose_stamp_changed() {
    let mut e = engine();
    let mut users = three_users();
    initial_survey(&mut e, &users);
    e.survey_memo.verify = false;
    users[1].attrs.set("jobTitle", Value::from("Engineer"));
    let reads = std::sync::atomic::AtomicUsize::new(0);
    let survey = e.survey(CycleKind::Incremental, &stamped(&users, [1, 7, 3], &reads), &Named);
    assert_eq!(reads.into_inner(), 1, "only b is read");
    assert_eq!(survey.candidates.iter().map(|c| c.index).collect::<Vec<_>>(), vec![1]);
    // Under another mapping, nothing is recalled.
    let reads = std::sync::atomic::AtomicUsize::new(0);
    e.survey(CycleKind::Incremental, &stamped(&users, [1, 7, 3], &reads), &NoFilters);
    assert_eq!(reads.into_inner(), 3);
}

#[test]
fn after_a_clean_cycle_the_survey_looks_nothing_up_for_unchanged_users_and_finds_the_same() {
    let mut e = engine();
    let mut users = three_users();
    let reads = std::sync::atomic::AtomicUsize::new(0);
    let first = e.survey(CycleKind::Initial, &stamped(&users, [1, 2, 3], &reads), &Named);
    for c in &first.candidates {
        e.cds.fingerprints.insert(&users[c.index].object_id, c.fingerprint);
    }
    e.cds.users.insert("oid-a", UserEntry { alias: "a".into(), target_id: "t".into(), ..Default::default() });
    e.cds.initialized = true;
    e.settle_survey_memo(&stamped(&users, [1, 2, 3], &reads), &first.candidates, &CycleLog::default());
    users[1].attrs.set("jobTitle", Value::from("Engineer"));
    // Verifying: every settled row is looked up again and must agree with the store.
    e.survey_memo.verify = true;
    let survey = e.survey(CycleKind::Incremental, &stamped(&users, [1, 7, 3], &reads), &Named);
    assert_eq!(survey.candidates.iter().map(|c| c.index).collect::<Vec<_>>(), vec![1]);
    assert!(survey.gone.is_empty(), "a's link was counted from its row");
}

#[test]
#[should_panic(expected = "stale reading of b")]
fn a_changed_user_whose_stamp_did_not_change_is_caught_when_verifying() {
    let mut e = engine();
    let mut users = three_users();
    initial_survey(&mut e, &users);
    e.survey_memo.verify = true;
    users[1].attrs.set("jobTitle", Value::from("Engineer"));
    let reads = std::sync::atomic::AtomicUsize::new(0);
    e.survey(CycleKind::Incremental, &stamped(&users, [1, 2, 3], &reads), &Named);
}

#[test]
fn escrows_not_due_are_held_back_unless_the_user_changed() {
    let mut e = engine();
    let snapshot = SourceSnapshot::new(vec![user(true, true, false)], Vec::new());
    e.cds.initialized = true;
    e.cds.fingerprints.insert("oid", user_fingerprint(&user(true, true, false)));
    let now = e.clock.at();
    e.cds.escrows.fail("oid", Failure::default(), now, EscrowRetry::Backoff);
    assert_eq!(seen(&mut e, CycleKind::Incremental, &snapshot), 0, "the first retry is 6 h away");
    assert_eq!(seen(&mut e, CycleKind::Initial, &snapshot), 1, "an initial cycle evaluates everything");
    let mut changed_user = user(true, true, false);
    changed_user.attrs.set("jobTitle", Value::from("Engineer"));
    let changed = SourceSnapshot::new(vec![changed_user], Vec::new());
    assert_eq!(seen(&mut e, CycleKind::Incremental, &changed), 1, "delta reports the change");
    link(&mut e);
    let gone = e.survey(CycleKind::Incremental, &SourceSnapshot::default(), &NoFilters).gone;
    assert!(gone.is_empty(), "a held delete waits");
    e.clock.advance(std::time::Duration::from_secs(6 * 3600));
    assert_eq!(seen(&mut e, CycleKind::Incremental, &snapshot), 1, "due after 6 h");
}
