//! Why a directory mutation could not be applied.

/// Why a mutation could not be applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DirectoryError {
    /// No user has this alias.
    #[error("unknown user `{0}`")]
    UnknownUser(String),
    /// No group has this alias.
    #[error("unknown group `{0}`")]
    UnknownGroup(String),
    /// No user or group has this alias.
    #[error("unknown user or group `{0}`")]
    UnknownObject(String),
    /// A user was expected.
    #[error("`{0}` is a group, not a user")]
    NotAUser(String),
    /// A group was expected.
    #[error("`{0}` is a user, not a group")]
    NotAGroup(String),
    /// The alias is already used by a user or group.
    #[error("id `{0}` is already used")]
    DuplicateAlias(String),
    /// The objectId is already used.
    #[error("objectId `{object_id}` of `{alias}` is already used by `{other}`")]
    DuplicateObjectId {
        /// The object being added.
        alias: String,
        /// The objectId.
        object_id: String,
        /// The object that has it.
        other: String,
    },
    /// Another user has this `userPrincipalName` (Entra keeps them unique, case-insensitively).
    #[error("userPrincipalName `{upn}` of `{alias}` is already used by `{other}`")]
    DuplicateUserPrincipalName {
        /// The user being added or updated.
        alias: String,
        /// The userPrincipalName.
        upn: String,
        /// The user that has it.
        other: String,
    },
    /// The user was hard-deleted.
    #[error("user `{0}` was hard-deleted")]
    HardDeleted(String),
    /// The user is in the recycle bin.
    #[error("user `{0}` is soft-deleted; restore it first")]
    SoftDeleted(String),
    /// The group was deleted.
    #[error("group `{0}` was deleted")]
    GroupDeleted(String),
    /// The attribute cannot be set or removed.
    #[error("`{name}` cannot be changed: {reason}")]
    ReadOnlyAttribute {
        /// The attribute.
        name: String,
        /// Why.
        reason: &'static str,
    },
    /// The value has the wrong kind for the attribute.
    #[error("`{name}` must be {expected}")]
    InvalidValue {
        /// The attribute.
        name: String,
        /// What it takes.
        expected: &'static str,
    },
    /// A user named as their own manager.
    #[error("user `{0}` cannot be their own manager")]
    SelfManager(String),
    /// A group named as its own member.
    #[error("group `{0}` cannot be a member of itself")]
    SelfMember(String),
    /// The directory is full (more than `u32::MAX` objects).
    #[error("too many objects")]
    TooManyObjects,
}

pub(super) fn invalid(name: &str, expected: &'static str) -> DirectoryError {
    DirectoryError::InvalidValue { name: name.to_string(), expected }
}

pub(super) fn read_only(name: &str, reason: &'static str) -> DirectoryError {
    DirectoryError::ReadOnlyAttribute { name: name.to_string(), reason }
}
