//! Reports of a `run` or `check`: one [`Reporter`] interface with an implementation per output — the
//! terminal [`terminal::Printer`], the [`json`], [`junit`] and [`html`] exporters (and next, the portal).
//! Each reporter takes live engine events while a scenario runs, each suite as it finishes and the whole
//! [`Report`] at the end; the renderers behind them are pure functions of the [`Report`] model (hyperfine's
//! exporter shape). `cmd/reportconv` converts engine and check results into that one model; `cmd/` picks
//! the reporters from the flags.
//!
//! ```text
//! engine Event ─────────────────────────────▶ Reporter::event     (progress bar, SLOW lines)
//! ScenarioResult / CheckResult ─(reportconv)▶ Suite ─▶ Reporter::suite  (status line, -v log, HTML extras)
//!                                             Report ─▶ Reporter::finish
//!                                                     ├─ terminal::Printer → summary
//!                                                     ├─ junit::Exporter   → JUnit XML
//!                                                     ├─ json::Exporter    → versioned JSON (docs/report-json.md)
//!                                                     └─ html::Exporter    → one self-contained page
//! ```
//!
//! [`paint::Paint`] carries the colour decision as a value into every text renderer; the terminal's
//! verbosity is a value too ([`terminal::Options`]).

pub mod html;
pub mod json;
pub mod junit;
mod model;
pub mod reporter;
pub mod terminal;

/// The colour decision as a value ([`crate::paint`]); `report::paint` stays a path to it.
pub use crate::paint;
pub use model::{Case, Evidence, Finding, JobStatus, Outcome, Report, Severity, Suite, Totals};
pub use reporter::{Finished, ReportError, Reporter, Reporters, Start};
