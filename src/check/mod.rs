//! `entrasim check`: an offline equivalent of Microsoft's SCIM Validator plus everything Entra's sync
//! needs, run against any SCIM 2.0 endpoint. The user-facing list of checks is `docs/checks.md`.
//!
//! ```text
//! CheckOptions ─▶ run ─┬─ connection          Test Connection probes (random GUID, 200 + empty ListResponse)
//!                      ├─ credentials/oauth   with OAuth client credentials: token issued, 60–360 min, usable
//!                      ├─ schema/discovery    /Schemas and /ResourceTypes declare the mapping's targets
//!                      ├─ users               create, duplicate, matching filters, get, empty query, 404, delete,
//!                      │                      delete unknown / twice, pagination
//!                      ├─ users/<dialect>     one PATCH per attribute kind, read back; manager (3 ways);
//!                      │                      disable/enable; null update; multi-operation PATCHes
//!                      ├─ groups              create, excludedAttributes=members, different case, delete,
//!                      │                      path-less replace, description, delete unknown / twice, pagination
//!                      ├─ groups/<dialect>    member add, member removal (remove-all hazard), add + remove, rename
//!                      ├─ steady-state        the preset's mapped attributes round-trip unchanged
//!                      ├─ schema/attributes   (--schema discover) every declared attribute written and read
//!                      └─ cleanup             after each check, what it created is deleted by id
//!                               ▼
//!                         CheckResult ──to_report──▶ report::Report (JUnit / JSON / terminal)
//! ```
//!
//! Checks are independent: each one creates the users and groups it works on (with names unique to the
//! check) and deletes them when it ends, also when it fails midway, so an endpoint with one defect fails
//! exactly the checks about that defect; a check whose setup cannot be done is skipped, not failed. Objects that are not the run's own are never touched.
//! A failed check is data ([`CheckStatus::Fail`] with the exchange as evidence); [`CheckError`] is
//! only for runs that could not be carried out (unreachable endpoint, a mapping that does not load).

mod attr;
mod cleanup;
mod credentials;
mod ctx;
mod discovery;
mod group_edits;
mod groups;
mod judge;
mod manager;
mod matching;
mod model;
mod multi_op;
mod paging;
mod roles;
mod steady;
mod sweep;
mod updates;
mod users;

use std::future::Future;

pub use model::{evidence, Check, CheckError, CheckOptions, CheckResult, CheckStatus, Problem, RunEnd};
pub use steady::{mapped_values, source_user, MappedValue};

use crate::engine::Dialect;
use crate::mapping::MappingSet;
use crate::scim::client::{Client, TransportErrorKind};
use ctx::Ctx;
pub use ctx::RETRY_SLEEP_BUDGET;

/// Runs every selected check against the client's endpoint, cleaning up what it created. Ctrl-C stops
/// the checks, cleans up and returns a result that ends with [`RunEnd::Interrupted`].
pub async fn run(client: &Client, options: &CheckOptions) -> Result<CheckResult, CheckError> {
    run_until(client, options, ctrl_c()).await
}

/// [`run`] with the caller's cancel signal instead of Ctrl-C: when `cancel` completes, the running check is
/// abandoned, every created object is deleted, and the result ends with [`RunEnd::Interrupted`].
pub async fn run_until(
    client: &Client,
    options: &CheckOptions,
    cancel: impl Future<Output = ()>,
) -> Result<CheckResult, CheckError> {
    run_reporting(client, options, cancel, None).await
}

/// [`run`] that also sends each check, scrubbed, to `progress` as soon as it is recorded, so a caller can
/// report a group of checks while the next one runs. The result still holds every check.
pub async fn run_live(
    client: &Client,
    options: &CheckOptions,
    progress: tokio::sync::mpsc::UnboundedSender<Check>,
) -> Result<CheckResult, CheckError> {
    run_reporting(client, options, ctrl_c(), Some(progress)).await
}

