//! Each switch of the embedded endpoint, and the fault-injection draws.

use super::*;

#[tokio::test]
async fn switch_keep_attributes() {
    let api = api_switched(Switches {
        keep_attributes: Some(vec!["userName".into(), "active".into()]),
        ..Switches::default()
    })
    .await;
    let a = api.post("/Users", json!({"userName": "k", "active": true, "title": "Boss", "displayName": "K"})).await;
    assert_eq!(a.status, StatusCode::CREATED);
    let u = a.json();
    assert!(u.get("title").is_none() && u.get("displayName").is_none(), "{u}");
    let id = u["id"].as_str().expect("id");
    let a = api.patch(&format!("/Users/{id}"), json!([{"op": "Replace", "path": "title", "value": "Boss"}])).await;
    assert_eq!(a.status, StatusCode::OK, "accepted");
    assert!(a.json().get("title").is_none(), "silently dropped");
}

#[tokio::test]
async fn switch_remove_all_members_on_legacy_remove() {
    for (hazard, left) in [(false, 1), (true, 0)] {
        let api = api_switched(Switches { remove_all_members_on_legacy_remove: hazard, ..Switches::default() }).await;
        let (a, b) = (api.user("a").await, api.user("b").await);
        let gid = api.group("g").await;
        api.patch(
            &format!("/Groups/{gid}"),
            json!([{"op": "Add", "path": "members", "value": [{"value": a}, {"value": b}]}]),
        )
        .await;
        api.patch(&format!("/Groups/{gid}"), json!([{"op": "Remove", "path": "members", "value": [{"value": a}]}]))
            .await;
        assert_eq!(api.members(&gid).await.len(), left, "hazard {hazard}");
    }
}

#[tokio::test]
async fn switch_manager_as_string() {
    let api = api_switched(Switches { manager_as_string: true, ..Switches::default() }).await;
    let boss = api.user("boss").await;
    let a = api.post("/Users", json!({"userName": "w", EXT: {"manager": {"value": boss}}})).await;
    assert_eq!(a.json()[EXT]["manager"], boss.as_str());
    let found = api.get(&format!("/Users?filter={}", q(r#"userName eq "w""#))).await.json();
    assert_eq!(found["Resources"][0][EXT]["manager"], boss.as_str());
}

#[tokio::test]
async fn switch_not_found_on_empty_query() {
    let api = api_switched(Switches { not_found_on_empty_query: true, ..Switches::default() }).await;
    assert_error(&api.get(&format!("/Users?filter={}", q(r#"userName eq "ghost""#))).await, 404, None);
    api.user("real").await;
    assert_eq!(api.get(&format!("/Users?filter={}", q(r#"userName eq "real""#))).await.status, StatusCode::OK);
}

#[tokio::test]
async fn switch_ignore_pathless_patch() {
    let api = api_switched(Switches { ignore_pathless_patch: true, ..Switches::default() }).await;
    let id = api.user("i").await;
    let a = api
        .patch(
            &format!("/Users/{id}"),
            json!([{"op": "replace", "value": {"title": "T"}}, {"op": "replace", "path": "nickName", "value": "N"}]),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK);
    let u = a.json();
    assert!(u.get("title").is_none());
    assert_eq!(u["nickName"], "N", "operations with a path still apply");
}

#[tokio::test]
async fn switch_case_exact_filters() {
    let api = api_switched(Switches { case_exact_filters: true, ..Switches::default() }).await;
    api.user("Carol").await;
    let f = |v: &str| format!("/Users?filter={}", q(&format!("userName eq \"{v}\"")));
    assert_eq!(api.get(&f("carol")).await.json()["totalResults"], 0);
    assert_eq!(api.get(&f("Carol")).await.json()["totalResults"], 1);
}

#[tokio::test]
async fn switch_group_patch_returns_resource() {
    let api = api_switched(Switches { group_patch_returns_resource: true, ..Switches::default() }).await;
    let gid = api.group("g").await;
    let a = api.patch(&format!("/Groups/{gid}"), json!([{"op": "replace", "path": "displayName", "value": "h"}])).await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.json()["displayName"], "h");
}

#[tokio::test]
async fn switch_latency() {
    let api = api_switched(Switches { latency_ms: 150, ..Switches::default() }).await;
    let t = Instant::now();
    assert_eq!(api.get("/ServiceProviderConfig").await.status, StatusCode::OK);
    assert!(t.elapsed() >= Duration::from_millis(150));
}

#[tokio::test]
async fn switch_error_rate_applies_nothing() {
    let api = api_switched(Switches { error_rate: 1.0, ..Switches::default() }).await;
    assert_error(&api.post("/Users", json!({"userName": "x"})).await, 500, None);
    assert_error(&api.post("/Users", json!({"userName": "x"})).await, 500, None);
}

#[tokio::test]
async fn fault_draws_are_reproducible_from_the_seed() {
    let mut runs = Vec::new();
    for _ in 0..2 {
        let api =
            api_switched(Switches { error_rate: 0.3, rate_limit_rate: 0.2, seed: 9, ..Switches::default() }).await;
        let mut statuses = Vec::new();
        for _ in 0..30 {
            statuses.push(api.get("/Users?count=1").await.status.as_u16());
        }
        runs.push(statuses);
    }
    assert_eq!(runs[0], runs[1]);
    assert!(runs[0].contains(&500) && runs[0].contains(&429) && runs[0].contains(&200), "{:?}", runs[0]);
}

#[tokio::test]
async fn switch_rate_limit() {
    let api = api_switched(Switches { rate_limit_rate: 1.0, retry_after_secs: 7, ..Switches::default() }).await;
    let a = api.post("/Users", json!({"userName": "x"})).await;
    assert_error(&a, 429, None);
    assert_eq!(a.headers["retry-after"], "7");
}

#[tokio::test]
async fn switch_timeout_hangs_until_the_client_gives_up() {
    let api = api_switched(Switches { timeout_rate: 1.0, ..Switches::default() }).await;
    let req = api.http.get(api.url("/Users")).bearer_auth(api.server.token()).timeout(Duration::from_millis(300));
    let err = req.send().await.expect_err("client times out");
    assert!(err.is_timeout());
    let t = Instant::now();
    api.server.shutdown().await;
    assert!(t.elapsed() < Duration::from_secs(5), "a hanging request does not hold up shutdown");
}

#[tokio::test]
async fn switch_malformed_applies_writes_first() {
    let api = api_switched(Switches { malformed_rate: 1.0, ..Switches::default() }).await;
    let a = api.post("/Users", json!({"userName": "half"})).await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(serde_json::from_str::<Value>(&a.text).is_err(), "{}", a.text);
    let again = api.post("/Users", json!({"userName": "half"})).await;
    assert_error(&again, 409, Some("uniqueness"));
}

#[tokio::test]
async fn switch_html_errors() {
    let api = api_switched(Switches { html_errors: true, ..Switches::default() }).await;
    let a = api.get("/Users/missing").await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    assert!(a.content_type.starts_with("text/html"));
    assert!(a.text.contains("<h1>404 Not Found</h1>"));
}

#[tokio::test]
async fn invalid_switches_are_rejected() {
    let r = server::start(ServerConfig {
        switches: Switches { error_rate: 2.0, ..Switches::default() },
        ..ServerConfig::default()
    })
    .await;
    assert!(matches!(r, Err(server::ServerError::InvalidSwitch(_))));
}
