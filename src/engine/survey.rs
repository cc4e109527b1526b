//! What a cycle learns from the source before it sends anything (ENTRA.md 1.2, 1.3, 4.1): each user's
//! plan (export, deprovision or skip), which users this cycle evaluates (all on an initial cycle; changed
//! and escrowed ones on an incremental cycle), the users to export that share a matching value, and the
//! linked users gone from the source.

use std::collections::{HashMap, HashSet};

use rustc_hash::FxHashSet;

use crate::engine::cds::UserEntry;
use crate::engine::evaluate::first_matching_key;
use crate::engine::parallel;
use crate::engine::result::{CycleKind, ObjectKind};
use crate::engine::source::{fingerprint, user_fingerprint, Mapper, SourceSnapshot, SourceUser};
use crate::engine::state::Engine;
use crate::engine::survey_memo::{Reading, Row, SurveyMemo, Under};

/// The reading of a user who is not there (a position past the snapshot's end: never, in practice).
const BLANK_READING: Reading = Reading { fingerprint: 0, key: None };

/// What a cycle decides for one user before sending anything.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Plan {
    Export,
    /// Disable (or delete without an `active` mapping); `unmanage` for unassign / out of scope.
    Deprovision {
        unmanage: bool,
    },
    Skip(&'static str),
}

/// A user a cycle evaluates: its position in the snapshot, its plan and its source fingerprint.
#[derive(Debug, Clone)]
pub(super) struct Candidate {
    pub index: usize,
    pub plan: Plan,
    pub fingerprint: u64,
}

/// What a cycle learns from reading the source before sending anything.
pub(super) struct Survey {
    /// The users to evaluate, in source order.
    pub candidates: Vec<Candidate>,
    /// Positions of users to export that share a matching value with another user to export.
    pub duplicates: HashSet<usize>,
    /// Linked users missing from the source.
    pub gone: Vec<String>,
}

/// A contiguous range of users as the survey reads it.
struct Part {
    /// The users evaluated.
    candidates: Vec<Candidate>,
    /// (hash of the first matching value, position) of the users to export that have one.
    keyed: Vec<(u64, usize)>,
    /// How many users read are linked.
    linked_read: usize,
}

/// A user's first matching value as Entra compares it for duplicates: the attribute and the value,
/// case-insensitively (see [`first_matching_key`]).
fn matching_key(mapper: &dyn Mapper, user: &SourceUser, evaluation: u64) -> Option<String> {
    let mut key = String::new();
    first_matching_key(mapper, ObjectKind::User, &user.attrs, evaluation, &mut key).then_some(key)
}

/// The users (by index) whose key another user shares, from each user's key hash (a
/// [`fingerprint`]). Users whose hashes meet have their keys built again by `key_of` and compared, so
/// two different keys with one hash are not taken for duplicates.
fn sharing_a_key(mut keyed: Vec<(u64, usize)>, key_of: impl Fn(usize) -> Option<String>) -> HashSet<usize> {
    keyed.sort_unstable();
    let mut shared = HashSet::new();
    for run in keyed.chunk_by(|a, b| a.0 == b.0).filter(|run| run.len() > 1) {
        let mut by_key: HashMap<String, Vec<usize>> = HashMap::new();
        for &(_, index) in run {
            if let Some(key) = key_of(index) {
                by_key.entry(key).or_default().push(index);
            }
        }
        shared.extend(by_key.into_values().filter(|ids| ids.len() > 1).flatten());
    }
    shared
}

