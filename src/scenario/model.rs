//! The validated scenario: every reference resolved, every value typed, every node with a [`Span`] into
//! the file so the engine can point at the step or expectation a finding belongs to.

use std::fmt;
use std::path::PathBuf;

use crate::diagnostic::{SourceFile, Span};
use crate::directory::{Directory, Mutation};

pub use super::request::RequestPattern;

/// A value and where it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located<T> {
    /// The value.
    pub value: T,
    /// Where it is in the file.
    pub span: Span,
}

/// A loaded and validated scenario.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// The file, for diagnostics that point into it.
    pub file: SourceFile,
    /// The directory relative paths (the mapping) resolve against.
    pub base_dir: PathBuf,
    /// `description`: one line saying what the scenario checks.
    pub description: String,
    /// `mapping`: which attribute mappings to use.
    pub mapping: MappingRef,
    /// `dialect`: forced PATCH dialect; `None` means "from the tenant URL".
    pub dialect: Option<Located<Dialect>>,
    /// `snapshot`: how much of the run its snapshot keeps.
    pub snapshot: SnapshotDetail,
    /// `[settings]`.
    pub settings: Settings,
    /// `[embedded]`: switches for the embedded endpoint (ignored with an external target).
    pub embedded: Option<Embedded>,
    /// `[[target.users]]` and `[[target.groups]]`: objects already in the target before the run.
    pub target: TargetSeed,
    /// The source directory before the first step (`[generate]`, `[[users]]`, `[[groups]]`), with an empty
    /// change log.
    pub directory: Directory,
    /// `[[steps]]`, in order.
    pub steps: Vec<Step>,
}

impl Scenario {
    /// A scenario with no file behind it: `directory` and `settings` as given, the default mapping, no
    /// steps (a command that runs its own work over a directory, as `bench` does, builds one this way).
    pub fn of_directory(name: &str, directory: Directory, settings: Settings) -> Self {
        Scenario {
            file: SourceFile::new(name, ""),
            base_dir: PathBuf::from("."),
            description: String::new(),
            mapping: MappingRef { spec: MappingRef::DEFAULT.to_string(), span: None },
            dialect: None,
            snapshot: SnapshotDetail::default(),
            settings,
            embedded: None,
            target: TargetSeed::default(),
            directory,
            steps: Vec::new(),
        }
    }
}

/// The `mapping` key: a preset name or a path relative to [`Scenario::base_dir`]; resolve it with
/// `mapping::load(spec, base_dir)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappingRef {
    /// The text as written (or [`MappingRef::DEFAULT`]).
    pub spec: String,
    /// Where it was written; `None` when defaulted.
    pub span: Option<Span>,
}

impl MappingRef {
    /// The mapping used when a scenario names none.
    pub const DEFAULT: &'static str = "entra-default";
}

/// The `snapshot` key: how much of a run its snapshot keeps.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SnapshotDetail {
    /// Every exchange, provisioning-log entry and finding of every step (the default).
    #[default]
    Full,
    /// For scenarios with huge generated tenants: per step, the first exchanges, log entries and object
    /// failures in full, and the rest as counts with a hash of their redacted text, so drift there still
    /// fails the comparison.
    Compact,
}

pub use crate::scim::dialect::Dialect;

/// `[settings]`: the provisioning job's configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Which users and groups are in scope.
    pub scope: Scope,
    /// Target object actions.
    pub actions: TargetActions,
    /// `SkipOutOfScopeDeletions`: users leaving scope are not disabled.
    pub skip_out_of_scope_deletions: bool,
    /// Provision groups (the group mapping is enabled).
    pub provision_groups: bool,
    /// Accidental-deletion prevention: more than this many disables/deletes in one cycle stops the job.
    pub deletion_threshold: Option<u32>,
    /// Requests in flight at once; `None` lets the engine choose.
    pub concurrency: Option<u32>,
    /// When escrowed objects are retried.
    pub escrow_retry: EscrowRetry,
    /// Wire switches set here ([`crate::fidelity`]), in file order.
    pub wire: Vec<crate::fidelity::Override>,
}

