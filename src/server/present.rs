//! How stored resources leave the endpoint: as their stored text when nothing changes them on the way out,
//! otherwise rendered (computed `groups`) and presented (projection, the manager-as-string switch); alone, or
//! as a page of a `ListResponse` written around the texts.

use axum::http::StatusCode;
use serde_json::Value;

use crate::scim::filter::EvalOptions;
use crate::scim::model;
use crate::server::defects;
use crate::server::error::ApiError;
use crate::server::query::{ListParams, Projection};
use crate::server::reply::Reply;
use crate::server::state::AppState;
use crate::server::store::{Kind, Store, Stored};

/// The answer for stored resource `id`: the stored text when nothing changes it on the way out (no computed
/// `groups`, no projection, nothing never-returned, no manager-as-string switch), which spares parsing and
/// serializing the resource per answer; otherwise rendered and presented.
pub(crate) fn answer_stored(
    state: &AppState,
    store: &Store,
    kind: Kind,
    id: &str,
    projection: &Projection,
    status: StatusCode,
    location: bool,
) -> Result<Reply, ApiError> {
    let stored =
        store.stored(kind, id).ok_or_else(|| ApiError::not_found(format!("{} `{id}` not found", kind.name())))?;
    if !answers_as_stored(state, kind, &stored, projection) {
        return Ok(Reply::resource(status, present(state, kind, stored.render(), projection), location));
    }
    Ok(Reply::Serialized {
        status,
        bytes: stored.json().as_bytes().to_vec(),
        location: location.then(|| stored.location()),
        etag: Some(stored.etag()),
    })
}

/// True when a stored resource is answered as its stored text.
fn answers_as_stored(state: &AppState, kind: Kind, stored: &Stored<'_>, projection: &Projection) -> bool {
    stored.reads_as_stored() && projection.selects_all() && !(kind == Kind::User && state.switches.manager_as_string)
}

pub(crate) fn list(state: &AppState, kind: Kind, params: ListParams) -> Result<Reply, ApiError> {
    let count = params.count.unwrap_or(state.max_results).min(state.max_results);
    let opts = EvalOptions { case_exact: state.switches.case_exact_filters };
    let (total, page) = {
        let store = state.read();
        let start = defects::start_index(&state.switches, params.start_index);
        let (total, page) = store.query(kind, params.filter.as_ref(), opts, start, count);
        let texts: Vec<String> = page
            .into_iter()
            .map(|stored| {
                if answers_as_stored(state, kind, &stored, &params.projection) {
                    stored.json().to_string()
                } else {
                    let doc = present(state, kind, stored.render(), &params.projection);
                    serde_json::to_string(&doc).unwrap_or_default()
                }
            })
            .collect();
        (total, texts)
    };
    if total == 0 && state.switches.not_found_on_empty_query {
        return Err(ApiError::not_found(format!("no {} matches the query", kind.name())));
    }
    Ok(Reply::Serialized {
        status: StatusCode::OK,
        bytes: list_response(total, &page, params.start_index),
        location: None,
        etag: None,
    })
}

/// A `ListResponse` (as [`ListResponse`] serializes) around resources already serialized.
fn list_response(total: usize, resources: &[String], start_index: usize) -> Vec<u8> {
    let body = resources.iter().map(String::len).sum::<usize>() + resources.len();
    let mut out = Vec::with_capacity(body + 128);
    out.extend_from_slice(br#"{"schemas":["#);
    out.extend_from_slice(serde_json::to_string(model::LIST_RESPONSE_SCHEMA).unwrap_or_default().as_bytes());
    out.extend_from_slice(format!(r#"],"totalResults":{total},"Resources":["#).as_bytes());
    for (i, text) in resources.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(text.as_bytes());
    }
    out.extend_from_slice(format!(r#"],"startIndex":{start_index},"itemsPerPage":{}}}"#, resources.len()).as_bytes());
    out
}

/// A stored resource as the endpoint returns it.
fn present(state: &AppState, kind: Kind, doc: Value, projection: &Projection) -> Value {
    let mut out = projection.apply(doc);
    if kind == Kind::User && state.switches.manager_as_string {
        let ext = out.as_object_mut().and_then(|o| model::get_ci_mut(o, model::ENTERPRISE_USER_SCHEMA));
        if let Some(mgr) = ext.and_then(Value::as_object_mut).and_then(|e| model::get_ci_mut(e, "manager")) {
            if let Some(id) = mgr.get("value").cloned() {
                *mgr = id;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::model::ListResponse;

    #[test]
    fn list_bodies_are_what_list_response_serializes() {
        let docs = [serde_json::json!({"id": "a", "x": [1, {"y": "é\""}]}), serde_json::json!({"id": "b"})];
        for page in [&docs[..], &docs[..1], &[]] {
            let texts: Vec<String> = page.iter().map(|d| serde_json::to_string(d).expect("json")).collect();
            let expected = ListResponse::new(7, page.to_vec(), 3);
            assert_eq!(list_response(7, &texts, 3), serde_json::to_vec(&expected).expect("json"));
        }
    }
}
