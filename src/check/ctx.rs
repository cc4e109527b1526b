//! The state of one check run: the client, the run tag, the objects created so far (for cleanup), the
//! checks recorded, and the helpers every check uses to send a request and judge the answer.

use std::time::{Duration, Instant};

use serde_json::{json, Value as Json};

use super::attr::get_ci;
use super::model::{Check, CheckStatus, Problem};
use crate::engine::dialect::ENTERPRISE_URN;
use crate::scim::client::{Client, ClientError, Exchange, Request};

/// The `ListResponse` message URN.
pub const LIST_URN: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
/// The core User schema URN.
pub const USER_URN: &str = "urn:ietf:params:scim:schemas:core:2.0:User";

/// Attempts per request when the endpoint answers 429.
pub const ATTEMPTS: usize = 4;
/// The longest `Retry-After` honoured between attempts.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(10);
/// Real time a check run may spend waiting for `Retry-After` in all: an endpoint that throttles every
/// request fails its checks at once after that, instead of stretching the run to hours.
pub const RETRY_SLEEP_BUDGET: Duration = Duration::from_secs(60);

/// Why a check body stopped early.
#[derive(Debug)]
pub enum Stop {
    /// The endpoint showed a problem: the check fails.
    Fail(Problem),
    /// The check could not be set up (its prerequisite failed elsewhere): it is skipped.
    Skip(String),
}

impl From<Problem> for Stop {
    fn from(p: Problem) -> Self {
        Stop::Fail(p)
    }
}

/// What a check body returns: a one-line detail on success.
pub type Outcome = Result<String, Stop>;

/// A created object: `Users` or `Groups`, and its id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Created {
    /// `Users` or `Groups`.
    pub collection: &'static str,
    /// The id the endpoint returned.
    pub id: String,
}

/// The run state.
#[derive(Debug)]
pub struct Ctx {
    /// The client.
    pub client: Client,
    /// Unique suffix of this run's object names.
    pub tag: String,
    /// Objects created and not yet deleted.
    pub created: Vec<Created>,
    /// Names posted whose creation is uncertain (no id came back): looked up and deleted at cleanup.
    pub uncertain: Vec<(&'static str, String)>,
    /// Checks recorded so far.
    pub checks: Vec<Check>,
    /// Real time left for `Retry-After` waits.
    pub sleep_left: Duration,
    /// The wire switches: the same request shapes as `run` sends.
    pub fidelity: crate::fidelity::Fidelity,
    /// Warnings collected by the running check.
    warnings: Vec<Problem>,
    counter: usize,
}

impl Ctx {
    /// A fresh run state.
    pub fn new(client: Client, tag: String) -> Self {
        Ctx {
            client,
            tag,
            created: Vec::new(),
            uncertain: Vec::new(),
            checks: Vec::new(),
            warnings: Vec::new(),
            sleep_left: RETRY_SLEEP_BUDGET,
            fidelity: crate::fidelity::Fidelity::default(),
            counter: 0,
        }
    }

    /// A unique name for this run: `entrasim-<tag>-<label><n>`.
    pub fn unique(&mut self, label: &str) -> String {
        self.counter += 1;
        format!("entrasim-{}-{label}{}", self.tag, self.counter)
    }

    /// Records a check: runs are timed by the caller passing the start mark from [`Ctx::mark`].
    pub fn record(&mut self, group: &str, name: &str, mark: (usize, Instant), outcome: Outcome) {
        let exchanges: Vec<Exchange> = self.client.transcript().exchanges().into_iter().skip(mark.0).collect();
        let mut problems = std::mem::take(&mut self.warnings);
        let (status, detail) = match outcome {
            Ok(detail) if problems.is_empty() => (CheckStatus::Pass, detail),
            Ok(detail) => (CheckStatus::Warning, detail),
            Err(Stop::Fail(problem)) => {
                let detail = problem.message.clone();
                problems.insert(0, problem);
                (CheckStatus::Fail, detail)
            }
            Err(Stop::Skip(reason)) => (CheckStatus::Skipped, reason),
        };
        let status = if status == CheckStatus::Warning
            && problems.iter().any(|p| p.severity == crate::report::Severity::Error)
        {
            CheckStatus::Fail
        } else {
            status
        };
        self.checks.push(Check {
            group: group.to_string(),
            name: name.to_string(),
            status,
            detail,
            problems,
            exchanges,
            duration: mark.1.elapsed(),
        });
    }

    /// The start mark of a check.
    pub fn mark(&self) -> (usize, Instant) {
        (self.client.transcript().len(), Instant::now())
    }

    /// Adds a problem to the running check without stopping it: a warning, or an error when the check
    /// goes on to collect more (the steady state names every differing attribute).
    pub fn note(&mut self, problem: Problem) {
        self.warnings.push(problem);
    }

    /// Sends a request; a request without an HTTP answer fails the check with the request named. A 429
    /// is retried after its `Retry-After` (at most [`MAX_RETRY_AFTER`], [`ATTEMPTS`] attempts in all), as
    /// Entra backs off; a request still throttled after that fails the check.
    pub async fn send(&mut self, request: Request) -> Result<Exchange, Stop> {
        let exchange = send_retrying(&self.client, request, &mut self.sleep_left)
            .await
            .map_err(|e| Stop::Fail(transport_problem(&e)))?;
        if exchange.status == Some(429) {
            return Err(Stop::Fail(Problem::error(
                "rate_limited",
                format!("{} answered 429 and was still throttled after its retries", exchange.request_line()),
                "allow at least Entra's request rate (gallery apps: 25 requests/s) or send a short `Retry-After`",
                Some(&exchange),
            )));
        }
        Ok(exchange)
    }

