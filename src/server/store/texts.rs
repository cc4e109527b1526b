//! Where a table's stored texts live: packed one after another into chunks of 64 KiB ([`Texts`]), not one
//! allocation each. A text of ~1.2 KB on its own was rounded up to the allocator's next size class (~12% on
//! average) and the allocator kept freed blocks of replaced texts in pages shared with short-lived request
//! buffers: the endpoint's resident memory was ~1.6 times the live heap. In a chunk a text takes its length.
//!
//! A record names its text by chunk, start and length ([`TextRef`]). Replacing or deleting a text leaves a
//! hole; a chunk whose live texts drop below three quarters of what it holds is compacted: its live texts
//! move to the chunk being filled and it is freed ([`Table::compact`]), so holes stay within a third of the
//! live bytes, and a chunk whose texts all died goes at once. A text longer than a quarter of a chunk (a
//! large group) gets a chunk of its own, of its exact size.

use super::record::{Record, RecordView};
use super::Table;

/// The size of a chunk texts are packed into (a size class of its own in the allocator).
const CHUNK: usize = 64 * 1024;

/// A text longer than this gets a chunk of its own.
const OWN_CHUNK: usize = CHUNK / 4;

/// Where a record's text sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) struct TextRef {
    chunk: u32,
    start: u32,
    len: u32,
}

/// One chunk: texts appended until it is full.
#[derive(Default)]
struct Chunk {
    /// The texts, back to back (its capacity is fixed when the chunk is made).
    text: String,
    /// Bytes of the texts still in use.
    live: usize,
    /// Each text appended, by start, with the slot of the record it was written for.
    owners: Vec<(u32, u32)>,
}

/// The texts of one table.
#[derive(Default)]
pub(super) struct Texts {
    /// By chunk number; a freed chunk stays as an empty one until its number is reused.
    chunks: Vec<Chunk>,
    /// Numbers of freed chunks.
    free: Vec<u32>,
    /// The chunk being filled.
    filling: Option<u32>,
    /// The chunk that was being filled until the last [`Texts::put`] started another: holes made while it
    /// was filling are looked at then.
    retired: Option<u32>,
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl Texts {
    /// The text at `at`.
    pub fn get(&self, at: TextRef) -> &str {
        let start = at.start as usize;
        self.chunks.get(at.chunk as usize).and_then(|c| c.text.get(start..start + at.len as usize)).unwrap_or_default()
    }

    /// Stores `text` for the record in `slot`.
    fn put(&mut self, text: &str, slot: u32) -> TextRef {
        let fits = |c: &Chunk| c.text.capacity() - c.text.len() >= text.len();
        let chunk = if text.len() > OWN_CHUNK {
            self.new_chunk(text.len())
        } else {
            match self.filling.filter(|&n| fits(&self.chunks[n as usize])) {
                Some(n) => n,
                None => {
                    let n = self.new_chunk(CHUNK);
                    self.retired = self.filling.replace(n);
                    n
                }
            }
        };
        let c = &mut self.chunks[chunk as usize];
        let start = to_u32(c.text.len());
        c.text.push_str(text);
        c.live += text.len();
        c.owners.push((start, slot));
        TextRef { chunk, start, len: to_u32(text.len()) }
    }

    fn new_chunk(&mut self, capacity: usize) -> u32 {
        let chunk = Chunk { text: String::with_capacity(capacity), live: 0, owners: Vec::new() };
        match self.free.pop() {
            Some(n) => {
                self.chunks[n as usize] = chunk;
                n
            }
            None => {
                self.chunks.push(chunk);
                to_u32(self.chunks.len() - 1)
            }
        }
    }

    /// Marks the text at `at` unused.
    fn release(&mut self, at: TextRef) {
        if let Some(c) = self.chunks.get_mut(at.chunk as usize) {
            c.live -= (at.len as usize).min(c.live);
        }
    }

    /// Whether chunk `n` should be compacted: it is not being filled and less than three quarters of what
    /// it holds is live. A chunk with nothing live is freed here.
    fn sparse(&mut self, n: u32) -> bool {
        let Some(c) = self.chunks.get(n as usize) else { return false };
        if self.filling == Some(n) || c.text.capacity() == 0 {
            return false;
        }
        if c.live == 0 {
            self.drop_chunk(n);
            return false;
        }
        c.live * 4 < c.text.len() * 3
    }

    fn drop_chunk(&mut self, n: u32) {
        self.chunks[n as usize] = Chunk::default();
        self.free.push(n);
    }

    /// Bytes held for texts (chunk capacities) and bytes of live texts.
    #[cfg(test)]
    pub fn footprint(&self) -> (usize, usize) {
        self.chunks.iter().fold((0, 0), |(held, live), c| (held + c.text.capacity(), live + c.live))
    }
}

impl Table {
    /// A record with its text.
    pub(super) fn view<'a>(&'a self, rec: &'a Record) -> RecordView<'a> {
        RecordView { rec, json: self.texts.get(rec.text) }
    }

