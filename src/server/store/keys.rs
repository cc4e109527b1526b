//! The store's index from a key (a lower-cased name, an `externalId`, a lower-cased email) to the slots whose
//! documents hold it, kept without the keys: each entry is the key's 32-bit hash and a slot, 8 bytes, where a
//! map from owned strings to slot lists took an entry, an allocation for the key and one for the list (~100
//! bytes per key). A lookup answers every slot whose key hashes the same, so it is a superset: a query
//! evaluates its whole filter on every candidate anyway, and the uniqueness check compares the candidates'
//! names ([`Store::check_unique`](super::Store)).

use std::hash::BuildHasher;

use hashbrown::HashTable;
use rustc_hash::FxBuildHasher;

/// Key hashes and the slots holding those keys; a slot is listed once per distinct key it holds.
#[derive(Default)]
pub(super) struct KeyIndex(HashTable<(u32, u32)>);

fn key_hash(key: &str) -> u32 {
    let h = FxBuildHasher.hash_one(key);
    (h ^ (h >> 32)) as u32
}

/// The table's hash of a key hash: the table reads its top bits too.
fn spread(h: u32) -> u64 {
    u64::from(h).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

impl KeyIndex {
    /// Lists `slot` under `key` (once per call: callers add each distinct key of a document once).
    pub fn insert(&mut self, key: &str, slot: u32) {
        let h = key_hash(key);
        self.0.insert_unique(spread(h), (h, slot), |&(h, _)| spread(h));
    }

    /// Takes one listing of `slot` under `key` away.
    pub fn remove(&mut self, key: &str, slot: u32) {
        let h = key_hash(key);
        if let Ok(entry) = self.0.find_entry(spread(h), |&(eh, s)| eh == h && s == slot) {
            entry.remove();
        }
    }

    /// The slots that may hold `key`, in ascending order, each once.
    pub fn get(&self, key: &str) -> Vec<u32> {
        let h = key_hash(key);
        let mut slots: Vec<u32> = self.0.iter_hash(spread(h)).filter(|(eh, _)| *eh == h).map(|&(_, s)| s).collect();
        slots.sort_unstable();
        slots.dedup();
        slots
    }
}

/// Every listing, as (key hash, slot) in order, for tests that compare two indexes.
#[cfg(test)]
impl KeyIndex {
    pub fn entries(&self) -> Vec<(u32, u32)> {
        let mut entries: Vec<(u32, u32)> = self.0.iter().copied().collect();
        entries.sort_unstable();
        entries
    }
}

/// Two different keys with the same hash, for tests of the candidates' checks.
#[cfg(test)]
pub(super) fn colliding_keys() -> (String, String) {
    let mut seen = rustc_hash::FxHashMap::default();
    for i in 0u32.. {
        let key = format!("user{i}");
        if let Some(other) = seen.insert(key_hash(&key), key.clone()) {
            return (other, key);
        }
    }
    unreachable!("32-bit hashes collide long before the counter wraps")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_come_and_go_per_key() {
        let mut index = KeyIndex::default();
        index.insert("a", 3);
        index.insert("a", 1);
        index.insert("b", 3);
        assert_eq!(index.get("a"), vec![1, 3]);
        assert_eq!(index.get("b"), vec![3]);
        assert!(index.get("c").is_empty());
        index.remove("a", 3);
        assert_eq!(index.get("a"), vec![1]);
        assert_eq!(index.get("b"), vec![3], "another key of the same slot stays");
        index.remove("a", 7);
        assert_eq!(index.get("a"), vec![1], "removing what is not there changes nothing");
        for i in 0..10_000 {
            index.insert(&format!("k{i}"), i);
        }
        assert_eq!(index.get("k4242"), vec![4242]);
    }
}
