//! The Microsoft Graph surface of a simulated tenant: the HTTP endpoints automation written against Graph
//! (PowerShell, `az rest`, the Graph SDKs) calls, answered from a live directory and provisioning job.
//!
//! ```text
//! client ──POST /{tenant}/oauth2/v2.0/token──▶ auth (client credentials → random bearer token, kept hashed)
//!        ──/v1.0|/beta/...  Bearer──▶ routes ─▶ users · groups · apps · sync · audit
//!                                                 │ read/write lock          │ async
//!                                                 ▼                          ▼
//!                                      Backend::directory()   Backend::{job, control, provision_on_demand, ...}
//! ```
//!
//! - [`Backend`] is the seam: `tenant` implements it over the job runner. Changes go through directory
//!   mutations under the write lock, so the next incremental cycle sees them in the change log.
//! - `delta` answers `users/delta` from the directory's change log; `batch` runs a `$batch`'s requests
//!   through the same routes.
//! - `odata` renders collections and entities (`@odata.context`, `$select`, `$top`, `$filter`, `$search`,
//!   `$orderby`, `$count`, `@odata.nextLink` on the request's own host); `filter` parses `$filter` and
//!   `search` parses `$search`; `shape` maps directory
//!   objects to Graph JSON and back; `error` writes Graph's error body with request ids on every error.
//! - What is supported, and where the simulator differs from Graph: `docs/tenant.md`.

mod apps;
mod audit;
mod audit_steps;
mod auth;
pub mod backend;
mod batch;
mod delta;
mod error;
mod filter;
mod groups;
mod job;
mod objects;
mod odata;
mod on_demand;
mod routes;
mod search;
mod shape;
mod sync;
mod users;

pub use auth::{secret_sha256, TokenStore, Tokens};
pub use backend::{
    Backend, BackendError, BoxFuture, Execution, ExecutionState, Initiator, JobCommand, JobError, JobSchedule,
    JobStatus, JobView, LoggedEvent, OnDemandTarget, PackedFacts, Progress, Quarantine, ScheduleState, SourceFacts,
    StatusCode, TenantIdentity,
};
pub use routes::{router, router_with_tokens};
