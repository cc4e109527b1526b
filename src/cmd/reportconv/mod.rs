//! Results into the one report model ([`crate::report::Report`]) every reporter reads: a scenario's
//! [`crate::engine::ScenarioResult`] becomes a suite with a case per step (`scenario`), a
//! [`crate::check::CheckResult`] becomes suites per check group (`check`, as `CheckResult::to_report`).
//!
//! ```text
//! ScenarioResult ──scenario_suite──▶ Suite ─┐
//! CheckResult ─────to_report────────▶ Report ┴─▶ report::Reporter (terminal, JSON, JUnit, HTML)
//! ```

mod check;
mod scenario;

pub use check::check_suites;
pub use scenario::{evidence, scenario_suite};
