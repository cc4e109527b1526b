//! The engine's view of the source (Entra) side: a snapshot of users and groups at one moment, and the
//! mapping seen through the [`Mapper`] trait. The runner builds both from `directory::Directory` and
//! `mapping::MappingSet`; cycles only read these types, which keeps cycle logic independent of how the
//! scenario and the mapping are written.
//!
//! Delta queries are emulated with fingerprints: an incremental cycle evaluates the objects whose
//! source state changed since the previous cycle (plus escrowed ones), as Graph delta would report.

use std::hash::{Hash, Hasher};
use std::sync::Arc;

use crate::engine::resource::TargetPath;
use crate::engine::result::ObjectKind;
use crate::mapping::{SourceObject, Value};

/// A source user.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceUser {
    /// Scenario alias.
    pub alias: String,
    /// Entra `objectId`.
    pub object_id: String,
    /// Attributes (`userPrincipalName`, `accountEnabled`, `manager` as the manager's objectId, ...).
    pub attrs: SourceObject,
    /// Assigned to the application (directly or through a group).
    pub assigned: bool,
    /// In the recycle bin.
    pub soft_deleted: bool,
}

impl SourceUser {
    /// `accountEnabled`, true unless explicitly false.
    pub fn enabled(&self) -> bool {
        !matches!(self.attrs.get("accountEnabled"), Value::Bool(false))
            && !self.attrs.get("accountEnabled").to_text().is_some_and(|t| t.eq_ignore_ascii_case("false"))
    }
}

/// A source group.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceGroup {
    /// Scenario alias.
    pub alias: String,
    /// Entra `objectId`.
    pub object_id: String,
    /// Attributes (`displayName`, ...).
    pub attrs: SourceObject,
    /// Assigned to the application.
    pub assigned: bool,
    /// Direct members (user objectIds).
    pub members: Vec<String>,
}

/// The source directory at one moment. Hard-deleted objects are absent.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SourceSnapshot {
    /// Users.
    pub users: Vec<SourceUser>,
    /// Groups.
    pub groups: Vec<SourceGroup>,
}

impl SourceSnapshot {
    /// The user with this objectId.
    pub fn user(&self, object_id: &str) -> Option<&SourceUser> {
        self.users.iter().find(|u| u.object_id == object_id)
    }

    /// The group with this objectId.
    pub fn group(&self, object_id: &str) -> Option<&SourceGroup> {
        self.groups.iter().find(|g| g.object_id == object_id)
    }
}

/// A fingerprint of a user's source state (what a delta query would notice). Fingerprints live only in
/// memory for one run, so a fast 64-bit hash serves: a collision would hide one change from one cycle.
pub fn user_fingerprint(user: &SourceUser) -> u64 {
    fingerprint(&(&user.attrs, user.assigned, user.soft_deleted, &user.alias))
}

/// A fingerprint of a group's source state.
pub fn group_fingerprint(group: &SourceGroup) -> u64 {
    fingerprint(&(&group.attrs, group.assigned, &group.members))
}

fn fingerprint(state: &impl Hash) -> u64 {
    // FxHash: fixed keys (the same state gives the same fingerprint in every run) and several times
    // faster than SipHash over a user's kilobyte of attributes; nothing here is attacker-chosen.
    let mut hasher = rustc_hash::FxHasher::default();
    state.hash(&mut hasher);
    hasher.finish()
}

/// One target attribute of an object mapping.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AttrSpec {
    /// Target path.
    pub target: String,
    /// `target` parsed (`None` for shapes Entra does not use); see [`AttrSpec::for_target`].
    pub path: Option<TargetPath>,
    /// Matching precedence (lowest first), when the attribute is used for matching.
    pub matching_priority: Option<u32>,
    /// The target attribute's `caseExact`.
    pub case_exact: bool,
    /// "Only during object creation".
    pub on_create_only: bool,
    /// The mapping's default value (applied on create only).
    pub default: Option<String>,
    /// Flow only when the target has no value (`ValueAddOnly` / `AttributeAddOnly`).
    pub only_if_target_empty: bool,
    /// Re-send even when the target already has the value (`FlowAlways`).
    pub flow_always: bool,
}

impl AttrSpec {
    /// A spec for `target` with its parsed path and every other property at its default.
    pub fn for_target(target: impl Into<String>) -> Self {
        let target = target.into();
        AttrSpec { path: TargetPath::parse(&target), target, ..AttrSpec::default() }
    }

    /// True for the manager reference (linked in the reference pass, never in a create or update body).
    pub fn is_manager(&self) -> bool {
        self.path.as_ref().is_some_and(TargetPath::is_manager)
    }
}

/// One scoping clause, evaluated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopeClause {
    /// `{title} {attribute} {operator} {value}`.
    pub text: String,
    /// Whether it passed.
    pub passed: bool,
}

/// Scoping-filter verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopeCheck {
    /// True when the object passes the filters (or there are none).
    pub in_scope: bool,
    /// Each clause.
    pub clauses: Vec<ScopeClause>,
}

/// Target object actions (Create / Update / Delete checkboxes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ObjectActions {
    /// Create.
    pub create: bool,
    /// Update (also needed to disable).
    pub update: bool,
    /// Delete.
    pub delete: bool,
}

impl Default for ObjectActions {
    fn default() -> Self {
        ObjectActions { create: true, update: true, delete: true }
    }
}

/// The mapping as cycles see it.
pub trait Mapper: Send + Sync {
    /// The target attributes of a kind, in mapping order (empty when the kind is not mapped). Called for
    /// every object a cycle evaluates: implementations build the list once and hand out the shared copy.
    fn specs(&self, kind: ObjectKind) -> Arc<[AttrSpec]>;
    /// Evaluates attribute `index` of `specs(kind)` against a source object; `Err` carries a message.
    fn evaluate(&self, kind: ObjectKind, index: usize, source: &SourceObject) -> Result<Value, String>;
    /// The JSON Entra sends for a value of attribute `index` (typed by the target attribute: booleans,
    /// integers, role objects). Defaults to the value's plain JSON form.
    fn typed(&self, kind: ObjectKind, index: usize, value: &Value) -> serde_json::Value {
        let _ = (kind, index);
        value.to_json()
    }
    /// Scoping filters.
    fn scope(&self, kind: ObjectKind, source: &SourceObject) -> ScopeCheck;
    /// Target object actions.
    fn actions(&self, kind: ObjectKind) -> ObjectActions;
}
