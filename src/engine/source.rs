//! The engine's view of the source (Entra) side: a snapshot of users and groups at one moment, and the
//! mapping seen through the [`Mapper`] trait. The runner builds both from `directory::Directory` and
//! `mapping::MappingSet`; cycles only read these types, which keeps cycle logic independent of how the
//! scenario and the mapping are written.
//!
//! Delta queries are emulated with fingerprints: an incremental cycle evaluates the objects whose
//! source state changed since the previous cycle (plus escrowed ones), as Graph delta would report.

use std::borrow::Cow;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use crate::engine::resource::TargetPath;
use crate::engine::result::ObjectKind;
use crate::mapping::{Expr, ExprKind, SourceObject, Value};

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
        match self.attrs.get("accountEnabled") {
            Value::Bool(enabled) => *enabled,
            Value::Str(text) => !text.eq_ignore_ascii_case("false"),
            other => !other.to_text().is_some_and(|t| t.eq_ignore_ascii_case("false")),
        }
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
///
/// Users' attributes are read when a cycle asks for a user ([`SourceSnapshot::user`]), as Entra reads the
/// source a page at a time: a 100,000-user cycle never holds every user's attributes at once. The user
/// list itself (identity, assignment) is taken when the snapshot is.
#[derive(Default)]
pub struct SourceSnapshot<'a> {
    users: Vec<UserHead<'a>>,
    attrs: Attributes<'a>,
    /// Groups.
    pub groups: Vec<SourceGroup>,
}

/// What a snapshot knows of a user before reading its attributes. A snapshot holds one per user for the
/// whole cycle, so nothing of it is on the heap for a directory's user: the alias is borrowed from the
/// directory and the objectId is held in place (80 bytes in all).
#[derive(Debug, Clone, PartialEq)]
struct UserHead<'a> {
    alias: Cow<'a, str>,
    object_id: IdText,
    assigned: bool,
    soft_deleted: bool,
    /// The source's version of the user ([`crate::directory::Stamp`]); 0 when the source keeps none.
    stamp: u64,
}

impl UserHead<'_> {
    fn key(&self, index: usize) -> UserKey<'_> {
        UserKey {
            index,
            alias: &self.alias,
            object_id: self.object_id.as_str(),
            stamp: (self.stamp != 0).then_some(self.stamp),
        }
    }
}

/// An objectId's text: held in place up to 36 bytes (a GUID's length), on the heap beyond.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdText(IdBytes);

#[derive(Debug, Clone, PartialEq, Eq)]
enum IdBytes {
    Short { len: u8, bytes: [u8; 36] },
    Long(Box<str>),
}

impl IdText {
    /// The text, held in place when it is short enough.
    pub fn new(text: &str) -> Self {
        let mut bytes = [0u8; 36];
        match (bytes.get_mut(..text.len()), u8::try_from(text.len())) {
            (Some(prefix), Ok(len)) => {
                prefix.copy_from_slice(text.as_bytes());
                IdText(IdBytes::Short { len, bytes })
            }
            _ => IdText(IdBytes::Long(text.into())),
        }
    }

    /// The text as given.
    pub fn as_str(&self) -> &str {
        match &self.0 {
            // Copied whole from a `str`, so always UTF-8.
            IdBytes::Short { len, bytes } => std::str::from_utf8(&bytes[..usize::from(*len)]).unwrap_or_default(),
            IdBytes::Long(text) => text,
        }
    }
}

/// Where a snapshot reads user attributes: a function of the user's position, or a list held in full.
#[derive(Default)]
enum Attributes<'a> {
    #[default]
    None,
    Held(Vec<SourceObject>),
    Read(Box<dyn Fn(usize) -> SourceObject + Send + Sync + 'a>),
}

/// A user as [`SourceSnapshot::heads`] lists it: enough to find it and to plan without attributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UserKey<'s> {
    /// Position in the snapshot.
    pub index: usize,
    /// Scenario alias.
    pub alias: &'s str,
    /// Entra `objectId`.
    pub object_id: &'s str,
    /// The source's version of the user, when it keeps one: equal stamps mean equal attributes, assignment
    /// and soft-deletion ([`crate::directory::Stamp`]).
    pub stamp: Option<u64>,
}

