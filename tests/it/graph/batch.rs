//! `$batch`: several requests in one, answered by the same routes, in order, with `dependsOn`.

use reqwest::StatusCode;
use serde_json::json;

use super::start;

#[tokio::test]
async fn a_batch_runs_its_requests_in_order_through_the_same_routes() {
    let api = start().await;
    let bob = api.tenant.oid("bob");
    let batch = json!({"requests": [
        {"id": "1", "method": "GET", "url": "/users?$select=displayName&$orderby=displayName desc"},
        {"id": "2", "method": "PATCH", "url": format!("/users/{bob}"), "body": {"jobTitle": "Lead"},
         "headers": {"Content-Type": "application/json"}},
        {"id": "3", "method": "GET", "url": format!("users/{bob}?$select=jobTitle"), "dependsOn": ["2"]},
        {"id": "4", "method": "GET", "url": "/users/nobody@contoso.com"},
        {"id": "5", "method": "DELETE", "url": format!("/users/{bob}"), "dependsOn": ["4"]},
    ]});
    let answer = api.post("/v1.0/$batch", batch).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    let responses = answer.json()["responses"].clone();
    let statuses: Vec<_> =
        responses.as_array().unwrap().iter().map(|r| (r["id"].clone(), r["status"].clone())).collect();
    assert_eq!(
        statuses,
        [
            (json!("1"), json!(200)),
            (json!("2"), json!(204)),
            (json!("3"), json!(200)),
            (json!("4"), json!(404)),
            (json!("5"), json!(424))
        ]
    );
    assert_eq!(responses[0]["body"]["value"], json!([{"displayName": "Bob Jones"}, {"displayName": "Alice Smith"}]));
    assert_eq!(responses[2]["body"]["jobTitle"], "Lead", "the PATCH ran before the GET that depends on it");
    assert_eq!(responses[3]["body"]["error"]["code"], "Request_ResourceNotFound");
    assert!(api.ok(&format!("/v1.0/users/{bob}")).await.get("id").is_some(), "the failed dependency kept bob");

    let unauthenticated = reqwest::Client::new()
        .post(format!("{}/v1.0/$batch", api.base))
        .json(&json!({"requests": [{"id": "1", "method": "GET", "url": "/users"}]}))
        .send()
        .await
        .expect("request");
    assert_eq!(unauthenticated.status(), StatusCode::UNAUTHORIZED);

    let too_many: Vec<_> = (0..21).map(|i| json!({"id": i.to_string(), "method": "GET", "url": "/users"})).collect();
    let cases = [
        (json!({"requests": too_many}), "a batch holds 1 to 20 requests, this one 21"),
        (json!({"requests": [{"method": "GET", "url": "/users"}]}), "request 1 of the batch has no `id`"),
        (
            json!({"requests": [{"id": "a", "method": "GET", "url": "https://graph.microsoft.com/v1.0/users"}]}),
            "relative to the version",
        ),
        (
            json!({"requests": [{"id": "a", "method": "GET", "url": "/users", "dependsOn": ["b"]}]}),
            "not an earlier request",
        ),
        (json!({"value": []}), "a batch body is"),
    ];
    for (body, message) in cases {
        let got = api.post("/beta/$batch", body).await.error(400, "Request_BadRequest");
        assert!(got.contains(message), "{message}: {got}");
    }
}
