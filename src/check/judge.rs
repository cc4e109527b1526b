//! Judging an endpoint's answers: the expected status, a SCIM JSON object, a `ListResponse` whose counts add
//! up, exactly one match. Each helper turns a wrong answer into a failed check naming the request.

use serde_json::Value as Json;

use super::attr::get_ci;
use super::ctx::Stop;
use super::model::Problem;
use crate::scim::client::Exchange;

/// `201`, or `no answer`.
pub fn status_text(ex: &Exchange) -> String {
    match ex.status {
        Some(s) => {
            let excerpt = ex.body_excerpt();
            if excerpt.is_empty() || ex.is_success() {
                s.to_string()
            } else {
                format!("{s} {excerpt}")
            }
        }
        None => "no answer".to_string(),
    }
}

/// The `id` of a returned resource, when it is a non-empty string.
pub fn resource_id(ex: &Exchange) -> Option<String> {
    let id = get_ci(ex.response_body.json()?, "id")?.as_str()?;
    (!id.is_empty()).then(|| id.to_string())
}

/// Fails unless the status is one of `expected`.
pub fn expect_status(ex: &Exchange, expected: &[u16], kind: &str, hint: &str) -> Result<(), Stop> {
    if ex.status.is_some_and(|s| expected.contains(&s)) {
        return Ok(());
    }
    let want = expected.iter().map(u16::to_string).collect::<Vec<_>>().join(" or ");
    Err(Stop::Fail(Problem::error(
        kind,
        format!("{} answered {}, expected {want}", ex.request_line(), status_text(ex)),
        hint,
        Some(ex),
    )))
}

/// The response body as a JSON object, or a failure naming the request (HTML pages, text, empty bodies).
pub fn expect_object(ex: &Exchange) -> Result<&Json, Stop> {
    match ex.response_body.json() {
        Some(value) if value.is_object() => Ok(value),
        _ => Err(Stop::Fail(Problem::error(
            "not_scim_json",
            format!(
                "{} answered {} without a SCIM JSON object: {}",
                ex.request_line(),
                ex.status.unwrap_or(0),
                ex.body_excerpt()
            ),
            "answer with a SCIM JSON resource and `Content-Type: application/scim+json`",
            Some(ex),
        ))),
    }
}

/// Checks a query answer: 200, a JSON `ListResponse` with `totalResults` and `Resources`; returns the resources.
pub fn expect_list(ex: &Exchange) -> Result<Vec<Json>, Stop> {
    expect_status(
        ex,
        &[200],
        "query_status",
        "answer every filter query with 200 and a ListResponse, also when nothing matches",
    )?;
    let body = expect_object(ex)?;
    let resources = match get_ci(body, "Resources") {
        Some(Json::Array(list)) => list.clone(),
        None | Some(Json::Null) => Vec::new(),
        Some(_) => {
            return Err(Stop::Fail(Problem::error(
                "not_list_response",
                format!("{} returned `Resources` that is not an array", ex.request_line()),
                "return query results as a ListResponse with a `Resources` array",
                Some(ex),
            )))
        }
    };
    let total = get_ci(body, "totalResults").and_then(Json::as_u64);
    if total.is_none() {
        return Err(Stop::Fail(Problem::error(
            "not_list_response",
            format!("{} returned no numeric `totalResults`: not a ListResponse", ex.request_line()),
            "return query results as a ListResponse (`schemas`, `totalResults`, `Resources`)",
            Some(ex),
        )));
    }
    let carried = resources.len() as u64;
    let paged = get_ci(body, "itemsPerPage").and_then(Json::as_u64).is_some_and(|n| n < total.unwrap_or(0));
    if total.is_some_and(|t| t != carried && !(paged && carried < t)) {
        return Err(Stop::Fail(Problem::error(
            "list_count_mismatch",
            format!("{} returned `totalResults` {} but {carried} `Resources`", ex.request_line(), total.unwrap_or(0)),
            "make `totalResults` the number of matches (a page may carry fewer `Resources`, never more)",
            Some(ex),
        )));
    }
    Ok(resources)
}

