//! Group updates Microsoft's validators send beyond Entra's member and rename `PATCH`es (ENTRA.md 7.1 tests
//! 20 and P5, 7.2 `Update_Group_Test`), each on a group of its own:
//! - `groups/<dialect>/add-remove-one-patch`: one PATCH that removes one member and adds another (the
//!   removal first, so that the "remove all members" hazard, reported by `remove-member`, cannot fail it);
//! - `groups/pathless-replace`: a path-less `replace` of `displayName` and `externalId`;
//! - `groups/update-description`: a `replace` of `description`.

use serde_json::{json, Value as Json};

use super::attr::get_ci;
use super::ctx::{Ctx, Outcome, Stop};
use super::groups::{members, patch_group, unverifiable};
use super::judge::{expect_object, expect_status};
use super::model::Problem;
use crate::engine::dialect::{self, Dialect};
use crate::scim::client::{Exchange, Method, Request};

/// `groups/<dialect>/add-remove-one-patch`.
pub async fn add_remove_one_patch(ctx: &mut Ctx, dialect: Dialect) -> Outcome {
    let (gid, _) = ctx.setup_group("swap").await?;
    let (leaving, _) = ctx.setup_user("member").await?;
    let (joining, _) = ctx.setup_user("member").await?;
    let add = dialect::members_add_ops(dialect, &ctx.fidelity, std::slice::from_ref(&leaving), 50);
    patch_group(ctx, &gid, add, "accept `Add members`")
        .await
        .map_err(|_| Stop::Skip("could not add the first member (see `add-member`)".into()))?;
    let (before, listed) = members(ctx, &gid).await?;
    let lists_members = listed.is_some_and(|l| l.contains(&leaving));
    let mut ops = dialect::members_remove_ops(dialect, &ctx.fidelity, std::slice::from_ref(&leaving), 50);
    ops.extend(dialect::members_add_ops(dialect, &ctx.fidelity, std::slice::from_ref(&joining), 50));
    let hint = "apply every operation of a group PATCH: here one member removal and one member addition";
    let ex = patch_group(ctx, &gid, ops, hint).await?;
    if !lists_members {
        unverifiable(ctx, &before);
        return Ok(format!("{} → {}", ex.request_line(), ex.status.unwrap_or(0)));
    }
    // The endpoint lists members: a group without `members` now has none.
    let (get, list) = members(ctx, &gid).await?;
    let list = list.unwrap_or_default();
    let mut wrong = Vec::new();
    if list.contains(&leaving) {
        wrong.push(format!("still lists the removed member `{leaving}`"));
    }
    if !list.contains(&joining) {
        wrong.push(format!("does not list the added member `{joining}`"));
    }
    if !wrong.is_empty() {
        return Err(Stop::Fail(Problem::error(
            "members_not_applied",
            format!("after {}, {} {}", ex.request_line(), get.request_line(), wrong.join(" and ")),
            hint,
            Some(&get),
        )));
    }
    Ok(format!("{} (remove + add) → {}; both applied", ex.request_line(), ex.status.unwrap_or(0)))
}

async fn read(ctx: &mut Ctx, id: &str) -> Result<(Exchange, Json), Stop> {
    let get = ctx
        .send(Request::new(Method::Get, format!("/Groups/{id}")).query("excludedAttributes", "members").verification());
    let get = get.await?;
    expect_status(&get, &[200], "get_status", "serve GET /Groups/{id}?excludedAttributes=members")?;
    let group = expect_object(&get)?.clone();
    Ok((get, group))
}

/// Sends `operations` to a new group and fails unless every `(attribute, value)` reads back.
async fn update(
    ctx: &mut Ctx,
    label: &str,
    operations: impl Fn(&str) -> (Vec<Json>, Vec<(&'static str, Json)>),
    hint: &str,
) -> Outcome {
    let (gid, _) = ctx.setup_group(label).await?;
    let fresh = ctx.unique(label);
    let (ops, expected) = operations(&fresh);
    let ex = patch_group(ctx, &gid, ops, hint).await?;
    let (get, group) = read(ctx, &gid).await?;
    let wrong: Vec<String> = expected
        .iter()
        .filter(|(attr, value)| get_ci(&group, attr) != Some(value))
        .map(|(attr, value)| format!("`{attr}` = {}, expected {value}", get_ci(&group, attr).unwrap_or(&Json::Null)))
        .collect();
    if !wrong.is_empty() {
        return Err(Stop::Fail(Problem::error(
            "not_stored",
            format!("after {}, {} returned {}", ex.request_line(), get.request_line(), wrong.join("; ")),
            hint,
            Some(&get),
        )));
    }
    Ok(format!("{} → {}; read back", ex.request_line(), ex.status.unwrap_or(0)))
}

/// `groups/pathless-replace`.
pub async fn pathless_replace(ctx: &mut Ctx) -> Outcome {
    let operations = |fresh: &str| {
        let external = format!("ext-{fresh}");
        let op = json!({"op": "replace", "value": {"displayName": fresh, "externalId": external}});
        (vec![op], vec![("displayName", json!(fresh)), ("externalId", json!(external))])
    };
    let hint = "apply a path-less `replace` whose value names group attributes (`displayName`, `externalId`)";
    update(ctx, "pathless", operations, hint).await
}

/// `groups/update-description`.
pub async fn update_description(ctx: &mut Ctx) -> Outcome {
    let operations = |fresh: &str| {
        let description = format!("Described {fresh}");
        let op = json!({"op": "replace", "path": "description", "value": description});
        (vec![op], vec![("description", json!(description))])
    };
    let hint = "store a group's `description` as sent and return it on GET: not a core Group attribute \
                (RFC 7643), but Microsoft's gallery validation (Update_Group_Test) changes it";
    update(ctx, "described", operations, hint).await
}
