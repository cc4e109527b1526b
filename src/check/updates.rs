//! The `users/<dialect>` checks: one PATCH per attribute kind, in the dialect's exact shape, each on a
//! fresh user and verified by reading the user back (ENTRA.md 1.4, 1.5, 1.8, 2.2, 2.3).
//!
//! In the compliant dialect Entra folds two or more changed simple attributes into one path-less
//! `replace`; the per-kind checks send lone changes (which keep their path, a shape seen in captures) so
//! that a server that ignores path-less operations fails only `pathless-replace`.

use serde_json::{json, Value as Json};

use super::attr::get_ci;
use super::ctx::{Ctx, Outcome, Stop};
use super::judge::{expect_object, expect_one, expect_status};
use super::manager;
use super::model::Problem;
use crate::engine::dialect::{self, quote, AttrChange, Dialect, OpKind, ENTERPRISE_URN};
use crate::mapping::TargetAttr;
use crate::scim::client::{Exchange, Method, Request};

/// The attribute-kind checks: (name, hint, changes).
fn kinds(tag: &str, dialect: Dialect) -> Vec<(&'static str, &'static str, Vec<AttrChange>)> {
    let change = |path: &str, op: OpKind, value: Json| AttrChange { path: path.to_string(), op, value, old: None };
    vec![
        (
            "update-username",
            "accept `Replace userName` (a rename in Entra) and return the new `userName`",
            vec![change("userName", OpKind::Replace, json!(format!("renamed-{tag}-{}@example.com", dialect.name())))],
        ),
        (
            "update-externalid",
            "accept `Replace externalId` (Entra sends it when the mapped source attribute changes)",
            vec![change("externalId", OpKind::Replace, json!(format!("ext-{tag}-{}", dialect.name())))],
        ),
        (
            "update-simple",
            "store simple attributes (`title`, `displayName`) as sent and return them on GET",
            vec![
                change("title", OpKind::Replace, json!(format!("Principal Engineer {tag}"))),
                change("displayName", OpKind::Replace, json!(format!("Renamed {tag}"))),
            ],
        ),
        (
            "update-name",
            "apply `name.givenName`/`name.familyName`/`name.formatted` paths to the `name` complex attribute",
            vec![
                change("name.givenName", OpKind::Replace, json!("Alicia")),
                change("name.familyName", OpKind::Replace, json!(format!("Doe-{tag}"))),
                change("name.formatted", OpKind::Replace, json!(format!("Alicia Doe-{tag}"))),
            ],
        ),
        (
            "update-email",
            "apply value-filtered paths such as `emails[type eq \"work\"].value` to the matching element",
            vec![change("emails[type eq \"work\"].value", OpKind::Replace, json!(format!("changed-{tag}@example.com")))],
        ),
        (
            "update-phone",
            "apply `phoneNumbers[type eq \"...\"].value` paths to the element of that type",
            vec![
                change("phoneNumbers[type eq \"work\"].value", OpKind::Replace, json!("+1 425 555 0199")),
                change("phoneNumbers[type eq \"mobile\"].value", OpKind::Replace, json!("+1 425 555 0198")),
            ],
        ),
        (
            "update-address",
            "apply `addresses[type eq \"work\"].<sub>` paths to the work address",
            vec![
                change("addresses[type eq \"work\"].streetAddress", OpKind::Replace, json!("2 Side St")),
                change("addresses[type eq \"work\"].locality", OpKind::Replace, json!("Seattle")),
                change("addresses[type eq \"work\"].postalCode", OpKind::Replace, json!("98101")),
            ],
        ),
        (
            "add-missing-typed-element",
            "when no element matches a filtered path, create it (`{\"type\":\"fax\",\"value\":...}`) instead of answering 400 noTarget",
            vec![change("phoneNumbers[type eq \"fax\"].value", OpKind::Add, json!("+1 425 555 0197"))],
        ),
        (
            "update-enterprise",
            "apply `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:<attr>` paths to the extension object",
            vec![
                change(&format!("{ENTERPRISE_URN}:employeeNumber"), OpKind::Replace, json!("98765")),
                change(&format!("{ENTERPRISE_URN}:department"), OpKind::Replace, json!(format!("Dept {tag}"))),
            ],
        ),
    ]
}

