//! One provisioning cycle (ENTRA.md 1.2, 1.3, 4.5): pick the objects to evaluate (all on an initial
//! cycle, changed and escrowed ones on an incremental cycle), decide per user whether to export,
//! disable, delete or skip, hold back deprovisioning above the accidental-deletion threshold, export,
//! link managers, then process groups.

use std::collections::{HashMap, HashSet};

use crate::engine::action::Sent;
use crate::engine::log::CycleLog;
use crate::engine::result::{CycleKind, CycleResult, ErrorCode, Event, LogAction, ObjectKind, ProvisioningEvent};
use crate::engine::result::{Finding, FindingKind};
use crate::engine::source::{fingerprint, user_fingerprint, Mapper, SourceSnapshot, SourceUser};
use crate::engine::state::Engine;
use crate::engine::users::{evaluate, evaluate_matching, user_ref, Exported, Prepared};
use crate::engine::{inflight, parallel};
use crate::scim::client::{Request, Transcript};

/// What a cycle decides for one user before sending anything.
#[derive(Debug, Clone, PartialEq)]
enum Plan {
    Export,
    /// Disable (or delete without an `active` mapping); `unmanage` for unassign / out of scope.
    Deprovision {
        unmanage: bool,
    },
    Skip(&'static str),
}

/// A user a cycle evaluates: its position in the snapshot, its plan and its source fingerprint.
#[derive(Debug, Clone)]
struct Candidate {
    index: usize,
    plan: Plan,
    fingerprint: u64,
}

/// What a cycle learns from reading the source before sending anything.
struct Survey {
    /// The users to evaluate, in source order.
    candidates: Vec<Candidate>,
    /// Positions of users to export that share a matching value with another user to export.
    duplicates: HashSet<usize>,
    /// Linked users missing from the source.
    gone: Vec<String>,
}

/// A user's first matching value as Entra compares it for duplicates: the attribute and the value,
/// case-insensitively.
fn matching_key(mapper: &dyn Mapper, user: &SourceUser, evaluation: u64) -> Option<String> {
    let eval = evaluate_matching(mapper, ObjectKind::User, &user.attrs, evaluation);
    let (attr, value) = eval.matching().into_iter().next()?;
    Some(format!("{attr}={}", value.to_lowercase()))
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
    fn plan_user(&self, user: &SourceUser, mapper: &dyn Mapper) -> Plan {
        let linked = self.cds.users.get(&user.object_id);
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
    /// and dropped; the export reads them again a page at a time.
    fn survey(&self, kind: CycleKind, snapshot: &SourceSnapshot<'_>, mapper: &dyn Mapper) -> Survey {
        let full = kind == CycleKind::Initial || !self.cds.initialized;
        let n = snapshot.user_count();
        let first_evaluation = self.reserve_evaluations(n as u64);
        let key_of = |index: usize, user: &SourceUser| matching_key(mapper, user, first_evaluation + index as u64);
        // Each user: its plan, its fingerprint, whether it is evaluated, and a hash of its first matching
        // value (the values themselves are not kept: at 100,000 users they were 15 MB).
        let rows = parallel::map_ranges(n, |range| {
            range
                .filter_map(|index| {
                    let user = snapshot.user_at(index)?;
                    let plan = self.plan_user(&user, mapper);
                    let key = (plan == Plan::Export).then(|| key_of(index, &user)).flatten().map(|k| fingerprint(&k));
                    let fingerprint = user_fingerprint(&user);
                    let evaluated = self.evaluates(full, &user.object_id, fingerprint);
                    Some((Candidate { index, plan, fingerprint }, evaluated, key))
                })
                .collect()
        });
        let mut candidates = Vec::new();
        let mut keyed = Vec::new();
        for (candidate, evaluated, key) in rows {
            if let Some(key) = key {
                keyed.push((key, candidate.index));
            }
            if evaluated {
                candidates.push(candidate);
            }
        }
        let duplicates = sharing_a_key(keyed, |index| key_of(index, &snapshot.user_at(index)?));
        let present: HashSet<&str> = snapshot.heads().map(|h| h.object_id).collect();
        let gone = self
            .cds
            .users
            .keys()
            .filter(|id| !present.contains(id.as_str()) && (full || !self.escrow_held(id)))
            .cloned()
            .collect();
        Survey { candidates, duplicates, gone }
    }

    /// Whether a cycle evaluates a user: every user on a full cycle, otherwise the ones a delta query
    /// reports (fingerprint changed since the last cycle) and escrowed ones whose retry is due; an escrow
    /// not due yet is held back unless the user changed (delta reports it like any change).
    fn evaluates(&self, full: bool, object_id: &str, fingerprint: u64) -> bool {
        full || self.escrow_due(object_id) || self.cds.fingerprints.get(object_id) != Some(&fingerprint)
    }

    /// Runs one cycle.
    pub async fn run_cycle(
        &mut self,
        kind: CycleKind,
        snapshot: &SourceSnapshot<'_>,
        mapper: &dyn Mapper,
    ) -> (CycleResult, CycleLog) {
        self.cycles += 1;
        let number = self.cycles;
        let started_at = self.clock.now();
        let first_request = self.transcript_len();
        let mut log = CycleLog::new(!self.object_events);
        if self.settings.fidelity.cycle_probe {
            // The `cycle_probe` switch: the random-GUID probe also opens provisioning activity (ENTRA.md 1.1).
            let probe = self.test_connection(mapper).await;
            log.findings.extend(probe.findings);
        }
        let Survey { candidates, duplicates, gone } = self.survey(kind, snapshot, mapper);
        let deletions = candidates.iter().filter(|c| matches!(c.plan, Plan::Deprovision { .. })).count()
            + gone.len()
            + self.planned_group_deletions(snapshot, mapper);
        let staged = self.settings.deletion_threshold.is_some_and(|t| deletions > t);
        let mut quarantine = None;
        if staged {
            let reason = format!(
                "TooManyDeletes: {deletions} disables/deletes exceed the accidental-deletion threshold of {}",
                self.settings.deletion_threshold.unwrap_or(0)
            );
            quarantine = Some(reason);
        }
        let mut exported = Vec::new();
        let exportable = |c: &Candidate| c.plan == Plan::Export && !duplicates.contains(&c.index);
        // A page of users at a time: their attributes are read for the page and dropped after it.
        'pages: for (page_number, page) in candidates.chunks(EXPORT_ROUND).enumerate() {
            let mut page = self.prepare_page(page, snapshot, mapper, &exportable);
            let mut i = 0;
            while i < page.len() {
                let before = page_number * EXPORT_ROUND + i;
                if self.settings.concurrency > 1 && exportable(page[i].candidate) {
                    // A run of users to export goes out concurrently; logs and transcript stay in source order.
                    let start = i;
                    while i < page.len() && exportable(page[i].candidate) {
                        i += 1;
                    }
                    let batch: Vec<(&SourceUser, Prepared)> =
                        page[start..i].iter_mut().filter_map(|p| Some((&p.user, p.export.take()?))).collect();
                    let progress = Progress { cycle: number, done: before, total: candidates.len() };
                    exported.extend(self.export_concurrently(batch, mapper, &mut log, progress).await);
                    if self.actor.unreachable() {
                        break 'pages;
                    }
                    continue;
                }
                let PageUser { candidate, user, export } = &mut page[i];
                let (user, candidate) = (&*user, *candidate);
                i += 1;
                let obj = user_ref(&user.alias, &user.object_id, self.cds.user_target(&user.object_id));
                match &candidate.plan {
                    Plan::Skip(why) => log.skip(&obj, ErrorCode::EntrySynchronizationSkipped, why),
                    Plan::Deprovision { .. } if staged => stage(&mut log, obj),
                    Plan::Deprovision { unmanage } => {
                        self.deprovision_user(&user.object_id, mapper, Some(&user.attrs), *unmanage, &mut log).await
                    }
                    Plan::Export if duplicates.contains(&candidate.index) => {
                        let f = Finding::error(
                            FindingKind::ObjectFailure,
                            format!("{} shares its matching value with another source user", user.alias),
                        )
                        .with_code(ErrorCode::DuplicateSourceEntries);
                        log.fail(&obj, &[], f);
                    }
                    Plan::Export => {
                        let prepared = match export.take() {
                            Some(prepared) => prepared,
                            None => {
                                evaluate(mapper, ObjectKind::User, &user.attrs, false, self.next_evaluation()).into()
                            }
                        };
                        exported.extend(self.export_user_prepared(user, prepared, mapper, &mut log).await)
                    }
                }
                self.progress(number, before, before + 1, candidates.len());
                if self.actor.unreachable() {
                    break 'pages;
                }
            }
            // Listeners see a page's entries as soon as the page is exported, not when the cycle ends.
            self.emit_new_entries(number, &mut log);
        }
        for object_id in &gone {
            if staged {
                let alias = self.cds.users.get(object_id).map(|e| e.alias.clone()).unwrap_or_default();
                stage(&mut log, user_ref(&alias, object_id, self.cds.user_target(object_id)));
            } else {
                self.deprovision_user(object_id, mapper, None, false, &mut log).await;
            }
        }
        self.link_managers(&exported, &mut log).await;
        // Freed before the groups and the fingerprints: at 1,000,000 users it is 80 MB.
        drop(exported);
        if self.settings.provision_groups && !mapper.specs(ObjectKind::Group).is_empty() {
            self.run_groups(kind, snapshot, mapper, staged, &mut log).await;
        }
        for c in &candidates {
            let Some(head) = snapshot.head(c.index) else { continue };
            if !log.failed.contains(head.object_id) {
                self.cds.fingerprints.insert(head.object_id, c.fingerprint);
            }
        }
        let escrows = self.settle_escrows(kind, snapshot, &log);
        if kind == CycleKind::Initial {
            self.cds.initialized = true;
        }
        let transcript = self.actor.client().transcript();
        log.counts.requests = transcript.len().saturating_sub(first_request);
        log.counts.writes = transcript.writes_since(first_request);
        self.emit_new_entries(number, &mut log);
        let mut events = std::mem::take(&mut log.events);
        if log.lean {
            // Runs too large for per-object reporting keep the attributes an entry changed (the steady-state
            // check names flapping ones from them), not the requests.
            for event in &mut events {
                event.requests = Vec::new();
            }
        }
        let result = CycleResult {
            number,
            kind,
            started_at,
            events,
            counts: log.counts,
            quarantine,
            escrows,
            since_previous: None,
        };
        (result, log)
    }
}

impl Engine {
    /// Sends the log entries not sent yet as [`Event::Object`]s (when object events are on).
    fn emit_new_entries(&self, cycle: u32, log: &mut CycleLog) {
        if self.object_events {
            for event in log.events.iter().skip(log.emitted) {
                self.emit(Event::Object { cycle, event: event.clone() });
            }
        }
        log.emitted = log.events.len();
    }
}

/// A user of a page, read and (when it is to be exported) prepared ahead of sending anything for it.
struct PageUser<'c> {
    candidate: &'c Candidate,
    user: SourceUser,
    export: Option<Prepared>,
}

