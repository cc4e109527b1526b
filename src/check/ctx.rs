//! The state of one check run: the client, the run tag, the objects created so far (for cleanup), the
//! checks recorded, and the helpers every check uses to send a request and to set up objects of its own.
//!
//! Every check runs between [`Ctx::mark`] and [`Ctx::finish`]: `finish` records the verdict and then
//! deletes every object the check created, so no check leaves anything another check could trip on.

use std::time::{Duration, Instant};

use serde_json::{json, Value as Json};

use super::judge::{resource_id, status_text};
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
    /// When it was created, in the run's object count: a check owns the objects created after its mark.
    pub seq: u64,
}

/// An object whose creation is uncertain (the POST got no answer or no id): looked up by its unique name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Uncertain {
    /// `Users` or `Groups`.
    pub collection: &'static str,
    /// The unique name posted (`externalId` of users, `displayName` of groups).
    pub name: String,
    /// As [`Created::seq`].
    pub seq: u64,
}

/// Where a check started: its first exchange, its start time and the first object it may create.
#[derive(Debug, Clone, Copy)]
pub struct Mark {
    exchanges: usize,
    started: Instant,
    objects: u64,
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
    pub uncertain: Vec<Uncertain>,
    /// Objects a check's cleanup could not delete: tried again at the end of the run.
    pub stuck: Vec<Created>,
    /// Checks recorded so far.
    pub checks: Vec<Check>,
    /// Real time left for `Retry-After` waits.
    pub sleep_left: Duration,
    /// The wire switches: the same request shapes as `run` sends.
    pub fidelity: crate::fidelity::Fidelity,
    /// Where each check goes, scrubbed, as soon as it is recorded (see [`super::run_live`]).
    pub progress: Option<tokio::sync::mpsc::UnboundedSender<Check>>,
    /// Warnings collected by the running check.
    warnings: Vec<Problem>,
    counter: usize,
    objects: u64,
}

impl Ctx {
    /// A fresh run state.
    pub fn new(client: Client, tag: String) -> Self {
        Ctx {
            client,
            tag,
            created: Vec::new(),
            uncertain: Vec::new(),
            stuck: Vec::new(),
            checks: Vec::new(),
            warnings: Vec::new(),
            sleep_left: RETRY_SLEEP_BUDGET,
            fidelity: crate::fidelity::Fidelity::default(),
            progress: None,
            counter: 0,
            objects: 0,
        }
    }

    /// A unique name for this run: `entrasim-<tag>-<label><n>`.
    pub fn unique(&mut self, label: &str) -> String {
        self.counter += 1;
        format!("entrasim-{}-{label}{}", self.tag, self.counter)
    }

    /// Records a check that started at `mark`, then deletes every object it created (also when it failed
    /// midway). What cannot be deleted is tried again at the end of the run.
    pub async fn finish(&mut self, group: &str, name: &str, mark: Mark, outcome: Outcome) {
        self.record(group, name, mark, outcome);
        super::cleanup::tidy(self, mark.objects).await;
    }

    /// Records a check: its exchanges and time since `mark`, its verdict and problems.
    pub fn record(&mut self, group: &str, name: &str, mark: Mark, outcome: Outcome) {
        let exchanges: Vec<Exchange> = self.client.transcript().exchanges().into_iter().skip(mark.exchanges).collect();
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
            duration: mark.started.elapsed(),
        });
        if let (Some(progress), Some(check)) = (&self.progress, self.checks.last()) {
            let mut check = check.clone();
            check.scrub(&self.client.scrubber());
            // The receiver may have gone (its reporters failed); the result still has every check.
            let _ = progress.send(check);
        }
    }

    /// The start mark of a check.
    pub fn mark(&self) -> Mark {
        Mark { exchanges: self.client.transcript().len(), started: Instant::now(), objects: self.objects }
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
        self.objects += 1;
        let seq = self.objects;
        match &id {
            Some(id) => self.created.push(Created { collection, id: id.clone(), seq }),
            None if ex.status.is_none_or(|s| s < 400) => {
                self.uncertain.push(Uncertain { collection, name: name.to_string(), seq });
            }
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
