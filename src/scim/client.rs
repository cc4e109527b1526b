//! The SCIM HTTP client: the only module in entrasim that sends HTTP.
//!
//! It speaks to the target the way Entra's provisioning service does (ENTRA.md 1.0, 2.1):
//!
//! - the tenant URL may carry the `aadOptscim062020` (compliant dialect) or `AzureAdScimPatch2017`
//!   (legacy dialect) flag as a query token; [`TenantUrl::parse`] detects it and strips it, unless the
//!   client is told to forward it for robustness testing;
//! - resource paths are appended to the base with a single `/`;
//! - every request carries `Accept` and (with a body) `Content-Type: application/scim+json`, a
//!   `User-Agent: entrasim/<version>` and, when configured, `Authorization: Bearer <token>`;
//! - filter queries are form-encoded as Entra sends them: `filter=userName+eq+%22alice%40contoso.com%22`.
//!
//! Every exchange, including transport failures, is appended to a shared [`Transcript`] exactly as it
//! came, so the engine reads what the endpoint sent. [`Secret`] prints as `***`; a secret the endpoint
//! echoes is hidden where results are shown or stored, by the [`Scrubber`] of [`Client::scrubber`]. Response bodies are read up to
//! [`ClientConfig::max_body`] bytes; a longer body is recorded as [`Body::TooLarge`] so the engine can
//! report it as a finding. An HTTP error status is still an [`Exchange`]; [`ClientError`] is only for
//! requests that got no HTTP answer (connection refused, timeout, a broken stream).

mod encode;
mod exchange;
mod projection;
mod read;
mod record;
mod request;
mod scrub;
mod tenant;
mod transcript;

use std::fmt;
use std::time::{Duration, Instant};

use reqwest::header::{self, HeaderName, HeaderValue};

pub use encode::{encode_query, form_decode, form_encode};
pub use exchange::{Body, Exchange, Origin, ScimErrorBody, TransportErrorKind, MAX_RETRY_AFTER};
pub use projection::Reads;
pub(crate) use read::bounded_body;
pub use read::MAX_TEXT;
pub use record::{request_kind, RequestRecord};
pub use request::{EncodedBody, Method, Request};
pub use scrub::{Scrubber, SCRUBBED};
pub use tenant::{TenantUrl, UrlFlag};
pub use transcript::{Held, Transcript};

/// The media type Entra sends and expects.
pub const SCIM_MEDIA_TYPE: &str = "application/scim+json";
/// The query token that selects the compliant PATCH dialect (ENTRA.md 2.1).
pub const COMPLIANT_FLAG: &str = "aadOptscim062020";
/// The query token that pins the legacy PATCH dialect (ENTRA.md 2.1).
pub const LEGACY_FLAG: &str = "AzureAdScimPatch2017";
/// Default bound on a response body.
pub const DEFAULT_MAX_BODY: usize = 8 * 1024 * 1024;
/// Response headers kept in the transcript (as named constants: looking a header up by its text parses
/// the name on every request).
const HEADERS_OF_INTEREST: [HeaderName; 4] =
    [header::CONTENT_TYPE, header::RETRY_AFTER, header::LOCATION, header::ETAG];
/// Response headers kept with a lean transcript: only `Retry-After`, which the engine reads from the
/// exchange it is handed (a lean transcript keeps no headers, and nothing else reads them from a lean
/// run's exchanges), so the other three are not copied into two strings each on every request.
const LEAN_HEADERS: [HeaderName; 1] = [header::RETRY_AFTER];

/// A secret (bearer token). Its `Debug` and `Display` forms are `***`, so it cannot leak into logs,
/// transcripts or error messages by formatting.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret itself; only the client's header code and redaction should call this.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// How the client authenticates.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Auth {
    /// No `Authorization` header.
    None,
    /// `Authorization: Bearer <token>` (ENTRA.md 1.0 item 2).
    Bearer(Secret),
    /// OAuth 2.0 client credentials: a token from the token endpoint, cached, fetched again on expiry or
    /// after a 401 (how gallery apps authenticate, ENTRA.md 1.0 item 2).
    OAuth(crate::scim::oauth::OAuthConfig),
}

/// Client configuration.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// The tenant URL as an admin would enter it (may carry the dialect flag).
    pub base_url: String,
    /// Authentication.
    pub auth: Auth,
    /// Per-request timeout (connect + response + body).
    pub timeout: Duration,
    /// `User-Agent` header.
    pub user_agent: String,
    /// Forward the dialect flag to the endpoint instead of stripping it.
    pub forward_flag: bool,
    /// Largest response body read, in bytes.
    pub max_body: usize,
    /// Keep request and response bodies in the transcript (off for very large runs, where they would
    /// dominate memory).
    pub keep_bodies: bool,
    /// PEM certificates to trust besides the system roots (a private CA).
    pub ca_cert: Option<Vec<u8>>,
    /// Accept any TLS certificate (local experiments only).
    pub insecure: bool,
}

