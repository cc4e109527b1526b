//! One exchange as the client records it: the [`Exchange`] (request and response, or the transport
//! failure), its response body as [`Body`], a SCIM error body parsed into [`ScimErrorBody`]. Where
//! exchanges are kept is [`super::transcript`]; the 16-byte form a lean run keeps is [`super::record`].

use std::fmt;
use std::time::Duration;

use serde::Serialize;

use super::encode::push_form_decoded;
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
    /// Response headers of interest (`content-type`, `retry-after`, `location`, `etag`), lowercase names;
    /// with a lean transcript only `retry-after`, the one the engine reads.
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
                    push_form_decoded(&mut line, k);
                    line.push('=');
                    push_form_decoded(&mut line, v);
                }
                None => push_form_decoded(&mut line, part),
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

/// An exchange for tests: `method path?query`, answered 200 in 3 ms, with a small request body.
#[cfg(test)]
pub(super) fn sample(method: Method, path: &str, query: &str) -> Exchange {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn exchange(method: Method, path: &str, query: &str) -> Exchange {
        sample(method, path, query)
    }

    #[test]
    fn request_lines_decode_each_query_part() {
        let line = |query: &str| exchange(Method::Get, "/Users", query).request_line();
        assert_eq!(line(""), "GET /Users");
        assert_eq!(line("filter=userName+eq+%22a%40b%22"), "GET /Users?filter=userName eq \"a@b\"");
        assert_eq!(line("a=1&flag&b=x%3Dy=z&&c=%zz"), "GET /Users?a=1&flag&b=x=y=z&&c=%zz");
        assert_eq!(exchange(Method::Patch, "/Users/7", "").request_line(), "PATCH /Users/7");
    }
}
