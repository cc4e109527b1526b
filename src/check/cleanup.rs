//! Deletes every object the run created, by id (groups first, then users), and looks up by its unique
//! name any object whose creation is uncertain (the POST got no answer or no id). Only objects whose
//! unique name this run chose are deleted; nothing else on the endpoint is touched.

use serde_json::Value as Json;

use super::attr::get_ci;
use super::ctx::{send_retrying, Created, Ctx};
use crate::engine::dialect::quote;
use crate::scim::client::{Method, Request};

/// Deletes what the run created; returns `/Users/{id}`-style paths that could not be deleted.
pub async fn run(ctx: &mut Ctx) -> Vec<String> {
    for (collection, name) in std::mem::take(&mut ctx.uncertain) {
        let attr = if collection == "Users" { "externalId" } else { "displayName" };
        let request =
            Request::get_filtered(format!("/{collection}"), format!("{attr} eq {}", quote(&name))).verification();
        let Ok(ex) = send_retrying(&ctx.client, request, &mut ctx.sleep_left).await else { continue };
        let resources = ex.response_body.json().and_then(|b| get_ci(b, "Resources")).and_then(Json::as_array).cloned();
        for resource in resources.unwrap_or_default() {
            let ours = get_ci(&resource, attr).and_then(Json::as_str) == Some(name.as_str());
            if let (true, Some(id)) = (ours, get_ci(&resource, "id").and_then(Json::as_str)) {
                if !ctx.created.iter().any(|c| c.id == id && c.collection == collection) {
                    ctx.created.push(Created { collection, id: id.to_string() });
                }
            }
        }
    }
    let mut created = std::mem::take(&mut ctx.created);
    created.sort_by_key(|c| c.collection != "Groups");
    let mut left = Vec::new();
    for object in created {
        let path = format!("/{}/{}", object.collection, object.id);
        let deleted = match send_retrying(
            &ctx.client,
            Request::new(Method::Delete, path.clone()).verification(),
            &mut ctx.sleep_left,
        )
        .await
        {
            Ok(ex) => ex.is_success() || ex.status == Some(404),
            Err(_) => false,
        };
        if !deleted {
            left.push(path);
        }
    }
    left
}
