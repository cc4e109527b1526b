//! The `connection` and `users` checks: Test Connection, create, duplicate, matching filters, read by id,
//! empty query, unknown id, delete (ENTRA.md 1.1, 1.2, 1.6, 6.7, 7.1).

use serde_json::Value as Json;

use super::attr::get_ci;
use super::ctx::{Ctx, Outcome, Stop};
use super::judge::{expect_list, expect_object, expect_one, expect_status, resource_id, status_text};
use super::model::Problem;
use crate::engine::dialect::quote;
use crate::scim::client::{Exchange, Method, Request};

/// What the connection probe found.
pub enum Probe {
    /// 200 with an empty `ListResponse` (or another non-fatal answer).
    Usable,
    /// 401/403: nothing else can work.
    CredentialsRefused,
    /// No HTTP answer (refused connection, timeout): every further request would fail the same way.
    NoAnswer,
}

/// `connection/test-connection-users` (and `-groups`): a random GUID on the matching attribute.
pub async fn test_connection(ctx: &mut Ctx, groups: bool, matching: &super::matching::Matching) -> Probe {
    let mark = ctx.mark();
    let guid = uuid::Uuid::new_v4().to_string();
    let attr = &matching.users;
    let request = Request::get_filtered("/Users", format!("{attr} eq {}", quote(&guid)));
    let outcome = probe(ctx, request).await;
    let kind = match &outcome {
        Err(Stop::Fail(p)) => p.kind.clone(),
        _ => String::new(),
    };
    ctx.finish("connection", "test-connection-users", mark, outcome).await;
    match kind.as_str() {
        "credentials" => return Probe::CredentialsRefused,
        "transport" => return Probe::NoAnswer,
        _ => {}
    }
    if groups {
        let mark = ctx.mark();
        let guid = uuid::Uuid::new_v4().to_string();
        let attr = &matching.groups;
        let request = Request::new(Method::Get, "/Groups")
            .query("excludedAttributes", "members")
            .query("filter", format!("{attr} eq {}", quote(&guid)));
        let outcome = probe(ctx, request).await;
        ctx.finish("connection", "test-connection-groups", mark, outcome).await;
    }
    Probe::Usable
}

async fn probe(ctx: &mut Ctx, request: Request) -> Outcome {
    let ex = ctx.send(request).await?;
    match ex.status {
        Some(401 | 403) => {
            return Err(Stop::Fail(Problem::error(
                "credentials",
                format!("{} answered {}: Entra shows \"You appear to have entered invalid credentials\"", ex.request_line(), status_text(&ex)),
                "check the token: Entra sends `Authorization: Bearer <secret token>` exactly as entered",
                Some(&ex),
            )))
        }
        Some(404) => {
            return Err(Stop::Fail(Problem::error(
                "not_found_on_query",
                format!("{} answered 404 for a query without match; Entra quarantines the job (\"HTTP/404 Not Found was returned rather than the expected HTTP/200 OK\")", ex.request_line()),
                if ex.path.starts_with("/Groups") {
                    "answer a filter that matches nothing with 200 and an empty ListResponse; without /Groups, turn group provisioning off (`--no-groups`)"
                } else {
                    "answer a filter that matches nothing with 200 and an empty ListResponse, never 404"
                },
                Some(&ex),
            )))
        }
        _ => {}
    }
    empty_list(ctx, &ex)?;
    Ok(format!("{} → 200, empty ListResponse", ex.request_line()))
}

fn empty_list(ctx: &mut Ctx, ex: &Exchange) -> Result<(), Stop> {
    let resources = expect_list(ex)?;
    if !resources.is_empty() {
        return Err(Stop::Fail(Problem::error(
            "unexpected_match",
            format!("{} matched {} resources for a value nobody has", ex.request_line(), resources.len()),
            "apply the filter: `eq` must compare the attribute's value",
            Some(ex),
        )));
    }
    let body = ex.response_body.json().cloned().unwrap_or(Json::Null);
    let schemas_ok = get_ci(&body, "schemas")
        .and_then(Json::as_array)
        .is_some_and(|s| s.iter().any(|u| u.as_str() == Some(super::ctx::LIST_URN)));
    if !schemas_ok {
        ctx.note(Problem::warning(
            "list_schema_missing",
            format!("{} returned a list without the ListResponse schema URN", ex.request_line()),
            "add `\"schemas\": [\"urn:ietf:params:scim:api:messages:2.0:ListResponse\"]`",
            Some(ex),
        ));
    }
    if !ex.header("content-type").is_some_and(|c| c.to_ascii_lowercase().contains("json")) {
        ctx.note(Problem::warning(
            "content_type",
            format!("{} answered with Content-Type {:?}", ex.request_line(), ex.header("content-type").unwrap_or("")),
            "send `Content-Type: application/scim+json`",
            Some(ex),
        ));
    }
    Ok(())
}