impl ClientConfig {
    /// A configuration with Entra-like defaults: 30 s timeout, `entrasim/<version>` user agent, the flag
    /// stripped, bodies bounded at 8 MiB.
    pub fn new(base_url: impl Into<String>, auth: Auth) -> Self {
        ClientConfig {
            base_url: base_url.into(),
            auth,
            timeout: Duration::from_secs(30),
            user_agent: format!("entrasim/{}", env!("CARGO_PKG_VERSION")),
            forward_flag: false,
            max_body: DEFAULT_MAX_BODY,
            keep_bodies: true,
            ca_cert: None,
            insecure: false,
        }
    }
}

/// Failures of the client itself: a bad URL, or a request that got no HTTP answer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The tenant URL is not usable.
    #[error("invalid tenant URL `{url}`: {reason}")]
    InvalidUrl {
        /// The URL as given.
        url: String,
        /// Why.
        reason: String,
    },
    /// The HTTP client could not be built.
    #[error("could not build the HTTP client")]
    Build(#[source] reqwest::Error),
    /// `--ca-cert` is not a PEM certificate (bundle).
    #[error("the CA certificate is not PEM: {0}")]
    CaCert(String),
    /// No OAuth access token could be had.
    #[error(transparent)]
    Token(#[from] crate::scim::oauth::OAuthError),
    /// The request got no HTTP answer; the exchange is in the transcript with [`Exchange::error`] set.
    #[error("{method} {url} {kind}")]
    Transport {
        /// Method.
        method: Method,
        /// Full URL (no credentials: tenant URLs carry none).
        url: String,
        /// Classification.
        kind: TransportErrorKind,
        /// The exchange as recorded.
        exchange: Box<Exchange>,
        /// Cause.
        #[source]
        source: reqwest::Error,
    },
}

impl ClientError {
    /// The recorded exchange of a transport failure.
    pub fn exchange(&self) -> Option<&Exchange> {
        match self {
            ClientError::Transport { exchange, .. } => Some(exchange),
            _ => None,
        }
    }
}

/// The SCIM client. Cheap to clone; clones share the transcript.
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    tenant: TenantUrl,
    config: ClientConfig,
    transcript: Transcript,
    tokens: Option<std::sync::Arc<crate::scim::oauth::TokenSource>>,
    /// OAuth access tokens sent so far (secrets to scrub from outputs).
    sent_tokens: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    /// `Authorization: Bearer <token>` of a configured bearer token, built once (marked sensitive, so
    /// it never formats); `None` without one, or when the token is one that fails as a header value.
    bearer_header: Option<HeaderValue>,
}

impl Client {
    /// Builds a client for a tenant URL.
    pub fn new(config: ClientConfig) -> Result<Client, ClientError> {
        let tenant = TenantUrl::parse(&config.base_url)?;
        let mut builder = reqwest::Client::builder()
            .timeout(config.timeout)
            .user_agent(config.user_agent.clone())
            .redirect(reqwest::redirect::Policy::none())
            .danger_accept_invalid_certs(config.insecure);
        if let Some(pem) = &config.ca_cert {
            let certs = reqwest::Certificate::from_pem_bundle(pem).map_err(|e| ClientError::CaCert(e.to_string()))?;
            if certs.is_empty() {
                return Err(ClientError::CaCert("no certificate found".into()));
            }
            for cert in certs {
                builder = builder.add_root_certificate(cert);
            }
        }
        let http = builder.build().map_err(ClientError::Build)?;
        let transcript = if config.keep_bodies { Transcript::new() } else { Transcript::lean() };
        let tokens = match &config.auth {
            Auth::OAuth(oauth) => {
                Some(std::sync::Arc::new(crate::scim::oauth::TokenSource::new(oauth.clone(), http.clone())))
            }
            _ => None,
        };
        let bearer_header = match &config.auth {
            Auth::Bearer(token) => bearer_header(token.expose()),
            _ => None,
        };
        Ok(Client { http, tenant, config, transcript, tokens, sent_tokens: Default::default(), bearer_header })
    }

    /// The scrubber for every secret this client has sent or holds: the bearer token, the OAuth client
    /// secret and each OAuth access token fetched so far. Outputs pass through it; the transcript does not.
    pub fn scrubber(&self) -> Scrubber {
        let mut secrets = match &self.config.auth {
            Auth::Bearer(token) => vec![token.expose().to_string()],
            Auth::OAuth(oauth) => vec![oauth.client_secret.expose().to_string()],
            Auth::None => Vec::new(),
        };
        secrets.extend(self.sent_tokens.lock().map(|t| t.clone()).unwrap_or_default());
        Scrubber::new(secrets)
    }

