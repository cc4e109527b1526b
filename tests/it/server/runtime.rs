//! The running server: concurrent writes, the in-process handle API, shutdown and drop.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_writes_are_not_lost() {
    let api = std::sync::Arc::new(api().await);
    let gid = api.group("big").await;
    let mut ids = Vec::new();
    for i in 0..200 {
        ids.push(api.user(&format!("m{i}")).await);
    }
    let tasks: Vec<_> = ids
        .iter()
        .map(|id| {
            let (api, gid, id) = (api.clone(), gid.clone(), id.clone());
            tokio::spawn(async move {
                api.patch(
                    &format!("/Groups/{gid}"),
                    json!([{"op": "Add", "path": "members", "value": [{"value": id}]}]),
                )
                .await
                .status
            })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.expect("task"), StatusCode::NO_CONTENT);
    }
    assert_eq!(api.members(&gid).await.len(), 200);
    assert_eq!(api.get(&format!("/Groups/{gid}")).await.json()["meta"]["version"], "W/\"201\"");

    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let api = api.clone();
            tokio::spawn(async move {
                api.post("/Users", json!({"userName": if i % 2 == 0 { "Same" } else { "same" }})).await.status
            })
        })
        .collect();
    let mut created = 0;
    for t in tasks {
        match t.await.expect("task") {
            StatusCode::CREATED => created += 1,
            s => assert_eq!(s, StatusCode::CONFLICT),
        }
    }
    assert_eq!(created, 1, "exactly one parallel POST of the same userName wins");
}

#[tokio::test]
async fn handle_inserts_and_lists_resources_in_process() {
    let api = api().await;
    let u = api
        .server
        .insert(server::ResourceType::User, json!({"userName": "seeded", "active": "False"}))
        .expect("stored");
    assert_eq!(u["active"], false);
    let e = api.server.insert(server::ResourceType::User, json!({"userName": "SEEDED"})).expect_err("duplicate");
    assert_eq!((e.status.as_str(), e.scim_type.as_deref()), ("409", Some("uniqueness")));
    let found = api.get(&format!("/Users?filter={}", q(r#"userName eq "seeded""#))).await.json();
    assert_eq!(found["totalResults"], 1, "seeded users are visible over HTTP");
    api.user("over-http").await;
    let names: Vec<Value> =
        api.server.resources(server::ResourceType::User).iter().map(|u| u["userName"].clone()).collect();
    assert_eq!(names, [json!("seeded"), json!("over-http")]);
    assert!(api.server.resources(server::ResourceType::Group).is_empty());
}

#[tokio::test]
async fn shutdown_and_drop_stop_the_server() {
    let api = api().await;
    let url = api.url("/Users");
    let http = api.http.clone();
    api.server.shutdown().await;
    assert!(http.get(&url).send().await.is_err());

    let handle = server::start(ServerConfig::default()).await.expect("starts");
    let url = format!("{}/Users", handle.url());
    drop(handle);
    let client = reqwest::Client::builder().no_proxy().build().expect("client");
    let mut stopped = false;
    for _ in 0..50 {
        if client.get(&url).send().await.is_err() {
            stopped = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(stopped, "dropping the handle stops the server");
}
