//! The `groups` and `groups/<dialect>` checks: create with Entra's body, reads with
//! `excludedAttributes=members`, member add, member removal in the dialect's form (with the
//! "remove all members" hazard), rename, delete (ENTRA.md 1.7, 2.2 row 4, 8.4).

use serde_json::{json, Value as Json};

use super::attr::get_ci;
use super::ctx::{Ctx, Outcome, Stop};
use super::judge::{expect_list, expect_object, expect_one, expect_status};
use super::model::Problem;
use super::users::{delete_then_gone, duplicate};
use crate::engine::dialect::{self, quote, Dialect, OpKind};
use crate::scim::client::{Exchange, Method, Request};

/// The `groups` group. Each check creates the group it needs under a name of its own, and its objects
/// are deleted when it ends: a duplicate the endpoint wrongly accepted cannot trip a later filter.
pub async fn run(ctx: &mut Ctx) {
    let mark = ctx.mark();
    let created = create(ctx).await;
    ctx.finish("groups", "create", mark, created.map(|(id, _)| format!("POST /Groups → 201 with id `{id}`"))).await;

    let mark = ctx.mark();
    let outcome = async {
        let (_, display) = ctx.setup_group("duplicate").await?;
        let hint =
            "reject a second group with the same displayName with 409 `uniqueness`: Entra requires unique group names";
        duplicate(ctx, "Groups", &super::ctx::entra_group_body(&display, &ctx.fidelity), &display, hint).await
    }
    .await;
    ctx.finish("groups", "duplicate-create", mark, outcome).await;

    for (name, upper) in [("filter-excluding-members", false), ("filter-different-case", true)] {
        let mark = ctx.mark();
        let outcome = async {
            let (id, display) = ctx.setup_group("filtered").await?;
            filter(ctx, &id, &display, upper).await
        }
        .await;
        ctx.finish("groups", name, mark, outcome).await;
    }

    let mark = ctx.mark();
    let outcome = async {
        let (id, _) = ctx.setup_group("read").await?;
        get_excluding(ctx, &id).await
    }
    .await;
    ctx.finish("groups", "get-by-id-excluding-members", mark, outcome).await;

    let mark = ctx.mark();
    let outcome = async {
        let (id, _) = ctx.setup_group("deleted").await?;
        delete_then_gone(ctx, "/Groups", &id).await
    }
    .await;
    ctx.finish("groups", "delete", mark, outcome).await;

    let mark = ctx.mark();
    let outcome = super::group_edits::pathless_replace(ctx).await;
    ctx.finish("groups", "pathless-replace", mark, outcome).await;
    let mark = ctx.mark();
    let outcome = super::group_edits::update_description(ctx).await;
    ctx.finish("groups", "update-description", mark, outcome).await;
    super::paging::run(ctx, "groups", "Groups").await;
}

/// The `groups/<dialect>` group.
pub async fn run_dialect(ctx: &mut Ctx, dialect: Dialect) {
    let group = format!("groups/{}", dialect.name());
    let mark = ctx.mark();
    let outcome = add_member(ctx, dialect).await;
    ctx.finish(&group, "add-member", mark, outcome).await;
    let mark = ctx.mark();
    let outcome = remove_member(ctx, dialect).await;
    ctx.finish(&group, "remove-member", mark, outcome).await;
    let mark = ctx.mark();
    let outcome = super::group_edits::add_remove_one_patch(ctx, dialect).await;
    ctx.finish(&group, "add-remove-one-patch", mark, outcome).await;
    let mark = ctx.mark();
    let outcome = rename(ctx, dialect).await;
    ctx.finish(&group, "rename", mark, outcome).await;
}

async fn create(ctx: &mut Ctx) -> Result<(String, String), Stop> {
    let name = ctx.unique("group");
    let ex = ctx
        .send(Request::new(Method::Post, "/Groups").body(super::ctx::entra_group_body(&name, &ctx.fidelity)))
        .await?;
    let id = ctx.register(&ex, "Groups", &name);
    expect_status(
        &ex,
        &[201],
        "create_status",
        "answer POST /Groups with 201 Created; accept Entra's extra ADSCIM schema URI",
    )?;
    expect_object(&ex)?;
    let id = id.ok_or_else(|| {
        Stop::Fail(Problem::error(
            "missing_id",
            format!("{} answered 201 without a string `id`", ex.request_line()),
            "return the created group with its `id`",
            Some(&ex),
        ))
    })?;
    Ok((id, name))
}