impl Engine {
    /// Reads a page of users and prepares the export of those to export, spread over the machine's cores;
    /// evaluation numbers follow source order, so values do not depend on the split.
    fn prepare_page<'c>(
        &self,
        page: &'c [Candidate],
        snapshot: &SourceSnapshot<'_>,
        mapper: &dyn Mapper,
        exportable: &(dyn Fn(&Candidate) -> bool + Sync),
    ) -> Vec<PageUser<'c>> {
        let first_evaluation = self.reserve_evaluations(page.len() as u64);
        let creates = mapper.actions(ObjectKind::User).create;
        parallel::map_ranges(page.len(), |range| {
            range
                .filter_map(|i| {
                    let candidate = &page[i];
                    let user = snapshot.user_at(candidate.index)?;
                    let export = exportable(candidate).then(|| {
                        let eval = evaluate(mapper, ObjectKind::User, &user.attrs, false, first_evaluation + i as u64);
                        // Not linked yet: most likely a create (a match wastes the body, nothing else).
                        let create_body = (creates && self.cds.user_target(&user.object_id).is_none())
                            .then(|| self.create_body(&eval));
                        Prepared { eval, create_body }
                    });
                    Some(PageUser { candidate, user, export })
                })
                .collect()
        })
    }
}

/// Where a cycle stands, for [`Event::Progress`]: users evaluated before a batch, out of `total`.
#[derive(Debug, Clone, Copy)]
struct Progress {
    cycle: u32,
    done: usize,
    total: usize,
}

