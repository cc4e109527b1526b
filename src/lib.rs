//! entrasim simulates the Microsoft Entra ID provisioning service and drives it against any SCIM 2.0
//! endpoint: Test Connection, initial and incremental sync cycles, soft and hard deletes, groups,
//! provision on demand, steady-state checks and deterministic transcripts for snapshot tests.
//!
//! The layout and the contracts between modules are described in `docs/ARCHITECTURE.md`.

pub mod app;
pub mod bench;
pub mod check;
pub mod cli;
pub mod cmd;
pub mod diagnostic;
pub mod directory;
pub mod engine;
pub mod error;
pub mod exit;
pub mod fidelity;
pub mod graph;
pub mod logs;
pub mod mapping;
pub mod paint;
pub mod portal;
pub mod redact;
pub mod report;
pub mod scenario;
pub mod scim;
pub mod server;
pub mod snapshot;
pub mod tenant;
pub mod unique;
