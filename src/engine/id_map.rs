//! [`IdMap`]: what the connector data store keeps per source object, by objectId. A tenant of 1,000,000
//! users has 1,000,000 entries, and every cycle looks each one up several times; in an ordered map of
//! `String`s a lookup walked about twenty string comparisons, each a cache miss at that size (the
//! incremental cycle spent half its time there). Here an id is a [`CompactId`] (16 inline bytes for a GUID)
//! in a hash map: one hash and one comparison. Whoever shows or saves the entries gets them in the text
//! order of their ids, as the ordered map gave them: [`IdMap::sorted`], `Debug` and serde. Each map has a
//! [`IdMap::version`] that every write renews, so a cache of what the map said can tell whether it still holds.

use std::collections::hash_map::Entry;
use std::collections::BTreeMap;
use std::fmt;

use rustc_hash::FxHashMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::engine::compact_id::CompactId;

/// Values by object id, looked up by the id's text.
#[derive(Clone)]
pub struct IdMap<V> {
    map: FxHashMap<CompactId, V>,
    version: u64,
}

impl<V> Default for IdMap<V> {
    fn default() -> Self {
        IdMap::from_map(FxHashMap::default())
    }
}

impl<V: PartialEq> PartialEq for IdMap<V> {
    /// Maps are equal when their entries are, whatever their versions.
    fn eq(&self, other: &Self) -> bool {
        self.map == other.map
    }
}

impl<V> IdMap<V> {
    fn from_map(map: FxHashMap<CompactId, V>) -> Self {
        IdMap { map, version: crate::unique::next() }
    }

    /// The map's version: a new one after every write (`get_mut` and `entry` count as writes), unique in
    /// the process ([`crate::unique`]), so a map replaced by another (a restored state) never shows the
    /// version the first one had. Equal versions mean the same entries.
    pub fn version(&self) -> u64 {
        self.version
    }

    /// The value of `id`.
    pub fn get(&self, id: &str) -> Option<&V> {
        self.map.get(&CompactId::new(id))
    }

    /// The value of `id`, to change.
    pub fn get_mut(&mut self, id: &str) -> Option<&mut V> {
        self.version = crate::unique::next();
        self.map.get_mut(&CompactId::new(id))
    }

    /// Whether `id` has a value.
    pub fn contains_key(&self, id: &str) -> bool {
        self.map.contains_key(&CompactId::new(id))
    }

    /// Sets the value of `id`; the one it had, if any.
    pub fn insert(&mut self, id: impl AsRef<str>, value: V) -> Option<V> {
        self.version = crate::unique::next();
        self.map.insert(CompactId::new(id.as_ref()), value)
    }

    /// Forgets `id`; the value it had, if any.
    pub fn remove(&mut self, id: &str) -> Option<V> {
        self.version = crate::unique::next();
        self.map.remove(&CompactId::new(id))
    }

    /// The place of `id`'s value, to read or fill.
    pub fn entry(&mut self, id: &str) -> Entry<'_, CompactId, V> {
        self.version = crate::unique::next();
        self.map.entry(CompactId::new(id))
    }

    /// Number of ids with a value.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// True when no id has a value.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Forgets every id.
    pub fn clear(&mut self) {
        self.version = crate::unique::next();
        self.map.clear();
    }

    /// Every id and its value, in no particular order: for a pass that keeps few of them (and sorts those)
    /// or only counts.
    pub fn iter_unordered(&self) -> impl Iterator<Item = (&CompactId, &V)> {
        self.map.iter()
    }

    /// Every id (as text) and its value, in the text order of the ids.
    pub fn sorted(&self) -> Vec<(String, &V)> {
        let mut all: Vec<(String, &V)> = self.map.iter().map(|(id, v)| (id.to_string(), v)).collect();
        all.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        all
    }
}

impl<V: fmt::Debug> fmt::Debug for IdMap<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.sorted()).finish()
    }
}

impl<V: Serialize> Serialize for IdMap<V> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.sorted())
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for IdMap<V> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let by_text = BTreeMap::<String, V>::deserialize(deserializer)?;
        Ok(IdMap::from_map(by_text.into_iter().map(|(id, v)| (CompactId::new(&id), v)).collect()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const IDS: [&str; 5] = [
        "f0000000-0000-4000-8000-000000000000",
        "B-upper",
        "0a000000-0000-4000-8000-000000000000",
        "oid",
        "0A000000-0000-4000-8000-000000000000",
    ];

    #[test]
    fn shows_and_saves_as_an_ordered_map_of_text_would() {
        let mut map = IdMap::default();
        let mut plain = BTreeMap::new();
        for (i, id) in IDS.iter().enumerate() {
            map.insert(id, i as u64);
            plain.insert(id.to_string(), i as u64);
        }
        let json = serde_json::to_string(&map).expect("serializes");
        assert_eq!(json, serde_json::to_string(&plain).expect("serializes"));
        assert_eq!(format!("{map:?}"), format!("{plain:?}"));
        let sorted: Vec<(String, u64)> = map.sorted().into_iter().map(|(id, v)| (id, *v)).collect();
        assert_eq!(sorted, plain.clone().into_iter().collect::<Vec<_>>());
        let back: IdMap<u64> = serde_json::from_str(&json).expect("deserializes");
        assert_eq!(back, map);
    }

    #[test]
    fn looks_up_by_the_exact_text() {
        let mut map = IdMap::default();
        for (i, id) in IDS.iter().enumerate() {
            assert_eq!(map.insert(id, i), None);
        }
        assert_eq!(map.len(), IDS.len());
        for (i, id) in IDS.iter().enumerate() {
            assert_eq!(map.get(id), Some(&i), "{id}");
        }
        assert_eq!(map.get("b-upper"), None, "case is part of the id");
        *map.get_mut("oid").expect("present") = 9;
        *map.entry("new").or_insert(0) += 1;
        assert_eq!((map.get("oid"), map.get("new")), (Some(&9), Some(&1)));
        assert_eq!(map.remove("oid"), Some(9));
        assert!(!map.contains_key("oid") && map.contains_key("new"));
        map.clear();
        assert!(map.is_empty());
    }

    #[test]
    fn every_write_gives_a_new_version_and_reads_keep_it() {
        let mut map = IdMap::default();
        let mut seen = vec![map.version()];
        map.insert("a", 1);
        seen.push(map.version());
        assert_eq!(map.get("a"), Some(&1));
        assert!(map.contains_key("a"));
        assert_eq!(map.version(), seen[1], "reads are not writes");
        map.get_mut("a");
        seen.push(map.version());
        map.entry("b").or_insert(2);
        seen.push(map.version());
        map.remove("a");
        seen.push(map.version());
        map.clear();
        seen.push(map.version());
        let restored: IdMap<u64> = serde_json::from_str("{}").expect("deserializes");
        seen.push(restored.version());
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen.len(), 7, "each write, and a restored map, has a version of its own");
        assert_eq!(map, restored, "equality ignores versions");
    }
}