/// Users exported per round of concurrent work: the results of a round are applied before the next starts,
/// which bounds the memory held by finished-but-unapplied exports.
pub(crate) const EXPORT_ROUND: usize = crate::engine::result::PAGE_SIZE;

impl Engine {
    /// Exports `users` with up to `settings.concurrency` requests in flight (each user's own requests stay
    /// in order: query before create or update). Each user's exchanges are held back and appended to the
    /// transcript in source order, so a run's transcript does not depend on which response came first.
    /// Progress is reported as each user finishes, counting on from `progress.done`.
    async fn export_concurrently(
        &mut self,
        users: Vec<(&SourceUser, Prepared)>,
        mapper: &dyn Mapper,
        log: &mut CycleLog,
        progress: Progress,
    ) -> Vec<Exported> {
        let mut exported = Vec::new();
        let finished = std::sync::atomic::AtomicUsize::new(progress.done);
        let mut users = users.into_iter().peekable();
        while users.peek().is_some() {
            let round: Vec<(&SourceUser, Prepared)> = users.by_ref().take(EXPORT_ROUND).collect();
            let order: Vec<&SourceUser> = round.iter().map(|(u, _)| *u).collect();
            let results = {
                let (this, finished) = (&*self, &finished);
                let exports = round.into_iter().map(|(user, prepared)| {
                    Transcript::deferred(async move {
                        let mut part = CycleLog::new(!this.object_events);
                        let outcome = this.export_user_shared(user, prepared, mapper, &mut part).await;
                        let done = finished.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                        this.progress(progress.cycle, done - 1, done, progress.total);
                        (outcome, part)
                    })
                });
                inflight::in_order(exports, this.settings.concurrency).await
            };
            let transcript = self.actor.client().transcript().clone();
            for (user, ((outcome, part), exchanges)) in order.into_iter().zip(results) {
                let base = transcript.append(exchanges);
                log.absorb(part, base);
                self.apply_export(user, &outcome);
                exported.extend(outcome.exported);
            }
            if self.actor.unreachable() {
                break;
            }
        }
        exported
    }
}

