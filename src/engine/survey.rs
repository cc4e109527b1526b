//! What a cycle learns from the source before it sends anything (ENTRA.md 1.2, 1.3, 4.1): each user's
//! plan (export, deprovision or skip), which users this cycle evaluates (all on an initial cycle; changed
//! and escrowed ones on an incremental cycle), the users to export that share a matching value, and the
//! linked users gone from the source.

use std::collections::{HashMap, HashSet};

use rustc_hash::FxHashSet;

use crate::engine::cds::UserEntry;
use crate::engine::evaluate::first_matching_key;
use crate::engine::log::CycleLog;
use crate::engine::parallel;
use crate::engine::result::{CycleKind, ObjectKind};
use crate::engine::source::{fingerprint, user_fingerprint, Mapper, SourceSnapshot, SourceUser, UserKey};
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

/// What one survey knows of every user alike.
struct Pass<'p> {
    snapshot: &'p SourceSnapshot<'p>,
    mapper: &'p dyn Mapper,
    /// Every user is evaluated (an initial cycle, or none since the last restart).
    full: bool,
    /// The memo's rows may be recalled for users whose stamp is the same.
    recallable: bool,
    /// The memo's rows agree with the store (see [`SurveyMemo`]).
    settled: bool,
    /// Check every recall ([`SurveyMemo::verify`]).
    verify: bool,
    /// The evaluation number of the first user.
    first_evaluation: u64,
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
        let store = (self.cds.users.version(), self.cds.fingerprints.version());
        let renewed = memo.renew(Under::now(mapper, self.settings.scope_all), n, store);
        let (recallable, settled) = (renewed.recallable && !full, renewed.settled && !full);
        let pass = Pass { snapshot, mapper, full, recallable, settled, verify: memo.verify, first_evaluation };
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
                let (reading, linked, candidate) = self.survey_user(&pass, &head, row, &mut key);
                part.linked_read += usize::from(linked);
                part.candidates.extend(candidate);
                if let Some(hash) = reading.key {
                    part.keyed.push((hash, index));
                }
                *row = Row::new(head.stamp, reading, linked);
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

    /// One user as the survey sees it: what it read or recalled of the user's attributes, whether the
    /// user is linked, and the candidate to evaluate, if the user is one. `row` is the memo's row of the
    /// user's position.
    fn survey_user(
        &self,
        pass: &Pass<'_>,
        head: &UserKey<'_>,
        row: &Row,
        key: &mut String,
    ) -> (Reading, bool, Option<Candidate>) {
        let evaluation = pass.first_evaluation + head.index as u64;
        let recalled = if pass.recallable { row.recall(head.stamp) } else { None };
        // A recalled user of a settled memo: the row knows the link, and the store holds its fingerprint,
        // so nothing is looked up unless an escrow may be due.
        if let Some(reading) = recalled.filter(|_| pass.settled && !self.escrow_may_be_due(head.object_id)) {
            if pass.verify {
                self.assert_settled(head, reading, row.linked());
                self.assert_recalled(pass, head, evaluation, reading);
            }
            return (reading, row.linked(), None);
        }
        let entry = self.cds.users.get(head.object_id);
        if let Some(reading) = recalled.filter(|r| !self.evaluates(false, head.object_id, r.fingerprint)) {
            if pass.verify {
                self.assert_recalled(pass, head, evaluation, reading);
            }
            return (reading, entry.is_some(), None);
        }
        let Some(user) = pass.snapshot.user_at(head.index) else { return (BLANK_READING, entry.is_some(), None) };
        let (plan, reading) = self.read_user(&user, pass.mapper, entry, evaluation, key);
        let evaluated = self.evaluates(pass.full, head.object_id, reading.fingerprint);
        let candidate = evaluated.then_some(Candidate { index: head.index, plan, fingerprint: reading.fingerprint });
        (reading, entry.is_some(), candidate)
    }

    /// Settles the survey memo when the cycle ended cleanly (no failure, nothing escrowed): the rows of the
    /// users it evaluated get their links as they are now, and the memo notes the store's versions (see
    /// [`SurveyMemo`]). After any other cycle the next survey looks every user up.
    pub(super) fn settle_survey_memo(
        &mut self,
        snapshot: &SourceSnapshot<'_>,
        candidates: &[Candidate],
        log: &CycleLog,
    ) {
        if !log.failed.is_empty() || !self.cds.escrows.is_empty() || log.failures().next().is_some() {
            return;
        }
        let users = &self.cds.users;
        let store = (users.version(), self.cds.fingerprints.version());
        let evaluated =
            candidates.iter().filter_map(|c| Some((c.index, users.contains_key(snapshot.head(c.index)?.object_id))));
        self.survey_memo.settle(evaluated, store);
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

    /// Looks up what a settled row stands for and compares ([`SurveyMemo::verify`]): a store write that did
    /// not change the store's version would otherwise go unseen.
    fn assert_settled(&self, head: &UserKey<'_>, reading: Reading, linked: bool) {
        let stored = self.cds.fingerprints.get(head.object_id);
        assert_eq!(
            (self.cds.users.contains_key(head.object_id), stored),
            (linked, Some(&reading.fingerprint)),
            "the survey memo's settled row of {} disagrees with the store",
            head.alias
        );
    }

    /// Reads a recalled user again and compares ([`SurveyMemo::verify`]): a directory change that did not
    /// give the user a new stamp would otherwise go unseen by incremental cycles.
    fn assert_recalled(&self, pass: &Pass<'_>, head: &UserKey<'_>, evaluation: u64, recalled: Reading) {
        if let Some(user) = pass.snapshot.user_at(head.index) {
            let linked = self.cds.users.get(head.object_id);
            let (_, read) = self.read_user(&user, pass.mapper, linked, evaluation, &mut String::new());
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
        full || self.cds.fingerprints.get(object_id) != Some(&fingerprint) || self.escrow_may_be_due(object_id)
    }

    /// [`Engine::escrow_due`], without looking at the clock when nothing is escrowed.
    fn escrow_may_be_due(&self, object_id: &str) -> bool {
        !self.cds.escrows.is_empty() && self.escrow_due(object_id)
    }
}

#[cfg(test)]
mod tests;