    /// POSTs a user with Entra's body and registers it for cleanup; returns its id. A failure skips the
    /// calling check (the `users/create` check reports the POST itself).
    pub async fn setup_user(&mut self, label: &str) -> Result<(String, Json), Stop> {
        let name = self.unique(label);
        let body = entra_user_body(&name, &self.fidelity);
        let ex = self.send(Request::new(crate::scim::client::Method::Post, "/Users").body(body.clone())).await;
        let ex = ex.map_err(|_| {
            Stop::Skip(format!("could not create a user to check with: POST /Users for `{name}` got no answer"))
        })?;
        match self.register(&ex, "Users", &name) {
            Some(id) => Ok((id, body)),
            None => Err(Stop::Skip(format!(
                "could not create a user to check with: POST /Users answered {}",
                status_text(&ex)
            ))),
        }
    }

    /// POSTs a group with Entra's body (no members) and registers it; returns its id and display name.
    pub async fn setup_group(&mut self, label: &str) -> Result<(String, String), Stop> {
        let name = self.unique(label);
        let ex = self
            .send(
                Request::new(crate::scim::client::Method::Post, "/Groups")
                    .body(entra_group_body(&name, &self.fidelity)),
            )
            .await;
        let ex = ex.map_err(|_| {
            Stop::Skip(format!("could not create a group to check with: POST /Groups for `{name}` got no answer"))
        })?;
        match self.register(&ex, "Groups", &name) {
            Some(id) => Ok((id, name)),
            None => Err(Stop::Skip(format!(
                "could not create a group to check with: POST /Groups answered {}",
                status_text(&ex)
            ))),
        }
    }

    /// Registers the object a POST created (any 2xx with an `id`); an answer without an id leaves the
    /// name for lookup at cleanup.
    pub fn register(&mut self, ex: &Exchange, collection: &'static str, name: &str) -> Option<String> {
        let id = ex.is_success().then(|| resource_id(ex)).flatten();
        match &id {
            Some(id) => self.created.push(Created { collection, id: id.clone() }),
            None if ex.status.is_none_or(|s| s < 400) => self.uncertain.push((collection, name.to_string())),
            None => {}
        }
        id
    }

    /// Forgets an object the run deleted itself.
    pub fn forget(&mut self, collection: &str, id: &str) {
        self.created.retain(|c| !(c.collection == collection && c.id == id));
    }
}

/// Sends a request, retrying a 429 after its `Retry-After` (at most [`MAX_RETRY_AFTER`], [`ATTEMPTS`]
/// attempts in all, and only while the wait fits in `sleep_left`, which it is taken from); returns the
/// last exchange, which is a 429 only when the request was still throttled.
pub async fn send_retrying(
    client: &Client,
    request: Request,
    sleep_left: &mut Duration,
) -> Result<Exchange, ClientError> {
    let mut attempt = 1;
    loop {
        let exchange = client.send(&request).await?;
        let wait = exchange.retry_after().unwrap_or(Duration::from_secs(1)).min(MAX_RETRY_AFTER);
        if exchange.status != Some(429) || attempt == ATTEMPTS || wait > *sleep_left {
            return Ok(exchange);
        }
        attempt += 1;
        *sleep_left -= wait;
        tokio::time::sleep(wait).await;
    }
}

/// The problem for a request that got no HTTP answer.
pub fn transport_problem(error: &ClientError) -> Problem {
    match error.exchange() {
        Some(ex) => Problem::error(
            "transport",
            format!("{}: {}", ex.request_line(), error),
            "make sure the endpoint answers every request within the timeout",
            Some(ex),
        ),
        None => Problem::error("transport", error.to_string(), "check the tenant URL", None),
    }
}

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

/// The user body Entra POSTs (ENTRA.md 1.2), for a unique name.
pub fn entra_user_body(name: &str, fidelity: &crate::fidelity::Fidelity) -> Json {
    let mail = format!("{name}@example.com");
    json!({
        "schemas": [USER_URN, ENTERPRISE_URN],
        "externalId": name,
        "userName": mail,
        // Entra's default job is legacy, whose POST may carry the string (the `post_active_as_string` switch).
        "active": if fidelity.post_active_as_string { json!("True") } else { json!(true) },
        "displayName": format!("Check {name}"),
        "title": "Engineer",
        "preferredLanguage": "en-US",
        "emails": [{"primary": true, "type": "work", "value": mail}],
        "meta": {"resourceType": "User"},
        "name": {"formatted": "Alice Doe", "familyName": "Doe", "givenName": "Alice"},
        "addresses": [{"type": "work", "formatted": "Bldg 1", "streetAddress": "1 Main St", "locality": "Redmond",
                       "region": "WA", "postalCode": "98052", "country": "US", "primary": true}],
        "phoneNumbers": [{"type": "work", "value": "+1 425 555 0100"}, {"type": "mobile", "value": "+1 425 555 0101"}],
        ENTERPRISE_URN: {"employeeNumber": "1234", "department": "R&D"},
        "roles": []
    })
}

/// The group body Entra POSTs (ENTRA.md 1.7): no members; `schemas` as `run` sends them.
pub fn entra_group_body(name: &str, fidelity: &crate::fidelity::Fidelity) -> Json {
    json!({
        "schemas": crate::engine::dialect::group_schemas(fidelity),
        "externalId": uuid::Uuid::new_v4().to_string(),
        "displayName": name,
        "meta": {"resourceType": "Group"}
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scim::client::{Body, Method, Origin};
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
