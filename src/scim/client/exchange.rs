//! What the client records: each [`Exchange`] (request and response, or the transport failure) in a
//! shared [`Transcript`], response bodies as [`Body`], SCIM error bodies parsed into [`ScimErrorBody`].

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;

use super::encode::form_decode;
use super::Method;

/// The longest `Retry-After` believed: one hour.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(3600);

/// Who sent a request: Entra's own traffic, or a request entrasim makes only to verify the endpoint
/// (for example reading a group with its members in a steady-state check), which Entra never sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// A request Entra sends.
    #[default]
    Entra,
    /// A verification request that Entra does not send.
    Verification,
}

/// A response body as recorded.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Body {
    /// No body.
    Empty,
    /// A JSON body.
    Json {
        /// The parsed JSON.
        value: serde_json::Value,
    },
    /// A body that is not JSON (an HTML error page, a truncated document, plain text).
    Text {
        /// The text (lossy UTF-8).
        text: String,
        /// Why it did not parse as JSON.
        error: String,
    },
    /// A body longer than the configured bound; reading stopped there.
    TooLarge {
        /// The bound in bytes.
        limit: usize,
    },
}

impl Body {
    /// The JSON value, if the body was JSON.
    pub fn json(&self) -> Option<&serde_json::Value> {
        match self {
            Body::Json { value } => Some(value),
            _ => None,
        }
    }
}

/// Why a request got no HTTP answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum TransportErrorKind {
    /// The request or the body read took longer than the timeout.
    Timeout,
    /// The connection could not be established.
    Connect,
    /// The connection broke while reading or writing.
    Io,
    /// Anything else reqwest reports.
    Other,
}

impl fmt::Display for TransportErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TransportErrorKind::Timeout => "timed out",
            TransportErrorKind::Connect => "connection failed",
            TransportErrorKind::Io => "connection broken",
            TransportErrorKind::Other => "transport error",
        })
    }
}

/// A SCIM error body (`urn:ietf:params:scim:api:messages:2.0:Error`) parsed into fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScimErrorBody {
    /// `status` as sent (a string in RFC 7644, sometimes a number).
    pub status: Option<String>,
    /// `scimType`, such as `uniqueness` or `invalidFilter`.
    pub scim_type: Option<String>,
    /// `detail`.
    pub detail: Option<String>,
}

/// One request and what came back.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Exchange {
    /// Position in the transcript, from 0.
    pub index: usize,
    /// Entra traffic or verification.
    pub origin: Origin,
    /// Method.
    pub method: Method,
    /// Path as sent, relative to the base (always starting with `/`).
    pub path: String,
    /// Encoded query string as sent (without `?`); empty when none.
    pub query: String,
    /// Request body.
    pub request_body: Option<serde_json::Value>,
    /// HTTP status; `None` when the transport failed.
    pub status: Option<u16>,
    /// Response headers of interest (`content-type`, `retry-after`, `location`, `etag`), lowercase names.
    pub response_headers: Vec<(String, String)>,
    /// Response body.
    pub response_body: Body,
    /// Wall-clock duration.
    #[serde(serialize_with = "serialize_millis")]
    pub duration: Duration,
    /// Set when the request got no HTTP answer.
    pub error: Option<TransportErrorKind>,
}

fn serialize_millis<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

impl Exchange {
    /// Moves the parsed JSON body out (`Null` when the body is not JSON), for callers that validated it and
    /// keep the resource: the transcript holds its own copy.
    pub fn take_json(&mut self) -> serde_json::Value {
        match std::mem::replace(&mut self.response_body, Body::Empty) {
            Body::Json { value } => value,
            other => {
                self.response_body = other;
                serde_json::Value::Null
            }
        }
    }

    /// `METHOD /path?query` with the query decoded for reading (`filter=userName eq "a@b.c"`).
    pub fn request_line(&self) -> String {
        // Built in one buffer: every logged request has its line made.
        let method = self.method.as_str();
        let mut line = String::with_capacity(method.len() + 2 + self.path.len() + self.query.len());
        line.push_str(method);
        line.push(' ');
        line.push_str(&self.path);
        for (i, part) in self.query.split('&').enumerate().filter(|_| !self.query.is_empty()) {
            line.push(if i == 0 { '?' } else { '&' });
            match part.split_once('=') {
                Some((k, v)) => {
                    line.push_str(&form_decode(k));
                    line.push('=');
                    line.push_str(&form_decode(v));
                }
                None => line.push_str(&form_decode(part)),
            }
        }
        line
    }

