//! What the client records: each [`Exchange`] (request and response, or the transport failure) in a
//! shared [`Transcript`], response bodies as [`Body`], SCIM error bodies parsed into [`ScimErrorBody`].

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;

use super::encode::form_decode;
use super::Method;

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
    /// `METHOD /path?query` with the query decoded for reading (`filter=userName eq "a@b.c"`).
    pub fn request_line(&self) -> String {
        if self.query.is_empty() {
            format!("{} {}", self.method, self.path)
        } else {
            let decoded: Vec<String> = self
                .query
                .split('&')
                .map(|part| match part.split_once('=') {
                    Some((k, v)) => format!("{}={}", form_decode(k), form_decode(v)),
                    None => form_decode(part),
                })
                .collect();
            format!("{} {}?{}", self.method, self.path, decoded.join("&"))
        }
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

    /// `Retry-After` in seconds (the HTTP-date form is not honoured and gives `None`).
    pub fn retry_after(&self) -> Option<Duration> {
        self.header("retry-after")?.trim().parse::<u64>().ok().map(Duration::from_secs)
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

/// Every exchange of a run, shared between the client and the engine. Cheap to clone (shared storage).
///
/// Work done concurrently keeps the transcript deterministic through [`Transcript::deferred`]: inside it,
/// exchanges are held back with indices counted from 0, and the caller appends them with
/// [`Transcript::append`] in a fixed order (source order), whatever order the requests completed in.
#[derive(Debug, Clone)]
pub struct Transcript {
    inner: Arc<Mutex<Vec<Exchange>>>,
    keep_bodies: bool,
}

impl Default for Transcript {
    fn default() -> Self {
        Transcript { inner: Arc::default(), keep_bodies: true }
    }
}

tokio::task_local! {
    /// Exchanges held back by [`Transcript::deferred`] for the future being polled.
    static DEFERRED: std::cell::RefCell<Vec<Exchange>>;
}

impl Transcript {
    /// An empty transcript.
    pub fn new() -> Self {
        Self::default()
    }

    /// A transcript that stores exchanges without their bodies (method, path, status and duration only):
    /// for runs with hundreds of thousands of requests, where bodies would dominate memory.
    pub fn without_bodies() -> Self {
        Transcript { keep_bodies: false, ..Self::default() }
    }

    fn stored(&self, exchange: &Exchange) -> Exchange {
        if self.keep_bodies {
            return exchange.clone();
        }
        Exchange { request_body: None, response_body: Body::Empty, response_headers: Vec::new(), ..exchange.clone() }
    }

    pub(super) fn push(&self, mut exchange: Exchange) -> Exchange {
        let held = DEFERRED.try_with(|held| {
            let mut held = held.borrow_mut();
            exchange.index = held.len();
            held.push(self.stored(&exchange));
            exchange.index
        });
        if held.is_ok() {
            return exchange;
        }
        let mut guard = self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        exchange.index = guard.len();
        guard.push(self.stored(&exchange));
        exchange
    }

    /// Runs `work`, holding back the exchanges it records; returns its output and those exchanges, indexed
    /// from 0 in the order they were sent.
    pub async fn deferred<F: std::future::Future>(work: F) -> (F::Output, Vec<Exchange>) {
        DEFERRED
            .scope(std::cell::RefCell::new(Vec::new()), async move {
                let out = work.await;
                let held = DEFERRED.with(|held| held.take());
                (out, held)
            })
            .await
    }

    /// Appends exchanges held back by [`Transcript::deferred`]; returns the index the first one now has
    /// (add it to every index the deferred work handed out).
    pub fn append(&self, exchanges: Vec<Exchange>) -> usize {
        let mut guard = self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let base = guard.len();
        for (i, mut e) in exchanges.into_iter().enumerate() {
            e.index = base + i;
            guard.push(e);
        }
        base
    }

    /// A copy of the exchanges so far.
    pub fn exchanges(&self) -> Vec<Exchange> {
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).clone()
    }

    /// A copy of the exchanges from index `start` on.
    pub fn since(&self, start: usize) -> Vec<Exchange> {
        let guard = self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        guard.get(start..).map(<[Exchange]>::to_vec).unwrap_or_default()
    }

    /// How many exchanges from index `start` on satisfy `pred` (no copies).
    pub fn count_since(&self, start: usize, pred: impl Fn(&Exchange) -> bool) -> usize {
        let guard = self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        guard.get(start..).map_or(0, |s| s.iter().filter(|e| pred(e)).count())
    }

    /// Number of exchanges so far.
    pub fn len(&self) -> usize {
        self.inner.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).len()
    }

    /// True when nothing was sent.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
