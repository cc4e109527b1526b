//! The engine's mutable state across steps: the actor (client), the connector data store, the dialect,
//! settings, the job's clock and the id aliases used by transcripts.

use std::hash::BuildHasher;
use std::time::Duration;

use hashbrown::HashTable;
use rustc_hash::FxBuildHasher;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::engine::action::Actor;
use crate::engine::cds::Cds;
use crate::engine::clock::JobClock;
use crate::engine::dialect::Dialect;
use crate::engine::escrow::EscrowRetry;
use crate::engine::events::EventHub;
use crate::engine::quarantine::Job;
use crate::engine::result::{Event, IdAlias};
use crate::engine::status::StatusBoard;

/// Job settings that shape a cycle.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// "Sync all users and groups" instead of "assigned only".
    pub scope_all: bool,
    /// `SkipOutOfScopeDeletions`.
    pub skip_out_of_scope_deletions: bool,
    /// Group provisioning enabled.
    pub provision_groups: bool,
    /// Accidental-deletion threshold: more disables/deletes than this in one cycle quarantine the job.
    pub deletion_threshold: Option<usize>,
    /// Members per `members` operation (Entra's batch size is undocumented; 50 here).
    pub member_batch: usize,
    /// The wire switches in force (scenario `[settings]`, then `--wire`).
    pub fidelity: crate::fidelity::Fidelity,
    /// Upper bound of one real wait for `Retry-After`.
    pub max_retry_wait: Duration,
    /// Requests in flight at once while users are exported (1 = one at a time).
    pub concurrency: usize,
    /// When escrowed objects are retried.
    pub escrow_retry: EscrowRetry,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            scope_all: false,
            skip_out_of_scope_deletions: false,
            provision_groups: true,
            deletion_threshold: None,
            member_batch: 50,
            fidelity: crate::fidelity::Fidelity::default(),
            max_retry_wait: Duration::from_secs(2),
            concurrency: 1,
            escrow_retry: EscrowRetry::default(),
        }
    }
}

/// Target ids and the aliases transcripts show.
#[derive(Debug, Clone, Default)]
pub struct Aliases {
    /// In order of registration.
    pub list: Vec<IdAlias>,
    /// Positions in `list` by id, for constant-time "already registered?" checks (the ids are read back
    /// from `list`: a set of the ids themselves held a second copy of each, ~100 bytes per user).
    known: HashTable<usize>,
    probes: usize,
}

impl PartialEq for Aliases {
    fn eq(&self, other: &Self) -> bool {
        // `known` is derived from `list`.
        self.list == other.list && self.probes == other.probes
    }
}

fn id_hash(id: &str) -> u64 {
    FxBuildHasher.hash_one(id)
}

impl Aliases {
    /// Registers `id` as `alias` (first registration wins).
    pub fn add(&mut self, id: &str, alias: String) {
        self.add_with(id, || alias);
    }

    /// Registers `id` with the alias `alias()` makes, made only when `id` is new (first registration wins).
    pub fn add_with(&mut self, id: &str, alias: impl FnOnce() -> String) {
        if id.is_empty() {
            return;
        }
        let list = &self.list;
        let hash = id_hash(id);
        if self.known.find(hash, |&i| list.get(i).is_some_and(|a| a.id == id)).is_some() {
            return;
        }
        let position = self.list.len();
        self.known.insert_unique(hash, position, |&i| self.list.get(i).map_or(0, |a| id_hash(&a.id)));
        self.list.push(IdAlias { id: id.to_string(), alias: alias() });
    }

    /// Aliases registered before (a saved job's), in their order.
    pub fn from_list(list: Vec<IdAlias>) -> Self {
        let probes = list.iter().filter(|a| a.alias.starts_with("probe:")).count();
        let mut aliases = Aliases { probes, ..Aliases::default() };
        for a in list {
            aliases.add(&a.id, a.alias);
        }
        aliases
    }

    /// Takes the list out (the run's result keeps it): nothing stays registered.
    pub fn take_list(&mut self) -> Vec<IdAlias> {
        self.known.clear();
        std::mem::take(&mut self.list)
    }

    /// Registers a probe GUID as `probe:N`.
    pub fn add_probe(&mut self, value: &str) {
        self.probes += 1;
        let alias = format!("probe:{}", self.probes);
        self.add(value, alias);
    }
}

