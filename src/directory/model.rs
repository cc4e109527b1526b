//! The objects of the simulated directory: ids, users and groups.

use std::collections::BTreeSet;
use std::fmt;

use sha2::{Digest, Sha256};

use super::synth::Persona;
use crate::mapping::SourceObject;

/// An Entra `objectId`: a GUID. Derived deterministically from an alias (so snapshots are stable) unless the
/// scenario gives one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectId(uuid::Uuid);

impl ObjectId {
    /// The objectId derived from an alias: the first 16 bytes of `sha256("entrasim:" + alias)` with the
    /// version-4 and RFC 4122 variant bits set, so it looks like every other Entra objectId.
    pub fn derive(alias: &str) -> Self {
        let digest = Sha256::new().chain_update(b"entrasim:").chain_update(alias.as_bytes()).finalize();
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(&digest[..16]);
        bytes[6] = (bytes[6] & 0x0f) | 0x40;
        bytes[8] = (bytes[8] & 0x3f) | 0x80;
        ObjectId(uuid::Uuid::from_bytes(bytes))
    }

    /// A new random (version-4) objectId, as Entra gives an object created through Graph.
    pub fn random() -> Self {
        ObjectId(uuid::Uuid::new_v4())
    }

    /// The 16 bytes of the GUID (big-endian field order, as in its text).
    pub fn as_bytes(&self) -> &[u8; 16] {
        self.0.as_bytes()
    }

    /// The objectId with these 16 bytes.
    pub fn from_bytes(bytes: [u8; 16]) -> Self {
        ObjectId(uuid::Uuid::from_bytes(bytes))
    }

    /// The hyphenated lowercase text, as [`fmt::Display`] writes it, without going through a formatter.
    pub fn text(&self) -> String {
        self.0.hyphenated().encode_lower(&mut uuid::Uuid::encode_buffer()).to_string()
    }

    /// Parses a GUID in any of the usual textual forms (hyphenated, simple, braced, URN).
    pub fn parse(text: &str) -> Option<Self> {
        uuid::Uuid::parse_str(text).ok().map(ObjectId)
    }
}

impl fmt::Display for ObjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.hyphenated())
    }
}

/// Index of a user in its [`Directory`](super::Directory). Stable for the directory's lifetime: deleted users
/// stay as tombstones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UserId(pub(crate) u32);

/// Index of a group in its [`Directory`](super::Directory). Stable for the directory's lifetime.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct GroupId(pub(crate) u32);

impl UserId {
    /// The position in [`Directory::users`](super::Directory::users) order (creation order).
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

impl GroupId {
    /// The position in creation order.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// A user or a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ObjectRef {
    /// A user.
    User(UserId),
    /// A group.
    Group(GroupId),
}

/// An Entra user.
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub(crate) alias: Box<str>,
    pub(crate) object_id: ObjectId,
    /// Attributes given explicitly (for generated users: after the first update, all of them).
    pub(crate) attrs: SourceObject,
    /// Compact generated attributes of a synthetic user that was never updated.
    pub(crate) persona: Option<Persona>,
    pub(crate) manager: Option<UserId>,
    pub(crate) assigned: bool,
    pub(crate) account_enabled: bool,
    pub(crate) soft_deleted: bool,
    pub(crate) hard_deleted: bool,
    /// How many live, assigned groups have this user as a direct member.
    pub(crate) assigned_groups: u32,
    /// The version of the user's source state, for caches (see [`Stamp`]).
    pub(crate) stamp: Stamp,
}

/// A version of a user's source state: a new one, from a counter shared by the whole process, when the user
/// is added and whenever a recorded change touches it. Two users with one stamp are one user in one state
/// (a cloned directory keeps the stamps of what it did not change since), so a cache can keep what it
/// computed from a user under the user's stamp and skip reading it again (the incremental cycle's survey
/// does). A stamp is not part of the user's state: users equal in every other field are equal whatever
/// their stamps.
#[derive(Debug, Clone, Copy)]
pub struct Stamp(u64);

impl Stamp {
    /// A stamp no user had before.
    pub(crate) fn fresh() -> Self {
        Stamp(crate::unique::next())
    }

    /// The stamp as a number.
    pub fn get(self) -> u64 {
        self.0
    }
}

impl PartialEq for Stamp {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl User {
    /// The scenario alias (`id`).
    pub fn alias(&self) -> &str {
        &self.alias
    }

    /// The Entra `objectId`.
    pub fn object_id(&self) -> ObjectId {
        self.object_id
    }

    /// The manager, if any (it may since have been soft-deleted).
    pub fn manager(&self) -> Option<UserId> {
        self.manager
    }

    /// The version of the user's source state.
    pub fn stamp(&self) -> Stamp {
        self.stamp
    }