/// The `users/<dialect>` group.
pub async fn run(ctx: &mut Ctx, dialect: Dialect) {
    let group = format!("users/{}", dialect.name());
    let tag = ctx.tag.clone();
    for (name, hint, changes) in kinds(&tag, dialect) {
        let mark = ctx.mark();
        let outcome = update_kind(ctx, dialect, name, &changes, hint).await;
        ctx.finish(&group, name, mark, outcome).await;
    }
    let mark = ctx.mark();
    let outcome = manager::set(ctx, dialect).await;
    ctx.finish(&group, "manager", mark, outcome).await;
    let mark = ctx.mark();
    let outcome = manager::remove(ctx, dialect).await;
    ctx.finish(&group, "manager-remove", mark, outcome).await;
    let mark = ctx.mark();
    let outcome = manager::validator_remove(ctx, dialect).await;
    ctx.finish(&group, "manager-validator-remove", mark, outcome).await;
    if dialect == Dialect::Compliant {
        for (name, op) in [("pathless-replace", OpKind::Replace), ("pathless-add", OpKind::Add)] {
            let mark = ctx.mark();
            let outcome = pathless(ctx, &tag, op).await;
            ctx.finish(&group, name, mark, outcome).await;
        }
    }
    let mark = ctx.mark();
    let outcome = disable_enable(ctx, dialect).await;
    ctx.finish(&group, "disable-enable", mark, outcome).await;
    super::multi_op::run(ctx, &group, dialect).await;
}

/// Sends a user PATCH; 200 or 204 passes.
pub async fn patch(ctx: &mut Ctx, id: &str, operations: Vec<Json>) -> Result<Exchange, Stop> {
    let ex =
        ctx.send(Request::new(Method::Patch, format!("/Users/{id}")).body(dialect::patch_body(operations))).await?;
    expect_status(&ex, &[200, 204], "patch_status", "accept Entra's PATCH and answer 200 (with the resource) or 204")?;
    unparseable_body(&ex)?;
    Ok(ex)
}

/// A 2xx answer whose body is not JSON: Entra cannot parse it and logs `ServiceIncompatible`.
pub fn unparseable_body(ex: &Exchange) -> Result<(), Stop> {
    if matches!(ex.response_body, crate::scim::client::Body::Text { .. }) {
        return Err(Stop::Fail(Problem::error(
            "unparseable_response",
            format!(
                "{} answered {} with a body that is not JSON: {}",
                ex.request_line(),
                ex.status.unwrap_or(0),
                ex.body_excerpt()
            ),
            "answer PATCH with 204 and no body, or 200 with the SCIM resource as JSON",
            Some(ex),
        )));
    }
    Ok(())
}

async fn update_kind(ctx: &mut Ctx, dialect: Dialect, label: &str, changes: &[AttrChange], hint: &str) -> Outcome {
    let (id, _) = ctx.setup_user(label).await?;
    let patches: Vec<Vec<Json>> = match dialect {
        Dialect::Legacy => vec![dialect::attribute_ops(dialect, changes)],
        Dialect::Compliant => {
            changes.iter().map(|c| dialect::attribute_ops(dialect, std::slice::from_ref(c))).collect()
        }
    };
    let mut lines = Vec::new();
    for operations in patches {
        let ex = patch(ctx, &id, operations).await?;
        lines.push(format!("{} → {}", ex.request_line(), ex.status.unwrap_or(0)));
    }
    verify(ctx, &id, changes, hint).await?;
    Ok(format!("{}; read back", lines.join("; ")))
}

/// Reads the user back and fails on the first path whose value differs from what was sent.
async fn verify(ctx: &mut Ctx, id: &str, changes: &[AttrChange], hint: &str) -> Result<Json, Stop> {
    let ex = ctx.send(Request::new(Method::Get, format!("/Users/{id}")).verification()).await?;
    expect_status(&ex, &[200], "get_status", "serve GET /Users/{id} after a PATCH")?;
    let resource = expect_object(&ex)?.clone();
    let mut wrong = Vec::new();
    for change in changes {
        let got = TargetAttr::parse(&change.path).ok().and_then(|p| p.lookup(&resource).cloned());
        if got.as_ref() != Some(&change.value) {
            let got = got.map_or_else(|| "nothing".to_string(), |v| v.to_string());
            wrong.push(format!("`{}`: sent {}, got {got}", change.path, change.value));
        }
    }
    if !wrong.is_empty() {
        return Err(Stop::Fail(Problem::error(
            "not_stored",
            format!("after the PATCH, {} returned {}", ex.request_line(), wrong.join("; ")),
            hint,
            Some(&ex),
        )));
    }
    Ok(resource)
}

