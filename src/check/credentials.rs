//! The `credentials/oauth` check (the Logic App's `Validate_Credentials_Test`, ENTRA.md 7.2), run when the
//! endpoint is reached with OAuth client credentials (`--oauth-token-url`): the token endpoint issues a token
//! for the client id and secret, its `expires_in` lies within 60–360 minutes, and a SCIM call with it
//! succeeds. The client secret and the token never appear in the result.

use std::time::Duration;

use serde_json::Value as Json;

use super::ctx::{Ctx, Outcome, Stop};
use super::judge::expect_status;
use super::model::Problem;
use crate::scim::client::{Method, Request};
use crate::scim::oauth::OAuthConfig;

/// The token lifetimes the Logic App accepts, in minutes.
const LIFETIME_MINUTES: std::ops::RangeInclusive<u64> = 60..=360;

/// `credentials/oauth`.
pub async fn run(ctx: &mut Ctx, oauth: &OAuthConfig) {
    let mark = ctx.mark();
    let outcome = check(ctx, oauth).await;
    ctx.finish("credentials", "oauth", mark, outcome).await;
}

/// What the token endpoint answered: the status and, for a 2xx, the token's lifetime in seconds.
async fn request_token(oauth: &OAuthConfig, timeout: Duration) -> Result<(u16, Json), String> {
    let http = reqwest::Client::builder().timeout(timeout).build().map_err(|e| e.to_string())?;
    let mut form = vec![
        ("grant_type", "client_credentials".to_string()),
        ("client_id", oauth.client_id.clone()),
        ("client_secret", oauth.client_secret.expose().to_string()),
    ];
    if let Some(scope) = &oauth.scope {
        form.push(("scope", scope.clone()));
    }
    let response = http.post(&oauth.token_url).form(&form).send().await.map_err(|e| e.without_url().to_string())?;
    let status = response.status().as_u16();
    let text = response.text().await.map_err(|e| e.without_url().to_string())?;
    Ok((status, serde_json::from_str(&text).unwrap_or(Json::Null)))
}

fn problem(kind: &str, message: String, hint: &str) -> Stop {
    Stop::Fail(Problem::error(kind, message, hint, None))
}

async fn check(ctx: &mut Ctx, oauth: &OAuthConfig) -> Outcome {
    let url = &oauth.token_url;
    let (status, body) = request_token(oauth, Duration::from_secs(30)).await.map_err(|e| {
        problem("token_unreachable", format!("POST {url} got no answer: {e}"), "make the token endpoint reachable")
    })?;
    if !(200..300).contains(&status) {
        let error = body.get("error").and_then(Json::as_str).unwrap_or("no `error` given");
        return Err(problem(
            "token_refused",
            format!("POST {url} (client_credentials) answered {status}: {error}"),
            "issue a token for the client id and secret Entra is configured with (grant_type=client_credentials)",
        ));
    }
    if body.get("access_token").and_then(Json::as_str).is_none_or(str::is_empty) {
        return Err(problem(
            "token_malformed",
            format!("POST {url} answered {status} without an `access_token`"),
            "answer with a JSON token response: `access_token`, `token_type`, `expires_in`",
        ));
    }
    let seconds = match body.get("expires_in") {
        Some(Json::Number(n)) => n.as_u64(),
        Some(Json::String(s)) => s.trim().parse().ok(),
        _ => None,
    };
    let Some(seconds) = seconds else {
        return Err(problem(
            "token_lifetime",
            format!("POST {url} answered without a numeric `expires_in`"),
            "send `expires_in` (seconds) so the token's lifetime is known",
        ));
    };
    if !LIFETIME_MINUTES.contains(&(seconds / 60)) {
        return Err(problem(
            "token_lifetime",
            format!("POST {url} issued a token for {} minutes, outside 60–360", seconds / 60),
            "issue tokens valid between 60 and 360 minutes, as Microsoft's gallery validation requires",
        ));
    }
    let ex = ctx.send(Request::new(Method::Get, "/Users").query("count", "1")).await?;
    expect_status(&ex, &[200], "token_not_accepted", "accept the issued token as `Authorization: Bearer <token>`")?;
    Ok(format!("token issued for {} minutes; {} with it → 200", seconds / 60, ex.request_line()))
}
