//! Scenario files: a scripted Entra source directory, the steps the simulated provisioning service takes,
//! and what each step is expected to produce. This module owns the file format (user reference:
//! `docs/scenario-format.md`), turns a file into a validated [`Scenario`] and finds scenario files.
//!
//! ```text
//! file.toml ──load.rs (read)──▶ text ──raw.rs (toml spanned tree, typed readers)──▶ parse.rs/entity.rs/
//! step.rs/expect.rs (validate, resolve aliases on a shadow Directory, collect every error)──▶ Scenario
//! ```
//!
//! # Format
//!
//! ```toml
//! description = "a disabled user is disabled in the target"
//! mapping = "entra-default"          # preset name, or a mapping TOML / schema JSON path relative to this file
//! dialect = "legacy"                 # optional: legacy | compliant (default: from the tenant URL)
//!
//! [settings]                         # all optional
//! scope = "assigned"                 # assigned (default) | all
//! actions = ["create", "update", "delete"]
//! skip_out_of_scope_deletions = false
//! provision_groups = true
//! deletion_threshold = 500           # accidental-deletion prevention
//! concurrency = 4
//!
//! [embedded]                         # switches of the embedded endpoint, passed through as written
//! drop_attributes = ["title"]
//!
//! [generate]                         # optional synthetic tenant: users u000001.., groups g0001..
//! users = 1000
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
//! manager = "bob"                    # alias of another user (may be defined later)
//! assigned = true                    # default true
//! accountEnabled = true              # default true
//! soft_deleted = false               # default false: starts in the recycle bin
//! proxyAddresses = ["SMTP:alice@contoso.com"]
//!
//! [[groups]]
//! id = "eng"
//! displayName = "Engineering"        # required
//! members = ["alice"]                # user aliases; a group alias here is nested: warned, not provisioned
//! assigned = true                    # default true
//!
//! [[steps]]
//! cycle = "initial"
//! expect = { creates = 1, requests = ['GET /Users?filter=userName eq "alice@contoso.com"', "POST /Users"] }
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
//! Step keys (exactly one per step): `test_connection = true`, `cycle = "initial" | "incremental"`,
//! `add = { id = .., attrs.. }`, `update = "<user>"` + `set = {..}` / `unset = [..]`, `assign`, `unassign`,
//! `disable`, `enable`, `soft_delete`, `restore`, `hard_delete`, `on_demand = "<user or group>"`,
//! `restart = true | "full"`, `steady = true`, `add_group = {..}`, `rename_group` + `to`,
//! `add_member`/`remove_member` + `user`, `assign_group`, `unassign_group`, `delete_group`,
//! `target_edit = "<user or group>"` + `set`/`unset` (SCIM paths, applied in the target outside Entra).
//! Every step may have `name` and, when it sends requests, `expect`:
//!
//! | step | `expect` keys |
//! |---|---|
//! | `test_connection` | `outcome`, `requests`, `no_requests`, `findings` |
//! | `cycle`, `restart` | `creates`, `updates`, `disables`, `enables`, `deletes`, `skips`, `failures`, `requests`, `no_requests`, `findings`, `outcome` |
//! | `on_demand` | `action`, `outcome`, `requests`, `no_requests`, `findings` |
//! | `steady` | `steady`, `flapping`, `findings`, `requests`, `no_requests` |
//!
//! Request lines are `METHOD /path[?query]` relative to the target URL; see [`RequestPattern`] for
//! matching. Every mistake is reported at once with `file:line:col`: TOML syntax, unknown keys (with
//! "did you mean"), wrong types, steps with no or several actions, unknown or deleted aliases (taking
//! earlier `add` steps into account), duplicate ids, unknown attribute names, `expect` keys a step kind does
//! not check. Nested groups and steps that change nothing are warnings.

mod entity;
mod expect;
mod load;
mod model;
mod parse;
mod raw;
mod request;
mod step;
#[cfg(test)]
mod tests;

pub use load::{discover, load, parse_str, DiscoverError, Loaded};
pub use model::{
    mutation_key, Action, CycleKind, Dialect, Embedded, Expect, Located, MappingRef, ObjectAlias, OnDemandAction,
    Outcome, Restart, Scenario, Scope, Settings, Step, TargetActions, TargetEdit, TargetSeed,
};
pub use request::RequestPattern;
