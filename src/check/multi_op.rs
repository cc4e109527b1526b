//! The `users/<dialect>` checks for PATCH forms Microsoft's validators send and Entra's sync rarely does
//! (ENTRA.md 7.1 P1/P2, 7.2 `SCIM_Null_Update_Test`), each on a user of its own and verified by reading
//! the user back:
//! - `null-update`: clear optional attributes with `""` and with `null`; they must read back empty;
//! - `multi-op`: `replace`, `add` and `remove` on different attributes in one PATCH;
//! - `multi-op-same-attribute`: two `replace` operations on `displayName` in one PATCH; the last wins.

use serde_json::{json, Value as Json};

use super::attr::get_ci;
use super::ctx::{Ctx, Outcome, Stop};
use super::judge::{expect_object, expect_status};
use super::model::Problem;
use super::updates::patch;
use crate::engine::dialect::{Dialect, OpKind};
use crate::scim::client::{Exchange, Method, Request};

/// The checks of this module, in run order.
pub async fn run(ctx: &mut Ctx, group: &str, dialect: Dialect) {
    let mark = ctx.mark();
    let outcome = null_update(ctx, dialect).await;
    ctx.finish(group, "null-update", mark, outcome).await;
    let mark = ctx.mark();
    let outcome = multi_op(ctx, dialect).await;
    ctx.finish(group, "multi-op", mark, outcome).await;
    let mark = ctx.mark();
    let outcome = same_attribute(ctx, dialect).await;
    ctx.finish(group, "multi-op-same-attribute", mark, outcome).await;
}

fn op(dialect: Dialect, kind: OpKind, path: &str, value: Option<Json>) -> Json {
    let mut op = json!({"op": dialect.op(kind), "path": path});
    if let Some(value) = value {
        op["value"] = value;
    }
    op
}

async fn read(ctx: &mut Ctx, id: &str) -> Result<(Exchange, Json), Stop> {
    let get = ctx.send(Request::new(Method::Get, format!("/Users/{id}")).verification()).await?;
    expect_status(&get, &[200], "get_status", "serve GET /Users/{id} after a PATCH")?;
    let user = expect_object(&get)?.clone();
    Ok((get, user))
}

fn is_empty(value: Option<&Json>) -> bool {
    match value {
        None | Some(Json::Null) => true,
        Some(Json::String(s)) => s.is_empty(),
        Some(_) => false,
    }
}

/// Fails with `kind` naming every `(attribute, expected, got)` that differs.
fn differences(get: &Exchange, after: &Exchange, wrong: &[String], kind: &str, hint: &str) -> Result<(), Stop> {
    if wrong.is_empty() {
        return Ok(());
    }
    Err(Stop::Fail(Problem::error(
        kind,
        format!("after {}, {} returned {}", after.request_line(), get.request_line(), wrong.join("; ")),
        hint,
        Some(get),
    )))
}

async fn null_update(ctx: &mut Ctx, dialect: Dialect) -> Outcome {
    let (id, _) = ctx.setup_user("cleared").await?;
    let mut last = None;
    for (path, value) in [("title", json!("")), ("preferredLanguage", Json::Null), ("title", Json::Null)] {
        last = Some(patch(ctx, &id, vec![op(dialect, OpKind::Replace, path, Some(value))]).await?);
    }
    let last = last.expect("invariant: three PATCHes were sent");
    let (get, user) = read(ctx, &id).await?;
    let wrong: Vec<String> = ["title", "preferredLanguage"]
        .into_iter()
        .filter(|a| !is_empty(get_ci(&user, a)))
        .map(|a| format!("`{a}` = {}, expected it empty", get_ci(&user, a).unwrap_or(&Json::Null)))
        .collect();
    differences(
        &get,
        &last,
        &wrong,
        "null_not_applied",
        "treat `replace` with `\"\"` or `null` as clearing the attribute; return it absent (or empty)",
    )?;
    Ok(format!("`title` set to \"\" then null, `preferredLanguage` to null: {} returns both empty", get.request_line()))
}

async fn multi_op(ctx: &mut Ctx, dialect: Dialect) -> Outcome {
    let (id, _) = ctx.setup_user("multi").await?;
    let display = format!("Multi {}", ctx.tag);
    let nick = format!("nick-{}", ctx.tag);
    let ops = vec![
        op(dialect, OpKind::Replace, "displayName", Some(json!(display))),
        op(dialect, OpKind::Add, "nickName", Some(json!(nick))),
        op(dialect, OpKind::Remove, "title", None),
    ];
    let ex = patch(ctx, &id, ops).await?;
    let (get, user) = read(ctx, &id).await?;
    let mut wrong = Vec::new();
    for (attr, expected) in [("displayName", json!(display)), ("nickName", json!(nick))] {
        if get_ci(&user, attr) != Some(&expected) {
            wrong.push(format!("`{attr}` = {}, expected {expected}", get_ci(&user, attr).unwrap_or(&Json::Null)));
        }
    }
    if !is_empty(get_ci(&user, "title")) {
        wrong.push(format!("`title` = {}, expected it removed", get_ci(&user, "title").unwrap_or(&Json::Null)));
    }
    differences(
        &get,
        &ex,
        &wrong,
        "not_stored",
        "apply every operation of a PATCH, in order, whatever mix of `add`, `replace` and `remove` it carries",
    )?;
    Ok(format!("{} (replace, add, remove) → {}; read back", ex.request_line(), ex.status.unwrap_or(0)))
}

async fn same_attribute(ctx: &mut Ctx, dialect: Dialect) -> Outcome {
    let (id, _) = ctx.setup_user("same").await?;
    let last = format!("Second name {}", ctx.tag);
    let ops = vec![
        op(dialect, OpKind::Replace, "displayName", Some(json!("First name"))),
        op(dialect, OpKind::Replace, "displayName", Some(json!(last))),
    ];
    let ex = patch(ctx, &id, ops).await?;
    let (get, user) = read(ctx, &id).await?;
    let got = get_ci(&user, "displayName").cloned().unwrap_or(Json::Null);
    let wrong =
        if got == json!(last) { vec![] } else { vec![format!("`displayName` = {got}, expected {}", json!(last))] };
    differences(
        &get,
        &ex,
        &wrong,
        "not_stored",
        "apply the operations of a PATCH in order: a later operation on the same attribute overrides an earlier one",
    )?;
    Ok(format!(
        "{} (two replaces of `displayName`) → {}; the last one holds",
        ex.request_line(),
        ex.status.unwrap_or(0)
    ))
}