    /// The parsed tenant URL (base and dialect flag).
    pub fn tenant(&self) -> &TenantUrl {
        &self.tenant
    }

    /// The shared transcript.
    pub fn transcript(&self) -> &Transcript {
        &self.transcript
    }

    /// The full URL for a path and encoded query (path joined with a single `/`), built from the tenant's
    /// parsed base: only the path and the query are parsed, not the whole URL.
    pub fn url_for(&self, path: &str, query: &str) -> reqwest::Url {
        // Joined in one buffer each, as `join("&")` would: this runs for every request.
        let flag = self.tenant.flag_token.as_deref().filter(|_| self.config.forward_flag);
        let extra = self.tenant.extra_query.iter().map(String::as_str);
        let mut parts = 0;
        let mut full_query = String::new();
        for part in flag.into_iter().chain(extra).chain((!query.is_empty()).then_some(query)) {
            if parts > 0 {
                full_query.push('&');
            }
            full_query.push_str(part);
            parts += 1;
        }
        let mut url = self.tenant.base_url.clone();
        let base_path = url.path().trim_end_matches('/');
        let path = path.trim_start_matches('/');
        let mut full_path = String::with_capacity(base_path.len() + 1 + path.len());
        full_path.push_str(base_path);
        full_path.push('/');
        full_path.push_str(path);
        url.set_path(&full_path);
        url.set_query((parts > 0).then_some(full_query.as_str()));
        url
    }

    /// Sends a request and records the exchange. HTTP error statuses are `Ok`; only a missing HTTP
    /// answer is `Err` (and is recorded too).
    pub async fn send(&self, request: &Request) -> Result<Exchange, ClientError> {
        let first = self.send_once(request).await?;
        // An OAuth token the endpoint refuses may have been revoked or expired early: fetch a new one, once.
        if first.status == Some(401) {
            if let Some(tokens) = &self.tokens {
                tokens.invalidate().await;
                return self.send_once(request).await;
            }
        }
        Ok(first)
    }

    async fn send_once(&self, request: &Request) -> Result<Exchange, ClientError> {
        let path = normalize_path(&request.path);
        let query = encode_query(&request.query);
        let url = self.url_for(&path, &query);
        let mut builder = self.http.request(request.method.to_reqwest(), url).header(header::ACCEPT, SCIM_MEDIA);
        let oauth_token = match &self.tokens {
            Some(tokens) => Some(tokens.token().await?),
            None => None,
        };
        if let Some(token) = &oauth_token {
            if let Ok(mut sent) = self.sent_tokens.lock() {
                if !sent.iter().any(|t| t == token.expose()) {
                    sent.push(token.expose().to_string());
                }
            }
        }
        match (&oauth_token, &self.bearer_header, &self.config.auth) {
            (Some(token), _, _) => {
                builder = builder.header(header::AUTHORIZATION, format!("Bearer {}", token.expose()))
            }
            (None, Some(value), _) => builder = builder.header(header::AUTHORIZATION, value.clone()),
            // A token that is not a valid header value: reqwest reports it as the request's error.
            (None, None, Auth::Bearer(token)) => {
                builder = builder.header(header::AUTHORIZATION, format!("Bearer {}", token.expose()))
            }
            (None, None, _) => {}
        }
        let bytes = match (&request.encoded, &request.body) {
            (Some(bytes), _) => Some(bytes.clone()),
            (None, Some(body)) => Some(serde_json::to_vec(body).unwrap_or_default().into()),
            (None, None) => None,
        };
        if let Some(bytes) = bytes {
            builder = builder.header(header::CONTENT_TYPE, SCIM_MEDIA).body(bytes);
        }
        let started = Instant::now();
        let mut exchange = Exchange {
            index: 0,
            origin: request.origin,
            method: request.method,
            path,
            query,
            // A lean transcript keeps no bodies: the engine never reads the request body back.
            request_body: if self.transcript.is_lean() { None } else { request.body.clone() },
            status: None,
            response_headers: Vec::new(),
            response_body: Body::Empty,
            duration: Duration::ZERO,
            error: None,
        };
        // A full transcript keeps whole bodies; a lean one only what the caller reads.
        let reads = if self.transcript.is_lean() { request.reads } else { Reads::All };
        let headers: &[HeaderName] = if self.transcript.is_lean() { &LEAN_HEADERS } else { &HEADERS_OF_INTEREST };
        let outcome = self.exchange(builder, reads, headers, &mut exchange).await;
        exchange.duration = started.elapsed();
        match outcome {
            Ok(()) => Ok(self.transcript.push(exchange)),
            Err(source) => {
                let kind = classify(&source);
                exchange.error = Some(kind);
                let exchange = self.transcript.push(exchange);
                Err(ClientError::Transport {
                    method: request.method,
                    // Built again here rather than kept: a failure is rare, every request would copy it.
                    url: self.url_for(&exchange.path, &exchange.query).into(),
                    kind,
                    exchange: Box::new(exchange),
                    source,
                })
            }
        }
    }

