//! The `roles/<dialect>` checks (ENTRA.md 1.9), run when the mapping maps app roles: the create carries
//! the role objects, and the update carries them in the dialect's form — legacy puts each role's JSON
//! **text** inside `value` (`{"value": "{\"id\":…,\"value\":\"Writer\",\"displayName\":…}"}`), the shape
//! behind real parser failures. The requests come from [`crate::engine::roles`], so `check` sends exactly
//! what `run` sends.
//!
//! | check | sends | passes when GET returns |
//! |---|---|---|
//! | `post` | `POST /Users` with the mapped role function's `roles` | every posted role's `value` |
//! | `add` | the function's role update for a new role (`Add`, or the assertive `Replace`) | the new role by its `value`, not the JSON text |
//! | `replace-removes` | assertive only: `Replace roles` without one role | the other role only |

use serde_json::{json, Value as Json};

use super::attr::get_ci;
use super::ctx::{entra_user_body, Ctx, Outcome, Stop};
use super::judge::{expect_object, expect_status, status_text};
use super::model::Problem;
use super::updates::patch;
use crate::engine::dialect::Dialect;
use crate::engine::roles::{self, Desired, RoleFunction, ROLE_TYPE};
use crate::mapping::{MappingSet, MappingSource};
use crate::scim::client::{Method, Request};

/// The role function the user mapping uses, if it maps roles.
pub fn function_of(mapping: &MappingSet) -> Option<RoleFunction> {
    mapping.users.attributes.iter().find_map(|a| {
        let expr = match &a.source {
            MappingSource::Expression(e) => Some(&e.ast),
            _ => None,
        };
        RoleFunction::of(&a.target.to_string(), expr)
    })
}

fn role(function: RoleFunction, value: &str) -> Json {
    match function {
        RoleFunction::Single => json!({"primary": true, "type": ROLE_TYPE, "value": value}),
        _ => json!({"primary": false, "type": ROLE_TYPE, "display": value, "value": value}),
    }
}

/// The role values of a returned user, and whether any of them is a JSON text stored as it came.
fn stored_values(user: &Json) -> (Vec<String>, Option<String>) {
    let values: Vec<String> = get_ci(user, "roles")
        .and_then(Json::as_array)
        .map(|roles| roles.iter().filter_map(|r| get_ci(r, "value")?.as_str().map(str::to_string)).collect())
        .unwrap_or_default();
    let text = values.iter().find(|v| v.trim_start().starts_with('{')).cloned();
    (values, text)
}

/// The `roles/<dialect>` group.
pub async fn run(ctx: &mut Ctx, dialect: Dialect, function: RoleFunction) {
    let group = format!("roles/{}", dialect.name());
    let mark = ctx.mark();
    let (outcome, id) = match create(ctx, function).await {
        Ok((id, line)) => (Ok(line), Some(id)),
        Err(stop) => (Err(stop), None),
    };
    ctx.record(&group, "post", mark, outcome);
    let Some(id) = id else { return };
    let mark = ctx.mark();
    let outcome = add(ctx, dialect, function, &id).await;
    ctx.record(&group, "add", mark, outcome);
    if function == RoleFunction::Assertive {
        let mark = ctx.mark();
        let outcome = replace_removes(ctx, dialect, &id).await;
        ctx.record(&group, "replace-removes", mark, outcome);
    }
}

fn first_values(function: RoleFunction) -> Vec<&'static str> {
    match function {
        RoleFunction::Single => vec!["Admin"],
        _ => vec!["Admin", "Reader"],
    }
}

async fn create(ctx: &mut Ctx, function: RoleFunction) -> Result<(String, String), Stop> {
    let name = ctx.unique("roles");
    let mut body = entra_user_body(&name, &ctx.fidelity);
    let roles: Vec<Json> = first_values(function).into_iter().map(|v| role(function, v)).collect();
    body["roles"] = Json::Array(roles);
    let ex = ctx.send(Request::new(Method::Post, "/Users").body(body)).await?;
    let Some(id) = ctx.register(&ex, "Users", &name) else {
        return Err(Stop::Fail(Problem::error(
            "post_status",
            format!("{} with roles answered {}", ex.request_line(), status_text(&ex)),
            "accept `roles` on POST: role objects with `primary`, `type`, `display` and `value`",
            Some(&ex),
        )));
    };
    let (values, _) = read(ctx, &id).await?;
    let missing: Vec<&str> = first_values(function).into_iter().filter(|v| !values.iter().any(|s| s == v)).collect();
    if !missing.is_empty() {
        return Err(Stop::Fail(Problem::error(
            "roles_not_stored",
            format!("POST /Users sent roles {:?}; GET returns role values {values:?}", first_values(function)),
            "store `roles` from the POST body and return them; Entra re-sends roles it does not find",
            Some(&ex),
        )));
    }
    Ok((id, format!("POST /Users → 201; GET returns roles {values:?}")))
}

