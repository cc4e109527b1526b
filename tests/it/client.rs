//! The SCIM client against wiremock: encoding, headers, error bodies, broken responses, bounds.

use std::time::Duration;

use entrasim::scim::client::{
    Auth, Body, Client, ClientConfig, ClientError, Method, Request, Secret, TransportErrorKind,
};
use serde_json::json;
use wiremock::matchers::{body_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn client(server: &MockServer, suffix: &str) -> Client {
    let cfg = ClientConfig::new(format!("{}/scim/v2{suffix}", server.uri()), Auth::Bearer(Secret::new("tok-123")));
    Client::new(cfg).expect("client builds")
}

fn scim(status: u16, body: serde_json::Value) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(body.to_string(), "application/scim+json")
}

#[tokio::test]
async fn filter_query_is_encoded_like_entra_and_flag_is_stripped() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/scim/v2/Users"))
        .and(query_param("filter", "userName eq \"alice@contoso.com\""))
        .and(header("authorization", "Bearer tok-123"))
        .and(header("accept", "application/scim+json"))
        .respond_with(scim(200, json!({"totalResults": 0, "Resources": []})))
        .expect(1)
        .mount(&server)
        .await;
    let c = client(&server, "?aadOptscim062020");
    let ex = c.send(&Request::get_filtered("Users", "userName eq \"alice@contoso.com\"")).await.unwrap();
    assert_eq!(ex.status, Some(200));
    assert_eq!(ex.raw_request_line(), "GET /Users?filter=userName+eq+%22alice%40contoso.com%22");
    assert_eq!(ex.request_line(), "GET /Users?filter=userName eq \"alice@contoso.com\"");
    let received = server.received_requests().await.unwrap();
    assert_eq!(received[0].url.query(), Some("filter=userName+eq+%22alice%40contoso.com%22"));
    let ua = received[0].headers.get("user-agent").unwrap().to_str().unwrap();
    assert!(ua.starts_with("entrasim/"), "{ua}");
    assert_eq!(c.transcript().len(), 1);
}

#[tokio::test]
async fn not_found_is_an_exchange_not_an_error() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/scim/v2/Users/42"))
        .respond_with(scim(
            404,
            json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"], "status": "404", "detail": "no such user"}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let ex = client(&server, "").send(&Request::new(Method::Get, "/Users/42")).await.unwrap();
    assert_eq!(ex.status, Some(404));
    let err = ex.scim_error().unwrap();
    assert_eq!((err.status.as_deref(), err.detail.as_deref()), (Some("404"), Some("no such user")));
}

#[tokio::test]
async fn conflict_error_body_is_parsed_into_fields() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/scim/v2/Users"))
        .and(header("content-type", "application/scim+json"))
        .respond_with(scim(409, json!({"status": 409, "scimType": "uniqueness", "detail": "userName taken"})))
        .expect(1)
        .mount(&server)
        .await;
    let ex = client(&server, "")
        .send(&Request::new(Method::Post, "Users").body(json!({"userName": "a@b.c"})))
        .await
        .unwrap();
    let err = ex.scim_error().unwrap();
    assert_eq!(err.scim_type.as_deref(), Some("uniqueness"));
    assert_eq!(err.status.as_deref(), Some("409"));
    assert_eq!(err.detail.as_deref(), Some("userName taken"));
}

#[tokio::test]
async fn too_many_requests_exposes_retry_after() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(429).insert_header("Retry-After", "3"))
        .expect(1)
        .mount(&server)
        .await;
    let ex = client(&server, "").send(&Request::new(Method::Get, "Users/1")).await.unwrap();
    assert_eq!(ex.status, Some(429));
    assert_eq!(ex.retry_after(), Some(Duration::from_secs(3)));
    assert_eq!(ex.response_body, Body::Empty);
}

