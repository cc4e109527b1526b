//! The client-credentials token endpoint (`POST /{tenant}/oauth2/v2.0/token`) and the bearer check in
//! front of every Graph route.
//!
//! A token is 32 random bytes (base64url); the store keeps only its SHA-256 and expiry, so neither tokens
//! nor the client secret (whose hash comes from [`TenantIdentity`]) are ever held in clear or logged.
//! Errors at the token endpoint use the OAuth 2.0 shape Entra answers with (`error`,
//! `error_description` with an `AADSTS` code, `error_codes`); errors behind it use Graph's
//! `InvalidAuthenticationToken`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{Path, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::Engine;
use rand::RngCore;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::backend::TenantIdentity;
use super::error::GraphError;
use super::routes::Graph;
use crate::scim::client::form_decode;

/// How long an issued token is valid, as Entra's default (one hour, less a second).
pub const TOKEN_LIFETIME: Duration = Duration::from_secs(3599);

/// Issued tokens: SHA-256 of the token → when it expires.
#[derive(Debug, Default)]
pub struct TokenStore {
    tokens: Mutex<HashMap<[u8; 32], Instant>>,
}

impl TokenStore {
    /// Issues a new random token valid for [`TOKEN_LIFETIME`].
    pub fn issue(&self) -> String {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
        let now = Instant::now();
        let mut tokens = self.tokens.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        tokens.retain(|_, expiry| *expiry > now);
        tokens.insert(hash(&token), now + TOKEN_LIFETIME);
        token
    }

    /// True when `token` was issued here and has not expired.
    pub fn is_valid(&self, token: &str) -> bool {
        let tokens = self.tokens.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        tokens.get(&hash(token)).is_some_and(|expiry| *expiry > Instant::now())
    }
}

fn hash(text: &str) -> [u8; 32] {
    Sha256::digest(text.as_bytes()).into()
}

/// SHA-256 of a client secret as lower-case hex: what [`TenantIdentity::client_secret_sha256`] holds.
pub fn secret_sha256(secret: &str) -> String {
    hash(secret).iter().map(|b| format!("{b:02x}")).collect()
}

/// Middleware: lets a request through only with `Authorization: Bearer <token issued here>`.
pub async fn require_token(State(graph): State<Graph>, request: Request, next: Next) -> Response {
    let header = request.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).unwrap_or("");
    let token = header
        .split_once(' ')
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, t)| t.trim())
        .unwrap_or("");
    if token.is_empty() {
        return GraphError::unauthorized(
            "Access token is empty: send `Authorization: Bearer <token>` with a token from the tenant's token endpoint",
        )
        .into_response();
    }
    if !graph.tokens.is_valid(token) {
        return GraphError::unauthorized(
            "Access token validation failure: the token was not issued by this tenant, or it expired",
        )
        .into_response();
    }
    next.run(request).await
}

/// `POST /{tenant}/oauth2/v2.0/token` with a form body: `grant_type=client_credentials`, `client_id`,
/// `client_secret` and (optionally) `scope`.
pub async fn token(State(graph): State<Graph>, Path(tenant): Path<String>, body: Bytes) -> Response {
    let form: HashMap<String, String> = String::from_utf8_lossy(&body)
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (form_decode(k), form_decode(v))
        })
        .collect();
    match check(graph.backend.identity(), &tenant, &form) {
        Ok(()) => Json(json!({
            "token_type": "Bearer",
            "expires_in": TOKEN_LIFETIME.as_secs(),
            "ext_expires_in": TOKEN_LIFETIME.as_secs(),
            "access_token": graph.tokens.issue(),
        }))
        .into_response(),
        Err(e) => e.into_response(),
    }
}

/// An OAuth 2.0 error answer.
struct OAuthError {
    status: StatusCode,
    error: &'static str,
    code: u32,
    description: String,
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let body = json!({
            "error": self.error,
            "error_description": format!("AADSTS{}: {}", self.code, self.description),
            "error_codes": [self.code],
            "timestamp": chrono::Utc::now().format("%Y-%m-%d %H:%M:%SZ").to_string(),
        });
        (self.status, Json(body)).into_response()
    }
}

fn check(identity: &TenantIdentity, tenant: &str, form: &HashMap<String, String>) -> Result<(), OAuthError> {
    let bad =
        |error, code, description: String| OAuthError { status: StatusCode::BAD_REQUEST, error, code, description };
    if !tenant.eq_ignore_ascii_case(&identity.tenant_id) {
        return Err(bad(
            "invalid_request",
            90002,
            format!("Tenant '{tenant}' not found: this tenant is `{}`", identity.tenant_id),
        ));
    }
    let field = |name: &str| form.get(name).map(String::as_str).filter(|v| !v.is_empty());
    let Some(grant) = field("grant_type") else {
        return Err(bad("invalid_request", 900144, "The request body must contain the parameter 'grant_type'.".into()));
    };
    if grant != "client_credentials" {
        return Err(bad(
            "unsupported_grant_type",
            70003,
            format!("The app requested an unsupported grant type '{grant}': the simulator issues tokens for `client_credentials` only"),
        ));
    }
    let Some(client_id) = field("client_id") else {
        return Err(bad("invalid_request", 900144, "The request body must contain the parameter 'client_id'.".into()));
    };
    if !client_id.eq_ignore_ascii_case(&identity.app_id) {
        return Err(bad(
            "unauthorized_client",
            700016,
            format!(
                "Application with identifier '{client_id}' was not found in the directory '{}'.",
                identity.tenant_id
            ),
        ));
    }
    let secret_ok = field("client_secret").is_some_and(|s| secret_sha256(s) == identity.client_secret_sha256);
    if !secret_ok {
        return Err(OAuthError {
            status: StatusCode::UNAUTHORIZED,
            error: "invalid_client",
            code: 7000215,
            description: "Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.".into(),
        });
    }
    Ok(())
}

/// Shared handle on the token store, for the router state.
pub type Tokens = Arc<TokenStore>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issued_tokens_are_random_and_only_known_ones_are_valid() {
        let store = TokenStore::default();
        let (a, b) = (store.issue(), store.issue());
        assert_ne!(a, b);
        assert_eq!(a.len(), 43, "32 bytes of base64url");
        assert!(store.is_valid(&a) && store.is_valid(&b));
        assert!(!store.is_valid("not-a-token"));
    }

    #[test]
    fn secrets_are_compared_by_hash() {
        assert_eq!(secret_sha256("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
}
