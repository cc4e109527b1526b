//! The directory's lookup tables: alias → object, objectId → object, lower-cased `userPrincipalName` → user.
//! A table holds only the object's position; a probe reads the key back from the object, so no key is kept
//! a second time. As `HashMap`s keyed by owned strings the three took ~160 bytes per user (entries of 24
//! bytes at up to twice the users in buckets, plus each alias and `userPrincipalName` copied onto the heap),
//! about half of a generated directory, and the engine holds two directories during a run.
//!
//! Every entry is hashed from the key its object holds now, so an object's key changes only together with
//! its entry: the `userPrincipalName` entry is moved by [`Directory::reindex_upn`] with the old name.

use std::fmt;
use std::hash::{BuildHasher, Hash};

use hashbrown::HashTable;
use rustc_hash::FxBuildHasher;

use super::model::{Group, ObjectId, ObjectRef, User, UserId};
use super::tenant::Directory;

/// The lookup tables of a [`Directory`].
#[derive(Clone, Default)]
pub(crate) struct Tables {
    aliases: HashTable<ObjectRef>,
    object_ids: HashTable<ObjectRef>,
    upns: HashTable<UserId>,
}

/// The tables follow from the objects, which the directory compares.
impl PartialEq for Tables {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl fmt::Debug for Tables {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tables")
            .field("aliases", &self.aliases.len())
            .field("object_ids", &self.object_ids.len())
            .field("upns", &self.upns.len())
            .finish()
    }
}

fn hash<K: Hash + ?Sized>(key: &K) -> u64 {
    FxBuildHasher.hash_one(key)
}

fn alias_of<'d>(users: &'d [User], groups: &'d [Group], object: ObjectRef) -> &'d str {
    match object {
        ObjectRef::User(id) => &users[id.index()].alias,
        ObjectRef::Group(id) => &groups[id.index()].alias,
    }
}

fn object_id_of(users: &[User], groups: &[Group], object: ObjectRef) -> ObjectId {
    match object {
        ObjectRef::User(id) => users[id.index()].object_id,
        ObjectRef::Group(id) => groups[id.index()].object_id,
    }
}

/// The user's `userPrincipalName` as the table keys it (lower-cased).
pub(super) fn upn_key(user: &User) -> Option<String> {
    match &user.persona {
        // Generated names are lower-case ASCII already.
        Some(p) => Some(p.user_principal_name()),
        None => user.attrs.get("userPrincipalName").to_text().map(|u| u.to_lowercase()),
    }
}

impl Directory {
    /// Makes room for `n` more objects.
    pub(crate) fn reserve_objects(&mut self, n: usize) {
        let Directory { users, groups, tables, .. } = self;
        tables.aliases.reserve(n, |&o| hash(alias_of(users, groups, o)));
        tables.object_ids.reserve(n, |&o| hash(&object_id_of(users, groups, o)));
    }

    /// Indexes the alias and objectId of an object already pushed.
    pub(crate) fn index_object(&mut self, object: ObjectRef) {
        let Directory { users, groups, tables, .. } = self;
        let alias = alias_of(users, groups, object);
        let h = hash(alias);
        match tables.aliases.find_mut(h, |&o| alias_of(users, groups, o) == alias) {
            Some(entry) => *entry = object,
            None => {
                tables.aliases.insert_unique(h, object, |&o| hash(alias_of(users, groups, o)));
            }
        }
        let object_id = object_id_of(users, groups, object);
        let h = hash(&object_id);
        match tables.object_ids.find_mut(h, |&o| object_id_of(users, groups, o) == object_id) {
            Some(entry) => *entry = object,
            None => {
                tables.object_ids.insert_unique(h, object, |&o| hash(&object_id_of(users, groups, o)));
            }
        }
    }

    /// Indexes `key`, the lower-cased `userPrincipalName` user `id` holds now.
    pub(crate) fn index_upn(&mut self, id: UserId, key: &str) {
        let Directory { users, tables, .. } = self;
        let h = hash(key);
        match tables.upns.find_mut(h, |&u| upn_key(&users[u.index()]).as_deref() == Some(key)) {
            Some(entry) => *entry = id,
            None => {
                tables.upns.insert_unique(h, id, |&u| hash(upn_key(&users[u.index()]).unwrap_or_default().as_str()));
            }
        }
    }

    /// Drops the entry of user `id` under `key`, the lower-cased name it was indexed with.
    pub(crate) fn unindex_upn(&mut self, id: UserId, key: &str) {
        if let Ok(entry) = self.tables.upns.find_entry(hash(key), |&u| u == id) {
            entry.remove();
        }
    }

    /// The object an alias names (including tombstones).
    pub fn lookup(&self, alias: &str) -> Option<ObjectRef> {
        let (users, groups) = (&self.users, &self.groups);
        self.tables.aliases.find(hash(alias), |&o| alias_of(users, groups, o) == alias).copied()
    }

    /// The object with this objectId.
    pub fn by_object_id(&self, object_id: ObjectId) -> Option<ObjectRef> {
        let (users, groups) = (&self.users, &self.groups);
        self.tables.object_ids.find(hash(&object_id), |&o| object_id_of(users, groups, o) == object_id).copied()
    }

    /// The user with this `userPrincipalName` (case-insensitive), hard-deleted users excepted.
    pub fn user_by_principal_name(&self, upn: &str) -> Option<UserId> {
        let key = upn.to_lowercase();
        let users = &self.users;
        self.tables.upns.find(hash(key.as_str()), |&u| upn_key(&users[u.index()]).as_deref() == Some(&key)).copied()
    }
}
