//! OAuth 2.0 client-credentials tokens for the SCIM client (RFC 6749 §4.4), the way Entra's gallery apps
//! authenticate (ENTRA.md 1.0 item 2): `POST token_url` with `grant_type=client_credentials`, the client id,
//! the secret and an optional scope, then `Authorization: Bearer <access_token>` on SCIM calls. The token
//! is cached until shortly before `expires_in` runs out and fetched again on expiry or after a 401.
//!
//! The client secret and the access tokens are [`Secret`]s: they never format into output.

use std::time::{Duration, Instant};

use serde::Deserialize;
use tokio::sync::Mutex;

use crate::scim::client::Secret;

/// Where and how to get tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthConfig {
    /// The token endpoint.
    pub token_url: String,
    /// The client (application) id.
    pub client_id: String,
    /// The client secret.
    pub client_secret: Secret,
    /// The scope to ask for, if the token endpoint needs one.
    pub scope: Option<String>,
}

/// Why no token could be had.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OAuthError {
    /// The token endpoint could not be reached.
    #[error("token endpoint {url} unreachable: {message}")]
    Unreachable {
        /// The token URL.
        url: String,
        /// What the transport said.
        message: String,
    },
    /// The token endpoint refused (4xx/5xx); `error` and `error_description` come from its body when present.
    #[error("token endpoint {url} answered {status}: {detail}")]
    Refused {
        /// The token URL.
        url: String,
        /// HTTP status.
        status: u16,
        /// `error: error_description`, or a trimmed body excerpt.
        detail: String,
    },
    /// The answer was not a token response.
    #[error("token endpoint {url} returned no access_token: {detail}")]
    Malformed {
        /// The token URL.
        url: String,
        /// What was wrong.
        detail: String,
    },
}

#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    #[serde(default)]
    expires_in: Option<Lifetime>,
}

/// `expires_in` as a number of seconds, or as a string of digits (Entra ID's v1 token endpoint sends one).
#[derive(Deserialize)]
#[serde(untagged)]
enum Lifetime {
    Seconds(u64),
    Text(String),
}

impl Lifetime {
    /// The lifetime, at most [`MAX_LIFETIME`]; `None` when the text is not a number.
    fn duration(&self) -> Option<Duration> {
        let seconds = match self {
            Lifetime::Seconds(s) => *s,
            Lifetime::Text(t) => t.trim().parse().ok()?,
        };
        Some(Duration::from_secs(seconds).min(MAX_LIFETIME))
    }
}

#[derive(Deserialize)]
struct TokenError {
    error: String,
    #[serde(default)]
    error_description: Option<String>,
}

/// Refresh this long before the token expires, so a request never carries a token that dies in flight.
const EXPIRY_MARGIN: Duration = Duration::from_secs(60);
/// Lifetime assumed when the endpoint sends no `expires_in`.
const DEFAULT_LIFETIME: Duration = Duration::from_secs(3600);
/// A token is fetched again after a day at the latest, whatever `expires_in` says (a hostile or broken
/// endpoint could otherwise name a lifetime past what a clock can add).
const MAX_LIFETIME: Duration = Duration::from_secs(24 * 3600);
/// Longest token answer read; a token endpoint's answer is well under a kilobyte.
const MAX_ANSWER: usize = 64 * 1024;

/// A cached client-credentials token.
#[derive(Debug)]
pub struct TokenSource {
    config: OAuthConfig,
    http: reqwest::Client,
    cached: Mutex<Option<(Secret, Instant)>>,
}

impl TokenSource {
    /// A token source using `http` for the token requests.
    pub fn new(config: OAuthConfig, http: reqwest::Client) -> Self {
        TokenSource { config, http, cached: Mutex::new(None) }
    }

    /// A valid access token: the cached one, or a fresh one when none is cached or it is about to expire.
    pub async fn token(&self) -> Result<Secret, OAuthError> {
        let mut cached = self.cached.lock().await;
        if let Some((token, expires)) = cached.as_ref() {
            if Instant::now() + EXPIRY_MARGIN < *expires {
                return Ok(token.clone());
            }
        }
        let (token, lifetime) = self.fetch().await?;
        *cached = Some((token.clone(), Instant::now() + lifetime));
        Ok(token)
    }

    /// Forgets the cached token (after the endpoint answered 401 with it).
    pub async fn invalidate(&self) {
        *self.cached.lock().await = None;
    }

    async fn fetch(&self) -> Result<(Secret, Duration), OAuthError> {
        let url = self.config.token_url.clone();
        let mut form = vec![
            ("grant_type", "client_credentials".to_string()),
            ("client_id", self.config.client_id.clone()),
            ("client_secret", self.config.client_secret.expose().to_string()),
        ];
        if let Some(scope) = &self.config.scope {
            form.push(("scope", scope.clone()));
        }
        let response = self.http.post(&url).form(&form).send().await.map_err(|e| OAuthError::Unreachable {
            url: url.clone(),
            message: redact(&e.to_string(), &self.config.client_secret),
        })?;
        let status = response.status().as_u16();
        let body = read_bounded(response).await.map_err(|detail| OAuthError::Malformed { url: url.clone(), detail })?;
        if !(200..300).contains(&status) {
            let detail = match serde_json::from_str::<TokenError>(&body) {
                Ok(e) => format!("{}{}", e.error, e.error_description.map(|d| format!(": {d}")).unwrap_or_default()),
                Err(_) => body.chars().take(200).collect(),
            };
            return Err(OAuthError::Refused { url, status, detail: redact(&detail, &self.config.client_secret) });
        }
        let parsed: TokenResponse = serde_json::from_str(&body)
            .map_err(|e| OAuthError::Malformed { url: url.clone(), detail: e.to_string() })?;
        if parsed.access_token.is_empty() {
            return Err(OAuthError::Malformed { url, detail: "empty access_token".into() });
        }
        let lifetime = match &parsed.expires_in {
            None => DEFAULT_LIFETIME,
            Some(l) => l.duration().ok_or_else(|| OAuthError::Malformed {
                url: url.clone(),
                detail: "expires_in is not a number of seconds".into(),
            })?,
        };
        Ok((Secret::new(parsed.access_token), lifetime))
    }
}

