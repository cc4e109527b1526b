//! The change log: what Microsoft Graph's delta query would report to an incremental cycle.
//!
//! Every mutation that changes something takes the next sequence number and records one [`Change`] per
//! object it changed. An incremental cycle remembers the [`Watermark`] it started from and asks for the
//! objects changed since ([`Directory::changed_since`](super::Directory::changed_since)).

use super::model::{GroupId, ObjectRef, UserId};

/// A position in the change log: the sequence number of the last change seen. The default (0) is "never
/// synchronised": once the directory has a baseline, [`Directory::changed_since`](super::Directory::changed_since)
/// reports every object for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Watermark(pub u64);

/// What happened to an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ChangeKind {
    /// A user was added.
    UserAdded,
    /// User attributes were set or removed.
    UserUpdated,
    /// The user was assigned to the application.
    Assigned,
    /// The user's direct assignment was removed.
    Unassigned,
    /// `accountEnabled` became false.
    Disabled,
    /// `accountEnabled` became true.
    Enabled,
    /// The user went to the recycle bin.
    SoftDeleted,
    /// The user came back from the recycle bin.
    Restored,
    /// The user was permanently deleted.
    HardDeleted,
    /// The user's manager was hard-deleted, so its `manager` attribute is now empty.
    ManagerRemoved,
    /// The user came into or went out of assignment through a group (group assigned, unassigned or deleted,
    /// or membership of an assigned group changed).
    AssignmentViaGroup,
    /// A group was added.
    GroupAdded,
    /// A group's `displayName` changed.
    GroupRenamed,
    /// Other group attributes were set or removed (through Graph).
    GroupUpdated,
    /// A member (a user or a nested group) was added to a group.
    MemberAdded(ObjectRef),
    /// A member was removed from a group (also when the member was hard-deleted).
    MemberRemoved(ObjectRef),
    /// The group was assigned to the application.
    GroupAssigned,
    /// The group's assignment was removed.
    GroupUnassigned,
    /// The group was deleted.
    GroupDeleted,
}

/// One entry of the change log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Change {
    /// Sequence number of the mutation (all objects changed by one mutation share it).
    pub seq: u64,
    /// The changed object.
    pub object: ObjectRef,
    /// What happened to it.
    pub kind: ChangeKind,
}

/// The objects changed since a watermark, each once, in creation order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ChangeSet {
    /// Changed users (including hard-deleted ones, so the cycle can send the DELETE).
    pub users: Vec<UserId>,
    /// Changed groups (including deleted ones).
    pub groups: Vec<GroupId>,
}

impl ChangeSet {
    /// True when nothing changed.
    pub fn is_empty(&self) -> bool {
        self.users.is_empty() && self.groups.is_empty()
    }
}

/// The append-only log and its sequence counter.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct ChangeLog {
    entries: Vec<Change>,
    seq: u64,
    /// Entries up to this sequence number were discarded by [`ChangeLog::baseline`].
    baseline: u64,
}

impl ChangeLog {
    /// Records one mutation touching `objects`; returns its sequence number, or `None` when it changed
    /// nothing (no sequence number is used up).
    pub(crate) fn record(&mut self, objects: &[(ObjectRef, ChangeKind)]) -> Option<u64> {
        if objects.is_empty() {
            return None;
        }
        self.seq += 1;
        let seq = self.seq;
        self.entries.extend(objects.iter().map(|&(object, kind)| Change { seq, object, kind }));
        Some(seq)
    }

    pub(crate) fn watermark(&self) -> Watermark {
        Watermark(self.seq)
    }

    /// Forgets the entries so far: the current state becomes the starting point of the scenario. Takes a
    /// sequence number of its own, so [`Watermark::default`] always predates it.
    pub(crate) fn baseline(&mut self) {
        self.entries = Vec::new();
        self.seq += 1;
        self.baseline = self.seq;
    }

    /// True when `since` predates the retained log (a delta token that expired).
    pub(crate) fn is_truncated_at(&self, since: Watermark) -> bool {
        since.0 < self.baseline
    }

    pub(crate) fn since(&self, since: Watermark) -> &[Change] {
        let start = self.entries.partition_point(|c| c.seq <= since.0);
        &self.entries[start..]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_numbers_mutations_and_since_filters_by_sequence() {
        let mut log = ChangeLog::default();
        let u = ObjectRef::User(UserId(0));
        let g = ObjectRef::Group(GroupId(0));
        assert_eq!(log.record(&[]), None);
        assert_eq!(log.record(&[(u, ChangeKind::UserAdded)]), Some(1));
        let mark = log.watermark();
        assert_eq!(log.record(&[(g, ChangeKind::MemberAdded(u)), (u, ChangeKind::AssignmentViaGroup)]), Some(2));
        let since: Vec<_> = log.since(mark).iter().map(|c| (c.seq, c.object)).collect();
        assert_eq!(since, vec![(2, g), (2, u)]);
        assert!(log.since(log.watermark()).is_empty());
        log.baseline();
        assert!(log.is_truncated_at(mark));
        assert!(log.is_truncated_at(Watermark::default()));
        assert!(!log.is_truncated_at(log.watermark()));
        assert!(log.since(log.watermark()).is_empty());
    }
}