/// `escrow_retry`: the retry schedule of failed objects (ENTRA.md 6.4; the sources disagree).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum EscrowRetry {
    /// `"next_cycle"`: retried in every cycle ("retried in 40 minutes").
    #[default]
    NextCycle,
    /// `"backoff"`: retried 6 h, 12 h and 24 h after the first failure, then every 24 h.
    Backoff,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            scope: Scope::Assigned,
            actions: TargetActions::default(),
            skip_out_of_scope_deletions: false,
            provision_groups: true,
            deletion_threshold: None,
            concurrency: None,
            escrow_retry: EscrowRetry::NextCycle,
            wire: Vec::new(),
        }
    }
}

/// "Sync only assigned users and groups" or "Sync all users and groups" (ENTRA.md 4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Only users assigned directly or through an assigned group.
    Assigned,
    /// Every user and group.
    All,
}

/// Target object actions (ENTRA.md 4.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TargetActions {
    /// New objects may be created.
    pub create: bool,
    /// Existing objects may be updated (disabling is an update).
    pub update: bool,
    /// Hard-deleted objects are deleted in the target.
    pub delete: bool,
}

impl Default for TargetActions {
    fn default() -> Self {
        TargetActions { create: true, update: true, delete: true }
    }
}

/// The `[embedded]` table, kept as written: `server::Switches` deserializes it.
#[derive(Debug, Clone, PartialEq)]
pub struct Embedded {
    /// The table.
    pub table: toml::Table,
    /// Where it is.
    pub span: Span,
    /// Where each key of the table is written, in file order, so a switch error can point at its key.
    pub keys: Vec<(String, Span)>,
}

impl Embedded {
    /// Where `key` is written, or the whole table when it is not there.
    pub fn span_of_key(&self, key: &str) -> Span {
        self.keys.iter().find(|(k, _)| k == key).map_or(self.span, |(_, span)| *span)
    }
}

/// Objects that exist in the target before the run (created directly, not by Entra).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TargetSeed {
    /// `[[target.users]]`: SCIM user resources.
    pub users: Vec<Located<serde_json::Value>>,
    /// `[[target.groups]]`: SCIM group resources.
    pub groups: Vec<Located<serde_json::Value>>,
}

/// One `[[steps]]` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    /// 1-based position among the steps.
    pub number: usize,
    /// `name`, if given.
    pub name: Option<String>,
    /// The whole step table.
    pub span: Span,
    /// What the step does.
    pub action: Action,
    /// The action key and its value (e.g. `update = "alice"`).
    pub action_span: Span,
    /// `expect`, if given.
    pub expect: Option<Expect>,
}

impl Step {
    /// `name`, or a generated label such as `step 3: update alice`.
    pub fn label(&self) -> String {
        match &self.name {
            Some(name) => name.clone(),
            None => format!("step {}: {}", self.number, self.action),
        }
    }
}

/// What a step does.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Action {
    /// `test_connection = true`.
    TestConnection,
    /// `cycle = "initial" | "incremental"`.
    Cycle(CycleKind),
    /// A change to the source directory (`add`, `update`, `disable`, `add_group`, ...).
    Change(Mutation),
    /// `on_demand = "<alias>"`: provision one user or group on demand.
    OnDemand(ObjectAlias),
    /// `restart = true | "full"`: restart provisioning, then run the initial cycle that follows.
    Restart(Restart),
    /// `steady = true`: re-evaluate everything with no source change and check nothing is written.
    Steady,
    /// `target_edit = "<alias>"` with `set`/`unset`: change the object directly in the target (drift).
    TargetEdit(TargetEdit),
    /// `wait = "6h"`: simulated time passes; the next cycle starts no earlier than this much later.
    Wait(std::time::Duration),
    /// `embedded = { error_rate = 0.0 }`: the embedded endpoint's fault injection changes from here on.
    Embedded(FaultChange),
}

/// What an `embedded` step changes; absent switches keep their value.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FaultChange {
    /// Fraction of requests answered 500.
    pub error_rate: Option<f64>,
    /// Fraction of requests answered 429.
    pub rate_limit_rate: Option<f64>,
    /// Fraction of requests that hang until the client gives up.
    pub timeout_rate: Option<f64>,
    /// Fraction of requests answered with an unparseable body.
    pub malformed_rate: Option<f64>,
    /// `Retry-After` seconds of simulated 429 answers.
    pub retry_after_secs: Option<u64>,
}