async fn run_reporting(
    client: &Client,
    options: &CheckOptions,
    cancel: impl Future<Output = ()>,
    progress: Option<tokio::sync::mpsc::UnboundedSender<Check>>,
) -> Result<CheckResult, CheckError> {
    if options.dialects.is_empty() {
        return Err(CheckError::NoDialect);
    }
    let mapping = crate::mapping::load(&options.mapping, &options.mapping_dir)
        .map_err(|diagnostics| CheckError::Mapping { spec: options.mapping.clone(), diagnostics })?
        .set;
    let tag = options.run_tag.clone().unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string()[..8].to_string());
    let mut ctx = Ctx::new(client.clone(), tag);
    ctx.sleep_left = options.retry_sleep_budget;
    ctx.fidelity = options.fidelity;
    ctx.progress = progress;
    let end = {
        let checks = all_checks(&mut ctx, options, &mapping);
        tokio::pin!(cancel);
        tokio::select! {
            end = checks => end,
            () = &mut cancel => Ok(RunEnd::Interrupted),
        }
    };
    // Cleanup gets a budget of its own: leaving objects behind because the checks used it up is worse.
    ctx.sleep_left = options.retry_sleep_budget;
    let left_behind = cleanup::run(&mut ctx).await;
    let end = end?;
    let mut result = CheckResult {
        target: client.tenant().base.clone(),
        run_tag: ctx.tag.clone(),
        checks: std::mem::take(&mut ctx.checks),
        end,
        left_behind,
    };
    result.scrub(&client.scrubber());
    Ok(result)
}

async fn ctrl_c() {
    if tokio::signal::ctrl_c().await.is_err() {
        std::future::pending::<()>().await;
    }
}

async fn all_checks(ctx: &mut Ctx, options: &CheckOptions, mapping: &MappingSet) -> Result<RunEnd, CheckError> {
    let matching = matching::Matching::new(options.match_users.as_deref(), options.match_groups.as_deref(), mapping)
        .map_err(|reason| CheckError::MatchAttribute { reason })?;
    let probe = users::test_connection(ctx, options.groups, &matching).await;
    if let Some(first) = ctx.checks.first().and_then(|c| c.exchanges.first()) {
        match first.error {
            Some(TransportErrorKind::Connect) => {
                return Err(CheckError::Unreachable {
                    request: first.request_line(),
                    reason: TransportErrorKind::Connect.to_string(),
                })
            }
            // Every further request would wait for the timeout too.
            Some(kind) => {
                return Ok(RunEnd::Stopped { reason: format!("the Test Connection probe got no answer ({kind})") })
            }
            None => {}
        }
    }
    if let users::Probe::CredentialsRefused = probe {
        return Ok(RunEnd::Stopped { reason: "the endpoint refused the credentials".into() });
    }
    let mut dialects: Vec<Dialect> = Vec::new();
    for dialect in &options.dialects {
        if !dialects.contains(dialect) {
            dialects.push(*dialect);
        }
    }
    if let Some(oauth) = &options.oauth {
        credentials::run(ctx, oauth).await;
    }
    discovery::run(ctx, mapping, options.groups).await;
    users::run(ctx).await;
    if matching.chosen.0 {
        let mark = ctx.mark();
        let outcome = matching::filter_matching(ctx, "Users", &matching.users).await;
        ctx.finish("users", "filter-matching", mark, outcome).await;
    }
    for dialect in &dialects {
        updates::run(ctx, *dialect).await;
    }
    if let Some(function) = roles::function_of(mapping) {
        for dialect in &dialects {
            roles::run(ctx, *dialect, function).await;
        }
    }
    if options.groups {
        groups::run(ctx).await;
        if matching.chosen.1 {
            let mark = ctx.mark();
            let outcome = matching::filter_matching(ctx, "Groups", &matching.groups).await;
            ctx.finish("groups", "filter-matching", mark, outcome).await;
        }
        for dialect in &dialects {
            groups::run_dialect(ctx, *dialect).await;
        }
    }
    steady::run(ctx, &options.mapping, mapping).await;
    if options.attribute_sweep {
        sweep::run(ctx).await;
    }
    Ok(RunEnd::Completed)
}