/// The `users` group. Returns nothing; every check is recorded in `ctx`. Each check creates the user it
/// needs under a name of its own, and its objects are deleted when it ends.
pub async fn run(ctx: &mut Ctx) {
    let mark = ctx.mark();
    let created = create(ctx).await;
    ctx.finish("users", "create", mark, created.map(|(id, _)| format!("POST /Users → 201 with id `{id}`"))).await;

    let mark = ctx.mark();
    let outcome = async {
        let (_, body) = ctx.setup_user("duplicate").await?;
        let name = body["externalId"].as_str().unwrap_or_default().to_string();
        let hint = "reject a second user with the same userName with 409 Conflict and scimType `uniqueness`";
        duplicate(ctx, "Users", &body, &name, hint).await
    }
    .await;
    ctx.finish("users", "duplicate-create", mark, outcome).await;

    for (name, attr, upper) in [
        ("filter-username", "userName", false),
        ("filter-externalid", "externalId", false),
        ("filter-username-different-case", "userName", true),
    ] {
        let mark = ctx.mark();
        let outcome = async {
            let (id, body) = ctx.setup_user("filtered").await?;
            let value = body[attr].as_str().unwrap_or_default();
            let value = if upper { value.to_uppercase() } else { value.to_string() };
            filter_match(ctx, &id, attr, &value).await
        }
        .await;
        ctx.finish("users", name, mark, outcome).await;
    }

    let mark = ctx.mark();
    let outcome = async {
        let (id, body) = ctx.setup_user("mailed").await?;
        filter_work_email(ctx, &id, body["userName"].as_str().unwrap_or_default()).await
    }
    .await;
    ctx.finish("users", "filter-work-email", mark, outcome).await;

    let mark = ctx.mark();
    let outcome = async {
        let (id, body) = ctx.setup_user("read").await?;
        get_by_id(ctx, &id, &body).await
    }
    .await;
    ctx.finish("users", "get-by-id", mark, outcome).await;
    run_independent(ctx).await;
}

/// The `users` checks that need no user of their own up front.
async fn run_independent(ctx: &mut Ctx) {
    let mark = ctx.mark();
    let outcome = filter_no_match(ctx).await;
    ctx.finish("users", "filter-no-match", mark, outcome).await;

    let mark = ctx.mark();
    let outcome = get_unknown(ctx, "/Users").await;
    ctx.finish("users", "get-unknown-id", mark, outcome).await;

    let mark = ctx.mark();
    let outcome = delete(ctx).await;
    ctx.finish("users", "delete", mark, outcome).await;
    super::paging::run(ctx, "users", "Users").await;
}

async fn create(ctx: &mut Ctx) -> Result<(String, Json), Stop> {
    let name = ctx.unique("user");
    let body = super::ctx::entra_user_body(&name, &ctx.fidelity);
    let ex = ctx.send(Request::new(Method::Post, "/Users").body(body.clone())).await?;
    let id = ctx.register(&ex, "Users", &name);
    expect_status(&ex, &[201], "create_status", "answer a successful POST /Users with 201 Created and the resource")?;
    expect_object(&ex)?;
    let id = id.ok_or_else(|| {
        Stop::Fail(Problem::error(
            "missing_id",
            format!("{} answered 201 without a string `id`", ex.request_line()),
            "return the created resource with its `id`: Entra caches it for every later request",
            Some(&ex),
        ))
    })?;
    Ok((id, body))
}

/// POSTs `body` a second time: the endpoint must answer 409 (`scimType: uniqueness`, else a warning).
pub async fn duplicate(ctx: &mut Ctx, collection: &'static str, body: &Json, name: &str, hint: &str) -> Outcome {
    let ex = ctx.send(Request::new(Method::Post, format!("/{collection}")).body(body.clone())).await?;
    if ex.is_success() {
        ctx.register(&ex, collection, name);
    }
    expect_status(&ex, &[409], "duplicate_status", hint)?;
    let scim_type = ex.scim_error().and_then(|e| e.scim_type);
    if scim_type.as_deref() != Some("uniqueness") {
        ctx.note(Problem::warning(
            "scim_type",
            format!(
                "{} answered 409 with scimType {:?}, expected \"uniqueness\"",
                ex.request_line(),
                scim_type.unwrap_or_default()
            ),
            "add `\"scimType\": \"uniqueness\"` to the 409 error body",
            Some(&ex),
        ));
    }
    Ok(format!("{} → 409", ex.request_line()))
}

