//! Scenario files: a scripted Entra source directory, the steps the simulated provisioning service takes,
//! and what each step is expected to produce. This module owns the file format (user reference:
//! `docs/scenario-format.md`), turns a file into a validated [`Scenario`] and finds scenario files.
//!
//! ```text
//! file.toml ──load.rs (read)──▶ text ──raw.rs (toml spanned tree, typed readers)──▶ parse.rs/entity.rs/
//! step.rs/expect.rs/shadow.rs/duration.rs/faults.rs (validate, resolve aliases on a shadow Directory,
//! collect every error)──▶ Scenario
//! ```
//!
//! # Format
//!
//! A scenario is one TOML file: the source directory, the job's settings, optional target setup, and
//! ordered steps with expectations. Complete reference with every key: `docs/scenario-format.md`.
//!
//! ```toml
//! description = "a disabled user is disabled in the target"
//! mapping = "entra-default"          # preset name, or a mapping TOML / schema JSON path relative to this file
//! dialect = "legacy"                 # optional: legacy | compliant (default: from the tenant URL)
//! snapshot = "full"                  # optional: full (default) | compact (huge tenants: counts + hash)
//!
//! [settings]                         # all optional
//! scope = "assigned"                 # assigned (default) | all
//! actions = ["create", "update", "delete"]
//! skip_out_of_scope_deletions = false
//! provision_groups = true
//! deletion_threshold = 500           # accidental-deletion prevention
//! concurrency = 4
//! escrow_retry = "next_cycle"        # next_cycle (default) | backoff: 6 h, 12 h, 24 h, then daily
//! group_adscim_schema = true         # wire switches (src/fidelity.rs): shapes Microsoft's sources disagree on
//!
//! [embedded]                         # switches of the embedded endpoint, passed through as written
//! drop_attributes = ["title"]
//!
//! [generate]                         # optional synthetic tenant: users u000001.., groups g0001..
//! users = 100
//! groups = 20
//! seed = 7
//!
//! [[target.users]]                   # resources already in the target (setup, not Entra traffic)
//! userName = "bob@contoso.com"
//!
//! [[users]]
//! id = "alice"                       # alias; objectId is derived from it (or give `objectId`)
//! userPrincipalName = "alice@contoso.com"
//! displayName = "Alice Doe"
//! manager = "bob"                    # alias of another user (may be defined further down)
//! assigned = true                    # default true
//! accountEnabled = true              # default true
//! soft_deleted = false               # default false: true starts the user in the recycle bin
//! proxyAddresses = ["SMTP:alice@contoso.com"]   # any Entra attribute; arrays are multi-valued
//!
//! [[users]]
//! id = "bob"
//! userPrincipalName = "bob@contoso.com"
//! displayName = "Bob Smith"
//!
//! [[groups]]
//! id = "eng"
//! displayName = "Engineering"        # required
//! members = ["alice"]                # user aliases; a group alias is a nested group: warned, not provisioned
//! assigned = true                    # default true
//!
//! [[steps]]
//! test_connection = true
//! expect = { outcome = "success" }
//!
//! [[steps]]
//! cycle = "initial"
//! expect = { creates = 103, requests = ['GET /Users?filter=userName eq "alice@contoso.com"', "POST /Users"] }
//!
//! [[steps]]
//! disable = "alice"
//!
//! [[steps]]
//! name = "the disable flows as active=false"
//! cycle = "incremental"
//! expect = { disables = 1, requests = ["PATCH /Users/{id}"] }
//! ```
//!
//! Step keys (exactly one per step):
//!
//! - provisioning (take `expect`): `test_connection = true`, `cycle = "initial" | "incremental"`,
//!   `on_demand = "<user or group>"`, `restart = true | "full"` (restart, then the initial cycle that
//!   follows; `"full"` also drops the links), `steady = true` (re-evaluate everything, expect no writes);
//! - directory changes: `add = { id = .., attributes.. }`, `update = "<user>"` + `set = {..}` and/or
//!   `unset = [..]`, `assign`, `unassign`, `disable`, `enable`, `soft_delete`, `restore`, `hard_delete`,
//!   `add_group = {..}`, `rename_group` + `to`, `add_member`/`remove_member` + `user`, `assign_group`,
//!   `unassign_group`, `delete_group`;
//! - target drift: `target_edit = "<user or group>"` + `set`/`unset` (SCIM paths, applied in the target
//!   outside Entra);
//! - time and the endpoint: `wait = "6h"` (simulated time passes; durations are `d`/`h`/`m`/`s` parts,
//!   [`duration`]), `embedded = { error_rate = 0.0 }` (the embedded endpoint's fault injection changes).
//!
//! Every step may have `name`. The `expect` keys each provisioning step accepts:
//!
//! | step | `expect` keys |
//! |---|---|
//! | `test_connection` | `outcome`, `requests`, `no_requests`, `findings` |
//! | `cycle`, `restart` | `creates`, `updates`, `disables`, `enables`, `deletes`, `skips`, `failures`, `retries`, `not_due`, `escrows`, `given_up`, `quarantine`, `interval`, `job`, `requests`, `no_requests`, `findings`, `outcome` |
//! | `on_demand` | `action`, `outcome`, `requests`, `no_requests`, `findings` |
//! | `steady` | `steady`, `flapping`, `findings`, `requests`, `no_requests` |
//!
//! Request lines are `METHOD /path[?query]` relative to the target URL; see [`RequestPattern`] for how
//! they match. Every mistake is reported at once with `file:line:col`: TOML syntax, unknown keys (with
//! "did you mean"), wrong types, steps with no or several actions, unknown or deleted aliases (taking
//! earlier `add` steps into account), duplicate ids, unknown attribute names, `expect` keys a step kind does
//! not check. Nested groups and steps that change nothing are warnings.
//!
//! # Use
//!
//! [`discover`] expands paths to scenario files, [`load`] reads and validates one ([`parse_str`] does the
//! same from text), giving a [`Loaded`] scenario and its warnings or every diagnostic. The caller resolves
//! [`Scenario::mapping`] with `mapping::load(spec, base_dir)`, builds the target from [`Scenario::target`]
//! and [`Scenario::embedded`], and runs [`Scenario::steps`] against a copy of [`Scenario::directory`]:
//! [`Action::Change`] steps go to [`Directory::apply`](crate::directory::Directory::apply), which cannot
//! fail for a loaded scenario because loading applied them already.

pub mod duration;
mod entity;
mod expect;
mod faults;
mod load;
mod model;
mod parse;
mod raw;
mod request;
mod roles;
mod shadow;
mod step;
#[cfg(test)]
mod tests;

pub use load::{discover, load, parse_str, DiscoverError, Loaded};
pub use model::{
    mutation_key, Action, CycleKind, Dialect, Embedded, EscrowRetry, Expect, FaultChange, Located, MappingRef,
    ObjectAlias, OnDemandAction, Outcome, Restart, Scenario, Scope, Settings, SnapshotDetail, Step, TargetActions,
    TargetEdit, TargetSeed,
};
pub use request::RequestPattern;
