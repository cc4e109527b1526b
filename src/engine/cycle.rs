//! One provisioning cycle (ENTRA.md 1.2, 1.3, 4.5): pick the objects to evaluate (all on an initial
//! cycle, changed and escrowed ones on an incremental cycle), decide per user whether to export,
//! disable, delete or skip, hold back deprovisioning above the accidental-deletion threshold, export,
//! link managers, then process groups.

use crate::engine::action::Sent;
use crate::engine::log::CycleLog;
use crate::engine::result::{CycleKind, CycleResult, ErrorCode, Event, LogAction, ObjectKind, ProvisioningEvent};
use crate::engine::result::{Finding, FindingKind};
use crate::engine::source::{user_fingerprint, Mapper, SourceSnapshot, SourceUser};
use crate::engine::state::Engine;
use crate::engine::users::{evaluate, user_ref, Exported};
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

    /// Users to export whose first matching value (case-insensitive) another user to export shares:
    /// Entra fails them with `DuplicateSourceEntries` (ENTRA.md 4.1).
    fn duplicate_sources(&self, snapshot: &SourceSnapshot, mapper: &dyn Mapper) -> std::collections::BTreeSet<String> {
        let mut by_value: std::collections::BTreeMap<String, Vec<String>> = std::collections::BTreeMap::new();
        for user in snapshot.users.iter().filter(|u| self.plan_user(u, mapper) == Plan::Export) {
            let eval = evaluate(mapper, ObjectKind::User, &user.attrs, false);
            if let Some((attr, value)) = eval.matching().into_iter().next() {
                by_value.entry(format!("{attr}={}", value.to_lowercase())).or_default().push(user.object_id.clone());
            }
        }
        by_value.into_values().filter(|ids| ids.len() > 1).flatten().collect()
    }

    /// The users a cycle evaluates, in source order, then linked users missing from the source. An
    /// incremental cycle evaluates changed users and escrowed ones whose retry is due; an escrow not due
    /// yet is held back unless the user changed (delta reports it like any change).
    fn candidates<'a>(&self, kind: CycleKind, snapshot: &'a SourceSnapshot) -> (Vec<&'a SourceUser>, Vec<String>) {
        let full = kind == CycleKind::Initial || !self.cds.initialized;
        let users = snapshot
            .users
            .iter()
            .filter(|u| {
                full || self.escrow_due(&u.object_id)
                    || self.cds.fingerprints.get(&u.object_id) != Some(&user_fingerprint(u))
            })
            .collect();
        let present: std::collections::HashSet<&str> = snapshot.users.iter().map(|u| u.object_id.as_str()).collect();
        let gone = self
            .cds
            .users
            .keys()
            .filter(|id| !present.contains(id.as_str()) && (full || !self.escrow_held(id)))
            .cloned()
            .collect();
        (users, gone)
    }

    /// Runs one cycle.
    pub async fn run_cycle(
        &mut self,
        kind: CycleKind,
        snapshot: &SourceSnapshot,
        mapper: &dyn Mapper,
    ) -> (CycleResult, CycleLog) {
        self.cycles += 1;
        let number = self.cycles;
        let started_at = self.clock.now();
        let first_request = self.transcript_len();
        let mut log = CycleLog::default();
        let (users, gone) = self.candidates(kind, snapshot);
        let plans: Vec<(&SourceUser, Plan)> = users.iter().map(|u| (*u, self.plan_user(u, mapper))).collect();
        let deletions = plans.iter().filter(|(_, p)| matches!(p, Plan::Deprovision { .. })).count()
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
        let duplicates = self.duplicate_sources(snapshot, mapper);
        let mut exported = Vec::new();
        let exportable = |i: usize| matches!(plans[i].1, Plan::Export) && !duplicates.contains(&plans[i].0.object_id);
        let mut i = 0;
        while i < plans.len() {
            if self.settings.concurrency > 1 && exportable(i) {
                // A run of users to export goes out concurrently; logs and transcript stay in source order.
                let start = i;
                while i < plans.len() && exportable(i) {
                    i += 1;
                }
                let batch: Vec<&SourceUser> = plans[start..i].iter().map(|(u, _)| *u).collect();
                exported.extend(self.export_concurrently(&batch, mapper, &mut log).await);
                if self.actor.unreachable() {
                    break;
                }
                continue;
            }
            let (user, plan) = &plans[i];
            i += 1;
            let obj = user_ref(&user.alias, &user.object_id, self.cds.user_target(&user.object_id));
            match plan {
                Plan::Skip(why) => log.skip(&obj, ErrorCode::EntrySynchronizationSkipped, why),
                Plan::Deprovision { .. } if staged => stage(&mut log, obj),
                Plan::Deprovision { unmanage } => {
                    self.deprovision_user(&user.object_id, mapper, Some(&user.attrs), *unmanage, &mut log).await
                }
                Plan::Export if duplicates.contains(&user.object_id) => {
                    let f = Finding::error(
                        FindingKind::ObjectFailure,
                        format!("{} shares its matching value with another source user", user.alias),
                    )
                    .with_code(ErrorCode::DuplicateSourceEntries);
                    log.fail(&obj, &[], f);
                }
                Plan::Export => exported.extend(self.export_user(user, mapper, &mut log).await),
            }
            if self.actor.unreachable() {
                break;
            }
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
        if self.settings.provision_groups && !mapper.specs(ObjectKind::Group).is_empty() {
            self.run_groups(kind, snapshot, mapper, staged, &mut log).await;
        }
        for user in &users {
            if !log.failed.contains(&user.object_id) {
                self.cds.fingerprints.insert(user.object_id.clone(), user_fingerprint(user));
            }
        }
        let escrows = self.settle_escrows(kind, snapshot, &log);
        if kind == CycleKind::Initial {
            self.cds.initialized = true;
        }
        let transcript = self.actor.client().transcript();
        log.counts.requests = transcript.len().saturating_sub(first_request);
        log.counts.writes = transcript.writes_since(first_request);
        if self.object_events {
            for event in &log.events {
                self.emit(Event::Object { cycle: number, event: event.clone() });
            }
        }
        let mut events = std::mem::take(&mut log.events);
        if !self.object_events {
            // Runs too large for per-object reporting keep each entry's action and status, not its details.
            for event in &mut events {
                event.modified = Vec::new();
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

/// Users exported per round of concurrent work: the results of a round are applied before the next starts,
/// which bounds the memory held by finished-but-unapplied exports.
pub(crate) const EXPORT_ROUND: usize = 1024;

impl Engine {
    /// Exports `users` with up to `settings.concurrency` requests in flight (each user's own requests stay
    /// in order: query before create or update). Each user's exchanges are held back and appended to the
    /// transcript in source order, so a run's transcript does not depend on which response came first.
    async fn export_concurrently(
        &mut self,
        users: &[&SourceUser],
        mapper: &dyn Mapper,
        log: &mut CycleLog,
    ) -> Vec<Exported> {
        use futures::StreamExt;
        let mut exported = Vec::new();
        for round in users.chunks(EXPORT_ROUND) {
            let results: Vec<_> = {
                let this = &*self;
                futures::stream::iter(round.iter().map(|user| async move {
                    Transcript::deferred(async move {
                        let mut part = CycleLog::default();
                        let outcome = this.export_user_shared(user, mapper, &mut part).await;
                        (outcome, part)
                    })
                    .await
                }))
                .buffered(this.settings.concurrency)
                .collect()
                .await
            };
            let transcript = self.actor.client().transcript().clone();
            for (user, ((outcome, part), exchanges)) in round.iter().zip(results) {
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
        use futures::StreamExt;
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
            let answers: Vec<_> =
                futures::stream::iter(round.into_iter().map(|r| Transcript::deferred(self.actor.send(r))))
                    .buffered(self.settings.concurrency)
                    .collect()
                    .await;
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
        fn specs(&self, _: ObjectKind) -> Vec<AttrSpec> {
            Vec::new()
        }
        fn evaluate(&self, _: ObjectKind, _: usize, _: &SourceObject) -> Result<Value, String> {
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
        let snapshot = SourceSnapshot { users: vec![user(true, true, false)], groups: Vec::new() };
        e.cds.initialized = true;
        assert_eq!(e.candidates(CycleKind::Incremental, &snapshot).0.len(), 1, "never seen: changed");
        e.cds.fingerprints.insert("oid".into(), user_fingerprint(&snapshot.users[0]));
        assert!(e.candidates(CycleKind::Incremental, &snapshot).0.is_empty());
        assert_eq!(e.candidates(CycleKind::Initial, &snapshot).0.len(), 1);
        let now = e.clock.at();
        e.cds.escrows.fail("oid", Failure::default(), now, EscrowRetry::NextCycle);
        assert_eq!(e.candidates(CycleKind::Incremental, &snapshot).0.len(), 1, "escrowed and due");
        link(&mut e);
        let empty = SourceSnapshot::default();
        assert_eq!(e.candidates(CycleKind::Incremental, &empty).1, vec!["oid".to_string()]);
    }

    #[test]
    fn escrows_not_due_are_held_back_unless_the_user_changed() {
        let mut e = engine();
        let snapshot = SourceSnapshot { users: vec![user(true, true, false)], groups: Vec::new() };
        e.cds.initialized = true;
        e.cds.fingerprints.insert("oid".into(), user_fingerprint(&snapshot.users[0]));
        let now = e.clock.at();
        e.cds.escrows.fail("oid", Failure::default(), now, EscrowRetry::Backoff);
        assert!(e.candidates(CycleKind::Incremental, &snapshot).0.is_empty(), "the first retry is 6 h away");
        assert_eq!(e.candidates(CycleKind::Initial, &snapshot).0.len(), 1, "an initial cycle evaluates everything");
        let mut changed = snapshot.clone();
        changed.users[0].attrs.set("jobTitle", Value::from("Engineer"));
        assert_eq!(e.candidates(CycleKind::Incremental, &changed).0.len(), 1, "delta reports the change");
        link(&mut e);
        assert!(e.candidates(CycleKind::Incremental, &SourceSnapshot::default()).1.is_empty(), "a held delete waits");
        e.clock.advance(std::time::Duration::from_secs(6 * 3600));
        assert_eq!(e.candidates(CycleKind::Incremental, &snapshot).0.len(), 1, "due after 6 h");
    }
}