impl FaultChange {
    /// The rate named `key` (one of the four `*_rate` switches).
    pub(crate) fn rate_mut(&mut self, key: &str) -> &mut Option<f64> {
        match key {
            "error_rate" => &mut self.error_rate,
            "rate_limit_rate" => &mut self.rate_limit_rate,
            "timeout_rate" => &mut self.timeout_rate,
            _ => &mut self.malformed_rate,
        }
    }

    /// Whether the change turns some fault injection on.
    pub fn injects_faults(&self) -> bool {
        [self.error_rate, self.rate_limit_rate, self.timeout_rate, self.malformed_rate]
            .iter()
            .any(|r| r.is_some_and(|r| r > 0.0))
    }
}

impl fmt::Display for FaultChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let rates = [
            ("error_rate", self.error_rate),
            ("rate_limit_rate", self.rate_limit_rate),
            ("timeout_rate", self.timeout_rate),
            ("malformed_rate", self.malformed_rate),
        ];
        let mut parts: Vec<String> = rates.iter().filter_map(|(k, v)| v.map(|v| format!("{k} = {v:?}"))).collect();
        parts.extend(self.retry_after_secs.map(|s| format!("retry_after_secs = {s}")));
        f.write_str(&parts.join(", "))
    }
}

impl Action {
    /// The step key, as written in the file.
    pub fn key(&self) -> &'static str {
        match self {
            Action::TestConnection => "test_connection",
            Action::Cycle(_) => "cycle",
            Action::Change(m) => mutation_key(m),
            Action::OnDemand(_) => "on_demand",
            Action::Restart(_) => "restart",
            Action::Steady => "steady",
            Action::TargetEdit(_) => "target_edit",
            Action::Wait(_) => "wait",
            Action::Embedded(_) => "embedded",
        }
    }
}

/// The step key of a directory change.
pub fn mutation_key(m: &Mutation) -> &'static str {
    match m {
        Mutation::AddUser(_) => "add",
        Mutation::Update { .. } => "update",
        Mutation::Assign(_) => "assign",
        Mutation::Unassign(_) => "unassign",
        Mutation::Disable(_) => "disable",
        Mutation::Enable(_) => "enable",
        Mutation::SoftDelete(_) => "soft_delete",
        Mutation::Restore(_) => "restore",
        Mutation::HardDelete(_) => "hard_delete",
        Mutation::AddGroup(_) => "add_group",
        Mutation::RenameGroup { .. } => "rename_group",
        Mutation::AddMember { .. } => "add_member",
        Mutation::RemoveMember { .. } => "remove_member",
        Mutation::AssignGroup(_) => "assign_group",
        Mutation::UnassignGroup(_) => "unassign_group",
        Mutation::DeleteGroup(_) => "delete_group",
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let key = self.key();
        match self {
            Action::TestConnection | Action::Steady => f.write_str(key),
            Action::Cycle(CycleKind::Initial) => f.write_str("initial cycle"),
            Action::Cycle(CycleKind::Incremental) => f.write_str("incremental cycle"),
            Action::Restart(Restart::KeepLinks) => f.write_str("restart"),
            Action::Restart(Restart::Full) => f.write_str("restart (full)"),
            Action::OnDemand(o) | Action::TargetEdit(TargetEdit { object: o, .. }) => write!(f, "{key} {}", o.alias()),
            Action::Wait(d) => write!(f, "{key} {}", super::duration::format(*d)),
            Action::Embedded(change) => write!(f, "{key} {change}"),
            Action::Change(m) => match m {
                Mutation::AddUser(u) => write!(f, "{key} {}", u.alias),
                Mutation::AddGroup(g) => write!(f, "{key} {}", g.alias),
                Mutation::Update { user, .. } => write!(f, "{key} {user}"),
                Mutation::RenameGroup { group, to } => write!(f, "{key} {group} to {to:?}"),
                Mutation::AddMember { group, member } | Mutation::RemoveMember { group, member } => {
                    write!(f, "{key} {group} {member}")
                }
                Mutation::Assign(a)
                | Mutation::Unassign(a)
                | Mutation::Disable(a)
                | Mutation::Enable(a)
                | Mutation::SoftDelete(a)
                | Mutation::Restore(a)
                | Mutation::HardDelete(a)
                | Mutation::AssignGroup(a)
                | Mutation::UnassignGroup(a)
                | Mutation::DeleteGroup(a) => write!(f, "{key} {a}"),
            },
        }
    }
}

