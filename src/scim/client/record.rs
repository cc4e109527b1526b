//! What a lean transcript keeps of an exchange ([`RequestRecord`], 16 bytes) and the kinds requests are
//! grouped into ([`request_kind`], [`REQUEST_KINDS`]), as Entra's traffic is counted.

use std::time::Duration;

use super::exchange::{Body, Exchange, Origin, TransportErrorKind};
use super::Method;

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
    pub(super) fn of(e: &Exchange) -> Self {
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
    pub(super) fn exchange(&self, index: usize) -> Exchange {
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

#[cfg(test)]
mod tests {
    use super::super::exchange::sample as exchange;
    use super::*;

    #[test]
    fn kinds_group_requests_as_entra_sends_them() {
        assert_eq!(request_kind(Method::Get, "/Users", "filter=userName+eq+%22a%22"), "GET /Users?filter");
        assert_eq!(request_kind(Method::Post, "/Users", ""), "POST /Users");
        assert_eq!(request_kind(Method::Patch, "/Users/abc", ""), "PATCH /Users/{id}");
        assert_eq!(request_kind(Method::Get, "/Groups/abc", "excludedAttributes=members"), "GET /Groups/{id}");
        assert_eq!(request_kind(Method::Get, "/ServiceProviderConfig", ""), "GET /other");
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
}