    /// Directly assigned to the application.
    pub fn is_assigned_directly(&self) -> bool {
        self.assigned
    }

    /// A direct member of at least one live group that is assigned to the application.
    pub fn is_assigned_via_group(&self) -> bool {
        self.assigned_groups > 0
    }

    /// `accountEnabled` (sign-in allowed).
    pub fn account_enabled(&self) -> bool {
        self.account_enabled
    }

    /// In the recycle bin (restorable).
    pub fn is_soft_deleted(&self) -> bool {
        self.soft_deleted
    }

    /// Permanently deleted: the entry is a tombstone kept so ids stay stable and incremental cycles see it.
    pub fn is_hard_deleted(&self) -> bool {
        self.hard_deleted
    }

    /// True when the user was made by the synthetic generator and never updated since.
    pub fn is_generated(&self) -> bool {
        self.persona.is_some()
    }
}

/// An Entra group.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub(crate) alias: Box<str>,
    pub(crate) object_id: ObjectId,
    /// `displayName`, `mailNickname`, `description` and any other group attribute.
    pub(crate) attrs: SourceObject,
    pub(crate) members: BTreeSet<UserId>,
    /// Groups nested in this one: kept because Entra has them, never provisioned (ENTRA.md 4.2).
    pub(crate) nested: BTreeSet<GroupId>,
    pub(crate) assigned: bool,
    pub(crate) deleted: bool,
}

impl Group {
    /// The scenario alias (`id`).
    pub fn alias(&self) -> &str {
        &self.alias
    }

    /// The Entra `objectId`.
    pub fn object_id(&self) -> ObjectId {
        self.object_id
    }

    /// `displayName`, when set.
    pub fn display_name(&self) -> Option<String> {
        self.attrs.get("displayName").to_text()
    }

    /// Direct user members, in creation order of the users (hard-deleted users are removed; soft-deleted
    /// users stay members, as in Entra).
    pub fn members(&self) -> impl Iterator<Item = UserId> + '_ {
        self.members.iter().copied()
    }

    /// True when `user` is a direct member.
    pub fn has_member(&self, user: UserId) -> bool {
        self.members.contains(&user)
    }

    /// Number of direct user members.
    pub fn member_count(&self) -> usize {
        self.members.len()
    }

    /// Groups nested in this group. Entra does not provision nested groups or their members.
    pub fn nested_groups(&self) -> impl Iterator<Item = GroupId> + '_ {
        self.nested.iter().copied()
    }

    /// Assigned to the application.
    pub fn is_assigned(&self) -> bool {
        self.assigned
    }

    /// Deleted from the directory (tombstone).
    pub fn is_deleted(&self) -> bool {
        self.deleted
    }
}

/// A user to add: what a scenario's `[[users]]` entry or `add` step describes.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NewUser {
    /// The alias (`id`).
    pub alias: String,
    /// An explicit objectId; derived from the alias when `None`.
    pub object_id: Option<ObjectId>,
    /// Entra attributes (canonical names; `objectId`, `accountEnabled` and `manager` are the fields below).
    pub attrs: SourceObject,
    /// Alias of the manager.
    pub manager: Option<String>,
    /// Directly assigned to the application.
    pub assigned: bool,
    /// `accountEnabled`.
    pub account_enabled: bool,
    /// Starts in the recycle bin.
    pub soft_deleted: bool,
}

impl NewUser {
    /// An assigned, enabled user with no attributes.
    pub fn new(alias: impl Into<String>) -> Self {
        NewUser { alias: alias.into(), assigned: true, account_enabled: true, ..NewUser::default() }
    }
}

/// A group to add.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NewGroup {
    /// The alias (`id`).
    pub alias: String,
    /// An explicit objectId; derived from the alias when `None`.
    pub object_id: Option<ObjectId>,
    /// Group attributes (`displayName`, `mailNickname`, `description`, ...).
    pub attrs: SourceObject,
    /// Aliases of direct members: users, or groups (nested, never provisioned).
    pub members: Vec<String>,
    /// Assigned to the application.
    pub assigned: bool,
}

impl NewGroup {
    /// An assigned group with no attributes and no members.
    pub fn new(alias: impl Into<String>) -> Self {
        NewGroup { alias: alias.into(), assigned: true, ..NewGroup::default() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derived_object_ids_are_stable_v4_guids() {
        let a = ObjectId::derive("alice");
        assert_eq!(a, ObjectId::derive("alice"));
        assert_ne!(a, ObjectId::derive("bob"));
        let text = a.to_string();
        assert_eq!(text.len(), 36);
        assert_eq!(a.text(), text);
        assert_eq!(&text[14..15], "4");
        assert_eq!(ObjectId::parse(&text), Some(a));
        insta::assert_snapshot!(text, @"21470211-b03f-4702-9627-093f86784e67");
    }
}
