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

/// One user's reading under its stamp.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Row {
    /// 0 for a user whose source keeps no stamp (stamps start at 1).
    stamp: u64,
    reading: Reading,
}

impl Row {
    /// A row that recalls nothing.
    pub const BLANK: Row = Row { stamp: 0, reading: Reading { fingerprint: 0, key: None } };

    /// The reading of a user with this stamp (`None`: the source keeps none).
    pub fn new(stamp: Option<u64>, reading: Reading) -> Self {
        Row { stamp: stamp.unwrap_or(0), reading }
    }

    /// The reading, if it was read from a user with this stamp.
    pub fn recall(&self, stamp: Option<u64>) -> Option<Reading> {
        (self.stamp != 0 && Some(self.stamp) == stamp).then_some(self.reading)
    }
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
pub(crate) struct SurveyMemo {
    under: Option<Under>,
    rows: Vec<Row>,
    /// Read each recalled user again and fail loudly when the reading differs: on in debug builds, so every
    /// test checks that the directory gives a changed user a new stamp.
    pub verify: bool,
}

impl Default for SurveyMemo {
    fn default() -> Self {
        SurveyMemo { under: None, rows: Vec::new(), verify: cfg!(debug_assertions) }
    }
}

impl std::fmt::Debug for SurveyMemo {
    // A million rows say nothing in a debug print: their number does.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SurveyMemo").field("under", &self.under).field("rows", &self.rows.len()).finish()
    }
}

impl SurveyMemo {
    /// Gets the memo ready for a survey of `n` users read `under` this mapping: one row per user, which
    /// the survey overwrites as it reads. True when the rows it holds may be recalled (they were read under
    /// the same, named mapping).
    pub fn renew(&mut self, under: Option<Under>, n: usize) -> bool {
        let recallable = under.is_some() && self.under == under;
        self.under = under;
        self.rows.resize(n, Row::BLANK);
        recallable
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
        let row = Row::new(Some(42), reading);
        assert_eq!(row.recall(Some(42)), Some(reading));
        assert_eq!(row.recall(Some(43)), None, "the user changed");
        assert_eq!(row.recall(None), None, "a source without stamps");
        assert_eq!(Row::new(None, reading).recall(None), None);
        assert_eq!(Row::BLANK.recall(Some(0)), None);
    }

    #[test]
    fn rows_are_recallable_only_under_the_same_named_mapping() {
        let under = Some(Under { mapper: 1, scope_all: false });
        let mut memo = SurveyMemo::default();
        assert!(!memo.renew(under, 2), "nothing was read yet");
        assert!(memo.renew(under, 3));
        assert_eq!(memo.rows_mut().len(), 3);
        assert!(!memo.renew(Some(Under { mapper: 2, scope_all: false }), 3), "another mapping");
        assert!(!memo.renew(Some(Under { mapper: 2, scope_all: true }), 3), "scope changed");
        assert!(!memo.renew(None, 3), "an unnamed mapping");
        assert!(!memo.renew(None, 3));
    }
}
