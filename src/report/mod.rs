//! Reports of a `run` or `check`: pure renderers of a [`Report`] (hyperfine's exporter shape). `cmd/`
//! converts engine and check results into a [`Report`] and writes the files; nothing here does IO.
//!
//! ```text
//! ScenarioResult / CheckResult ──(cmd)──▶ Report ──▶ junit::render   → JUnit XML
//!                                              ├──▶ json::render    → versioned JSON (docs/report-json.md)
//!                                              └──▶ terminal::*      → status lines, failing cases, summary
//! ```
//!
//! [`paint::Paint`] carries the colour decision as a value into every text renderer.

pub mod html;
pub mod json;
pub mod junit;
mod model;
pub mod terminal;

/// The colour decision as a value ([`crate::paint`]); `report::paint` stays a path to it.
pub use crate::paint;
pub use model::{Case, Evidence, Finding, JobStatus, Outcome, Report, Severity, Suite, Totals};
