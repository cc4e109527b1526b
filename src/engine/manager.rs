//! The reference pass (ENTRA.md 1.8): after all users of a cycle, link each user's manager with the
//! manager's target id as a bare string, or remove a manager Entra linked when the source cleared it.

use std::collections::{HashMap, HashSet};

use serde_json::Value as Json;

use crate::engine::action::{describe_failure, failure_code, Sent};
use crate::engine::compact_id::CompactId;
use crate::engine::dialect::{self, OpKind, ENTERPRISE_URN};
use crate::engine::log::CycleLog;
use crate::engine::result::{Finding, FindingKind, LogAction, ModifiedProperty, RequestRef};
use crate::engine::state::Engine;
use crate::engine::users::{user_ref, Exported};
use crate::scim::client::{EncodedBody, Method, Reads, Request};

/// A user whose manager reference the pass updates, with its ids as text.
struct Planned {
    object_id: String,
    current_manager: Option<String>,
    logged_entry: bool,
}

impl Engine {
    /// The reference pass: link (or unlink) managers with the manager's target id as a bare string.
    pub async fn link_managers(&mut self, exported: &[Exported], log: &mut CycleLog) {
        // Where each object's entry of this cycle is: looked up once per user, not by scanning the log.
        let mut entry_of: HashMap<String, At> = HashMap::new();
        let mut skip_of: HashMap<String, At> = HashMap::new();
        let packed = log.packed.iter().enumerate().map(|(i, e)| (At::Packed(i), e.action(), e.source_id()));
        let live = log.events.iter().enumerate().map(|(i, e)| (At::Live(i), e.action, e.object.source_id.as_str()));
        for (at, action, source_id) in packed.chain(live) {
            match action {
                LogAction::Create | LogAction::Update | LogAction::Enable => {
                    entry_of.insert(source_id.to_string(), at);
                }
                LogAction::Skip => {
                    skip_of.entry(source_id.to_string()).or_insert(at);
                }
                _ => {}
            }
        }
        let mut dropped_skips: Vec<At> = Vec::new();
        // A round at a time: plan the reference updates (no traffic), send them, record the answers in order.
        // Planning an object reads only its own entry and other users' target ids, which answers never
        // change, so rounds give the same requests as one pass would, holding one round in memory.
        for chunk in exported.chunks(crate::engine::concurrent::EXPORT_ROUND) {
            let mut planned = Vec::new();
            for x in chunk {
                let Some(desired_source) = &x.manager else { continue };
                let object_id = x.object_id.to_string();
                let Some(entry) = self.cds.users.get(&object_id) else { continue };
                let obj = user_ref(&entry.alias, &object_id, Some(&entry.target_id));
                let desired =
                    desired_source.as_ref().and_then(|m| m.with_str(|m| self.cds.user_target(m).map(str::to_string)));
                let current_manager = x.current_manager.as_ref().map(CompactId::to_string);
                let request = Request::new(Method::Patch, format!("/Users/{}", entry.target_id)).reading(Reads::STATUS);
                let request = match (&desired, &current_manager) {
                    (Some(d), cur) if cur.as_deref().map(str::to_lowercase) != Some(d.to_lowercase()) => {
                        let kind = if cur.is_some() { OpKind::Replace } else { OpKind::Add };
                        if log.lean {
                            // A lean transcript keeps no request body: the bytes alone, without the value.
                            let bytes = dialect::manager_set_body(self.dialect, kind, d);
                            request.encoded_body(EncodedBody::from_parts(None, bytes.into()))
                        } else {
                            request.body(dialect::patch_body(vec![dialect::manager_set_op(self.dialect, kind, d)]))
                        }
                    }
                    (None, Some(cur)) if desired_source.is_none() && entry.manager.is_some() => {
                        request.body(dialect::patch_body(vec![dialect::manager_remove_op(self.dialect, cur)]))
                    }
                    _ => continue,
                };
                let x = Planned { object_id, current_manager, logged_entry: x.logged_entry };
                planned.push((x, obj, desired, request));
            }
            {
                let mut round = planned;
                let requests =
                    round.iter_mut().map(|p| std::mem::replace(&mut p.3, Request::new(Method::Get, ""))).collect();
                let answers = self.send_all(requests).await;
                for ((x, obj, desired, _), (sent, base)) in round.into_iter().zip(answers) {
                    let mut reference = RequestRef::of(sent.exchange());
                    reference.index += base;
                    let requests = vec![reference];
                    let modified = vec![ModifiedProperty {
                        name: format!("{ENTERPRISE_URN}:manager"),
                        old: x.current_manager.clone().map(Json::String),
                        new: desired.clone().map(Json::String),
                    }];
                    match &sent {
                        Sent::Answer(e) if e.is_success() => {
                            if let Some(entry) = self.cds.users.get_mut(&x.object_id) {
                                entry.manager = desired;
                            }
                            // The reference export belongs to the object's entry of this cycle when it has one
                            // (a lean log keeps no entry for a create: nothing to add to).
                            if x.logged_entry {
                                if let Some(&at) = entry_of.get(&x.object_id) {
                                    log.amend(at, modified, requests);
                                }
                            } else {
                                // An "already in sync" skip of this object becomes the update.
                                if let Some(i) = skip_of.remove(&x.object_id) {
                                    dropped_skips.push(i);
                                }
                                log.counts.skips = log.counts.skips.saturating_sub(1);
                                log.success(&obj, LogAction::Update, "manager reference updated", modified, requests);
                            }
                        }
                        _ => {
                            let mut f = Finding::error(FindingKind::ObjectFailure, describe_failure(&sent))
                                .with_code(failure_code(&sent))
                                .with_request(sent.exchange());
                            if let Some(r) = &mut f.request {
                                r.index += base;
                            }
                            log.fail_with(&obj, &requests, f, modified);
                        }
                    }
                }
            }
        }
        if !dropped_skips.is_empty() {
            log.remove(&dropped_skips.into_iter().collect());
        }
    }
}

impl CycleLog {
    /// Adds the reference export to the entry at `at` (without spare room: a log may hold 100,000 entries).
    fn amend(&mut self, at: At, modified: Vec<ModifiedProperty>, requests: Vec<RequestRef>) {
        match at {
            At::Live(i) => {
                if let Some(e) = self.events.get_mut(i) {
                    e.modified.reserve_exact(modified.len());
                    e.modified.extend(modified);
                    e.requests.reserve_exact(requests.len());
                    e.requests.extend(requests);
                }
            }
            At::Packed(i) => self.amend_packed(i, |e| {
                e.modified.extend(modified);
                e.requests.extend(requests);
            }),
        }
    }

    /// Removes the entries at `dropped`.
    fn remove(&mut self, dropped: &HashSet<At>) {
        // Entries already sent live stay sent; the count of them follows the removal.
        self.emitted -= dropped.iter().filter(|&&at| matches!(at, At::Live(i) if i < self.emitted)).count();
        let mut i = 0;
        self.packed.retain(|_| {
            let keep = !dropped.contains(&At::Packed(i));
            i += 1;
            keep
        });
        let mut i = 0;
        self.events.retain(|_| {
            let keep = !dropped.contains(&At::Live(i));
            i += 1;
            keep
        });
    }
}

/// Where an entry of the cycle's log is: packed, or not yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum At {
    Packed(usize),
    Live(usize),
}