    async fn exchange(
        &self,
        builder: reqwest::RequestBuilder,
        reads: Reads,
        headers: &[HeaderName],
        exchange: &mut Exchange,
    ) -> Result<(), reqwest::Error> {
        let mut response = builder.send().await?;
        exchange.status = Some(response.status().as_u16());
        exchange.response_headers = headers
            .iter()
            .filter_map(|name| {
                let value = response.headers().get(name)?;
                // Visible ASCII (almost every value) is copied as it is; anything else as lossy UTF-8.
                let text = match value.to_str() {
                    Ok(text) => text.to_owned(),
                    Err(_) => String::from_utf8_lossy(value.as_bytes()).into_owned(),
                };
                Some((name.as_str().to_owned(), text))
            })
            .collect();
        let Some(bytes) = read::bounded_body(&mut response, self.config.max_body).await? else {
            exchange.response_body = Body::TooLarge { limit: self.config.max_body };
            return Ok(());
        };
        // An error answer is read whole: its SCIM error (`detail`, `scimType`) goes into the finding.
        let reads = if response.status().is_success() { reads } else { Reads::All };
        exchange.response_body = read::parse_body(&bytes, reads);
        Ok(())
    }
}

fn classify(error: &reqwest::Error) -> TransportErrorKind {
    if error.is_timeout() {
        TransportErrorKind::Timeout
    } else if error.is_connect() {
        TransportErrorKind::Connect
    } else if error.is_body() || error.is_decode() || error.is_request() {
        TransportErrorKind::Io
    } else {
        TransportErrorKind::Other
    }
}

/// [`SCIM_MEDIA_TYPE`] as a header value.
const SCIM_MEDIA: HeaderValue = HeaderValue::from_static(SCIM_MEDIA_TYPE);

/// `Authorization: Bearer <token>` marked sensitive, or `None` when the token cannot be a header value.
fn bearer_header(token: &str) -> Option<HeaderValue> {
    let mut value = HeaderValue::try_from(format!("Bearer {token}")).ok()?;
    value.set_sensitive(true);
    Some(value)
}

/// `Users` → `/Users`; `//Users/` → `/Users/`: exactly one leading `/`.
fn normalize_path(path: &str) -> String {
    let path = path.trim_start_matches('/');
    let mut normal = String::with_capacity(path.len() + 1);
    normal.push('/');
    normal.push_str(path);
    normal
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_is_encoded_as_entra_sends_it() {
        let q = encode_query(&[("filter".into(), "userName eq \"alice@contoso.com\"".into())]);
        assert_eq!(q, "filter=userName+eq+%22alice%40contoso.com%22");
        assert_eq!(form_decode("userName+eq+%22alice%40contoso.com%22"), "userName eq \"alice@contoso.com\"");
        assert_eq!(form_decode("100%"), "100%");
        let two = encode_query(&[("count".into(), "1".into()), ("attributes".into(), "ü ~/".into())]);
        assert_eq!(two, "count=1&attributes=%C3%BC+%7E%2F");
        assert_eq!(encode_query(&[]), "");
    }

    #[test]
    fn paths_are_joined_with_one_slash() {
        let c = Client::new(ClientConfig::new("http://127.0.0.1:1/scim/v2/?aadOptscim062020", Auth::None)).unwrap();
        assert_eq!(c.url_for("Users", "").as_str(), "http://127.0.0.1:1/scim/v2/Users");
        assert_eq!(c.url_for("//Users/7", "a=b").as_str(), "http://127.0.0.1:1/scim/v2/Users/7?a=b");
        let mut cfg = ClientConfig::new("http://127.0.0.1:1/scim?aadOptscim062020", Auth::None);
        cfg.forward_flag = true;
        let c = Client::new(cfg).unwrap();
        assert_eq!(c.url_for("/Users", "x=1").as_str(), "http://127.0.0.1:1/scim/Users?aadOptscim062020&x=1");
        let c = Client::new(ClientConfig::new("https://x.test", Auth::None)).unwrap();
        assert_eq!(c.url_for("Users/a b?c", "").as_str(), "https://x.test/Users/a%20b%3Fc");
    }

    #[test]
    fn secrets_never_format() {
        let auth = Auth::Bearer(Secret::new("s3cr3t"));
        assert!(!format!("{auth:?}").contains("s3cr3t"));
    }
}