#[tokio::test]
async fn patch_body_is_sent_verbatim() {
    let server = MockServer::start().await;
    let body = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "Replace", "path": "active", "value": "False"}]
    });
    Mock::given(method("PATCH"))
        .and(path("/scim/v2/Users/7"))
        .and(body_json(body.clone()))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    let ex = client(&server, "").send(&Request::new(Method::Patch, "/Users/7").body(body.clone())).await.unwrap();
    assert_eq!(ex.status, Some(204));
    assert_eq!(ex.request_body, Some(body));
}

#[tokio::test]
async fn truncated_json_and_html_pages_are_recorded_as_text() {
    let server = MockServer::start().await;
    Mock::given(path("/scim/v2/Users/trunc"))
        .respond_with(ResponseTemplate::new(200).set_body_raw("{\"id\": \"1\", \"userNa", "application/scim+json"))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(path("/scim/v2/Users/html"))
        .respond_with(ResponseTemplate::new(502).set_body_raw("<html><body>Bad Gateway</body></html>", "text/html"))
        .expect(1)
        .mount(&server)
        .await;
    let c = client(&server, "");
    let ex = c.send(&Request::new(Method::Get, "Users/trunc")).await.unwrap();
    assert!(matches!(&ex.response_body, Body::Text { text, .. } if text.starts_with("{\"id\"")));
    let ex = c.send(&Request::new(Method::Get, "Users/html")).await.unwrap();
    assert_eq!(ex.status, Some(502));
    assert!(ex.scim_error().is_none());
    assert!(ex.body_excerpt().contains("Bad Gateway"));
    assert_eq!(ex.header("content-type"), Some("text/html"));
}

#[tokio::test]
async fn oversized_bodies_are_bounded() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_raw("x".repeat(10_000), "application/scim+json"))
        .expect(1)
        .mount(&server)
        .await;
    let mut cfg = ClientConfig::new(server.uri(), Auth::None);
    cfg.max_body = 1024;
    let ex = Client::new(cfg).unwrap().send(&Request::new(Method::Get, "Users")).await.unwrap();
    assert_eq!(ex.response_body, Body::TooLarge { limit: 1024 });
}

#[tokio::test]
async fn slow_responses_time_out_and_are_recorded() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(5)))
        .expect(1)
        .mount(&server)
        .await;
    let mut cfg = ClientConfig::new(server.uri(), Auth::Bearer(Secret::new("tok-123")));
    cfg.timeout = Duration::from_millis(200);
    let c = Client::new(cfg).unwrap();
    let err = c.send(&Request::new(Method::Get, "Users")).await.unwrap_err();
    assert!(matches!(err, ClientError::Transport { kind: TransportErrorKind::Timeout, .. }), "{err}");
    assert!(!err.to_string().contains("tok-123"));
    let recorded = c.transcript().exchanges();
    assert_eq!((recorded.len(), recorded[0].error), (1, Some(TransportErrorKind::Timeout)));
}

#[tokio::test]
async fn connection_refused_is_a_transport_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let c = Client::new(ClientConfig::new(format!("http://127.0.0.1:{port}/scim"), Auth::None)).unwrap();
    let err = c.send(&Request::new(Method::Get, "Users")).await.unwrap_err();
    assert!(matches!(err, ClientError::Transport { kind: TransportErrorKind::Connect, .. }), "{err}");
    assert_eq!(err.exchange().map(|e| e.status), Some(None));
}