async fn read(ctx: &mut Ctx, id: &str) -> Result<(Vec<String>, Option<String>), Stop> {
    let get = ctx.send(Request::new(Method::Get, format!("/Users/{id}")).verification()).await?;
    expect_status(&get, &[200], "get_status", "serve GET /Users/{id}")?;
    Ok(stored_values(expect_object(&get)?))
}

/// The role update `run` would send to take the user from `current` to `wanted`.
fn update_op(dialect: Dialect, function: RoleFunction, current: &[&str], wanted: &[&str]) -> Option<Json> {
    let desired = Desired { function, roles: wanted.iter().map(|v| role(function, v)).collect() };
    let resource = json!({"roles": current.iter().map(|v| json!({"value": v})).collect::<Vec<_>>()});
    roles::update_op(dialect, &desired, &resource, &[]).map(|(op, _)| op)
}

async fn add(ctx: &mut Ctx, dialect: Dialect, function: RoleFunction, id: &str) -> Outcome {
    let current = first_values(function);
    let mut wanted = current.clone();
    if function == RoleFunction::Single {
        wanted = vec!["Writer"];
    } else {
        wanted.push("Writer");
    }
    let op = update_op(dialect, function, &current, &wanted).ok_or_else(|| Stop::Skip("no role change".into()))?;
    let ex = patch(ctx, id, vec![op]).await?;
    let (values, text) = read(ctx, id).await?;
    if let Some(text) = text {
        return Err(Stop::Fail(Problem::error(
            "role_json_text_stored",
            format!("after {}, GET returns a role whose value is the JSON text {text:?}", ex.request_line()),
            "Entra's legacy role PATCH puts each role as JSON text in `value`: parse it and store the role's own `value`",
            Some(&ex),
        )));
    }
    if !values.iter().any(|v| v == "Writer") {
        return Err(Stop::Fail(Problem::error(
            "roles_not_stored",
            format!("after {}, GET returns role values {values:?}, without `Writer`", ex.request_line()),
            match dialect {
                Dialect::Legacy => "accept `Add roles` whose elements carry the role as JSON text in `value`",
                Dialect::Compliant => "accept `add roles` with role objects, as on POST",
            },
            Some(&ex),
        )));
    }
    Ok(format!("{} → {}; GET returns roles {values:?}", ex.request_line(), ex.status.unwrap_or(0)))
}

async fn replace_removes(ctx: &mut Ctx, dialect: Dialect, id: &str) -> Outcome {
    let (before, _) = read(ctx, id).await?;
    let current: Vec<&str> = before.iter().map(String::as_str).collect();
    let op = update_op(dialect, RoleFunction::Assertive, &current, &["Admin"])
        .ok_or_else(|| Stop::Skip("the user already has only `Admin`".into()))?;
    let ex = patch(ctx, id, vec![op]).await?;
    let (values, _) = read(ctx, id).await?;
    if values != ["Admin"] {
        return Err(Stop::Fail(Problem::error(
            "roles_not_replaced",
            format!("after {} with only `Admin`, GET returns role values {values:?}", ex.request_line()),
            "`replace` of `roles` replaces the whole list: roles no longer assigned must go",
            Some(&ex),
        )));
    }
    Ok(format!("{} → {}; GET returns roles [\"Admin\"]", ex.request_line(), ex.status.unwrap_or(0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_updates_carry_json_text_and_assertive_replaces() {
        let op = update_op(Dialect::Legacy, RoleFunction::Complex, &["Admin"], &["Admin", "Writer"]).expect("op");
        assert_eq!(op["op"], json!("Add"));
        let text = op["value"][0]["value"].as_str().expect("text");
        assert_eq!(serde_json::from_str::<Json>(text).expect("json")["value"], json!("Writer"));
        let op = update_op(Dialect::Compliant, RoleFunction::Assertive, &["Admin", "Reader"], &["Admin"]).expect("op");
        assert_eq!(op, json!({"op": "replace", "path": "roles", "value": [role(RoleFunction::Assertive, "Admin")]}));
        let (values, text) = stored_values(&json!({"roles": [{"value": "{\"value\":\"W\"}"}, {"value": "A"}]}));
        assert_eq!(values.len(), 2);
        assert!(text.is_some());
    }
}
