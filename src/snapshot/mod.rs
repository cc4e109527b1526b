//! Deterministic text of a run for snapshot tests and bug reports: [`transcript::render`] turns a
//! [`crate::engine::ScenarioResult`] into text, [`redact::Redactor`] makes it stable across runs (ids
//! become `<user:alice>`-style aliases; timestamps, versions, ports and secrets become placeholders).

pub mod redact;
pub mod transcript;

pub use redact::Redactor;
pub use transcript::{render, render_with};
