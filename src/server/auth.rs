//! The bearer token check. The presented token is compared with the endpoint's in time that depends only on
//! the presented token's length (which the client knows): every presented byte is compared, against the
//! token's bytes in turn, so the time tells neither how much of the token matched nor how long it is.
//! Until 2026-12-07 both tokens were hashed with SHA-256 and the digests compared, which hid the same things
//! at ~3,600 instructions a request.

use axum::http::{header, HeaderMap};

/// The token an endpoint accepts.
pub(crate) struct Bearer(Box<[u8]>);

impl Bearer {
    pub fn new(token: &str) -> Self {
        Bearer(token.as_bytes().into())
    }

    /// True when `headers` carry `Authorization: Bearer <the token>` (scheme case-insensitive).
    pub fn admits(&self, headers: &HeaderMap) -> bool {
        let Some(value) = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) else { return false };
        let Some((scheme, token)) = value.trim().split_once(' ') else { return false };
        scheme.eq_ignore_ascii_case("bearer") && self.is(token.trim().as_bytes())
    }

    fn is(&self, presented: &[u8]) -> bool {
        let own = &self.0;
        if own.is_empty() {
            return presented.is_empty();
        }
        let mut diff = u8::from(presented.len() != own.len());
        for (i, b) in presented.iter().enumerate() {
            diff |= b ^ own[i % own.len()];
        }
        diff == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::AUTHORIZATION, HeaderValue::from_str(value).expect("header"));
        h
    }

    #[test]
    fn only_the_exact_token_is_admitted() {
        let bearer = Bearer::new("secret");
        assert!(bearer.admits(&headers("Bearer secret")));
        assert!(bearer.admits(&headers("bearer  secret ")));
        for wrong in ["Bearer secre", "Bearer secrets", "Bearer secretsecret", "Bearer ", "Basic secret", "secret"] {
            assert!(!bearer.admits(&headers(wrong)), "{wrong}");
        }
        assert!(!bearer.admits(&HeaderMap::new()));
    }

    #[test]
    fn an_empty_token_admits_only_an_empty_one() {
        let bearer = Bearer::new("");
        assert!(bearer.is(b""));
        assert!(!bearer.is(b"x"));
    }
}