    /// `METHOD /path?query` exactly as sent (query still encoded).
    pub fn raw_request_line(&self) -> String {
        if self.query.is_empty() {
            format!("{} {}", self.method, self.path)
        } else {
            format!("{} {}?{}", self.method, self.path, self.query)
        }
    }

    /// True for a 2xx status.
    pub fn is_success(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }

    /// A response header of interest (lowercase name).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.response_headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// `Retry-After` in seconds, at most [`MAX_RETRY_AFTER`] (a hostile `Retry-After: 999999999` must not
    /// stall a run or overflow the simulated clock); the HTTP-date form is not honoured and gives `None`.
    pub fn retry_after(&self) -> Option<Duration> {
        let secs = self.header("retry-after")?.trim().parse::<u64>().ok()?;
        Some(Duration::from_secs(secs).min(MAX_RETRY_AFTER))
    }

    /// The SCIM error body, when the response is an error status with a JSON object body.
    pub fn scim_error(&self) -> Option<ScimErrorBody> {
        if self.is_success() {
            return None;
        }
        let obj = self.response_body.json()?.as_object()?;
        let text = |key: &str| {
            obj.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).and_then(|(_, v)| match v {
                serde_json::Value::String(s) => Some(s.clone()),
                serde_json::Value::Null => None,
                other => Some(other.to_string()),
            })
        };
        Some(ScimErrorBody { status: text("status"), scim_type: text("scimType"), detail: text("detail") })
    }

    /// A short excerpt of the response body for messages (at most 200 characters).
    pub fn body_excerpt(&self) -> String {
        let text = match &self.response_body {
            Body::Empty => return String::new(),
            Body::Json { value } => value.to_string(),
            Body::Text { text, .. } => text.clone(),
            Body::TooLarge { limit } => return format!("<body larger than {limit} bytes>"),
        };
        let trimmed: String = text.chars().take(200).collect();
        if trimmed.len() < text.len() {
            format!("{trimmed}…")
        } else {
            trimmed
        }
    }
}

/// What a lean transcript keeps of one exchange: enough for counts and latency figures, nothing that
/// grows with the size of a request. 16 bytes: a run of 1,000,000 users keeps about 4,000,000 of them
/// (the request kind is an index into [`REQUEST_KINDS`], the duration whole nanoseconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestRecord {
    nanos: u64,
    status: Option<u16>,
    kind: u8,
    origin: Origin,
    method: Method,
    error: Option<TransportErrorKind>,
}

impl RequestRecord {
    fn of(e: &Exchange) -> Self {
        RequestRecord {
            nanos: u64::try_from(e.duration.as_nanos()).unwrap_or(u64::MAX),
            status: e.status,
            kind: request_kind_index(e.method, &e.path, &e.query),
            origin: e.origin,
            method: e.method,
            error: e.error,
        }
    }

    /// Entra traffic or verification.
    pub fn origin(&self) -> Origin {
        self.origin
    }

    /// Method.
    pub fn method(&self) -> Method {
        self.method
    }

    /// The request's kind, such as `GET /Users?filter` (see [`request_kind`]).
    pub fn kind(&self) -> &'static str {
        REQUEST_KINDS.get(usize::from(self.kind)).copied().unwrap_or("GET /other")
    }

    /// HTTP status; `None` when the transport failed.
    pub fn status(&self) -> Option<u16> {
        self.status
    }

    /// Set when the request got no HTTP answer.
    pub fn error(&self) -> Option<TransportErrorKind> {
        self.error
    }

    /// Wall-clock duration.
    pub fn duration(&self) -> Duration {
        Duration::from_nanos(self.nanos)
    }

    /// The exchange as far as the record knows it: the kind's path stands for the path sent, no bodies.
    fn exchange(&self, index: usize) -> Exchange {
        let kind = self.kind();
        let path = kind.split_once(' ').map_or(kind, |(_, p)| p);
        let path = path.split_once('?').map_or(path, |(p, _)| p);
        Exchange {
            index,
            origin: self.origin,
            method: self.method,
            path: path.to_string(),
            query: String::new(),
            request_body: None,
            status: self.status,
            response_headers: Vec::new(),
            response_body: Body::Empty,
            duration: self.duration(),
            error: self.error,
        }
    }
}