/// The answer's text, or why it was not read: longer than [`MAX_ANSWER`], or cut off.
async fn read_bounded(mut response: reqwest::Response) -> Result<String, String> {
    match crate::scim::client::bounded_body(&mut response, MAX_ANSWER).await {
        Ok(Some(bytes)) => Ok(String::from_utf8_lossy(&bytes).into_owned()),
        Ok(None) => Err(format!("the answer is longer than {MAX_ANSWER} bytes")),
        Err(e) => Err(format!("the answer could not be read: {e}")),
    }
}

/// Removes the secret from text an endpoint might echo back.
fn redact(text: &str, secret: &Secret) -> String {
    crate::scim::client::Scrubber::new([secret.expose().to_string()]).text(text).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use wiremock::matchers::{body_string_contains, method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    fn config(server: &MockServer) -> OAuthConfig {
        OAuthConfig {
            token_url: format!("{}/oauth2/token", server.uri()),
            client_id: "app-1".into(),
            client_secret: Secret::new("s3cr3t-value"),
            scope: Some("scim".into()),
        }
    }

    #[tokio::test]
    async fn fetches_once_and_caches_until_expiry() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/oauth2/token"))
            .and(body_string_contains("grant_type=client_credentials"))
            .and(body_string_contains("client_id=app-1"))
            .and(body_string_contains("scope=scim"))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(serde_json::json!({"access_token": "tok-1", "expires_in": 3600})),
            )
            .expect(1)
            .mount(&server)
            .await;
        let source = TokenSource::new(config(&server), reqwest::Client::new());
        assert_eq!(source.token().await.unwrap().expose(), "tok-1");
        assert_eq!(source.token().await.unwrap().expose(), "tok-1");
    }

    #[tokio::test]
    async fn short_lived_and_invalidated_tokens_are_fetched_again() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(
                ResponseTemplate::new(200).set_body_json(serde_json::json!({"access_token": "tok", "expires_in": 30})),
            )
            .expect(3)
            .mount(&server)
            .await;
        let source = TokenSource::new(config(&server), reqwest::Client::new());
        source.token().await.unwrap();
        source.token().await.unwrap(); // 30 s is inside the refresh margin: fetched again
        source.invalidate().await;
        source.token().await.unwrap();
    }

    #[tokio::test]
    async fn refusals_name_the_error_and_never_the_secret() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(401).set_body_json(serde_json::json!({
                "error": "invalid_client", "error_description": "bad secret s3cr3t-value"
            })))
            .mount(&server)
            .await;
        let source = TokenSource::new(config(&server), reqwest::Client::new());
        let err = source.token().await.unwrap_err().to_string();
        assert!(err.contains("401") && err.contains("invalid_client"), "{err}");
        assert!(!err.contains("s3cr3t-value"), "{err}");
    }

    #[tokio::test]
    async fn a_body_without_access_token_is_malformed() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(200).set_body_string("<html>"))
            .mount(&server)
            .await;
        let source = TokenSource::new(config(&server), reqwest::Client::new());
        assert!(matches!(source.token().await, Err(OAuthError::Malformed { .. })));
    }

    #[tokio::test]
    async fn lifetimes_as_text_huge_or_garbage_never_break_the_cache() {
        for (expires_in, ok) in [
            (serde_json::json!("3600"), true),
            (serde_json::json!(u64::MAX), true),
            (serde_json::json!("soon"), false),
            (serde_json::json!(-5), false),
        ] {
            let server = MockServer::start().await;
            Mock::given(method("POST"))
                .respond_with(
                    ResponseTemplate::new(200)
                        .set_body_json(serde_json::json!({"access_token": "tok", "expires_in": expires_in})),
                )
                .mount(&server)
                .await;
            let source = TokenSource::new(config(&server), reqwest::Client::new());
            let got = source.token().await;
            assert_eq!(got.is_ok(), ok, "expires_in {expires_in}: {got:?}");
            if ok {
                // Cached: the second call does not ask again.
                source.token().await.unwrap();
                assert_eq!(server.received_requests().await.unwrap().len(), 1);
            }
        }
    }

    #[tokio::test]
    async fn a_gigantic_token_answer_is_not_read() {
        let server = MockServer::start().await;
        let huge = format!("{{\"access_token\": \"{}\"}}", "x".repeat(MAX_ANSWER + 1));
        Mock::given(method("POST")).respond_with(ResponseTemplate::new(200).set_body_string(huge)).mount(&server).await;
        let source = TokenSource::new(config(&server), reqwest::Client::new());
        match source.token().await {
            Err(OAuthError::Malformed { detail, .. }) => assert!(detail.contains("longer than"), "{detail}"),
            other => panic!("expected a malformed answer, got {other:?}"),
        }
    }
}