impl<'a> SourceSnapshot<'a> {
    /// A snapshot of users held in full (tests and small hand-built directories).
    pub fn new(users: Vec<SourceUser>, groups: Vec<SourceGroup>) -> Self {
        let (heads, attrs) = users
            .into_iter()
            .map(|u| {
                let head = UserHead {
                    alias: Cow::Owned(u.alias),
                    object_id: IdText::new(&u.object_id),
                    assigned: u.assigned,
                    soft_deleted: u.soft_deleted,
                    stamp: 0,
                };
                (head, u.attrs)
            })
            .unzip();
        SourceSnapshot { users: heads, attrs: Attributes::Held(attrs), groups }
    }

    /// A snapshot whose user attributes are read on demand: `read(i)` gives the attributes of the `i`-th
    /// user of `users` (alias, objectId, assigned, soft-deleted, and the source's version of the user as in
    /// [`UserKey::stamp`]).
    pub fn reading(
        users: impl IntoIterator<Item = (Cow<'a, str>, IdText, bool, bool, Option<u64>)>,
        read: impl Fn(usize) -> SourceObject + Send + Sync + 'a,
        groups: Vec<SourceGroup>,
    ) -> Self {
        let users = users
            .into_iter()
            .map(|(alias, object_id, assigned, soft_deleted, stamp)| UserHead {
                alias,
                object_id,
                assigned,
                soft_deleted,
                stamp: stamp.unwrap_or(0),
            })
            .collect();
        SourceSnapshot { users, attrs: Attributes::Read(Box::new(read)), groups }
    }

    /// Number of users.
    pub fn user_count(&self) -> usize {
        self.users.len()
    }

    /// Every user's position, alias and objectId, in source order; attributes are not read.
    pub fn heads(&self) -> impl Iterator<Item = UserKey<'_>> + '_ {
        self.users.iter().enumerate().map(|(index, h)| h.key(index))
    }

    /// The user at `index` as [`SourceSnapshot::heads`] lists it.
    pub fn head(&self, index: usize) -> Option<UserKey<'_>> {
        Some(self.users.get(index)?.key(index))
    }

    /// The user at `index` with its attributes (read now), if there is one.
    pub fn user_at(&self, index: usize) -> Option<SourceUser> {
        let head = self.users.get(index)?;
        let attrs = match &self.attrs {
            Attributes::None => SourceObject::new(),
            Attributes::Held(all) => all.get(index).cloned().unwrap_or_default(),
            Attributes::Read(read) => read(index),
        };
        Some(SourceUser {
            alias: head.alias.to_string(),
            object_id: head.object_id.as_str().to_string(),
            attrs,
            assigned: head.assigned,
            soft_deleted: head.soft_deleted,
        })
    }

    /// The user with this objectId, with its attributes.
    pub fn user(&self, object_id: &str) -> Option<SourceUser> {
        self.heads().find(|h| h.object_id == object_id).and_then(|h| self.user_at(h.index))
    }