/// Every kind [`request_kind`] gives, in a fixed order ([`RequestRecord`] keeps the position).
pub const REQUEST_KINDS: [&str; 16] = [
    "GET /Users?filter",
    "GET /Users",
    "GET /Users/{id}",
    "POST /Users",
    "PATCH /Users/{id}",
    "DELETE /Users/{id}",
    "GET /Groups?filter",
    "GET /Groups",
    "GET /Groups/{id}",
    "POST /Groups",
    "PATCH /Groups/{id}",
    "DELETE /Groups/{id}",
    "GET /other",
    "POST /other",
    "PATCH /other",
    "DELETE /other",
];

/// The kind a request belongs to, as Entra's traffic is grouped: the method and collection, plus
/// `?filter` for queries and `/{id}` for requests about one resource.
pub fn request_kind(method: Method, path: &str, query: &str) -> &'static str {
    REQUEST_KINDS[usize::from(request_kind_index(method, path, query))]
}

/// The position of a request's kind in [`REQUEST_KINDS`].
fn request_kind_index(method: Method, path: &str, query: &str) -> u8 {
    let mut parts = path.trim_matches('/').splitn(2, '/');
    let collection = parts.next().unwrap_or("");
    let by_id = parts.next().is_some_and(|rest| !rest.is_empty());
    let filtered = query.split('&').any(|p| p.starts_with("filter="));
    let (base, collection_get) = match collection {
        "Users" => (0, true),
        "Groups" => (6, true),
        _ => (12, false),
    };
    match (method, collection_get) {
        (Method::Get, true) if by_id => base + 2,
        (Method::Get, true) if filtered => base,
        (Method::Get, true) => base + 1,
        (Method::Post, true) => base + 3,
        (Method::Patch, true) => base + 4,
        (Method::Delete, true) => base + 5,
        (Method::Get, false) => 12,
        (Method::Post, false) => 13,
        (Method::Patch, false) => 14,
        (Method::Delete, false) => 15,
    }
}

/// Exchanges as stored: whole, or as lean records.
#[derive(Debug)]
enum Store {
    Full(Vec<Exchange>),
    Lean(Vec<RequestRecord>),
}

impl Store {
    fn len(&self) -> usize {
        match self {
            Store::Full(v) => v.len(),
            Store::Lean(v) => v.len(),
        }
    }

    /// Stores `exchange` at the end; returns its index.
    fn push(&mut self, exchange: &Exchange) -> usize {
        let index = self.len();
        match self {
            Store::Full(v) => v.push(Exchange { index, ..exchange.clone() }),
            Store::Lean(v) => v.push(RequestRecord::of(exchange)),
        }
        index
    }

    fn since(&self, start: usize) -> Vec<Exchange> {
        match self {
            Store::Full(v) => v.get(start..).map(<[Exchange]>::to_vec).unwrap_or_default(),
            Store::Lean(v) => v
                .get(start..)
                .map(|rs| rs.iter().enumerate().map(|(i, r)| r.exchange(start + i)).collect())
                .unwrap_or_default(),
        }
    }
}

/// Exchanges held back by [`Transcript::deferred`], to be appended with [`Transcript::append`].
#[derive(Debug)]
pub struct Held(Store);

/// Every exchange of a run, shared between the client and the engine. Cheap to clone (shared storage).
///
/// A lean transcript ([`Transcript::lean`]) keeps a [`RequestRecord`] per exchange instead: for runs with
/// hundreds of thousands of requests, where paths and bodies would dominate memory.
///
/// Work done concurrently keeps the transcript deterministic through [`Transcript::deferred`]: inside it,
/// exchanges are held back with indices counted from 0, and the caller appends them with
/// [`Transcript::append`] in a fixed order (source order), whatever order the requests completed in.
#[derive(Debug, Clone)]
pub struct Transcript {
    inner: Arc<Mutex<Store>>,
    lean: bool,
}

impl Default for Transcript {
    fn default() -> Self {
        Transcript { inner: Arc::new(Mutex::new(Store::Full(Vec::new()))), lean: false }
    }
}

tokio::task_local! {
    /// Exchanges held back by [`Transcript::deferred`] for the future being polled.
    static DEFERRED: std::cell::RefCell<Option<Store>>;
}

impl Transcript {
    /// An empty transcript.
    pub fn new() -> Self {
        Self::default()
    }

    /// A transcript that keeps a [`RequestRecord`] per exchange (method, kind, status and duration).
    pub fn lean() -> Self {
        Transcript { inner: Arc::new(Mutex::new(Store::Lean(Vec::new()))), lean: true }
    }