/// The compliant dialect's folded operation: `replace` of attributes the user has, or `add` of attributes
/// it lacks, as one path-less operation keyed by dotted and URN paths.
async fn pathless(ctx: &mut Ctx, tag: &str, op: OpKind) -> Outcome {
    let (id, _) = ctx.setup_user("pathless").await?;
    let change = |path: &str, value: Json| AttrChange { path: path.to_string(), op, value, old: None };
    let changes = match op {
        OpKind::Add => vec![
            change("nickName", json!(format!("Nick {tag}"))),
            change("name.middleName", json!("Quinn")),
            change(&format!("{ENTERPRISE_URN}:costCenter"), json!("CC-42")),
        ],
        _ => vec![
            change("displayName", json!(format!("Pathless {tag}"))),
            change("name.givenName", json!("Babs")),
            change("name.familyName", json!(format!("Jensen-{tag}"))),
            change(&format!("{ENTERPRISE_URN}:employeeNumber"), json!("4242")),
        ],
    };
    let ex = patch(ctx, &id, dialect::attribute_ops(Dialect::Compliant, &changes)).await?;
    verify(
        ctx,
        &id,
        &changes,
        "apply path-less `add`/`replace` values keyed by dotted (`name.givenName`) and URN paths, not only nested objects",
    )
    .await?;
    Ok(format!("{} → {}; read back", ex.request_line(), ex.status.unwrap_or(0)))
}

async fn disable_enable(ctx: &mut Ctx, dialect: Dialect) -> Outcome {
    let (id, body) = ctx.setup_user("disabled").await?;
    let ex = patch(ctx, &id, dialect::active_ops(dialect, &json!("False"))).await?;
    let user_name = body["userName"].as_str().unwrap_or_default().to_string();
    let found = ctx.send(Request::get_filtered("/Users", format!("userName eq {}", quote(&user_name)))).await?;
    let user = expect_one(
        &found,
        &id,
        "keep disabled users: they must still be returned by filter queries, with `active: false`",
    )?;
    expect_active(ctx, &found, &user, false)?;
    let on = patch(ctx, &id, dialect::active_ops(dialect, &json!("True"))).await?;
    let get = ctx.send(Request::new(Method::Get, format!("/Users/{id}")).verification()).await?;
    expect_status(&get, &[200], "get_status", "serve GET /Users/{id} after a PATCH")?;
    let user = expect_object(&get)?.clone();
    expect_active(ctx, &get, &user, true)?;
    Ok(format!(
        "{} → {}; filter → active false; re-enabled → {}",
        ex.request_line(),
        ex.status.unwrap_or(0),
        on.status.unwrap_or(0)
    ))
}

fn expect_active(ctx: &mut Ctx, ex: &Exchange, user: &Json, wanted: bool) -> Result<(), Stop> {
    match get_ci(user, "active") {
        Some(Json::Bool(b)) if *b == wanted => Ok(()),
        Some(Json::String(s)) if s.eq_ignore_ascii_case(&wanted.to_string()) => {
            ctx.note(Problem::warning(
                "active_string",
                format!("{} returned `active` as the string {s:?}", ex.request_line()),
                "store `active` as a boolean (convert Entra's legacy \"True\"/\"False\") and return a JSON boolean",
                Some(ex),
            ));
            Ok(())
        }
        other => Err(Stop::Fail(Problem::error(
            "active_not_applied",
            format!(
                "{} returned active {}, expected {wanted}",
                ex.request_line(),
                other.map_or_else(|| "nothing".to_string(), Json::to_string)
            ),
            "accept `active` as Entra sends it (legacy: the strings \"False\"/\"True\"; compliant: booleans) and return it",
            Some(ex),
        ))),
    }
}
