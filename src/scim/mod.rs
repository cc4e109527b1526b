//! The shared SCIM model, used by both sides of the wire: the client (`client`, which sends Entra's requests)
//! and the embedded server (`crate::server`, which answers them).
//!
//! Resources are `serde_json::Value`, stored and compared as sent. Around them:
//!
//! - [`model`]: schema URNs, `ListResponse` and error bodies, `scimType` keywords, JSON helpers;
//! - [`schema`]: the one table of attribute characteristics (RFC 7643), read by everything below;
//! - [`filter`]: RFC 7644 filters — parse (with byte offsets), evaluate, print;
//! - [`path`]: PATCH paths (`name.givenName`, `emails[type eq "work"].value`, URN paths) with get/set/remove;
//! - [`patch`]: PATCH wire types and an applier that accepts both Entra dialects.
//!
//! ```text
//! filter text ──filter::parse──▶ Filter ──matches(&Value)──▶ bool
//! path text ──path::AttrPath::parse──▶ AttrPath ──get/set/remove──▶ resource
//! PatchRequest ──patch::apply(&mut resource)──▶ resource (atomic: all operations or none)
//! ```

pub mod client;
pub mod dialect;
pub mod filter;
pub mod model;
pub mod oauth;
pub mod patch;
pub mod path;
pub mod schema;

pub use dialect::Dialect;