/// `cycle = "..."`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CycleKind {
    /// Evaluate every object (ENTRA.md 1.2).
    Initial,
    /// Evaluate the objects changed since the last cycle (ENTRA.md 1.3).
    Incremental,
}

/// `restart = ...` (ENTRA.md 6.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Restart {
    /// `true`: clear the watermark, escrows and quarantine; keep source-target links.
    KeepLinks,
    /// `"full"`: also reset the connector data store, so every object is matched again.
    Full,
}

/// A user or a group, by alias.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ObjectAlias {
    /// A user.
    User(String),
    /// A group.
    Group(String),
}

impl ObjectAlias {
    /// The alias.
    pub fn alias(&self) -> &str {
        match self {
            ObjectAlias::User(a) | ObjectAlias::Group(a) => a,
        }
    }
}

/// `target_edit`: a change made directly in the target, outside Entra (drift).
#[derive(Debug, Clone, PartialEq)]
pub struct TargetEdit {
    /// The object whose target resource is edited.
    pub object: ObjectAlias,
    /// SCIM attribute paths to set, with JSON values.
    pub set: Vec<(String, serde_json::Value)>,
    /// SCIM attribute paths to remove.
    pub unset: Vec<String>,
}

/// A step's `expect` table. Counts and lists that are absent are not checked.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Expect {
    /// The `expect` table.
    pub span: Span,
    /// Users and groups created.
    pub creates: Option<Located<u64>>,
    /// Objects updated (attribute changes; disables and enables are counted separately).
    pub updates: Option<Located<u64>>,
    /// Users disabled (`active` = false).
    pub disables: Option<Located<u64>>,
    /// Users re-enabled (`active` = true).
    pub enables: Option<Located<u64>>,
    /// Objects deleted.
    pub deletes: Option<Located<u64>>,
    /// Objects skipped (out of scope, already in sync, or missing a matching value).
    pub skips: Option<Located<u64>>,
    /// Objects whose operation failed.
    pub failures: Option<Located<u64>>,
    /// Request lines that must appear, in this order (other requests may come between them).
    pub requests: Vec<RequestPattern>,
    /// Request lines that must not appear.
    pub no_requests: Vec<RequestPattern>,
    /// The step's overall result.
    pub outcome: Option<Located<Outcome>>,
    /// Whether the steady-state check passes.
    pub steady: Option<Located<bool>>,
    /// Target attribute paths expected to flap (rewritten on every evaluation).
    pub flapping: Vec<Located<String>>,
    /// Finding kinds expected in this step.
    pub findings: Vec<Located<String>>,
    /// The action an on-demand provisioning performs.
    pub action: Option<Located<OnDemandAction>>,
    /// Escrowed objects evaluated again in the cycle.
    pub retries: Option<Located<u64>>,
    /// Escrowed objects held back because their retry was not due.
    pub not_due: Option<Located<u64>>,
    /// Escrowed objects after the cycle.
    pub escrows: Option<Located<u64>>,
    /// Escrows given up (28 days after their first failure) in the cycle.
    pub given_up: Option<Located<u64>>,
    /// The quarantine reason after the cycle (Graph's name), or `none`.
    pub quarantine: Option<Located<String>>,
    /// Simulated time since the previous cycle started.
    pub interval: Option<Located<std::time::Duration>>,
    /// The job's state after the step: `active`, `quarantine` or `disabled`.
    pub job: Option<Located<String>>,
}

/// `outcome = "..."`: the status Entra's provisioning log would show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Everything succeeded.
    Success,
    /// At least one operation failed.
    Failure,
    /// Nothing was done (out of scope, or already in sync).
    Skipped,
    /// Succeeded with warnings.
    Warning,
}

/// `action = "..."` for `on_demand` steps: the "Perform action" step of on-demand provisioning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnDemandAction {
    /// A target object was created.
    Create,
    /// The target object was updated.
    Update,
    /// The target object was disabled.
    Disable,
    /// The target object was re-enabled.
    Enable,
    /// The target object was deleted.
    Delete,
    /// Nothing was done.
    Skip,
}
