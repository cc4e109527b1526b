//! What the client sends: a SCIM request (method, path, unencoded query, body or pre-encoded body, and
//! which members of the answer the caller reads).

use std::fmt;

use serde::Serialize;

use super::exchange::Origin;
use super::projection::Reads;

/// HTTP method of a SCIM request (Entra never uses PUT: ENTRA.md 1.0 item 9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Method {
    /// GET.
    Get,
    /// POST.
    Post,
    /// PATCH.
    Patch,
    /// DELETE.
    Delete,
}

impl Method {
    /// The method as written in a request line.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }

    pub(super) fn to_reqwest(self) -> reqwest::Method {
        match self {
            Method::Get => reqwest::Method::GET,
            Method::Post => reqwest::Method::POST,
            Method::Patch => reqwest::Method::PATCH,
            Method::Delete => reqwest::Method::DELETE,
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One request to send.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// Method.
    pub method: Method,
    /// Resource path relative to the base, such as `/Users` or `Users/123`.
    pub path: String,
    /// Query parameters in order, unencoded.
    pub query: Vec<(String, String)>,
    /// JSON body.
    pub body: Option<serde_json::Value>,
    /// `body` already serialized (by work done off the sending thread); serialized at send time when `None`.
    pub encoded: Option<bytes::Bytes>,
    /// Entra traffic or verification.
    pub origin: Origin,
    /// What the caller reads of the answer: with a lean transcript only that is parsed.
    pub reads: Reads,
}

impl Request {
    /// A request without query or body.
    pub fn new(method: Method, path: impl Into<String>) -> Self {
        Request {
            method,
            path: path.into(),
            query: Vec::new(),
            body: None,
            encoded: None,
            origin: Origin::Entra,
            reads: Reads::All,
        }
    }

    /// `GET path?filter=<filter>` (after any query already added).
    pub fn get_filtered(path: impl Into<String>, filter: impl Into<String>) -> Self {
        Request::new(Method::Get, path).query("filter", filter)
    }

    /// Adds a query parameter.
    pub fn query(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.query.push((name.into(), value.into()));
        self
    }

    /// Sets the JSON body.
    pub fn body(mut self, body: serde_json::Value) -> Self {
        self.body = Some(body);
        self.encoded = None;
        self
    }

    /// Sets the JSON body together with its serialization (see [`EncodedBody`]).
    pub fn encoded_body(mut self, body: EncodedBody) -> Self {
        self.body = body.json;
        self.encoded = Some(body.bytes);
        self
    }

    /// Marks the request as a verification request (not Entra traffic).
    pub fn verification(mut self) -> Self {
        self.origin = Origin::Verification;
        self
    }

    /// Says which members of the answer the caller reads (see [`Reads`]).
    pub fn reading(mut self, reads: Reads) -> Self {
        self.reads = reads;
        self
    }
}

/// A body's serialization, with its JSON form when a transcript keeps request bodies, built where the
/// work is cheap to spread (a cycle's page preparation runs on several threads; the sending thread then
/// only hands the bytes over).
#[derive(Debug, Clone, PartialEq)]
pub struct EncodedBody {
    json: Option<serde_json::Value>,
    bytes: bytes::Bytes,
}

impl EncodedBody {
    /// Bytes serialized elsewhere, and the JSON they encode when it is to be recorded.
    pub fn from_parts(json: Option<serde_json::Value>, bytes: bytes::Bytes) -> Self {
        EncodedBody { json, bytes }
    }

    /// The serialized body.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }
}