impl Engine {
    /// The plan of `user`, `linked` to a target object as the connector data store says.
    fn plan_user(&self, user: &SourceUser, mapper: &dyn Mapper, linked: Option<&UserEntry>) -> Plan {
        let assigned = self.settings.scope_all || user.assigned;
        let in_scope = assigned && mapper.scope(ObjectKind::User, &user.attrs).in_scope;
        if !in_scope {
            return match linked {
                Some(_) if self.settings.skip_out_of_scope_deletions => {
                    Plan::Skip("out of scope; not disabled because SkipOutOfScopeDeletions is set")
                }
                Some(_) => Plan::Deprovision { unmanage: true },
                None => Plan::Skip("out of scope"),
            };
        }
        if user.soft_deleted || !user.enabled() {
            return match linked {
                Some(e) if !e.disabled => Plan::Deprovision { unmanage: false },
                Some(_) => Plan::Skip("already disabled in the target"),
                None => Plan::Skip("disabled in the source; disabled users are not created"),
            };
        }
        Plan::Export
    }

    /// Reads every user once, without sending anything: the plan of each, which ones this cycle
    /// evaluates (all on an initial cycle; changed and escrowed ones otherwise) and, among the users to
    /// export, those whose first matching value (case-insensitive) another user to export shares: Entra
    /// fails them with `DuplicateSourceEntries` (ENTRA.md 4.1). Attributes are read one user at a time
    /// and dropped; the export reads them again a page at a time. On an incremental cycle, a user whose
    /// stamp is the one [`SurveyMemo`] holds is not read: its fingerprint and matching value are recalled.
    pub(super) fn survey(&mut self, kind: CycleKind, snapshot: &SourceSnapshot<'_>, mapper: &dyn Mapper) -> Survey {
        let mut memo = std::mem::take(&mut self.survey_memo);
        let survey = self.survey_into(kind, snapshot, mapper, &mut memo);
        self.survey_memo = memo;
        survey
    }

    /// [`Engine::survey`], recalling from `memo` and writing this survey's readings over it.
    fn survey_into(
        &self,
        kind: CycleKind,
        snapshot: &SourceSnapshot<'_>,
        mapper: &dyn Mapper,
        memo: &mut SurveyMemo,
    ) -> Survey {
        let full = kind == CycleKind::Initial || !self.cds.initialized;
        let n = snapshot.user_count();
        let first_evaluation = self.reserve_evaluations(n as u64);
        let recallable = memo.renew(Under::now(mapper, self.settings.scope_all), n) && !full;
        let verify = memo.verify;
        // Each user: its plan, its fingerprint, whether it is evaluated, and a hash of its first matching
        // value (the values themselves are not kept: at 100,000 users they were 15 MB). The key is written
        // into one buffer per thread; the memo's rows are overwritten in place.
        let parts = parallel::map_chunks_mut(memo.rows_mut(), |start, rows| {
            let mut part = Part { candidates: Vec::new(), keyed: Vec::new(), linked_read: 0 };
            let mut key = String::new();
            for (index, row) in (start..).zip(rows.iter_mut()) {
                let Some(head) = snapshot.head(index) else {
                    *row = Row::BLANK;
                    continue;
                };
                let linked = self.cds.users.get(head.object_id);
                part.linked_read += usize::from(linked.is_some());
                let evaluation = first_evaluation + index as u64;
                let recalled = if recallable { row.recall(head.stamp) } else { None };
                let read = match recalled {
                    Some(reading) if !self.evaluates(false, head.object_id, reading.fingerprint) => {
                        if verify {
                            self.assert_recalled(snapshot, &head, mapper, evaluation, reading);
                        }
                        None
                    }
                    _ => {
                        snapshot.user_at(index).map(|user| self.read_user(&user, mapper, linked, evaluation, &mut key))
                    }
                };
                let reading = match read {
                    Some((plan, reading)) => {
                        if self.evaluates(full, head.object_id, reading.fingerprint) {
                            part.candidates.push(Candidate { index, plan, fingerprint: reading.fingerprint });
                        }
                        reading
                    }
                    None => recalled.unwrap_or(BLANK_READING),
                };
                if let Some(hash) = reading.key {
                    part.keyed.push((hash, index));
                }
                *row = Row::new(head.stamp, reading);
            }
            part
        });
        let (mut candidates, mut keyed, mut linked_read) = (Vec::new(), Vec::new(), 0);
        for part in parts {
            candidates.extend(part.candidates);
            keyed.extend(part.keyed);
            linked_read += part.linked_read;
        }
        let duplicates = sharing_a_key(keyed, |index| {
            matching_key(mapper, &snapshot.user_at(index)?, first_evaluation + index as u64)
        });
        // objectIds are unique in a directory: when every linked user was read, none is gone (the usual
        // cycle, spared a set of every objectId).
        let gone = if linked_read == self.cds.users.len() { Vec::new() } else { self.gone(snapshot, full) };
        Survey { candidates, duplicates, gone }
    }

