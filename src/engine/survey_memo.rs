//! What the last survey read from each user's attributes, kept under the user's stamp
//! ([`crate::directory::Stamp`]) so that an incremental cycle reads again only the users that changed:
//! the way Entra's delta query spares it the rest of the tenant (ENTRA.md 1.3). A user whose stamp is
//! the one the memo holds has the same attributes, so the same fingerprint and matching value.

use crate::engine::source::Mapper;

/// What a survey reads from one user's attributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Reading {
    /// The user's source fingerprint ([`crate::engine::source::user_fingerprint`]).
    pub fingerprint: u64,
    /// The hash of the user's first matching value, for a user to export that has one.
    pub key: Option<u64>,
}

/// One user's reading under its stamp, and whether the user was linked. 32 bytes: the key's presence and
/// the link are bits of `flags`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Row {
    /// 0 for a user whose source keeps no stamp (stamps start at 1).
    stamp: u64,
    fingerprint: u64,
    key: u64,
    flags: u8,
}

const HAS_KEY: u8 = 1;
const LINKED: u8 = 2;

impl Row {
    /// A row that recalls nothing.
    pub const BLANK: Row = Row { stamp: 0, fingerprint: 0, key: 0, flags: 0 };

    /// The reading of a user with this stamp (`None`: the source keeps none), linked or not.
    pub fn new(stamp: Option<u64>, reading: Reading, linked: bool) -> Self {
        let flags = if reading.key.is_some() { HAS_KEY } else { 0 } | if linked { LINKED } else { 0 };
        Row { stamp: stamp.unwrap_or(0), fingerprint: reading.fingerprint, key: reading.key.unwrap_or(0), flags }
    }

    /// The reading, if it was read from a user with this stamp.
    pub fn recall(&self, stamp: Option<u64>) -> Option<Reading> {
        let key = (self.flags & HAS_KEY != 0).then_some(self.key);
        (self.stamp != 0 && Some(self.stamp) == stamp).then_some(Reading { fingerprint: self.fingerprint, key })
    }

    /// Whether the user was linked when the row was written (or, for a row the last cycle settled, when
    /// that cycle ended).
    pub fn linked(&self) -> bool {
        self.flags & LINKED != 0
    }
}

/// What [`SurveyMemo::renew`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Renewed {
    /// The rows may be recalled for users whose stamp is the same.
    pub recallable: bool,
    /// The rows' links and fingerprints are the store's.
    pub settled: bool,
}

/// What a reading depends on besides the user: the mapping (scoping and matching) and whether every user
/// is in scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Under {
    mapper: u64,
    scope_all: bool,
}

impl Under {
    /// What a survey reads under now (`scope_all`: the job's "sync all users and groups"); `None` when the
    /// mapper cannot say which mapping it is.
    pub fn now(mapper: &dyn Mapper, scope_all: bool) -> Option<Self> {
        Some(Under { mapper: mapper.revision()?, scope_all })
    }
}

/// The last survey's readings, one row per user in the order of its snapshot, and what they were read
/// under. 32 bytes a user, renewed in place by each survey.
///
/// When the last cycle ended cleanly (no failure, no escrow), it *settles* the memo: it writes the link of
/// each user it evaluated into the rows and notes the store's versions ([`crate::engine::id_map::IdMap::version`]).
/// While the store keeps those versions, every row says whether its user is linked and, since the cycle
/// stored every evaluated user's fingerprint, that the store holds the row's fingerprint: the next survey
/// looks nothing up for a recalled user.
pub(crate) struct SurveyMemo {
    under: Option<Under>,
    rows: Vec<Row>,
    /// The store's versions (links, fingerprints) when the last cycle settled the memo.
    settled: Option<(u64, u64)>,
    /// Read each recalled user again and fail loudly when the reading differs: on in debug builds, so every
    /// test checks that the directory gives a changed user a new stamp.
    pub verify: bool,
}

impl Default for SurveyMemo {
    fn default() -> Self {
        SurveyMemo { under: None, rows: Vec::new(), settled: None, verify: cfg!(debug_assertions) }
    }
}

