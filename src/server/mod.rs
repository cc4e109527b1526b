//! The embedded SCIM endpoint entrasim runs against when no `--target` is given: a faithful RFC 7643/7644
//! service provider for `/Users` and `/Groups` (with the enterprise User extension) that Entra's provisioning
//! service would accept, plus switches that reproduce the compatibility hazards and failures of real endpoints.
//!
//! ```text
//! start(ServerConfig) ─▶ ServerHandle { url: http://127.0.0.1:PORT/scim/v2, token }
//!   request ─▶ routes (auth, faults, routing) ─▶ request (path, query, body) ─▶ query (filter check, paging)
//!                 │                            └─▶ store (documents, indexes) ─▶ scim::{patch, filter}
//!                 └─▶ present (stored text or presented, lists) ─▶ reply (responses, errors)
//! ```
//!
//! Behaviour the engine and users can rely on:
//! - queries with no match answer 200 and an empty `ListResponse`; filters naming attributes the resource type
//!   does not have answer 400 `invalidFilter`;
//! - `userName` and group `displayName` are unique case-insensitively (409 `uniqueness`), also on renames;
//! - group members must be ids of existing users or groups (400 `invalidValue` otherwise); deleting a resource
//!   removes it from every group;
//! - a user's read-only `groups` is computed from memberships on every read (not filterable: query `/Groups`
//!   by `members` instead); it is not part of the user's `meta.version`;
//! - user PATCH answers 200 with the user, group PATCH answers 204; an operation assigning `null` to a path
//!   clears it (RFC 7643 §2.5);
//! - filters arrive `+`/`%22`-encoded or with literal quotes (both seen from Entra);
//! - request bodies are limited (default 4 MiB, 413 beyond) and must be `application/scim+json` or
//!   `application/json` (415 otherwise);
//! - a failed write changes nothing; concurrent writes are serialised, none is lost;
//! - fault injection can change while the endpoint runs ([`ServerHandle::set_faults`]); the other switches
//!   are fixed at start.

mod auth;
mod defects;
mod discovery;
mod error;
mod handle;
mod lenient;
mod present;
mod query;
mod reply;
mod request;
mod routes;
mod state;
mod store;
mod switches;

pub use error::ServerError;
pub use handle::{start, ResourceType, ServerConfig, ServerHandle, DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_RESULTS};
pub use switches::{FaultRates, Switches};