    fn empty_store(&self) -> Store {
        if self.lean {
            Store::Lean(Vec::new())
        } else {
            Store::Full(Vec::new())
        }
    }

    fn store(&self) -> std::sync::MutexGuard<'_, Store> {
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(super) fn push(&self, mut exchange: Exchange) -> Exchange {
        let held = DEFERRED.try_with(|held| {
            let mut held = held.borrow_mut();
            held.get_or_insert_with(|| self.empty_store()).push(&exchange)
        });
        exchange.index = match held {
            Ok(index) => index,
            Err(_) => self.store().push(&exchange),
        };
        exchange
    }

    /// Runs `work`, holding back the exchanges it records; returns its output and those exchanges, indexed
    /// from 0 in the order they were sent.
    pub async fn deferred<F: std::future::Future>(work: F) -> (F::Output, Held) {
        DEFERRED
            .scope(std::cell::RefCell::new(None), async move {
                let out = work.await;
                let held = DEFERRED.with(|held| held.take()).unwrap_or(Store::Full(Vec::new()));
                (out, Held(held))
            })
            .await
    }

    /// Appends exchanges held back by [`Transcript::deferred`]; returns the index the first one now has
    /// (add it to every index the deferred work handed out).
    pub fn append(&self, held: Held) -> usize {
        let mut guard = self.store();
        let base = guard.len();
        match (&mut *guard, held.0) {
            (Store::Full(to), Store::Full(from)) => {
                to.extend(from.into_iter().enumerate().map(|(i, e)| Exchange { index: base + i, ..e }))
            }
            (Store::Lean(to), Store::Lean(from)) => to.extend(from),
            (Store::Lean(to), Store::Full(from)) => to.extend(from.iter().map(RequestRecord::of)),
            (Store::Full(to), Store::Lean(from)) => {
                to.extend(from.iter().enumerate().map(|(i, r)| r.exchange(base + i)))
            }
        }
        base
    }

    /// A copy of the exchanges so far (in a lean transcript, as far as the records know them).
    pub fn exchanges(&self) -> Vec<Exchange> {
        self.since(0)
    }

    /// Calls `f` with the exchanges from index `start` on, without copying them; a lean transcript has
    /// none to show (its records carry no headers or bodies).
    pub fn inspect_since<R>(&self, start: usize, f: impl FnOnce(&[Exchange]) -> R) -> R {
        match &*self.store() {
            Store::Full(v) => f(v.get(start..).unwrap_or_default()),
            Store::Lean(_) => f(&[]),
        }
    }

    /// A copy of the exchanges from index `start` on.
    pub fn since(&self, start: usize) -> Vec<Exchange> {
        self.store().since(start)
    }

    /// The exchange at `index`, if any.
    pub fn get(&self, index: usize) -> Option<Exchange> {
        self.store().since(index).into_iter().next()
    }

    /// The records of every exchange so far (lean or not).
    pub fn records(&self) -> Vec<RequestRecord> {
        match &*self.store() {
            Store::Full(v) => v.iter().map(RequestRecord::of).collect(),
            Store::Lean(v) => v.clone(),
        }
    }

    /// The records of every exchange, taken out of a lean transcript (which starts again from index 0)
    /// instead of copied; a full transcript's are made from its exchanges, which it keeps.
    pub fn take_records(&self) -> Vec<RequestRecord> {
        let mut store = self.store();
        match &mut *store {
            Store::Full(v) => v.iter().map(RequestRecord::of).collect(),
            Store::Lean(v) => std::mem::take(v),
        }
    }

    /// How many exchanges from index `start` on changed something (any method but GET).
    pub fn writes_since(&self, start: usize) -> usize {
        let is_write = |m: Method| m != Method::Get;
        match &*self.store() {
            Store::Full(v) => v.get(start..).map_or(0, |s| s.iter().filter(|e| is_write(e.method)).count()),
            Store::Lean(v) => v.get(start..).map_or(0, |s| s.iter().filter(|r| is_write(r.method)).count()),
        }
    }

    /// Takes every exchange out: the transcript starts again from index 0. A job that runs for days hands
    /// each cycle's exchanges on this way instead of keeping them all.
    pub fn take(&self) -> Vec<Exchange> {
        let mut store = self.store();
        let taken = store.since(0);
        *store = self.empty_store();
        taken
    }