/// Checks a filter answer that must match exactly one resource with the given id.
pub fn expect_one(ex: &Exchange, id: &str, hint: &str) -> Result<Json, Stop> {
    let resources = expect_list(ex)?;
    let found: Vec<&Json> = resources.iter().collect();
    let message = match found.as_slice() {
        [one] if get_ci(one, "id").and_then(Json::as_str) == Some(id) => return Ok((*one).clone()),
        [] => format!("{} found nothing; expected the resource `{id}`", ex.request_line()),
        [_] => format!("{} found another resource than `{id}`", ex.request_line()),
        many => format!(
            "{} found {} resources; Entra fails on more than one (DuplicateTargetEntries)",
            ex.request_line(),
            many.len()
        ),
    };
    Err(Stop::Fail(Problem::error("match_failed", message, hint, Some(ex))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::client::{Body, Method, Origin};
    use serde_json::json;
    use std::time::Duration;

    fn answer(status: u16, body: Json) -> Exchange {
        Exchange {
            index: 0,
            origin: Origin::Entra,
            method: Method::Get,
            path: "/Users".into(),
            query: "filter=userName+eq+%22a%22".into(),
            request_body: None,
            status: Some(status),
            response_headers: vec![],
            response_body: Body::Json { value: body },
            duration: Duration::ZERO,
            error: None,
        }
    }

    fn kind(result: Result<impl std::fmt::Debug, Stop>) -> String {
        match result {
            Err(Stop::Fail(p)) => p.kind,
            other => format!("{other:?}"),
        }
    }

    #[test]
    fn list_answers_are_judged_like_entra() {
        let ok = answer(200, json!({"totalResults": 1, "Resources": [{"id": "1"}]}));
        assert_eq!(expect_one(&ok, "1", "h").unwrap()["id"], json!("1"));
        assert_eq!(kind(expect_one(&ok, "2", "h")), "match_failed");
        let two = answer(200, json!({"totalResults": 2, "Resources": [{"id": "1"}, {"id": "1"}]}));
        let Err(Stop::Fail(p)) = expect_one(&two, "1", "h") else { panic!("two matches must fail") };
        assert!(p.message.contains("DuplicateTargetEntries"), "{}", p.message);
        assert_eq!(kind(expect_list(&answer(200, json!({"Resources": []})))), "not_list_response");
        assert_eq!(kind(expect_list(&answer(200, json!({"totalResults": 0, "Resources": {}})))), "not_list_response");
        assert_eq!(kind(expect_list(&answer(200, json!([])))), "not_scim_json");
        assert_eq!(kind(expect_list(&answer(404, json!({"status": "404"})))), "query_status");
        assert!(expect_list(&answer(200, json!({"totalResults": 0}))).unwrap().is_empty());
        assert_eq!(kind(expect_list(&answer(200, json!({"totalResults": 1, "Resources": []})))), "list_count_mismatch");
        assert_eq!(
            kind(expect_list(&answer(200, json!({"totalResults": 1, "Resources": [{}, {}]})))),
            "list_count_mismatch"
        );
        let page = json!({"totalResults": 5, "itemsPerPage": 2, "Resources": [{"id": "1"}, {"id": "2"}]});
        assert_eq!(expect_list(&answer(200, page)).unwrap().len(), 2);
    }

    #[test]
    fn status_text_names_the_error_body_only_for_errors() {
        assert_eq!(status_text(&answer(200, json!({"id": "1"}))), "200");
        assert_eq!(status_text(&answer(500, json!({"detail": "boom"}))), "500 {\"detail\":\"boom\"}");
        let mut none = answer(200, json!(null));
        none.status = None;
        assert_eq!(status_text(&none), "no answer");
    }
}
