//! The simulated Entra source directory: users, groups, assignment to the application, the change log
//! that incremental cycles read, and a generator of large synthetic tenants. Pure data: no IO, no HTTP.
//!
//! ```text
//! scenario [[users]]/[[groups]]/[generate] ──▶ Directory ──(steps: Mutation)──▶ Directory'
//!                                                  │
//!        engine: users()/groups(), is_assigned_*(), source_object(), changed_since(watermark)
//! ```
//!
//! - Objects are keyed by **alias** (the scenario's `id`, unique across users and groups) and carry an
//!   [`ObjectId`] derived from the alias with SHA-256 (stable across runs, so snapshots are stable) unless
//!   the scenario gives one.
//! - A user has Entra attributes (a [`SourceObject`](crate::mapping::SourceObject)) plus structural state:
//!   direct assignment, `accountEnabled`, soft-deleted (recycle bin), hard-deleted (a tombstone kept so ids
//!   stay stable and the next incremental cycle can send the DELETE) and a manager (another user).
//!   [`Directory::source_object`] is what user mappings evaluate: the attributes plus `objectId`,
//!   `accountEnabled` and `manager` (the manager's objectId). The engine adds `IsSoftDeleted`.
//! - A group has attributes (`displayName`, `mailNickname`, `description`, ...), direct user members, an
//!   assignment flag and nested groups, which Entra never provisions (ENTRA.md 4.2). Assigning a group brings
//!   its direct members into scope: [`Directory::is_assigned_directly`], [`Directory::is_assigned_via_group`].
//! - Every [`Mutation`] that changes something takes the next sequence number of the change log and records
//!   the objects it changed; [`Directory::changed_since`] returns what a Graph delta query would: the users
//!   and groups changed since a [`Watermark`]. Membership changes mark the group, and mark a user when its
//!   assignment through groups flips; hard-deleting a user marks its groups and its reports.
//! - Graph's administrative changes (group attribute updates, app role assignments) are methods in
//!   `admin.rs` that record in the same change log; objects Graph creates get an alias from
//!   [`Directory::free_alias`].
//! - Mutations name objects by alias and fail with a [`DirectoryError`] on unknown or deleted objects; the
//!   scenario validator applies the same mutations while loading, so these errors reach the user with a
//!   position before anything runs.

mod admin;
mod attributes;
mod change;
mod error;
mod index;
mod membership;
mod model;
mod mutation;
mod roles;
pub mod synth;
mod tenant;
#[cfg(test)]
mod tests;

pub use attributes::{
    classify_group_attribute, classify_user_attribute, is_extension, AttributeName, COMPUTED_ATTRIBUTES,
    GROUP_ATTRIBUTES, USER_ATTRIBUTES,
};
pub use change::{Change, ChangeKind, ChangeSet, Watermark};
pub use error::DirectoryError;
pub use model::{Group, GroupId, NewGroup, NewUser, ObjectId, ObjectRef, Stamp, User, UserId};
pub use mutation::{Applied, Mutation};
pub use roles::{role_id, AppRole};
pub use synth::generate;
pub use tenant::Directory;
