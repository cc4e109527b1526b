//! The connector data store (ENTRA.md 3.1, 6.1, Appendix A.3): what Entra remembers between cycles.
//! Per source object: the linked target id, whether Entra still manages it, the manager it linked and,
//! for groups, the members it exported. Exported attribute values are not kept: every cycle compares
//! the mapping's values with the target's answer (ENTRA.md 3.1). Plus the escrows (failed objects and
//! when they are retried: [`crate::engine::escrow`]) and the fingerprints that emulate delta queries.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use crate::engine::escrow::Escrows;
use crate::engine::id_map::IdMap;

/// A linked user.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UserEntry {
    /// Scenario alias.
    pub alias: String,
    /// Target `id`.
    pub target_id: String,
    /// Disabled by Entra (soft delete, accountEnabled=false).
    pub disabled: bool,
    /// The manager target id Entra linked.
    pub manager: Option<String>,
}

/// A linked group.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GroupEntry {
    /// Scenario alias.
    pub alias: String,
    /// Target `id`.
    pub target_id: String,
    /// Members Entra exported: source objectId → target id.
    pub members: BTreeMap<String, String>,
}

/// The store.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Cds {
    /// Linked users by source objectId.
    pub users: IdMap<UserEntry>,
    /// Linked groups by source objectId.
    pub groups: BTreeMap<String, GroupEntry>,
    /// Objects whose last operation failed, with their retry schedule.
    pub escrows: Escrows,
    /// Source fingerprints seen at the last cycle (delta emulation).
    pub fingerprints: Fingerprints,
    /// Whether an initial cycle completed since the last restart.
    pub initialized: bool,
}

impl Cds {
    /// The target id of a linked user.
    pub fn user_target(&self, object_id: &str) -> Option<&str> {
        self.users.get(object_id).map(|e| e.target_id.as_str())
    }

    /// Restart: new initial cycle, escrows and watermark cleared; links kept unless `full`.
    pub fn restart(&mut self, full: bool) {
        self.escrows.clear();
        self.fingerprints.clear();
        self.initialized = false;
        if full {
            self.users.clear();
            self.groups.clear();
        }
    }
}

/// Source fingerprints by objectId, one per source object (saved as a map from objectId text to
/// fingerprint, in text order).
pub type Fingerprints = IdMap<u64>;
