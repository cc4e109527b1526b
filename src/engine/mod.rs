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

pub mod dialect;
pub mod diff;
pub mod result;

pub use dialect::Dialect;
pub use result::{CycleResult, Finding, ScenarioResult, StepResult, Summary};
