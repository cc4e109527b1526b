//! The replay plan's data: objects, target objects, directory changes and expected counts per cycle.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

/// An object of the source directory as it was before the first replayed cycle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Object {
    pub alias: String,
    pub group: bool,
    pub object_id: String,
    /// Source attributes (source names), sorted.
    pub attributes: BTreeMap<String, String>,
    pub assigned: bool,
    pub enabled: bool,
    /// Comments to print above the object.
    pub comments: Vec<String>,
    /// Groups: member aliases before the first cycle (or when added).
    pub members: Vec<String>,
    /// Set when the object joins the directory by an `add`/`add_group` step before this cycle.
    pub added_in: Option<usize>,
}

/// An object the target held before the first cycle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TargetObject {
    pub group: bool,
    /// Target attributes (SCIM names as logged).
    pub attributes: BTreeMap<String, String>,
    pub comment: String,
    /// Index of the source object it belongs to.
    pub(super) owner: usize,
}

/// A directory change made before a cycle.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Change {
    Update {
        alias: String,
        set: BTreeMap<String, String>,
    },
    /// `add`: the object (looked up by alias in [`Plan::objects`]) joins the directory.
    Add(String),
    /// `add_group`.
    AddGroup(String),
    RenameGroup {
        alias: String,
        to: String,
    },
    AddMember {
        group: String,
        user: String,
    },
    RemoveMember {
        group: String,
        user: String,
    },
    Assign(String),
    Unassign(String),
    Disable(String),
    Enable(String),
    HardDelete(String),
    AssignGroup(String),
    UnassignGroup(String),
    DeleteGroup(String),
}

/// Expected counts of one cycle (a partition of its records: successes by action, then failures, skips).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Expect {
    pub creates: usize,
    pub updates: usize,
    pub disables: usize,
    pub enables: usize,
    pub deletes: usize,
    pub skips: usize,
    pub failures: usize,
}

/// One cycle of the replay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Cycle {
    pub cycle_id: String,
    pub start: DateTime<Utc>,
    /// Changes to make before the cycle, each with an optional comment.
    pub before: Vec<(Change, Option<String>)>,
    /// Users joining the directory before the cycle (emitted first).
    pub adds: Vec<(Change, Option<String>)>,
    /// Groups joining the directory before the cycle (emitted after the users).
    pub add_groups: Vec<(Change, Option<String>)>,
    pub expect: Expect,
    pub comments: Vec<String>,
    /// Deletes/disables held back by accidental-deletion prevention.
    pub staged: usize,
}

/// The whole replay.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Plan {
    pub objects: Vec<Object>,
    /// Objects the target held before the first cycle.
    pub target: Vec<TargetObject>,
    pub cycles: Vec<Cycle>,
    pub notes: Vec<String>,
    pub sync_all: bool,
    /// `[settings] deletion_threshold` that makes the logged staged deletes staged again.
    pub deletion_threshold: Option<usize>,
    /// `[embedded] case_exact_filters`: set to reproduce create conflicts (see [`Planner::conflict`]).
    pub case_exact_filters: bool,
    /// `[embedded] keep_attributes`: set when the same update repeats in several cycles, so the embedded
    /// endpoint drops those attributes and Entra re-sends them, as the customer's endpoint did.
    pub keep_attributes: Option<Vec<String>>,
    /// The target attributes that repeat (for the comment).
    pub flapping: Vec<String>,
}