    /// Reads one user's attributes: its plan and what [`SurveyMemo`] keeps of it.
    fn read_user(
        &self,
        user: &SourceUser,
        mapper: &dyn Mapper,
        linked: Option<&UserEntry>,
        evaluation: u64,
        key: &mut String,
    ) -> (Plan, Reading) {
        let plan = self.plan_user(user, mapper, linked);
        let key = (plan == Plan::Export && first_matching_key(mapper, ObjectKind::User, &user.attrs, evaluation, key))
            .then(|| fingerprint(&key.as_str()));
        (plan, Reading { fingerprint: user_fingerprint(user), key })
    }

    /// Reads a recalled user again and compares ([`SurveyMemo::verify`]): a directory change that did not
    /// give the user a new stamp would otherwise go unseen by incremental cycles.
    fn assert_recalled(
        &self,
        snapshot: &SourceSnapshot<'_>,
        head: &crate::engine::source::UserKey<'_>,
        mapper: &dyn Mapper,
        evaluation: u64,
        recalled: Reading,
    ) {
        if let Some(user) = snapshot.user_at(head.index) {
            let linked = self.cds.users.get(head.object_id);
            let (_, read) = self.read_user(&user, mapper, linked, evaluation, &mut String::new());
            assert_eq!(
                read, recalled,
                "the survey recalled a stale reading of {}: its stamp did not change",
                head.alias
            );
        }
    }

    /// The linked users missing from the source, in the text order of their ids (as their deprovisioning
    /// requests go out); on an incremental cycle, not those whose escrow holds them back.
    fn gone(&self, snapshot: &SourceSnapshot<'_>, full: bool) -> Vec<String> {
        let present: FxHashSet<&str> = snapshot.heads().map(|h| h.object_id).collect();
        let mut gone: Vec<String> = self
            .cds
            .users
            .iter_unordered()
            .filter_map(|(id, _)| {
                id.with_str(|id| (!present.contains(id) && (full || !self.escrow_held(id))).then(|| id.to_string()))
            })
            .collect();
        gone.sort_unstable();
        gone
    }

    /// Whether a cycle evaluates a user: every user on a full cycle, otherwise the ones a delta query
    /// reports (fingerprint changed since the last cycle) and escrowed ones whose retry is due; an escrow
    /// not due yet is held back unless the user changed (delta reports it like any change).
    fn evaluates(&self, full: bool, object_id: &str, fingerprint: u64) -> bool {
        full || self.cds.fingerprints.get(object_id) != Some(&fingerprint)
            || (!self.cds.escrows.is_empty() && self.escrow_due(object_id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::action::Actor;
    use crate::engine::cds::UserEntry;
    use crate::engine::dialect::Dialect;
    use crate::engine::escrow::{EscrowRetry, Failure};
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

    #[test]
    fn incremental_cycles_only_see_changed_escrowed_and_gone_objects() {
        let mut e = engine();
        let snapshot = SourceSnapshot::new(vec![user(true, true, false)], Vec::new());
        let seen =
            |e: &mut Engine, kind, snapshot: &SourceSnapshot<'_>| e.survey(kind, snapshot, &NoFilters).candidates.len();
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
            .map(|alias| SourceUser {
                alias: alias.into(),
                object_id: format!("oid-{alias}"),
                ..user(true, true, false)
            })
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
        let seen =
            |e: &mut Engine, kind, snapshot: &SourceSnapshot<'_>| e.survey(kind, snapshot, &NoFilters).candidates.len();
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
}
