//! Listing and deleting checks of `users` and `groups` that Microsoft's validators run and Entra's sync
//! itself never needs (ENTRA.md 6.7, 7.1 P3/P4/P6/P7, 7.2 pagination tests):
//! - `pagination`: 11 objects of the check's own, then `GET /{collection}?startIndex=N&count=5` page by page:
//!   each page echoes its `startIndex`, `itemsPerPage` is the number of resources on it (at most 5),
//!   `totalResults` counts at least the 11, and every one of them is listed exactly once;
//! - `delete-unknown`: DELETE of an id that never existed → 404;
//! - `delete-twice`: DELETE → 204, the same DELETE again → 404.

use std::collections::HashMap;

use serde_json::Value as Json;

use super::attr::get_ci;
use super::ctx::{Ctx, Outcome, Stop};
use super::judge::{expect_list, expect_status, status_text};
use super::model::Problem;
use crate::scim::client::{Exchange, Method, Request};

/// Objects the pagination check creates: the Logic App's minimum.
const OBJECTS: usize = 11;
/// Page size asked for.
const PAGE: usize = 5;
/// The most pages read (an endpoint with thousands of objects is not walked to the end).
const MAX_PAGES: usize = 400;

/// The listing and deleting checks of `collection` (`Users` or `Groups`), recorded in group `group`.
pub async fn run(ctx: &mut Ctx, group: &str, collection: &'static str) {
    let mark = ctx.mark();
    let outcome = delete_unknown(ctx, collection).await;
    ctx.finish(group, "delete-unknown", mark, outcome).await;
    let mark = ctx.mark();
    let outcome = delete_twice(ctx, collection).await;
    ctx.finish(group, "delete-twice", mark, outcome).await;
    let mark = ctx.mark();
    let outcome = pagination(ctx, collection).await;
    ctx.finish(group, "pagination", mark, outcome).await;
}

async fn setup(ctx: &mut Ctx, collection: &str, label: &str) -> Result<String, Stop> {
    if collection == "Users" {
        Ok(ctx.setup_user(label).await?.0)
    } else {
        Ok(ctx.setup_group(label).await?.0)
    }
}

async fn delete_unknown(ctx: &mut Ctx, collection: &str) -> Outcome {
    let ex = ctx.send(Request::new(Method::Delete, format!("/{collection}/{}", uuid::Uuid::new_v4()))).await?;
    expect_status(&ex, &[404], "delete_unknown_status", "answer DELETE of an id that does not exist with 404")?;
    Ok(format!("{} → 404", ex.request_line()))
}

async fn delete_twice(ctx: &mut Ctx, collection: &'static str) -> Outcome {
    let id = setup(ctx, collection, "deleted-twice").await?;
    let path = format!("/{collection}/{id}");
    let first = ctx.send(Request::new(Method::Delete, path.clone())).await?;
    if !first.is_success() {
        // The first DELETE is the `delete` check's business.
        return Err(Stop::Skip(format!("the first {} answered {}", first.request_line(), status_text(&first))));
    }
    ctx.forget(collection, &id);
    let second = ctx.send(Request::new(Method::Delete, path)).await?;
    expect_status(
        &second,
        &[404],
        "delete_twice_status",
        "answer a DELETE of a resource that is already deleted with 404",
    )?;
    Ok(format!("{} → {}, again → 404", first.request_line(), first.status.unwrap_or(0)))
}

async fn pagination(ctx: &mut Ctx, collection: &'static str) -> Outcome {
    let mut ours = Vec::with_capacity(OBJECTS);
    for _ in 0..OBJECTS {
        ours.push(setup(ctx, collection, "paged").await?);
    }
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut start = 1;
    let mut pages = 0;
    let mut last: Option<Exchange> = None;
    while pages < MAX_PAGES {
        let mut request = Request::new(Method::Get, format!("/{collection}"))
            .query("startIndex", start.to_string())
            .query("count", PAGE.to_string());
        if collection == "Groups" {
            request = request.query("excludedAttributes", "members");
        }
        let ex = ctx.send(request).await?;
        let resources = expect_list(&ex)?;
        pages += 1;
        let body = ex.response_body.json().cloned().unwrap_or(Json::Null);
        let number = |name: &str| get_ci(&body, name).and_then(Json::as_u64);
        let fail = |kind: &str, message: String, hint: &str| {
            Err(Stop::Fail(Problem::error(kind, format!("{} {message}", ex.request_line()), hint, Some(&ex))))
        };
        if number("startIndex") != Some(start as u64) {
            return fail(
                "page_start_index",
                format!("returned `startIndex` {:?}", get_ci(&body, "startIndex")),
                "echo the requested `startIndex` in every ListResponse page (1-based)",
            );
        }
        if resources.len() > PAGE || number("itemsPerPage") != Some(resources.len() as u64) {
            return fail(
                "page_size",
                format!(
                    "returned {} resources with `itemsPerPage` {}",
                    resources.len(),
                    get_ci(&body, "itemsPerPage").map_or_else(|| "missing".to_string(), ToString::to_string)
                ),
                "return at most `count` resources per page and set `itemsPerPage` to how many this page carries",
            );
        }
        let total = number("totalResults").unwrap_or(0) as usize;
        if total < OBJECTS {
            return fail(
                "page_total",
                format!("returned `totalResults` {total} although at least {OBJECTS} exist"),
                "make `totalResults` the number of all matching resources, not of this page",
            );
        }
        for resource in &resources {
            let Some(id) = get_ci(resource, "id").and_then(Json::as_str) else { continue };
            if let Some(page) = seen.insert(id.to_string(), pages) {
                return fail(
                    "page_repeats",
                    format!("listed `{id}` again (already on page {page}): pages overlap"),
                    "start each page at `startIndex` (1-based) in a stable order",
                );
            }
        }
        last = Some(ex);
        start += resources.len();
        if resources.is_empty() || start > total {
            break;
        }
    }
    let missing: Vec<&String> = ours.iter().filter(|id| !seen.contains_key(*id)).collect();
    if !missing.is_empty() && pages == MAX_PAGES {
        return Err(Stop::Skip(format!("the endpoint holds more than {} {collection}", MAX_PAGES * PAGE)));
    }
    if let (false, Some(ex)) = (missing.is_empty(), last.as_ref()) {
        return Err(Stop::Fail(Problem::error(
            "page_missing",
            format!(
                "paging with count={PAGE} up to {} never listed {} of the {OBJECTS} created: {}",
                ex.request_line(),
                missing.len(),
                missing.iter().map(|m| format!("`{m}`")).collect::<Vec<_>>().join(", ")
            ),
            "page through every resource: `startIndex` is 1-based and pages must neither overlap nor skip",
            Some(ex),
        )));
    }
    Ok(format!("{pages} pages of at most {PAGE}; all {OBJECTS} created {collection} listed once"))
}
