//! Finding the objects that hold a scenario's values. One filtered query per value
//! (`GET /Users?filter=userName eq "…"`), or, when the endpoint holds fewer objects of a kind than
//! there are values to look up (a 5,000-user scenario against an empty endpoint), one paged listing
//! matched here. Either way the first request without an answer ends the search: an endpoint that
//! never answers costs one timeout, not one per value.

use futures::StreamExt as _;
use serde_json::Value as Json;

use super::values::Key;
use super::TargetObject;
use crate::engine::action::{describe_failure, Sent};
use crate::engine::result::{Abort, AbortKind, Finding, FindingKind, ObjectKind};
use crate::scim::client::{Client, ClientError, Exchange, Request};

/// Requests in flight at once.
pub(super) const IN_FLIGHT: usize = 8;
/// Below this many values of a kind, filtered queries are sent without asking how many objects exist.
const LISTING_WORTH_ASKING: usize = 20;
/// Resources asked for per page of a listing.
const PAGE: usize = 500;

/// The objects holding any of the values (each once, in key order), and a warning when the endpoint
/// refused a query: the search stops there (a refusal is rarely about one value: the filter or the
/// token is not accepted), so what was found is incomplete. `Err` when a request got no answer at all.
pub(super) async fn find(
    setup: &Client,
    keys: &std::collections::BTreeSet<Key>,
) -> Result<(Vec<TargetObject>, Option<Finding>), Abort> {
    let mut found = Vec::new();
    for kind in [ObjectKind::User, ObjectKind::Group] {
        let (listable, mut queried): (Vec<&Key>, Vec<&Key>) =
            keys.iter().filter(|k| k.kind == kind).partition(|k| is_top_level(&k.attribute));
        if listable.len() >= LISTING_WORTH_ASKING {
            match list_all(setup, kind, listable.len()).await? {
                Some(resources) => {
                    for key in listable {
                        for resource in resources.iter().filter(|r| holds(r, key)) {
                            add(&mut found, key, resource);
                        }
                    }
                }
                None => queried.extend(listable),
            }
        } else {
            queried.extend(listable);
        }
        if let Some(refused) = query_each(setup, &queried, &mut found).await? {
            return Ok((found, Some(refused)));
        }
    }
    Ok((found, None))
}

fn is_top_level(attribute: &str) -> bool {
    !attribute.contains(['.', '[', ':'])
}

/// True when `resource` holds `key`'s value: `externalId` exactly, the others ignoring case (as an
/// endpoint compares `userName` and `displayName`, RFC 7643 `caseExact: false`).
fn holds(resource: &Json, key: &Key) -> bool {
    let Some(object) = resource.as_object() else { return false };
    let value = object.iter().find(|(k, _)| k.eq_ignore_ascii_case(&key.attribute)).and_then(|(_, v)| v.as_str());
    match value {
        Some(v) if key.attribute.eq_ignore_ascii_case("externalId") => v == key.value,
        Some(v) => v.eq_ignore_ascii_case(&key.value),
        None => false,
    }
}

fn add(found: &mut Vec<TargetObject>, key: &Key, resource: &Json) {
    let Some(id) = resource.get("id").and_then(Json::as_str) else { return };
    if !found.iter().any(|o| o.kind == key.kind && o.id == id) {
        found.push(TargetObject { kind: key.kind, id: id.to_string(), name: Some(key.describe()) });
    }
}

fn collection(kind: ObjectKind) -> &'static str {
    match kind {
        ObjectKind::User => "/Users",
        ObjectKind::Group => "/Groups",
    }
}

fn no_answer(err: ClientError) -> Abort {
    let message = format!("setup: the target did not answer the leftover lookup: {err}");
    Abort { kind: AbortKind::Unreachable, message }
}

/// Every resource of a kind, when the endpoint holds at most `worth` of them and lists them; `None`
/// when filtered queries are the better way (more objects, or listing refused).
async fn list_all(setup: &Client, kind: ObjectKind, worth: usize) -> Result<Option<Vec<Json>>, Abort> {
    let page = |start: usize, count: usize| {
        let mut request = Request::new(crate::scim::client::Method::Get, collection(kind))
            .query("startIndex", start.to_string())
            .query("count", count.to_string());
        if kind == ObjectKind::Group {
            request = request.query("excludedAttributes", "members");
        }
        request
    };
    let first = setup.send(&page(1, 1)).await.map_err(no_answer)?;
    let Some(total) = list_body(&first).and_then(|b| b.get("totalResults")).and_then(Json::as_u64) else {
        return Ok(None);
    };
    let total = usize::try_from(total).unwrap_or(usize::MAX);
    if total > worth {
        return Ok(None);
    }
    let mut resources: Vec<Json> = Vec::with_capacity(total);
    while resources.len() < total {
        let answer = setup.send(&page(resources.len() + 1, PAGE)).await.map_err(no_answer)?;
        let items = list_body(&answer).and_then(|b| b.get("Resources")).and_then(Json::as_array);
        match items {
            Some(items) if !items.is_empty() => resources.extend(items.iter().cloned()),
            // A listing that stops short of its own total cannot be trusted to be complete.
            _ => return Ok(None),
        }
    }
    Ok(Some(resources))
}

fn list_body(e: &Exchange) -> Option<&Json> {
    (e.status == Some(200)).then(|| e.response_body.json()).flatten()
}

/// One filtered query per value, [`IN_FLIGHT`] at a time, until one is refused (the warning returned).
async fn query_each(setup: &Client, keys: &[&Key], found: &mut Vec<TargetObject>) -> Result<Option<Finding>, Abort> {
    let mut answers = futures::stream::iter(keys.iter().copied())
        .map(|key| async move { (key, setup.send(&lookup(key)).await) })
        .buffered(IN_FLIGHT);
    while let Some((key, answer)) = answers.next().await {
        let exchange = answer.map_err(no_answer)?;
        let resources = match exchange.status {
            Some(200) => exchange.response_body.json().and_then(|b| b.get("Resources")).and_then(Json::as_array),
            // No match, said the way Entra quarantines for (the steps will say so too).
            Some(404) => None,
            _ => {
                let why = describe_failure(&Sent::Answer(exchange));
                let message = format!("leftovers from earlier runs cannot be detected: {why}");
                return Ok(Some(Finding::warning(FindingKind::Setup, message)));
            }
        };
        for resource in resources.into_iter().flatten() {
            add(found, key, resource);
        }
    }
    Ok(None)
}

fn lookup(key: &Key) -> Request {
    let filter = crate::engine::matching::filter(&key.attribute, &key.value);
    let request = Request::get_filtered(collection(key.kind), filter);
    match key.kind {
        ObjectKind::User => request,
        ObjectKind::Group => request.query("excludedAttributes", "members"),
    }
}