mod oauth {
    use entrasim::scim::client::{Auth, Client, ClientConfig, Method, Request, Secret};
    use entrasim::scim::oauth::OAuthConfig;
    use wiremock::matchers::{header, method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    fn oauth(server: &MockServer) -> Auth {
        Auth::OAuth(OAuthConfig {
            token_url: format!("{}/token", server.uri()),
            client_id: "app".into(),
            client_secret: Secret::new("client-secret-value"),
            scope: None,
        })
    }

    fn list() -> ResponseTemplate {
        ResponseTemplate::new(200).set_body_json(serde_json::json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"], "totalResults": 0, "Resources": []
        }))
    }

    #[tokio::test]
    async fn client_credentials_token_is_fetched_once_and_sent_as_bearer() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/token"))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(serde_json::json!({"access_token": "tok-1", "expires_in": 3600})),
            )
            .expect(1)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/scim/Users"))
            .and(header("Authorization", "Bearer tok-1"))
            .respond_with(list())
            .expect(2)
            .mount(&server)
            .await;
        let client = Client::new(ClientConfig::new(format!("{}/scim", server.uri()), oauth(&server))).unwrap();
        for _ in 0..2 {
            let e = client.send(&Request::new(Method::Get, "/Users")).await.unwrap();
            assert_eq!(e.status, Some(200));
        }
    }

    #[tokio::test]
    async fn a_refused_token_is_fetched_again_once() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/token"))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(serde_json::json!({"access_token": "tok", "expires_in": 3600})),
            )
            .expect(2)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/scim/Users"))
            .respond_with(ResponseTemplate::new(401))
            .up_to_n_times(1)
            .mount(&server)
            .await;
        Mock::given(method("GET")).and(path("/scim/Users")).respond_with(list()).mount(&server).await;
        let client = Client::new(ClientConfig::new(format!("{}/scim", server.uri()), oauth(&server))).unwrap();
        let e = client.send(&Request::new(Method::Get, "/Users")).await.unwrap();
        assert_eq!(e.status, Some(200));
        assert_eq!(client.transcript().len(), 2, "the refused request and its retry are both recorded");
        let text = format!("{:?}", client.transcript().exchanges());
        assert!(!text.contains("client-secret-value") && !text.contains("tok"), "no secret in the transcript");
    }
}

/// A lean client parses only what a request reads of a successful answer, but an error answer whole:
/// its SCIM error goes into the finding.
#[tokio::test]
async fn a_lean_client_reads_an_error_answer_whole() {
    use entrasim::scim::client::Reads;
    let server = MockServer::start().await;
    let created = json!({"id": "7", "userName": "a", "meta": {"resourceType": "User"}});
    Mock::given(method("POST")).respond_with(scim(201, created)).up_to_n_times(1).mount(&server).await;
    let conflict = json!({"status": "409", "scimType": "uniqueness", "detail": "userName taken"});
    Mock::given(method("POST")).respond_with(scim(409, conflict)).mount(&server).await;
    let mut cfg = ClientConfig::new(format!("{}/scim/v2", server.uri()), Auth::None);
    cfg.keep_bodies = false;
    let c = Client::new(cfg).expect("client builds");
    let post = || Request::new(Method::Post, "/Users").body(json!({"userName": "a"})).reading(Reads::Members(&["id"]));
    let ok = c.send(&post()).await.unwrap();
    assert_eq!(ok.response_body, Body::Json { value: json!({"id": "7"}) }, "only what the request reads");
    let refused = c.send(&post()).await.unwrap();
    let error = refused.scim_error().expect("a SCIM error");
    assert_eq!((error.scim_type.as_deref(), error.detail.as_deref()), (Some("uniqueness"), Some("userName taken")));
}

#[tokio::test]
async fn a_lean_client_keeps_only_the_retry_after_header() {
    let server = MockServer::start().await;
    let throttled =
        scim(429, json!({"detail": "slow down"})).insert_header("Retry-After", "3").insert_header("ETag", "W/\"1\"");
    Mock::given(method("GET")).respond_with(throttled).mount(&server).await;
    for keep_bodies in [true, false] {
        let mut cfg = ClientConfig::new(format!("{}/scim/v2", server.uri()), Auth::None);
        cfg.keep_bodies = keep_bodies;
        let c = Client::new(cfg).expect("client builds");
        let e = c.send(&Request::new(Method::Get, "/Users/7")).await.unwrap();
        assert_eq!(e.retry_after(), Some(std::time::Duration::from_secs(3)), "the engine reads it either way");
        let kept = (e.header("content-type").is_some(), e.header("etag").is_some());
        assert_eq!(kept, (keep_bodies, keep_bodies), "keep_bodies {keep_bodies}");
    }
}