async fn filter_match(ctx: &mut Ctx, id: &str, attr: &str, value: &str) -> Outcome {
    let ex = ctx.send(Request::get_filtered("/Users", format!("{attr} eq {}", quote(value)))).await?;
    let hint = if value.chars().any(|c| c.is_ascii_uppercase()) {
        "compare `userName` case-insensitively (caseExact false), as Entra and the SCIM Validator expect"
    } else {
        "support `eq` filters on every matching attribute (`userName`, `externalId`)"
    };
    expect_one(&ex, id, hint)?;
    Ok(format!("{} → 1 result", ex.request_line()))
}

/// Entra filters on `emails[type eq "work"].value` only when the mapping makes it a matching attribute, so
/// an endpoint without value-path filters gets a warning, not a failure.
async fn filter_work_email(ctx: &mut Ctx, id: &str, mail: &str) -> Outcome {
    let filter = format!("emails[type eq \"work\"].value eq {}", quote(mail));
    let ex = ctx.send(Request::get_filtered("/Users", filter)).await?;
    if let Err(Stop::Fail(problem)) = expect_one(&ex, id, "") {
        ctx.note(Problem::warning(
            "value_path_filter",
            format!("{} (needed only when the work email is a matching attribute)", problem.message),
            "support value-path filters such as `emails[type eq \"work\"].value eq \"...\"` on every unique attribute",
            Some(&ex),
        ));
        return Ok(format!("{} → no match", ex.request_line()));
    }
    Ok(format!("{} → 1 result", ex.request_line()))
}

async fn get_by_id(ctx: &mut Ctx, id: &str, body: &Json) -> Outcome {
    let ex = ctx.send(Request::new(Method::Get, format!("/Users/{id}"))).await?;
    expect_status(&ex, &[200], "get_status", "serve GET /Users/{id} for every id returned by POST")?;
    let resource = expect_object(&ex)?;
    let same_id = resource_id(&ex).as_deref() == Some(id);
    let same_name = get_ci(resource, "userName") == body.get("userName");
    if !same_id || !same_name {
        return Err(Stop::Fail(Problem::error(
            "wrong_resource",
            format!("{} returned a resource without the same `id` and `userName`", ex.request_line()),
            "return the resource with its `id` and stored `userName`",
            Some(&ex),
        )));
    }
    Ok(format!("{} → 200", ex.request_line()))
}

async fn filter_no_match(ctx: &mut Ctx) -> Outcome {
    let absent = format!("{}@example.com", ctx.unique("absent"));
    let ex = ctx.send(Request::get_filtered("/Users", format!("userName eq {}", quote(&absent)))).await?;
    if ex.status == Some(404) || ex.status == Some(400) {
        return Err(Stop::Fail(Problem::error(
            "empty_query_status",
            format!("{} answered {} for a query without match", ex.request_line(), status_text(&ex)),
            "answer a filter that matches nothing with 200 and an empty ListResponse (404 quarantines the job)",
            Some(&ex),
        )));
    }
    empty_list(ctx, &ex)?;
    Ok(format!("{} → 200, empty", ex.request_line()))
}

/// GET of an id that does not exist must be 404.
pub async fn get_unknown(ctx: &mut Ctx, collection: &str) -> Outcome {
    let ex = ctx.send(Request::new(Method::Get, format!("{collection}/{}", uuid::Uuid::new_v4()))).await?;
    expect_status(&ex, &[404], "unknown_id_status", "answer GET of an unknown id with 404 and a SCIM error body")?;
    Ok(format!("{} → 404", ex.request_line()))
}

async fn delete(ctx: &mut Ctx) -> Outcome {
    let (id, _) = ctx.setup_user("deleted").await?;
    delete_then_gone(ctx, "/Users", &id).await
}

/// DELETE must be 204 and a GET afterwards 404.
pub async fn delete_then_gone(ctx: &mut Ctx, collection: &str, id: &str) -> Outcome {
    let ex = ctx.send(Request::new(Method::Delete, format!("{collection}/{id}"))).await?;
    if ex.is_success() {
        ctx.forget(collection.trim_start_matches('/'), id);
    }
    expect_status(&ex, &[204, 200], "delete_status", "answer DELETE with 204 No Content")?;
    if ex.status == Some(200) {
        ctx.note(Problem::warning(
            "delete_status",
            format!("{} answered 200, Entra expects 204", ex.request_line()),
            "answer DELETE with 204 No Content",
            Some(&ex),
        ));
    }
    let after = ctx.send(Request::new(Method::Get, format!("{collection}/{id}")).verification()).await?;
    expect_status(&after, &[404], "still_there", "make deleted resources disappear: GET after DELETE must be 404")?;
    Ok(format!("{} → {}; GET → 404", ex.request_line(), ex.status.unwrap_or(0)))
}