    /// True for a lean transcript.
    pub fn is_lean(&self) -> bool {
        self.lean
    }

    /// Number of exchanges so far.
    pub fn len(&self) -> usize {
        self.store().len()
    }

    /// True when nothing was sent.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exchange(method: Method, path: &str, query: &str) -> Exchange {
        Exchange {
            index: 0,
            origin: Origin::Entra,
            method,
            path: path.into(),
            query: query.into(),
            request_body: Some(serde_json::json!({"userName": "a"})),
            status: Some(200),
            response_headers: Vec::new(),
            response_body: Body::Empty,
            duration: Duration::from_millis(3),
            error: None,
        }
    }

    #[test]
    fn request_lines_decode_each_query_part() {
        let line = |query: &str| exchange(Method::Get, "/Users", query).request_line();
        assert_eq!(line(""), "GET /Users");
        assert_eq!(line("filter=userName+eq+%22a%40b%22"), "GET /Users?filter=userName eq \"a@b\"");
        assert_eq!(line("a=1&flag&b=x%3Dy=z&&c=%zz"), "GET /Users?a=1&flag&b=x=y=z&&c=%zz");
        assert_eq!(exchange(Method::Patch, "/Users/7", "").request_line(), "PATCH /Users/7");
    }

    #[test]
    fn kinds_group_requests_as_entra_sends_them() {
        assert_eq!(request_kind(Method::Get, "/Users", "filter=userName+eq+%22a%22"), "GET /Users?filter");
        assert_eq!(request_kind(Method::Post, "/Users", ""), "POST /Users");
        assert_eq!(request_kind(Method::Patch, "/Users/abc", ""), "PATCH /Users/{id}");
        assert_eq!(request_kind(Method::Get, "/Groups/abc", "excludedAttributes=members"), "GET /Groups/{id}");
        assert_eq!(request_kind(Method::Get, "/ServiceProviderConfig", ""), "GET /other");
    }

    #[test]
    fn a_lean_transcript_keeps_records_in_order_without_bodies() {
        let lean = Transcript::lean();
        lean.push(exchange(Method::Get, "/Users", "filter=x"));
        lean.push(exchange(Method::Post, "/Users", ""));
        assert_eq!(lean.len(), 2);
        assert_eq!(lean.writes_since(0), 1);
        let kinds: Vec<&str> = lean.records().iter().map(RequestRecord::kind).collect();
        assert_eq!(kinds, ["GET /Users?filter", "POST /Users"]);
        let second = lean.get(1).expect("second exchange");
        assert_eq!((second.index, second.path.as_str(), second.request_body.is_none()), (1, "/Users", true));
        let taken = lean.take_records();
        assert_eq!((taken.len(), taken[1].duration(), taken[1].status()), (2, Duration::from_millis(3), Some(200)));
        assert!(lean.is_empty(), "taken out, not copied");
    }

    #[test]
    fn a_record_stays_small_and_keeps_every_kind() {
        assert_eq!(std::mem::size_of::<RequestRecord>(), 16);
        let methods = [Method::Get, Method::Post, Method::Patch, Method::Delete];
        let requests = [("/Users", ""), ("/Users", "filter=x"), ("/Users/1", ""), ("/Groups", "filter=x")];
        let requests = requests.into_iter().chain([("/Groups/1", ""), ("/Groups", ""), ("/Schemas", "")]);
        for (path, query) in requests {
            for method in methods {
                let record = RequestRecord::of(&exchange(method, path, query));
                assert_eq!(record.kind(), request_kind(method, path, query));
                assert_eq!(record.exchange(0).method, method);
            }
        }
    }

    #[tokio::test]
    async fn deferred_exchanges_are_appended_in_the_order_given() {
        let full = Transcript::new();
        full.push(exchange(Method::Get, "/Users/first", ""));
        let ((), held) = Transcript::deferred(async {
            full.push(exchange(Method::Patch, "/Users/a", ""));
            full.push(exchange(Method::Delete, "/Users/b", ""));
        })
        .await;
        assert_eq!(full.len(), 1, "held back until appended");
        assert_eq!(full.append(held), 1);
        let paths: Vec<(usize, String)> = full.exchanges().into_iter().map(|e| (e.index, e.path)).collect();
        assert_eq!(paths, [(0, "/Users/first".into()), (1, "/Users/a".into()), (2, "/Users/b".into())]);
        assert!(full.exchanges()[1].request_body.is_some(), "a full transcript keeps bodies");
    }
}