    /// Puts `rec` with its text `json` in `slot` (a new slot at the end, or the one of the version it
    /// replaces).
    pub(super) fn put(&mut self, slot: u32, mut rec: Record, json: &str) {
        rec.text = self.texts.put(json, slot);
        let old = match self.slots.get_mut(slot as usize) {
            Some(place) => place.replace(rec).map(|old| old.text),
            None => {
                self.slots.push(Some(rec));
                None
            }
        };
        self.settle(old);
    }

    /// Replaces the text of the record in `slot`.
    pub(super) fn set_text(&mut self, slot: u32, json: &str) {
        let new = self.texts.put(json, slot);
        let old =
            self.slots.get_mut(slot as usize).and_then(Option::as_mut).map(|rec| std::mem::replace(&mut rec.text, new));
        self.settle(old);
    }

    /// Takes the record out of `slot` (a delete), with its text.
    pub(super) fn take(&mut self, slot: u32) -> Option<(Record, String)> {
        let rec = self.slots.get_mut(slot as usize).and_then(Option::take)?;
        let json = self.texts.get(rec.text).to_string();
        self.settle(Some(rec.text));
        Some((rec, json))
    }

    /// Releases the text at `old` and compacts the chunks that became sparse: its own, and any chunk that
    /// stopped being filled meanwhile.
    fn settle(&mut self, old: Option<TextRef>) {
        let mut look = None;
        if let Some(old) = old {
            self.texts.release(old);
            look = Some(old.chunk);
        }
        while let Some(n) = look.take().or_else(|| self.texts.retired.take()) {
            if self.texts.sparse(n) {
                self.compact(n);
            }
        }
    }

    /// Moves the live texts of `chunk` to the chunk being filled and frees it.
    fn compact(&mut self, chunk: u32) {
        let old = std::mem::take(&mut self.texts.chunks[chunk as usize]);
        for &(start, slot) in &old.owners {
            let Some(rec) = self.slots.get_mut(slot as usize).and_then(Option::as_mut) else { continue };
            if rec.text.chunk != chunk || rec.text.start != start {
                continue;
            }
            let from = start as usize;
            let text = old.text.get(from..from + rec.text.len as usize).unwrap_or_default();
            rec.text = self.texts.put(text, slot);
        }
        self.texts.drop_chunk(chunk);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::store::record::Id;
    use crate::server::store::Kind;

    fn text(slot: u32, round: u32) -> String {
        format!("{{\"slot\":{slot},\"round\":{round},\"pad\":\"{}\"}}", "é".repeat((slot * 7 + round) as usize % 900))
    }

    fn record() -> Record {
        Record::new(Kind::User, Id::random(), serde_json::json!({}), "", 1, &[]).0
    }

    /// Texts read back as written through replacements, deletes and the compactions they cause, and the
    /// chunks hold at most a third more than the live texts (plus the chunk being filled).
    #[test]
    fn texts_survive_replacement_deletion_and_compaction() {
        let mut table = Table::default();
        let n = 3_000u32;
        let mut expected: Vec<Option<String>> = Vec::new();
        for slot in 0..n {
            let t = text(slot, 0);
            table.put(slot, record(), &t);
            expected.push(Some(t));
        }
        for round in 1..4u32 {
            for slot in (0..n).filter(|s| (s + round) % 3 != 0) {
                if slot % 11 == round {
                    table.take(slot);
                    expected[slot as usize] = None;
                } else if expected[slot as usize].is_some() {
                    let t = text(slot, round);
                    if slot % 2 == 0 {
                        table.set_text(slot, &t);
                    } else {
                        table.put(slot, record(), &t);
                    }
                    expected[slot as usize] = Some(t);
                }
            }
            for (slot, want) in expected.iter().enumerate() {
                let got = table.slots[slot].as_ref().map(|rec| table.view(rec).json);
                assert_eq!(got, want.as_deref(), "slot {slot} after round {round}");
            }
            let (held, live) = table.texts.footprint();
            let want: usize = expected.iter().flatten().map(String::len).sum();
            assert_eq!(live, want, "live bytes after round {round}");
            // Three quarters live, less the unused ends of chunks, plus the chunk being filled.
            assert!(held * 10 <= live * 14 + 10 * CHUNK, "{held} held for {live} after round {round}");
        }
        let big = "x".repeat(OWN_CHUNK + 1);
        table.set_text(0, &big);
        assert_eq!(table.slots[0].as_ref().map(|rec| table.view(rec).json), Some(big.as_str()));
        table.set_text(0, "{}");
        assert!(table.texts.chunks.iter().all(|c| c.text.capacity() != big.len()), "a text's own chunk goes with it");
        assert_eq!(table.slots[0].as_ref().map(|rec| table.view(rec).json), Some("{}"));
    }
}