fn no_members(ctx: &mut Ctx, ex: &Exchange, resource: &Json) -> Result<(), Stop> {
    match get_ci(resource, "members") {
        None => Ok(()),
        Some(Json::Array(list)) if list.is_empty() => {
            ctx.note(Problem::warning(
                "members_not_excluded",
                format!("{} returned `members: []` despite excludedAttributes=members", ex.request_line()),
                "leave `members` out of responses when `excludedAttributes=members` is asked",
                Some(ex),
            ));
            Ok(())
        }
        Some(_) => Err(Stop::Fail(Problem::error(
            "members_not_excluded",
            format!("{} returned `members` despite excludedAttributes=members", ex.request_line()),
            "honour `excludedAttributes=members` on group queries and reads (large groups break Entra's parsing)",
            Some(ex),
        ))),
    }
}

async fn filter(ctx: &mut Ctx, id: &str, display: &str, upper: bool) -> Outcome {
    let value = if upper { display.to_uppercase() } else { display.to_string() };
    let ex = ctx
        .send(
            Request::new(Method::Get, "/Groups")
                .query("excludedAttributes", "members")
                .query("filter", format!("displayName eq {}", quote(&value))),
        )
        .await?;
    let hint = if upper {
        "compare group `displayName` case-insensitively, as Entra and the SCIM Validator expect"
    } else {
        "support `displayName eq` filters on /Groups together with `excludedAttributes=members`"
    };
    let group = expect_one(&ex, id, hint)?;
    no_members(ctx, &ex, &group)?;
    Ok(format!("{} → 1 result without members", ex.request_line()))
}

async fn get_excluding(ctx: &mut Ctx, id: &str) -> Outcome {
    let ex =
        ctx.send(Request::new(Method::Get, format!("/Groups/{id}")).query("excludedAttributes", "members")).await?;
    expect_status(&ex, &[200], "get_status", "serve GET /Groups/{id}?excludedAttributes=members")?;
    let group = expect_object(&ex)?.clone();
    no_members(ctx, &ex, &group)?;
    Ok(format!("{} → 200 without members", ex.request_line()))
}

/// Sends a group PATCH; 204 or 200 passes (200 with the member list is a warning).
pub async fn patch_group(ctx: &mut Ctx, id: &str, operations: Vec<Json>, hint: &str) -> Result<Exchange, Stop> {
    let ex =
        ctx.send(Request::new(Method::Patch, format!("/Groups/{id}")).body(dialect::patch_body(operations))).await?;
    expect_status(&ex, &[204, 200], "patch_status", hint)?;
    super::updates::unparseable_body(&ex)?;
    let listed = ex.response_body.json().and_then(|g| get_ci(g, "members")).and_then(Json::as_array);
    if listed.is_some_and(|members| !members.is_empty()) {
        ctx.note(Problem::warning(
            "patch_returns_members",
            format!("{} answered 200 with the group's members", ex.request_line()),
            "answer group PATCH with 204 No Content: returning the member list is costly for large groups",
            Some(&ex),
        ));
    }
    Ok(ex)
}

/// The member ids a verification read returns; `None` when the endpoint does not list members.
pub async fn members(ctx: &mut Ctx, id: &str) -> Result<(Exchange, Option<Vec<String>>), Stop> {
    let ex = ctx.send(Request::new(Method::Get, format!("/Groups/{id}")).verification()).await?;
    expect_status(&ex, &[200], "get_status", "serve GET /Groups/{id}")?;
    let group = expect_object(&ex)?;
    let list = get_ci(group, "members").and_then(Json::as_array).map(|members| {
        members.iter().filter_map(|m| get_ci(m, "value").and_then(Json::as_str).map(str::to_string)).collect()
    });
    Ok((ex, list))
}

/// Notes that the endpoint does not list members, so membership could not be verified.
pub fn unverifiable(ctx: &mut Ctx, ex: &Exchange) {
    ctx.note(Problem::warning(
        "members_not_listed",
        format!("{} does not return `members`; membership could not be verified", ex.request_line()),
        "return `members` on GET /Groups/{id} so membership can be verified (Entra itself never reads it)",
        Some(ex),
    ));
}

