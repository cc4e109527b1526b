//! Sending many users' exports, or many independent requests, with several requests in flight: each
//! user's own requests stay in order, and exchanges are appended to the transcript in source order, so a
//! run's transcript does not depend on which answer came first.

use crate::engine::action::Sent;
use crate::engine::inflight;
use crate::engine::log::CycleLog;
use crate::engine::source::{Mapper, SourceUser};
use crate::engine::state::Engine;
use crate::engine::users::{Exported, Prepared};
use crate::scim::client::{Request, Transcript};

/// Where a cycle stands, for [`Event::Progress`]: users evaluated before a batch, out of `total`.
#[derive(Debug, Clone, Copy)]
pub(super) struct Progress {
    pub cycle: u32,
    pub done: usize,
    pub total: usize,
}

/// Users exported per round of concurrent work: the results of a round are applied before the next starts,
/// which bounds the memory held by finished-but-unapplied exports.
pub(crate) const EXPORT_ROUND: usize = crate::engine::result::PAGE_SIZE;

impl Engine {
    /// Exports `users` with up to `settings.concurrency` requests in flight (each user's own requests stay
    /// in order: query before create or update). Each user's exchanges are held back and appended to the
    /// transcript in source order, so a run's transcript does not depend on which response came first.
    /// Progress is reported as each user finishes, counting on from `progress.done`.
    pub(super) async fn export_concurrently(
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
