//! The Microsoft Graph surface (`entrasim::graph::router`) end to end over 127.0.0.1: the token endpoint,
//! the bearer check and error bodies here; each area in its own file. The tenant behind it is the
//! in-test double of `graph/double.rs` (a real directory, a job that records what it is asked).

use std::sync::Arc;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

mod apps;
mod audit;
mod batch;
mod client;
mod double;
mod groups;
mod sync;
mod users;

use double::{Double, APP, SECRET, TENANT};

/// A running Graph surface and a client holding a token from its token endpoint.
pub struct Api {
    pub base: String,
    pub http: reqwest::Client,
    pub token: String,
    pub tenant: Arc<Double>,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for Api {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// An answer: status, headers and body.
pub struct Answer {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }

    /// Asserts a Graph error body with this status and code; returns its message.
    #[track_caller]
    pub fn error(&self, status: u16, code: &str) -> String {
        assert_eq!(self.status.as_u16(), status, "{}", self.text);
        let body = self.json();
        assert_eq!(body["error"]["code"], code, "{}", self.text);
        let inner = &body["error"]["innerError"];
        assert!(inner["date"].is_string() && inner["request-id"].is_string(), "{}", self.text);
        assert!(inner["client-request-id"].is_string(), "{}", self.text);
        let header = self.headers.get("request-id").and_then(|h| h.to_str().ok());
        assert_eq!(header, inner["request-id"].as_str(), "the request-id header names the same request");
        body["error"]["message"].as_str().unwrap().to_string()
    }
}

/// Starts the surface over a fresh double on an OS-picked port and gets a token.
pub async fn start() -> Api {
    let tenant = Arc::new(double::double());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().unwrap());
    let router = entrasim::graph::router(tenant.clone());
    let server = tokio::spawn(async move {
        axum::serve(listener, router).await.expect("serve");
    });
    let http = reqwest::Client::builder().no_proxy().build().expect("client");
    let mut api = Api { base, http, token: String::new(), tenant, server };
    let answer = api
        .token_request(&[
            ("grant_type", "client_credentials"),
            ("client_id", APP),
            ("client_secret", SECRET),
            ("scope", "https://graph.microsoft.com/.default"),
        ])
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    api.token = answer.json()["access_token"].as_str().unwrap().to_string();
    api
}

impl Api {
    pub async fn token_request(&self, form: &[(&str, &str)]) -> Answer {
        self.token_request_at(TENANT, form).await
    }

