//! Deterministic text of a run for snapshot tests and bug reports: [`transcript::render`] turns a
//! [`crate::engine::ScenarioResult`] into text, [`Redactor`] (from [`crate::redact`]) makes it stable across runs (ids
//! become `<user:alice>`-style aliases; timestamps, versions, ports and secrets become placeholders).

pub mod transcript;

/// The redactor lives in [`crate::redact`] (the engine uses it too); `snapshot::redact` stays a path to it.
pub use crate::redact::{self, Redactor};
pub use transcript::{render, render_with};
