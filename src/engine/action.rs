//! Executing requests: the only engine code that calls [`Client`]. Honours `429 Retry-After`
//! (ENTRA.md 6.6: the failed request is retried after the delay, bounded here so runs stay fast), and
//! turns responses into the shapes cycles need — a `ListResponse`, a resource with an `id` — or into a
//! [`Finding`] that names the request.
//!
//! It also fails fast against an endpoint that has gone silent: once [`SILENT_AFTER`] requests of a step
//! got no answer and none got one, the step's further requests are not sent ([`Sent::NotSent`]), so a
//! step against an endpoint that never answers costs about one `--timeout` per request in flight, and the
//! step loop then stops the scenario. A step with any answer goes on as Entra does (escrows, retries).

// Findings are built only on the error path; boxing them would only add noise at every call site.
#![allow(clippy::result_large_err)]

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use serde_json::Value as Json;

use crate::engine::clock::JobClock;
use crate::engine::result::{ErrorCode, Finding, FindingKind};
use crate::scim::client::{Body, Client, Exchange, Request, TransportErrorKind};

/// How many times a 429 is retried before the object fails with `TooManyRequests`.
pub const RETRIES_ON_429: u32 = 2;
/// Real time a run may spend sleeping for `Retry-After` in all, unless [`Actor::with_sleep_budget`] says
/// otherwise: an endpoint that throttles every request cannot stretch a run past it. Once it is spent,
/// a 429 is no longer retried and the object fails with `TooManyRequests` (escrowed, as Entra does).
pub const RETRY_SLEEP_BUDGET: Duration = Duration::from_secs(60);

/// Requests of one step that get no answer, while none of the step gets one, before the step sends no
/// more: two, so that one unlucky request does not stop a step that would otherwise go on.
pub const SILENT_AFTER: u64 = 2;

/// How [`describe_failure`] ends for a request that was not sent: the step's no-answer finding counts
/// these requests, so their own findings are dropped.
pub const NOT_SENT: &str = "not sent: the endpoint answered none of this step's earlier requests";

/// What came back for a request.
#[derive(Debug, Clone)]
pub enum Sent {
    /// An HTTP answer (any status).
    Answer(Exchange),
    /// No HTTP answer.
    NoAnswer(Exchange, TransportErrorKind),
    /// Not sent: the endpoint answered none of the step's requests so far (see [`SILENT_AFTER`]). The
    /// exchange is a placeholder that is not in the transcript.
    NotSent(Exchange),
}

impl Sent {
    /// The recorded exchange (a placeholder for [`Sent::NotSent`]).
    pub fn exchange(&self) -> &Exchange {
        match self {
            Sent::Answer(e) | Sent::NoAnswer(e, _) | Sent::NotSent(e) => e,
        }
    }
}

/// Sends requests for the engine. Shared by concurrent object work (`&self`), so its flags are atomic.
#[derive(Debug)]
pub struct Actor {
    client: Client,
    max_retry_wait: Duration,
    answered: AtomicBool,
    unreachable: AtomicBool,
    /// The job's clock, which `Retry-After` waits go through.
    clock: JobClock,
    /// Requests sent again after a 429.
    retries_429: AtomicU64,
    /// Real time left for `Retry-After` sleeps (milliseconds).
    sleep_budget_ms: AtomicU64,
    /// The budget a run starts with (milliseconds).
    full_budget_ms: AtomicU64,
    /// The current step's requests by what came of them (reset by [`Actor::begin_step`]).
    step: StepTally,
}

/// What came of the current step's requests.
#[derive(Debug, Default)]
struct StepTally {
    answered: AtomicU64,
    unanswered: AtomicU64,
    not_sent: AtomicU64,
}

impl Actor {
    /// Wraps a client; `max_retry_wait` bounds the real sleep for one `Retry-After`.
    pub fn new(client: Client, max_retry_wait: Duration) -> Self {
        Actor {
            client,
            max_retry_wait,
            answered: AtomicBool::new(false),
            unreachable: AtomicBool::new(false),
            clock: JobClock::default(),
            retries_429: AtomicU64::new(0),
            sleep_budget_ms: AtomicU64::new(millis(RETRY_SLEEP_BUDGET)),
            full_budget_ms: AtomicU64::new(millis(RETRY_SLEEP_BUDGET)),
            step: StepTally::default(),
        }
    }

    /// Forgets what earlier work learnt about the endpoint (whether it ever answered, the `Retry-After`
    /// sleep budget): a job that runs for days judges each cycle on its own.
    pub fn reset_run(&self) {
        self.answered.store(false, Ordering::Relaxed);
        self.unreachable.store(false, Ordering::Relaxed);
        self.sleep_budget_ms.store(self.full_budget_ms.load(Ordering::Relaxed), Ordering::Relaxed);
        self.begin_step();
    }