    pub async fn token_request_at(&self, tenant: &str, form: &[(&str, &str)]) -> Answer {
        let body = entrasim::scim::client::encode_query(
            &form.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect::<Vec<_>>(),
        );
        let request = self
            .http
            .post(format!("{}/{tenant}/oauth2/v2.0/token", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        answer(request).await
    }

    /// Sends `method path` (path starts with `/v1.0/` or `/beta/`, or is an absolute URL) with the token.
    pub async fn send(&self, method: Method, path: &str, body: Option<Value>) -> Answer {
        let url = if path.starts_with("http") { path.to_string() } else { format!("{}{path}", self.base) };
        let mut request = self.http.request(method, url).bearer_auth(&self.token);
        if let Some(b) = body {
            request = request.header("content-type", "application/json").body(b.to_string());
        }
        answer(request).await
    }

    pub async fn get(&self, path: &str) -> Answer {
        self.send(Method::GET, path, None).await
    }

    /// GET that must answer 200 with JSON.
    pub async fn ok(&self, path: &str) -> Value {
        let a = self.get(path).await;
        assert_eq!(a.status, StatusCode::OK, "GET {path}: {}", a.text);
        a.json()
    }

    pub async fn post(&self, path: &str, body: Value) -> Answer {
        self.send(Method::POST, path, Some(body)).await
    }

    pub async fn patch(&self, path: &str, body: Value) -> Answer {
        self.send(Method::PATCH, path, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> Answer {
        self.send(Method::DELETE, path, None).await
    }
}

async fn answer(request: reqwest::RequestBuilder) -> Answer {
    let response = request.send().await.expect("request");
    let status = response.status();
    let headers = response.headers().clone();
    let text = response.text().await.expect("body");
    Answer { status, headers, text }
}

#[tokio::test]
async fn token_endpoint_issues_random_tokens_for_the_client_credentials_only() {
    let api = start().await;
    let good = [("grant_type", "client_credentials"), ("client_id", APP), ("client_secret", SECRET)];
    let first = api.token_request(&good).await.json();
    assert_eq!(first["token_type"], "Bearer");
    assert_eq!(first["expires_in"], 3599);
    let token = first["access_token"].as_str().unwrap();
    assert_eq!(token.len(), 43);
    assert_ne!(token, api.token, "every token is new");
    assert!(!token.contains(SECRET));

    let wrong_secret =
        api.token_request(&[("grant_type", "client_credentials"), ("client_id", APP), ("client_secret", "nope")]).await;
    assert_eq!(wrong_secret.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong_secret.json()["error"], "invalid_client");
    assert!(wrong_secret.json()["error_description"].as_str().unwrap().starts_with("AADSTS7000215: "));
    assert!(!wrong_secret.text.contains("nope"), "the secret sent is not echoed");

    let wrong_client = api
        .token_request(&[("grant_type", "client_credentials"), ("client_id", "other"), ("client_secret", SECRET)])
        .await;
    assert_eq!(
        (wrong_client.status, wrong_client.json()["error"].clone()),
        (StatusCode::BAD_REQUEST, json!("unauthorized_client"))
    );
    let no_grant = api.token_request(&[("client_id", APP), ("client_secret", SECRET)]).await;
    assert!(no_grant.json()["error_description"].as_str().unwrap().contains("'grant_type'"));
    let password =
        api.token_request(&[("grant_type", "password"), ("client_id", APP), ("client_secret", SECRET)]).await;
    assert_eq!(password.json()["error"], "unsupported_grant_type");
    let other_tenant = api.token_request_at("contoso.onmicrosoft.com", &good).await;
    assert_eq!(other_tenant.status, StatusCode::BAD_REQUEST);
    assert!(other_tenant.json()["error_description"]
        .as_str()
        .unwrap()
        .starts_with("AADSTS90002: Tenant 'contoso.onmicrosoft.com' not found"));
}

#[tokio::test]
async fn graph_answers_401_without_a_token_it_issued() {
    let api = start().await;
    let none = api
        .http
        .get(format!("{}/v1.0/users", api.base))
        .header("client-request-id", "my-request-7")
        .send()
        .await
        .unwrap();
    assert_eq!(none.headers()["client-request-id"], "my-request-7");
    assert!(none.headers().contains_key("request-id"));
    let none = Answer { status: none.status(), headers: none.headers().clone(), text: none.text().await.unwrap() };
    assert!(none.error(401, "InvalidAuthenticationToken").starts_with("Access token is empty"));
    assert_eq!(none.json()["error"]["innerError"]["client-request-id"], "my-request-7");

    let forged = api.http.get(format!("{}/beta/users", api.base)).bearer_auth("forged").send().await.unwrap();
    let forged =
        Answer { status: forged.status(), headers: forged.headers().clone(), text: forged.text().await.unwrap() };
    assert!(forged.error(401, "InvalidAuthenticationToken").contains("not issued by this tenant"));
    let basic = api.http.get(format!("{}/v1.0/users", api.base)).basic_auth(APP, Some(SECRET)).send().await.unwrap();
    assert_eq!(basic.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn unknown_paths_methods_and_bodies_get_graph_errors_not_panics() {
    let api = start().await;
    let unknown = api.get("/v1.0/applications").await;
    assert!(unknown.error(400, "Request_BadRequest").contains("`/v1.0/applications`"));
    let outside = api.get("/users").await;
    assert!(outside.error(404, "Request_ResourceNotFound").contains("under /v1.0 and /beta"));
    let method = api.send(Method::PUT, "/v1.0/users", Some(json!({}))).await;
    assert!(method.error(405, "Request_BadRequest").contains("`PUT`"));
    let broken = api.send(Method::POST, "/v1.0/users", None).await;
    assert_eq!(broken.error(400, "Request_BadRequest"), "the request body is empty: expected a JSON object");
    let not_json =
        api.http.post(format!("{}/v1.0/groups", api.base)).bearer_auth(&api.token).body("{oops").send().await.unwrap();
    let not_json =
        Answer { status: not_json.status(), headers: not_json.headers().clone(), text: not_json.text().await.unwrap() };
    assert!(not_json.error(400, "Request_BadRequest").starts_with("the request body is not valid JSON: "));
    let array = api.post("/v1.0/groups", json!([1])).await;
    assert_eq!(array.error(400, "Request_BadRequest"), "the request body must be a JSON object");
}

#[tokio::test]
async fn hostile_requests_get_4xx_graph_errors_never_a_panic() {
    let api = start().await;
    let sp = double::SP;
    let job = format!("/v1.0/servicePrincipals/{sp}/synchronization/jobs/{}", double::JOB);
    let deep = format!("{}1{}", "[".repeat(4000), "]".repeat(4000));
    let cases: Vec<(Method, String, Option<String>)> = vec![
        (Method::GET, "/v1.0/users?$top=99999999999999999999999".into(), None),
        (Method::GET, "/v1.0/users?$filter=((((((((displayName".into(), None),
        (Method::GET, "/v1.0/users?$filter=startswith(".into(), None),
        (Method::GET, "/v1.0/users?$filter=%E2%98%83%20eq%20'x'".into(), None),
        (Method::GET, "/v1.0/users?$skiptoken=-1".into(), None),
        (Method::GET, "/v1.0/users/%ZZ".into(), None),
        (Method::GET, "/v1.0/users/%00".into(), None),
        (Method::POST, "/v1.0/users".into(), Some(deep.clone())),
        (Method::POST, "/v1.0/users".into(), Some(r#"{"accountEnabled": true, "displayName": 1, "mailNickname": [], "userPrincipalName": {}, "passwordProfile": "x"}"#.into())),
        (Method::PATCH, format!("/v1.0/users/{}", api.tenant.oid("alice")), Some(r#"{"businessPhones": ["1", "2"]}"#.into())),
        (Method::PATCH, format!("/v1.0/users/{}", api.tenant.oid("alice")), Some(r#"{"employeeOrgData": {"costCenter": 5}}"#.into())),
        (Method::PUT, format!("/v1.0/users/{}/manager/$ref", api.tenant.oid("alice")), Some(r#"{"@odata.id": 5}"#.into())),
        (Method::POST, "/v1.0/groups".into(), Some(r#"{"displayName": "x", "mailEnabled": false, "mailNickname": "x", "securityEnabled": true, "members@odata.bind": [5]}"#.into())),
        (Method::POST, format!("/v1.0/servicePrincipals/{sp}/appRoleAssignedTo"), Some(r#"{"principalId": 5, "resourceId": null, "appRoleId": []}"#.into())),
        (Method::POST, format!("{job}/provisionOnDemand"), Some(r#"{"parameters": [{"ruleId": 5, "subjects": "x"}]}"#.into())),
        (Method::POST, format!("{job}/provisionOnDemand"), Some(r#"{"parameters": [{"ruleId": "r", "subjects": [{"objectId": null}]}]}"#.into())),
        (Method::POST, format!("{job}/restart"), Some(r#"{"criteria": {"resetScope": 7}}"#.into())),
        (Method::PUT, format!("/v1.0/servicePrincipals/{sp}/synchronization/secrets"), Some(r#"{"value": [{"key": 1}]}"#.into())),
        (Method::POST, format!("/v1.0/servicePrincipals/{sp}/synchronization/jobs/validateCredentials"), Some("null".into())),
        (Method::GET, "/v1.0/auditLogs/provisioning?$filter=activityDateTime ge 2026-13-45T99:00:00Z".into(), None),
    ];
    for (method, path, body) in cases {
        let mut request = api.http.request(method.clone(), format!("{}{path}", api.base)).bearer_auth(&api.token);
        if let Some(body) = body {
            request = request.header("content-type", "application/json").body(body);
        }
        let answer = answer(request).await;
        assert!(answer.status.is_client_error(), "{method} {path}: {} {}", answer.status, answer.text);
        let body = answer.json();
        assert!(
            body["error"]["code"].is_string() && body["error"]["message"].is_string(),
            "{method} {path}: {}",
            answer.text
        );
    }
}
