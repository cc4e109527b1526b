//! [`CompactId`]: an object id as the engine keeps it for every user of a large cycle. Entra's objectIds
//! and most endpoints' ids are GUIDs; one held as a `String` costs 24 bytes plus a 40-byte allocation, as
//! 16 bytes it costs nothing on the heap. Any other text (an endpoint may answer with any id) is kept as
//! it came. The text always reads back exactly as given.

use std::fmt;

/// An id: the 16 bytes of a GUID written in its canonical form (lowercase, hyphenated), or any other
/// text as is. 24 bytes, like a `String` without its allocation. Its order is not the order of the texts
/// (whoever shows ids in order sorts their text).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CompactId {
    /// A GUID whose text was `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` in lowercase.
    Guid([u8; 16]),
    /// Any other text.
    Text(Box<str>),
}

impl CompactId {
    /// The id of `text`; `text` reads back unchanged ([`CompactId::with_str`], `to_string`).
    pub fn new(text: &str) -> Self {
        if text.len() == uuid::fmt::Hyphenated::LENGTH {
            if let Ok(guid) = uuid::Uuid::try_parse(text) {
                let mut buffer = uuid::Uuid::encode_buffer();
                if guid.hyphenated().encode_lower(&mut buffer) == text {
                    return CompactId::Guid(guid.into_bytes());
                }
            }
        }
        CompactId::Text(text.into())
    }

    /// Calls `f` with the id's text, written on the stack for a GUID.
    pub fn with_str<R>(&self, f: impl FnOnce(&str) -> R) -> R {
        match self {
            CompactId::Guid(bytes) => {
                let mut buffer = uuid::Uuid::encode_buffer();
                f(uuid::Uuid::from_bytes(*bytes).hyphenated().encode_lower(&mut buffer))
            }
            CompactId::Text(text) => f(text),
        }
    }
}

impl fmt::Display for CompactId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.with_str(|s| f.write_str(s))
    }
}

impl fmt::Debug for CompactId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.with_str(|s| fmt::Debug::fmt(s, f))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_id_reads_back_as_given() {
        let ids = [
            "2f1c4c2e-6a3b-4d1e-9f3a-0b5c7d9e1f20",
            "2F1C4C2E-6A3B-4D1E-9F3A-0B5C7D9E1F20",
            "{2f1c4c2e-6a3b-4d1e-9f3a-0b5c7d9e1f20}",
            "2f1c4c2e6a3b4d1e9f3a0b5c7d9e1f2000000",
            "urn:uuid:2f1c4c2e-6a3b-4d1e-9f3a-0b5c7d9e1f20",
            "42",
            "",
            "ünïcödé-id",
        ];
        for id in ids {
            assert_eq!(CompactId::new(id).to_string(), id);
            assert_eq!(CompactId::new(id).with_str(str::to_string), id);
        }
        assert!(matches!(CompactId::new(ids[0]), CompactId::Guid(_)));
        assert!(matches!(CompactId::new(ids[1]), CompactId::Text(_)), "uppercase is kept as written");
    }

    #[test]
    fn an_id_is_the_size_of_a_string_and_options_of_it_cost_nothing_more() {
        assert_eq!(std::mem::size_of::<CompactId>(), 24);
        assert_eq!(std::mem::size_of::<Option<Option<CompactId>>>(), 24);
    }
}