    /// Starts counting a new step's answers: the fail-fast rule looks at one step at a time.
    pub fn begin_step(&self) {
        self.step.answered.store(0, Ordering::Relaxed);
        self.step.unanswered.store(0, Ordering::Relaxed);
        self.step.not_sent.store(0, Ordering::Relaxed);
    }

    /// True when the current step got no answer yet and [`SILENT_AFTER`] of its requests went unanswered.
    pub fn silent(&self) -> bool {
        self.step.answered.load(Ordering::Relaxed) == 0 && self.step.unanswered.load(Ordering::Relaxed) >= SILENT_AFTER
    }

    /// Requests of the current step that were not sent because the endpoint had gone silent.
    pub fn not_sent(&self) -> u64 {
        self.step.not_sent.load(Ordering::Relaxed)
    }

    /// Sets the real time the run may spend sleeping for `Retry-After` in all.
    pub fn with_sleep_budget(self, budget: Duration) -> Self {
        self.sleep_budget_ms.store(millis(budget), Ordering::Relaxed);
        self.full_budget_ms.store(millis(budget), Ordering::Relaxed);
        self
    }

    /// Takes `sleep` out of the sleep budget; false (and nothing taken) when too little is left.
    fn spend_sleep(&self, sleep: Duration) -> bool {
        let want = millis(sleep);
        self.sleep_budget_ms.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |left| left.checked_sub(want)).is_ok()
    }

    /// The client.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// True when a connection failed before the endpoint ever answered: the target is unusable.
    pub fn unreachable(&self) -> bool {
        self.unreachable.load(Ordering::Relaxed)
    }

    /// Makes `Retry-After` waits go through the job's clock.
    pub fn set_clock(&mut self, clock: JobClock) {
        self.clock = clock;
    }

    /// Requests sent again after a 429 since the actor was made.
    pub fn retries_429(&self) -> u64 {
        self.retries_429.load(Ordering::Relaxed)
    }

    /// Sends a request; retries 429 after `Retry-After` (default 1 s), at most [`RETRIES_ON_429`] times.
    /// Nothing is sent once the step has gone [`silent`](Actor::silent).
    pub async fn send(&self, request: Request) -> Sent {
        let mut attempt = 0;
        loop {
            if self.silent() {
                self.step.not_sent.fetch_add(1, Ordering::Relaxed);
                return Sent::NotSent(placeholder(&request, None));
            }
            let sent = match self.client.send(&request).await {
                Ok(exchange) => {
                    self.answered.store(true, Ordering::Relaxed);
                    self.step.answered.fetch_add(1, Ordering::Relaxed);
                    Sent::Answer(exchange)
                }
                Err(err) => {
                    self.step.unanswered.fetch_add(1, Ordering::Relaxed);
                    let exchange = err.exchange().cloned();
                    let kind = match &err {
                        crate::scim::client::ClientError::Transport { kind, .. } => *kind,
                        _ => TransportErrorKind::Other,
                    };
                    if kind == TransportErrorKind::Connect && !self.answered.load(Ordering::Relaxed) {
                        self.unreachable.store(true, Ordering::Relaxed);
                    }
                    match exchange {
                        Some(e) => Sent::NoAnswer(e, kind),
                        None => return Sent::NoAnswer(placeholder(&request, Some(kind)), kind),
                    }
                }
            };
            if let Sent::Answer(e) = &sent {
                // `retry_after` is capped at an hour, and the real sleep also by the run's budget.
                let wait = e.retry_after().unwrap_or(Duration::from_secs(1));
                let sleep = wait.min(self.max_retry_wait);
                if e.status == Some(429) && attempt < RETRIES_ON_429 && self.spend_sleep(sleep) {
                    attempt += 1;
                    self.retries_429.fetch_add(1, Ordering::Relaxed);
                    self.clock.retry_after(wait, sleep).await;
                    continue;
                }
            }
            return sent;
        }
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// An exchange for a request the transcript does not hold: `error` is why it got no answer, `None` when
/// it was not sent.
fn placeholder(request: &Request, error: Option<TransportErrorKind>) -> Exchange {
    Exchange {
        index: usize::MAX,
        origin: request.origin,
        method: request.method,
        path: request.path.clone(),
        query: String::new(),
        request_body: request.body.clone(),
        status: None,
        response_headers: Vec::new(),
        response_body: Body::Empty,
        duration: Duration::ZERO,
        error,
    }
}

/// Entra's code for a failed request (ENTRA.md 6.3).
pub fn failure_code(sent: &Sent) -> ErrorCode {
    match sent {
        Sent::NoAnswer(_, TransportErrorKind::Timeout) => ErrorCode::Timeout,
        Sent::NoAnswer(..) | Sent::NotSent(_) => ErrorCode::WebExceptionProtocolError,
        Sent::Answer(e) => match e.status.unwrap_or(0) {
            400 => ErrorCode::SystemForCrossDomainIdentityManagementBadRequest,
            401 => ErrorCode::Unauthorized,
            403 => ErrorCode::InsufficientRights,
            404 => ErrorCode::InvalidAnchor,
            405 => ErrorCode::MethodNotAllowed,
            409 => ErrorCode::EntryConflict,
            422 => ErrorCode::UnprocessableEntity,
            429 => ErrorCode::TooManyRequests,
            501 => ErrorCode::NotImplemented,
            s if s >= 500 => ErrorCode::InternalServerError,
            _ => ErrorCode::WebExceptionProtocolError,
        },
    }
}

/// A one-line description of a failed request: method, path, status and a body excerpt (SCIM error
/// fields when present).
pub fn describe_failure(sent: &Sent) -> String {
    let e = sent.exchange();
    match sent {
        Sent::NoAnswer(_, kind) => format!("{} {kind}", e.request_line()),
        Sent::NotSent(_) => format!("{} {NOT_SENT}", e.request_line()),
        Sent::Answer(_) => {
            let status = e.status.unwrap_or(0);
            let detail = match e.scim_error() {
                Some(err) => {
                    let t = err.scim_type.map(|t| format!(" ({t})")).unwrap_or_default();
                    format!("{}{t}", err.detail.unwrap_or_default())
                }
                None => e.body_excerpt(),
            };
            format!("target returned {status} for {}: {}", e.request_line(), detail.trim())
        }
    }
}

/// The resources of a `ListResponse` answer to a filter query (ENTRA.md 1.0 item 11, 1.1).
pub fn list_resources(e: &Exchange) -> Result<&[Json], Finding> {
    if e.status == Some(404) {
        return Err(Finding::error(
            FindingKind::NonCompliance,
            format!("{} returned 404 rather than the expected 200 with an empty ListResponse", e.request_line()),
        )
        .with_request(e));
    }
    if e.status != Some(200) {
        let sent = Sent::Answer(e.clone());
        return Err(Finding::error(FindingKind::ObjectFailure, describe_failure(&sent))
            .with_code(failure_code(&sent))
            .with_request(e));
    }
    let json = body_json(e)?;
    let resources =
        json.as_object().and_then(|o| o.iter().find(|(k, _)| k.eq_ignore_ascii_case("Resources")).map(|(_, v)| v));
    match resources {
        Some(Json::Array(items)) => Ok(items),
        None if json.get("totalResults").and_then(Json::as_u64) == Some(0) => Ok(&[]),
        _ => Err(incompatible(e, "the response is not a ListResponse with a `Resources` array")),
    }
}

/// What a matching query found in its answer's `Resources` (`hits`): nothing, one object (its `id` and
/// resource), or a failure: a match without an `id`, or more than one (`DuplicateTargetEntries`). `one` and
/// `many` name the objects in the messages (`resource`/`objects`, `group`/`groups`).
pub fn single_match(e: &Exchange, hits: &[Json], one: &str, many: &str) -> Result<Option<(String, Json)>, Finding> {
    match hits {
        [] => Ok(None),
        [hit] => match hit.get("id").and_then(Json::as_str) {
            Some(id) => Ok(Some((id.to_string(), hit.clone()))),
            None => Err(incompatible(e, &format!("the matched {one} has no `id`"))),
        },
        _ => Err(Finding::error(
            FindingKind::ObjectFailure,
            format!("{} matched {} target {many}", e.request_line(), hits.len()),
        )
        .with_code(ErrorCode::DuplicateTargetEntries)
        .with_request(e)),
    }
}

/// The `id` and the resource of a POST or GET-by-id answer.
pub fn resource_with_id(e: &Exchange) -> Result<(String, &Json), Finding> {
    let json = body_json(e)?;
    match json.get("id") {
        Some(Json::String(id)) if !id.is_empty() => Ok((id.clone(), json)),
        Some(Json::Number(n)) => Ok((n.to_string(), json)),
        _ => Err(incompatible(e, "the returned resource has no `id`")),
    }
}

fn body_json(e: &Exchange) -> Result<&Json, Finding> {
    match &e.response_body {
        Body::Json { value } => Ok(value),
        Body::Empty => Err(incompatible(e, "the response has no body")),
        Body::Text { error, .. } => Err(incompatible(e, &format!("the response body is not JSON ({error})"))),
        Body::TooLarge { limit } => Err(incompatible(e, &format!("the response body is larger than {limit} bytes"))),
    }
}

/// A `SystemForCrossDomainIdentityManagementServiceIncompatible` finding for an exchange.
pub fn incompatible(e: &Exchange, why: &str) -> Finding {
    Finding::error(FindingKind::Incompatible, format!("{}: {why}; Entra cannot deserialise it", e.request_line()))
        .with_code(ErrorCode::SystemForCrossDomainIdentityManagementServiceIncompatible)
        .with_request(e)
}
