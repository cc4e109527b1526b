//! Attribute mappings (being written): expression language, functions, mappings, presets, scoping
//! filters and schema import.

mod value;

pub use value::{SourceObject, Value};
