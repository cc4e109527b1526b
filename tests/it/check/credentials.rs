//! `credentials/oauth`: a wiremock token endpoint issues the embedded endpoint's own token, with the
//! lifetime under test; the secret and the token never reach a report.

use super::*;
use entrasim::scim::oauth::OAuthConfig;
use entrasim::server::{self, ServerConfig};

const SECRET: &str = "client-secret-9931";

/// Runs the user checks over OAuth; the token endpoint answers `status` with `body` (`{token}` replaced).
async fn run_with_token_answer(status: u16, body: serde_json::Value) -> CheckResult {
    let server = server::start(ServerConfig::default()).await.expect("embedded endpoint starts");
    let tokens = MockServer::start().await;
    let body = body.to_string().replace("{token}", server.token());
    Mock::given(method("POST"))
        .and(path("/oauth2/token"))
        .respond_with(ResponseTemplate::new(status).set_body_raw(body, "application/json"))
        .mount(&tokens)
        .await;
    let oauth = OAuthConfig {
        token_url: format!("{}/oauth2/token", tokens.uri()),
        client_id: "app-1".into(),
        client_secret: Secret::new(SECRET),
        scope: None,
    };
    let client = Client::new(ClientConfig::new(server.url(), Auth::OAuth(oauth.clone()))).expect("client builds");
    let options = CheckOptions { groups: false, oauth: Some(oauth), ..CheckOptions::default() };
    let result = check::run(&client, &options).await.expect("check runs");
    let report = result.to_report();
    let text = format!("{}{}", report::json::render(&report), report::junit::render(&report).unwrap());
    assert!(!text.contains(SECRET) && !text.contains(server.token()), "a secret reached the report");
    server.shutdown().await;
    result
}

#[tokio::test]
async fn a_token_valid_for_an_hour_passes_and_comes_right_after_the_probes() {
    let result = run_with_token_answer(200, json!({"access_token": "{token}", "expires_in": 3600})).await;
    let oauth = result.checks.iter().position(|c| c.id() == "credentials/oauth").expect("the check ran");
    assert_eq!(oauth, 1, "after the Test Connection probe");
    assert_eq!(result.checks[oauth].status, CheckStatus::Pass, "{:#?}", result.checks[oauth]);
    assert!(result.checks[oauth].detail.starts_with("token issued for 60 minutes"), "{}", result.checks[oauth].detail);
    assert!(result.passed(), "{:?}", ids(&result, CheckStatus::Fail));
}

#[tokio::test]
async fn a_day_long_token_fails_only_the_credentials_check() {
    let result = run_with_token_answer(200, json!({"access_token": "{token}", "expires_in": "86400"})).await;
    assert_eq!(ids(&result, CheckStatus::Fail), ["credentials/oauth"]);
    let problem = &result.checks[1].problems[0];
    assert_eq!(problem.kind, "token_lifetime");
    assert!(problem.message.contains("1440 minutes"), "{}", problem.message);
}

#[tokio::test]
async fn a_refused_token_request_is_named() {
    let result = run_with_token_answer(401, json!({"error": "invalid_client"})).await;
    let oauth = result.checks.iter().find(|c| c.id() == "credentials/oauth").expect("the check ran");
    assert_eq!(oauth.status, CheckStatus::Fail);
    assert!(oauth.problems[0].message.contains("401: invalid_client"), "{}", oauth.problems[0].message);
}

#[tokio::test]
async fn without_oauth_there_is_no_credentials_check() {
    let server = server::start(ServerConfig::default()).await.expect("embedded endpoint starts");
    let client = Client::new(ClientConfig::new(server.url(), Auth::Bearer(Secret::new(server.token())))).unwrap();
    let options = CheckOptions { groups: false, ..CheckOptions::default() };
    let result = check::run(&client, &options).await.unwrap();
    assert!(result.checks.iter().all(|c| c.group != "credentials"));
    server.shutdown().await;
}