async fn add_member(ctx: &mut Ctx, dialect: Dialect) -> Outcome {
    let (gid, _) = ctx.setup_group("members").await?;
    let (uid, _) = ctx.setup_user("member").await?;
    let hint = "accept `{\"op\":\"Add\",\"path\":\"members\",\"value\":[{\"value\":\"<id>\"}]}` and answer 204";
    let ex = patch_group(
        ctx,
        &gid,
        dialect::members_add_ops(dialect, &{ ctx.fidelity }, std::slice::from_ref(&uid), 50),
        hint,
    )
    .await?;
    let (get, list) = members(ctx, &gid).await?;
    match list {
        None => unverifiable(ctx, &get),
        Some(list) if list.contains(&uid) => {}
        Some(_) => {
            return Err(Stop::Fail(Problem::error(
                "member_not_added",
                format!("after {}, {} does not list the member `{uid}`", ex.request_line(), get.request_line()),
                hint,
                Some(&get),
            )))
        }
    }
    Ok(format!("{} → {}", ex.request_line(), ex.status.unwrap_or(0)))
}

async fn remove_member(ctx: &mut Ctx, dialect: Dialect) -> Outcome {
    let (gid, _) = ctx.setup_group("removal").await?;
    let (first, _) = ctx.setup_user("member").await?;
    let (second, _) = ctx.setup_user("member").await?;
    let add = dialect::members_add_ops(dialect, &ctx.fidelity, &[first.clone(), second.clone()], 50);
    patch_group(ctx, &gid, add, "accept several members in one `Add members` operation")
        .await
        .map_err(|_| Stop::Skip("could not add two members to set up the removal".into()))?;
    let hint = match dialect {
        Dialect::Legacy => {
            "remove only the members listed in `value` of `{\"op\":\"Remove\",\"path\":\"members\",\"value\":[...]}`"
        }
        Dialect::Compliant => "support `{\"op\":\"remove\",\"path\":\"members[value eq \\\"<id>\\\"]\"}`",
    };
    let (before, listed) = members(ctx, &gid).await?;
    let listed = listed.is_some_and(|l| l.contains(&first) && l.contains(&second));
    let ex = patch_group(
        ctx,
        &gid,
        dialect::members_remove_ops(dialect, &{ ctx.fidelity }, std::slice::from_ref(&first), 50),
        hint,
    )
    .await?;
    if !listed {
        unverifiable(ctx, &before);
        return Ok(format!("{} → {}", ex.request_line(), ex.status.unwrap_or(0)));
    }
    // The endpoint lists members: a group without `members` now has none.
    let (get, list) = members(ctx, &gid).await?;
    let list = list.unwrap_or_default();
    let problem = match (list.contains(&first), list.contains(&second)) {
        (false, true) => {
            return Ok(format!("{} → {}; the other member remains", ex.request_line(), ex.status.unwrap_or(0)))
        }
        (false, false) => Problem::error(
            "removed_all_members",
            format!(
                "{} removed every member, not only `{first}` ({} lists none): Entra would silently empty groups",
                ex.request_line(),
                get.request_line()
            ),
            hint,
            Some(&get),
        ),
        (true, _) => Problem::error(
            "member_not_removed",
            format!("after {}, {} still lists `{first}`", ex.request_line(), get.request_line()),
            hint,
            Some(&get),
        ),
    };
    Err(Stop::Fail(problem))
}

async fn rename(ctx: &mut Ctx, dialect: Dialect) -> Outcome {
    let (gid, _) = ctx.setup_group("rename").await?;
    let new_name = ctx.unique("renamed");
    let op = json!({"op": dialect.op(OpKind::Replace), "path": "displayName", "value": new_name});
    let ex = patch_group(ctx, &gid, vec![op], "accept `Replace displayName` on groups and answer 204").await?;
    let found = ctx
        .send(
            Request::new(Method::Get, "/Groups")
                .query("excludedAttributes", "members")
                .query("filter", format!("displayName eq {}", quote(&new_name))),
        )
        .await?;
    let resources = expect_list(&found)?;
    let renamed = resources.iter().any(|g| get_ci(g, "id").and_then(Json::as_str) == Some(gid.as_str()));
    if !renamed {
        return Err(Stop::Fail(Problem::error(
            "not_stored",
            format!("after {}, {} does not find the group by its new name", ex.request_line(), found.request_line()),
            "store the new `displayName` so Entra's match query finds the group",
            Some(&found),
        )));
    }
    Ok(format!("{} → {}; found by new name", ex.request_line(), ex.status.unwrap_or(0)))
}