impl std::fmt::Debug for SurveyMemo {
    // A million rows say nothing in a debug print: their number does.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SurveyMemo").field("under", &self.under).field("rows", &self.rows.len()).finish()
    }
}

impl SurveyMemo {
    /// Gets the memo ready for a survey of `n` users read `under` this mapping, with the store at
    /// `store` (its links' and fingerprints' versions): one row per user, which the survey overwrites as it
    /// reads. Says whether the rows may be recalled (read under the same, named mapping) and whether they
    /// are settled with the store as it is.
    pub fn renew(&mut self, under: Option<Under>, n: usize, store: (u64, u64)) -> Renewed {
        let recallable = under.is_some() && self.under == under;
        let settled = recallable && self.settled == Some(store);
        self.under = under;
        self.settled = None;
        self.rows.resize(n, Row::BLANK);
        Renewed { recallable, settled }
    }

    /// Settles the memo at the end of a clean cycle: `linked(i)` is whether the user at position `i`, one
    /// the cycle evaluated, is linked now; `store` the store's versions now.
    pub fn settle(&mut self, evaluated: impl IntoIterator<Item = (usize, bool)>, store: (u64, u64)) {
        for (index, linked) in evaluated {
            if let Some(row) = self.rows.get_mut(index) {
                row.flags = (row.flags & !LINKED) | if linked { LINKED } else { 0 };
            }
        }
        self.settled = Some(store);
    }

    /// The rows, to recall and overwrite.
    pub fn rows_mut(&mut self) -> &mut [Row] {
        &mut self.rows
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_recalls_its_reading_for_its_own_stamp_only() {
        let reading = Reading { fingerprint: 7, key: Some(9) };
        let row = Row::new(Some(42), reading, true);
        assert_eq!(row.recall(Some(42)), Some(reading));
        assert!(row.linked());
        assert_eq!(row.recall(Some(43)), None, "the user changed");
        assert_eq!(row.recall(None), None, "a source without stamps");
        assert_eq!(Row::new(None, reading, false).recall(None), None);
        assert_eq!(Row::BLANK.recall(Some(0)), None);
        let keyless = Reading { fingerprint: 7, key: None };
        assert_eq!(Row::new(Some(1), keyless, false).recall(Some(1)), Some(keyless));
        assert_eq!(std::mem::size_of::<Row>(), 32);
    }

    #[test]
    fn rows_are_recallable_only_under_the_same_named_mapping() {
        let under = Some(Under { mapper: 1, scope_all: false });
        let mut memo = SurveyMemo::default();
        let recallable = |memo: &mut SurveyMemo, under| memo.renew(under, 3, (1, 1)).recallable;
        assert!(!recallable(&mut memo, under), "nothing was read yet");
        assert!(recallable(&mut memo, under));
        assert_eq!(memo.rows_mut().len(), 3);
        assert!(!recallable(&mut memo, Some(Under { mapper: 2, scope_all: false })), "another mapping");
        assert!(!recallable(&mut memo, Some(Under { mapper: 2, scope_all: true })), "scope changed");
        assert!(!recallable(&mut memo, None), "an unnamed mapping");
        assert!(!recallable(&mut memo, None));
    }

    #[test]
    fn rows_are_settled_only_with_the_store_the_last_cycle_left() {
        let under = Some(Under { mapper: 1, scope_all: false });
        let reading = Reading { fingerprint: 7, key: None };
        let mut memo = SurveyMemo::default();
        memo.renew(under, 2, (1, 1));
        memo.rows_mut()[1] = Row::new(Some(5), reading, false);
        assert!(!memo.renew(under, 2, (1, 1)).settled, "no cycle settled it");
        memo.settle([(1, true)], (3, 4));
        assert!(memo.rows_mut()[1].linked(), "the cycle linked the user");
        assert_eq!(memo.renew(under, 2, (3, 4)), Renewed { recallable: true, settled: true });
        assert!(!memo.renew(under, 2, (3, 4)).settled, "a survey unsettles it until its cycle ends");
        memo.settle([], (3, 4));
        assert!(!memo.renew(under, 2, (3, 5)).settled, "the store changed since");
    }
}
