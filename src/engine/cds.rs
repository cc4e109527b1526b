//! The connector data store (ENTRA.md 3.1, 6.1, Appendix A.3): what Entra remembers between cycles.
//! Per source object: the linked target id, whether Entra still manages it, the manager it linked and,
//! for groups, the members it exported. Exported attribute values are not kept: every cycle compares
//! the mapping's values with the target's answer (ENTRA.md 3.1). Plus the escrows (failed objects and
//! when they are retried: [`crate::engine::escrow`]) and the fingerprints that emulate delta queries.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::BTreeMap;

use crate::engine::compact_id::CompactId;
use crate::engine::escrow::Escrows;

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
    pub users: BTreeMap<String, UserEntry>,
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

/// Source fingerprints by objectId, one per source object: the objectIds are held as [`CompactId`]s (no
/// heap allocation for a GUID), which at 1,000,000 users saves about 40 MB. Serialized, and shown, as a map
/// from objectId text to fingerprint in text order, as a `BTreeMap<String, u64>` would be.
#[derive(Clone, Default, PartialEq)]
pub struct Fingerprints(BTreeMap<CompactId, u64>);

impl Fingerprints {
    /// The fingerprint seen for `object_id`.
    pub fn get(&self, object_id: &str) -> Option<&u64> {
        self.0.get(&CompactId::new(object_id))
    }

    /// Records the fingerprint of `object_id`.
    pub fn insert(&mut self, object_id: impl AsRef<str>, fingerprint: u64) {
        self.0.insert(CompactId::new(object_id.as_ref()), fingerprint);
    }

    /// Forgets every fingerprint.
    pub fn clear(&mut self) {
        self.0.clear();
    }

    /// Number of objects with a fingerprint.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// True when no object has a fingerprint.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Every objectId (as text) and its fingerprint, in text order.
    fn by_text(&self) -> BTreeMap<String, u64> {
        self.0.iter().map(|(id, fingerprint)| (id.to_string(), *fingerprint)).collect()
    }
}

impl std::fmt::Debug for Fingerprints {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.by_text().fmt(f)
    }
}

impl Serialize for Fingerprints {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.by_text().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Fingerprints {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let by_text = BTreeMap::<String, u64>::deserialize(deserializer)?;
        Ok(Fingerprints(by_text.into_iter().map(|(id, fingerprint)| (CompactId::new(&id), fingerprint)).collect()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_serialize_as_a_map_of_text_in_text_order() {
        let mut fingerprints = Fingerprints::default();
        let ids = ["f0000000-0000-4000-8000-000000000000", "B-upper", "0a000000-0000-4000-8000-000000000000", "oid"];
        for (i, id) in ids.iter().enumerate() {
            fingerprints.insert(id, i as u64);
        }
        let plain: BTreeMap<String, u64> = ids.iter().enumerate().map(|(i, id)| (id.to_string(), i as u64)).collect();
        let json = serde_json::to_string(&fingerprints).expect("serializes");
        assert_eq!(json, serde_json::to_string(&plain).expect("serializes"));
        assert_eq!(format!("{fingerprints:?}"), format!("{plain:?}"));
        let back: Fingerprints = serde_json::from_str(&json).expect("deserializes");
        assert_eq!(back, fingerprints);
        assert_eq!((back.get("oid"), back.get("B-upper"), back.get("b-upper")), (Some(&3), Some(&1), None));
    }
}
