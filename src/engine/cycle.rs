//! One provisioning cycle (ENTRA.md 1.2, 1.3, 4.5): survey the source (`survey`), hold back
//! deprovisioning above the accidental-deletion threshold, export the users a page at a time (each page
//! read and prepared off the sending thread, runs of users to export sent concurrently by `concurrent`),
//! deprovision the users gone from the source, link managers, process groups and record what changed.

use crate::engine::concurrent::{Progress, EXPORT_ROUND};
use crate::engine::log::CycleLog;
use crate::engine::parallel;
use crate::engine::result::{CycleKind, CycleResult, ErrorCode, Event, LogAction, ObjectKind, ProvisioningEvent};
use crate::engine::result::{Finding, FindingKind};
use crate::engine::source::{Mapper, SourceSnapshot, SourceUser};
use crate::engine::state::Engine;
use crate::engine::survey::{Candidate, Plan, Survey};
use crate::engine::users::{evaluate, user_ref, Prepared};

impl Engine {
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
        log.packing = self.pack_log;
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
        self.settle_survey_memo(snapshot, &candidates, &log);
        if kind == CycleKind::Initial {
            self.cds.initialized = true;
        }
        let transcript = self.actor.client().transcript();
        log.counts.requests = transcript.len().saturating_sub(first_request);
        log.counts.writes = transcript.writes_since(first_request);
        self.emit_new_entries(number, &mut log);
        self.packed_log = std::mem::take(&mut log.packed);
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
    /// Sends the log entries not sent yet as [`Event::Object`]s (when object events are on), then packs
    /// them when the log packs.
    fn emit_new_entries(&self, cycle: u32, log: &mut CycleLog) {
        if self.object_events {
            for event in log.events.iter().skip(log.emitted) {
                self.emit(Event::Object { cycle, event: event.clone() });
            }
        }
        log.emitted = log.events.len();
        log.pack_emitted();
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
