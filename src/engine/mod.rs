//! The simulated Entra provisioning engine: Test Connection, initial and incremental cycles,
//! deprovisioning, groups, provision on demand and steady-state checks, against a SCIM endpoint reached
//! over real HTTP.
//!
//! ```text
//! Scenario + MappingSet ─▶ Runner ─┬─ scope    (pure: assignment, enabled, scoping filters)
//!                                  ├─ matching (pure: filter text; interpret ListResponse)
//!                                  ├─ diff     (pure: desired vs actual → AttrChange)
//!                                  ├─ dialect  (pure: AttrChange → legacy / compliant PATCH ops)
//!                                  ├─ action   (the only part that calls scim::Client)
//!                                  └─ cds      (connector data store: links, exported state, escrows)
//!                                        ▼
//!                                  ScenarioResult (findings are data)
//! ```

pub mod action;
pub mod cds;
mod check;
mod cycle;
mod deprovision;
pub mod dialect;
pub mod diff;
mod groups;
pub mod log;
mod manager;
pub mod mapper;
pub mod matching;
mod on_demand;
pub mod probe;
pub mod resource;
pub mod result;
mod run;
pub mod source;
pub mod state;
pub mod steady;
pub mod users;
mod view;

pub use dialect::Dialect;
pub use result::{CycleResult, Finding, ScenarioResult, StepResult, Summary};
pub use run::{run_scenario, run_with_mapper, switches, EngineError, RunOptions, Target};
pub use view::snapshot;