impl Engine {
    /// Sends independent requests with up to `settings.concurrency` in flight and returns each answer with
    /// the offset to add to the indices it hands out (its exchange was held back and appended in request
    /// order, so the transcript does not depend on which response came first). One at a time, the requests
    /// are simply sent in order and the offset is 0.
    pub async fn send_all(&self, requests: Vec<Request>) -> Vec<(Sent, usize)> {
        if self.settings.concurrency <= 1 {
            let mut out = Vec::with_capacity(requests.len());
            for request in requests {
                out.push((self.actor.send(request).await, 0));
            }
            return out;
        }
        let transcript = self.actor.client().transcript().clone();
        let mut out = Vec::with_capacity(requests.len());
        let mut requests = requests.into_iter().peekable();
        while requests.peek().is_some() {
            let round: Vec<Request> = requests.by_ref().take(EXPORT_ROUND).collect();
            let sends = round.into_iter().map(|r| Transcript::deferred(self.actor.send(r)));
            let answers = inflight::in_order(sends, self.settings.concurrency).await;
            for (sent, exchanges) in answers {
                out.push((sent, transcript.append(exchanges)));
            }
        }
        out
    }
}

fn stage(log: &mut CycleLog, obj: crate::engine::result::ObjectRef) {
    log.counts.skips += 1;
    log.events.push(ProvisioningEvent {
        object: obj,
        action: LogAction::StagedDelete,
        status: crate::engine::result::LogStatus::Skipped,
        code: Some(ErrorCode::StagedAction),
        message: "held back by the accidental-deletion threshold".into(),
        modified: Vec::new(),
        requests: Vec::new(),
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::action::Actor;
    use crate::engine::cds::UserEntry;
    use crate::engine::dialect::Dialect;
    use crate::engine::escrow::{EscrowRetry, Failure};
    use crate::engine::source::{AttrSpec, ObjectActions, ScopeCheck};
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

    fn link(e: &mut Engine) {
        e.cds.users.insert("oid".into(), UserEntry { alias: "a".into(), target_id: "t".into(), ..Default::default() });
    }

    #[test]
    fn unassigning_a_linked_user_disables_and_unmanages_unless_skipped() {
        let mut e = engine();
        link(&mut e);
        assert_eq!(e.plan_user(&user(false, true, false), &NoFilters), Plan::Deprovision { unmanage: true });
        e.settings.skip_out_of_scope_deletions = true;
        assert!(matches!(e.plan_user(&user(false, true, false), &NoFilters), Plan::Skip(_)));
    }

    #[test]
    fn soft_delete_and_disable_keep_the_user_managed() {
        let mut e = engine();
        link(&mut e);
        assert_eq!(e.plan_user(&user(true, true, true), &NoFilters), Plan::Deprovision { unmanage: false });
        assert_eq!(e.plan_user(&user(true, false, false), &NoFilters), Plan::Deprovision { unmanage: false });
        e.cds.users.get_mut("oid").expect("linked").disabled = true;
        assert!(matches!(e.plan_user(&user(true, false, false), &NoFilters), Plan::Skip(_)));
    }

    #[test]
    fn disabled_users_are_not_created_and_enabled_ones_are_exported() {
        let e = engine();
        assert!(matches!(e.plan_user(&user(true, false, false), &NoFilters), Plan::Skip(_)));
        assert_eq!(e.plan_user(&user(true, true, false), &NoFilters), Plan::Export);
    }

    #[test]
    fn incremental_cycles_only_see_changed_escrowed_and_gone_objects() {
        let mut e = engine();
        let snapshot = SourceSnapshot::new(vec![user(true, true, false)], Vec::new());
        let seen =
            |e: &Engine, kind, snapshot: &SourceSnapshot<'_>| e.survey(kind, snapshot, &NoFilters).candidates.len();
        e.cds.initialized = true;
        assert_eq!(seen(&e, CycleKind::Incremental, &snapshot), 1, "never seen: changed");
        e.cds.fingerprints.insert("oid", user_fingerprint(&user(true, true, false)));
        assert_eq!(seen(&e, CycleKind::Incremental, &snapshot), 0);
        assert_eq!(seen(&e, CycleKind::Initial, &snapshot), 1);
        let now = e.clock.at();
        e.cds.escrows.fail("oid", Failure::default(), now, EscrowRetry::NextCycle);
        assert_eq!(seen(&e, CycleKind::Incremental, &snapshot), 1, "escrowed and due");
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

    #[test]
    fn escrows_not_due_are_held_back_unless_the_user_changed() {
        let mut e = engine();
        let snapshot = SourceSnapshot::new(vec![user(true, true, false)], Vec::new());
        let seen =
            |e: &Engine, kind, snapshot: &SourceSnapshot<'_>| e.survey(kind, snapshot, &NoFilters).candidates.len();
        e.cds.initialized = true;
        e.cds.fingerprints.insert("oid", user_fingerprint(&user(true, true, false)));
        let now = e.clock.at();
        e.cds.escrows.fail("oid", Failure::default(), now, EscrowRetry::Backoff);
        assert_eq!(seen(&e, CycleKind::Incremental, &snapshot), 0, "the first retry is 6 h away");
        assert_eq!(seen(&e, CycleKind::Initial, &snapshot), 1, "an initial cycle evaluates everything");
        let mut changed_user = user(true, true, false);
        changed_user.attrs.set("jobTitle", Value::from("Engineer"));
        let changed = SourceSnapshot::new(vec![changed_user], Vec::new());
        assert_eq!(seen(&e, CycleKind::Incremental, &changed), 1, "delta reports the change");
        link(&mut e);
        let gone = e.survey(CycleKind::Incremental, &SourceSnapshot::default(), &NoFilters).gone;
        assert!(gone.is_empty(), "a held delete waits");
        e.clock.advance(std::time::Duration::from_secs(6 * 3600));
        assert_eq!(seen(&e, CycleKind::Incremental, &snapshot), 1, "due after 6 h");
    }
}
