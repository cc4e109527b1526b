//! Deletes what the run created, by id (groups first, then users): after every check the objects that
//! check created ([`tidy`]), and at the end of the run whatever is still there ([`run`]). An object whose
//! creation is uncertain (the POST got no answer or no id) is first looked up by its unique name. Only
//! objects whose unique name this run chose are deleted; nothing else on the endpoint is touched.

use serde_json::Value as Json;

use super::attr::get_ci;
use super::ctx::{send_retrying, Created, Ctx};
use crate::engine::dialect::quote;
use crate::scim::client::{Method, Request};

/// Deletes the objects created after object number `since` (a check's [`super::ctx::Mark`]). Objects that
/// cannot be deleted are kept in `ctx.stuck` for the end of the run.
pub async fn tidy(ctx: &mut Ctx, since: u64) {
    let (uncertain, kept): (Vec<_>, Vec<_>) =
        std::mem::take(&mut ctx.uncertain).into_iter().partition(|u| u.seq > since);
    ctx.uncertain = kept;
    for object in uncertain {
        let collection = object.collection;
        let attr = if collection == "Users" { "externalId" } else { "displayName" };
        let request = Request::get_filtered(format!("/{collection}"), format!("{attr} eq {}", quote(&object.name)))
            .verification();
        let Ok(ex) = send_retrying(&ctx.client, request, &mut ctx.sleep_left).await else { continue };
        let resources = ex.response_body.json().and_then(|b| get_ci(b, "Resources")).and_then(Json::as_array).cloned();
        for resource in resources.unwrap_or_default() {
            let ours = get_ci(&resource, attr).and_then(Json::as_str) == Some(object.name.as_str());
            if let (true, Some(id)) = (ours, get_ci(&resource, "id").and_then(Json::as_str)) {
                if !ctx.created.iter().any(|c| c.id == id && c.collection == collection) {
                    ctx.created.push(Created { collection, id: id.to_string(), seq: object.seq });
                }
            }
        }
    }
    let (mut mine, kept): (Vec<_>, Vec<_>) = std::mem::take(&mut ctx.created).into_iter().partition(|c| c.seq > since);
    ctx.created = kept;
    mine.sort_by_key(|c| c.collection != "Groups");
    for object in mine {
        if !delete(ctx, &object).await {
            ctx.stuck.push(object);
        }
    }
}

/// Deletes everything the run still holds (after an interruption, or what a check's cleanup could not
/// delete); returns `/Users/{id}`-style paths that could not be deleted.
pub async fn run(ctx: &mut Ctx) -> Vec<String> {
    tidy(ctx, 0).await;
    let mut stuck = std::mem::take(&mut ctx.stuck);
    stuck.sort_by_key(|c| c.collection != "Groups");
    let mut left = Vec::new();
    for object in stuck {
        if !delete(ctx, &object).await {
            left.push(format!("/{}/{}", object.collection, object.id));
        }
    }
    left
}

/// DELETE by id; a 404 counts as deleted.
async fn delete(ctx: &mut Ctx, object: &Created) -> bool {
    let path = format!("/{}/{}", object.collection, object.id);
    match send_retrying(&ctx.client, Request::new(Method::Delete, path).verification(), &mut ctx.sleep_left).await {
        Ok(ex) => ex.is_success() || ex.status == Some(404),
        Err(_) => false,
    }
}