    /// The user with this alias, with its attributes.
    pub fn user_by_alias(&self, alias: &str) -> Option<SourceUser> {
        self.heads().find(|h| h.alias == alias).and_then(|h| self.user_at(h.index))
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

pub(crate) fn fingerprint(state: &impl Hash) -> u64 {
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
    /// The role function, when the target is `roles` (see [`crate::engine::roles`]).
    pub roles: Option<RoleFunction>,
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
    /// `evaluation` numbers the object evaluation within the run (the engine hands them out in source
    /// order): `Now()`, `Guid()` and `RandomString()` derive from it, so results do not depend on which
    /// thread evaluated what, yet differ from one evaluation to the next.
    fn evaluate(&self, kind: ObjectKind, index: usize, source: &SourceObject, evaluation: u64)
        -> Result<Value, String>;
    /// The JSON Entra sends for a value of attribute `index` (typed by the target attribute: booleans,
    /// integers, role objects). Defaults to the value's plain JSON form.
    fn typed(&self, kind: ObjectKind, index: usize, value: Value) -> serde_json::Value {
        let _ = (kind, index);
        value.to_json()
    }
    /// Scoping filters.
    fn scope(&self, kind: ObjectKind, source: &SourceObject) -> ScopeCheck;
    /// Target object actions.
    fn actions(&self, kind: ObjectKind) -> ObjectActions;
    /// Names this mapping: two calls give one value only if scoping and matching give the same results for
    /// the same source object. `None` (the default): unknown, so nothing computed under the mapping is
    /// kept for the next cycle.
    fn revision(&self) -> Option<u64> {
        None
    }
}

/// The role function behind a `roles` mapping.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoleFunction {
    /// `SingleAppRoleAssignment`: one primary role, through `roles[primary eq "True"].…`.
    Single,
    /// `AppRoleAssignmentsComplex`: every role; PATCH only adds.
    Complex,
    /// `AssertiveAppRoleAssignmentsComplex`: every role; PATCH replaces the whole list.
    Assertive,
}

impl RoleFunction {
    /// The role function of a mapping to `target` from `source` (`None` when the target is not `roles`).
    /// A filtered `roles[…]` target is the single-role form; an unfiltered one is complex, assertive when
    /// the expression calls `AssertiveAppRoleAssignmentsComplex`.
    pub fn of(target: &str, source: Option<&Expr>) -> Option<Self> {
        let name = target.split(['[', '.']).next().unwrap_or_default();
        if !name.eq_ignore_ascii_case("roles") {
            return None;
        }
        if target.len() > name.len() {
            return Some(RoleFunction::Single);
        }
        let assertive = source.is_some_and(|e| calls(e, "AssertiveAppRoleAssignmentsComplex"));
        Some(if assertive { RoleFunction::Assertive } else { RoleFunction::Complex })
    }
}

fn calls(expr: &Expr, function: &str) -> bool {
    match &expr.kind {
        ExprKind::Call { name, args, .. } => {
            name.eq_ignore_ascii_case(function) || args.iter().flatten().any(|a| calls(a, function))
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_user_is_enabled_unless_account_enabled_reads_false() {
        let values = [
            Value::Null,
            Value::Bool(true),
            Value::Bool(false),
            Value::from("FALSE"),
            Value::from("false "),
            Value::from("True"),
            Value::Int(0),
            Value::Multi(vec![Value::from("false")]),
            Value::Multi(vec![Value::from("false"), Value::from("x")]),
        ];
        for value in values {
            let mut attrs = SourceObject::new();
            attrs.set("accountEnabled", value.clone());
            let user =
                SourceUser { alias: "a".into(), object_id: "o".into(), attrs, assigned: true, soft_deleted: false };
            let general = !matches!(value, Value::Bool(false))
                && !value.to_text().is_some_and(|t| t.eq_ignore_ascii_case("false"));
            assert_eq!(user.enabled(), general, "{value:?}");
        }
    }

    #[test]
    fn an_objectid_reads_back_as_given_and_a_head_holds_nothing_on_the_heap() {
        let long = "x".repeat(37);
        for text in ["2f1c4c2e-6a3b-4d1e-9f3a-0b5c7d9e1f20", "oid", "", "ünïcödé", long.as_str()] {
            assert_eq!(IdText::new(text).as_str(), text);
        }
        assert_eq!(std::mem::size_of::<UserHead<'_>>(), 80);
        let user = SourceUser {
            alias: "alice".into(),
            object_id: "oid-a".into(),
            attrs: SourceObject::new(),
            assigned: true,
            soft_deleted: false,
        };
        let snapshot = SourceSnapshot::new(vec![user], Vec::new());
        let head = snapshot.heads().next().expect("one user");
        assert_eq!((head.alias, head.object_id), ("alice", "oid-a"));
        assert_eq!(snapshot.head(0), Some(head));
        assert_eq!(snapshot.head(1), None);
        assert_eq!(snapshot.user("oid-a").map(|u| u.alias), Some("alice".to_string()));
    }
}