/// Everything the engine keeps between steps.
#[derive(Debug)]
pub struct Engine {
    /// Sends requests.
    pub actor: Actor,
    /// Dialect of sync cycles.
    pub dialect: Dialect,
    /// Settings.
    pub settings: Settings,
    /// Connector data store.
    pub cds: Cds,
    /// Aliases for transcripts.
    pub aliases: Aliases,
    /// Cycles run so far.
    pub cycles: u32,
    /// The job's schedule and quarantine.
    pub job: Job,
    /// The job's clock (simulated time).
    pub clock: JobClock,
    /// Source of probe GUIDs (seeded: runs are reproducible).
    pub rng: StdRng,
    /// Live events, to every listener.
    pub events: EventHub,
    /// The job's status, readable while a cycle runs.
    pub status: StatusBoard,
    /// Send an event per object processed (off for runs too large to print per object).
    pub object_events: bool,
    /// Pack each cycle's log entries once they are sent live, and hand over only the last this many, in
    /// [`Engine::packed_log`] instead of the cycle result's events (the live tenant, whose log keeps as many).
    pub pack_log: Option<usize>,
    /// The last cycle's log entries, packed, when the engine packs them ([`Engine::pack_log`]).
    pub packed_log: Vec<crate::engine::log::packed::PackedEvent>,
    /// Object evaluations handed out so far (see [`crate::engine::source::Mapper::evaluate`]).
    pub evaluations: std::sync::atomic::AtomicU64,
    /// Target ids of groups to which a legacy `Remove members` was sent (remove-all hazard check).
    pub legacy_member_removals: std::collections::BTreeSet<String>,
    /// What the last cycle's survey read from each user, so that the next incremental cycle reads only the
    /// users that changed.
    pub(crate) survey_memo: crate::engine::survey_memo::SurveyMemo,
}

impl Engine {
    /// A fresh engine.
    pub fn new(actor: Actor, dialect: Dialect, settings: Settings, seed: u64) -> Self {
        Engine {
            actor,
            dialect,
            settings,
            cds: Cds::default(),
            aliases: Aliases::default(),
            cycles: 0,
            job: Job::default(),
            clock: JobClock::default(),
            rng: StdRng::seed_from_u64(seed),
            events: EventHub::default(),
            status: StatusBoard::default(),
            object_events: true,
            pack_log: None,
            packed_log: Vec::new(),
            legacy_member_removals: Default::default(),
            survey_memo: Default::default(),
            evaluations: Default::default(),
        }
    }

    /// Puts the engine (and its `Retry-After` waits) on `clock`.
    pub fn with_clock(mut self, clock: JobClock) -> Self {
        self.actor.set_clock(clock.clone());
        self.clock = clock;
        self
    }

    /// A random GUID for probes (from the seeded generator).
    pub fn guid(&mut self) -> String {
        let bytes: [u8; 16] = self.rng.random();
        uuid::Builder::from_random_bytes(bytes).into_uuid().to_string()
    }

    /// Sends a live event, if someone listens.
    pub fn emit(&self, mut event: Event) {
        if self.events.is_heard() {
            // Events are shown as they come: secrets the endpoint echoed are hidden here (issue 18).
            crate::engine::result::Scrub::scrub(&mut event, &self.actor.client().scrubber());
            self.events.send(&event);
        }
    }

    /// Sends [`Event::Progress`] when `done` crosses another half percent of `total`, or reaches it.
    pub fn progress(&self, cycle: u32, before: usize, done: usize, total: usize) {
        if total > 0 && (done == total || done * 200 / total > before * 200 / total) {
            self.status.update(|s| match &mut s.running {
                Some(running) if running.cycle == cycle => {
                    (running.done, running.total) = (done, total);
                    true
                }
                _ => false,
            });
            self.emit(Event::Progress { cycle, done, total });
        }
    }

    /// The number of the next object evaluation.
    pub fn next_evaluation(&self) -> u64 {
        self.reserve_evaluations(1)
    }

    /// Reserves `n` consecutive evaluation numbers; returns the first.
    pub fn reserve_evaluations(&self, n: u64) -> u64 {
        self.evaluations.fetch_add(n, std::sync::atomic::Ordering::Relaxed)
    }

    /// Number of exchanges recorded so far.
    pub fn transcript_len(&self) -> usize {
        self.actor.client().transcript().len()
    }
}
