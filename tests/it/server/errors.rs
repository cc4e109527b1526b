//! Error statuses, preconditions, raw-HTTP leniency, and arbitrary input without a panic.

use super::*;

#[tokio::test]
async fn error_statuses() {
    let api = api_with(ServerConfig { max_body_bytes: 1024, ..ServerConfig::default() }).await;
    let url = api.url("/Users");

    let a = read(api.http.get(&url).send().await.expect("sent")).await;
    assert_error(&a, 401, None);
    assert!(a.headers.contains_key("www-authenticate"));
    let a = read(api.http.get(&url).bearer_auth("wrong-token").send().await.expect("sent")).await;
    assert_error(&a, 401, None);
    assert!(!a.text.contains("wrong-token") && !a.text.contains(api.server.token()), "token never echoed");

    assert_error(&api.get("/Nope").await, 404, None);
    assert_error(&api.get("/Users/does-not-exist").await, 404, None);
    let root = read(api.http.get(format!("http://{}/other", api.server.addr())).send().await.expect("sent")).await;
    assert_error(&root, 404, None);
    assert_error(&api.send(Method::DELETE, "/Users", None).await, 405, None);
    assert_error(&api.post("/Bulk", json!({"Operations": []})).await, 501, None);
    assert_error(&api.get("/Me").await, 501, None);

    let big = json!({"userName": "x".repeat(2000)});
    assert_error(&api.post("/Users", big).await, 413, None);

    let a = read(
        api.http
            .post(&url)
            .bearer_auth(api.server.token())
            .header("content-type", "text/plain")
            .body("{}")
            .send()
            .await
            .expect("sent"),
    )
    .await;
    assert_error(&a, 415, None);
    let a = read(api.http.post(&url).bearer_auth(api.server.token()).body("{}").send().await.expect("sent")).await;
    assert_error(&a, 415, None);
    let a = read(
        api.http
            .post(&url)
            .bearer_auth(api.server.token())
            .header("content-type", "application/json")
            .body("{\"userName\": ")
            .send()
            .await
            .expect("sent"),
    )
    .await;
    assert_error(&a, 400, Some("invalidSyntax"));
    let deep = format!("{}1{}", "[".repeat(300), "]".repeat(300));
    let a = read(
        api.http
            .post(&url)
            .bearer_auth(api.server.token())
            .header("content-type", "application/json")
            .body(deep)
            .send()
            .await
            .expect("sent"),
    )
    .await;
    assert_error(&a, 400, Some("invalidSyntax"));

    assert_error(&api.post("/Users", json!({"displayName": "no userName"})).await, 400, Some("invalidValue"));
    assert_error(&api.post("/Users", json!([1, 2])).await, 400, Some("invalidSyntax"));
    assert_error(&api.post("/Groups", json!({"externalId": "no displayName"})).await, 400, Some("invalidValue"));

    let a = api.get(&format!("/Users?filter={}", q(r#"userName eq "x" and (title eq "y""#))).await;
    assert_error(&a, 400, Some("invalidFilter"));
    assert!(a.json()["detail"].as_str().is_some_and(|d| d.contains("at byte 33")), "{}", a.text);
    let a = api.get(&format!("/Users?filter={}", q(r#"nickname2 eq "x""#))).await;
    assert_error(&a, 400, Some("invalidFilter"));
    let a = api.get("/Users?startIndex=abc").await;
    assert_error(&a, 400, Some("invalidValue"));

    let id = api.user("e").await;
    let p = format!("/Users/{id}");
    assert_error(
        &api.patch(&p, json!([{"op": "replace", "path": "emails[type eq", "value": "x"}])).await,
        400,
        Some("invalidPath"),
    );
    assert_error(&api.patch(&p, json!([{"op": "replace", "path": "id", "value": "x"}])).await, 400, Some("mutability"));
    assert_error(
        &api.patch(&p, json!([{"op": "replace", "path": "meta.created", "value": "x"}])).await,
        400,
        Some("mutability"),
    );
    assert_error(&api.patch(&p, json!([{"op": "remove"}])).await, 400, Some("noTarget"));
    assert_error(
        &api.patch(&p, json!([{"op": "replace", "path": "active", "value": "maybe"}])).await,
        400,
        Some("invalidValue"),
    );
    assert_error(
        &api.patch(&p, json!([{"op": "jump", "path": "title", "value": "x"}])).await,
        400,
        Some("invalidSyntax"),
    );
    let a = api.send(Method::PATCH, &p, Some(json!({"ops": []}))).await;
    assert_error(&a, 400, Some("invalidSyntax"));
    assert_eq!(api.get(&p).await.json()["meta"]["version"], "W/\"1\"", "failed PATCHes applied nothing");
}

#[tokio::test]
async fn etag_preconditions() {
    let api = api().await;
    let id = api.user("etag").await;
    let path = format!("/Users/{id}");
    let send = |method: Method, header: &'static str, tag: &'static str, body: Option<Value>| {
        let mut req = api.http.request(method, api.url(&path)).bearer_auth(api.server.token()).header(header, tag);
        if let Some(b) = body {
            req = req.header("content-type", SCIM).body(b.to_string());
        }
        req.send()
    };
    let a = read(send(Method::GET, "if-none-match", "W/\"1\"", None).await.expect("sent")).await;
    assert_eq!(a.status, StatusCode::NOT_MODIFIED);
    let ops = json!({"Operations": [{"op": "replace", "path": "title", "value": "x"}]});
    let a = read(send(Method::PATCH, "if-match", "W/\"7\"", Some(ops.clone())).await.expect("sent")).await;
    assert_error(&a, 412, None);
    let a = read(send(Method::PATCH, "if-match", "W/\"1\"", Some(ops)).await.expect("sent")).await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.headers["etag"], "W/\"2\"");
    let a = read(send(Method::DELETE, "if-match", "W/\"1\"", None).await.expect("sent")).await;
    assert_error(&a, 412, None);
    let a = read(send(Method::DELETE, "if-match", "*", None).await.expect("sent")).await;
    assert_eq!(a.status, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn literal_quotes_in_the_query_string_are_accepted() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    // See: ENTRA.md 1.0 item 6, captures show `filter=userName+eq+"dale.mohr%40romaguera.uk"`.
    let api = api().await;
    api.user("dale.mohr@romaguera.uk").await;
    let token = api.server.token();
    let mut stream = tokio::net::TcpStream::connect(api.server.addr()).await.expect("connects");
    let body = r#"{"userName":"quote\"d"}"#;
    let request = format!(
        "POST /scim/v2/Users HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nContent-Type: application/scim+json\r\nContent-Length: {}\r\n\r\n{body}\
         GET /scim/v2/Users?filter=userName+eq+\"dale.mohr%40romaguera.uk\" HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.expect("written");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.expect("read");
    assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");
    assert!(answer.contains(r#""userName":"quote\"d""#), "the body is not rewritten: {answer}");
    let second = answer.find("HTTP/1.1 200").expect("second answer on the same connection");
    assert!(answer[second..].contains("\"totalResults\":1"), "{answer}");
}

#[test]
fn handlers_never_fail_on_arbitrary_input() {
    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestRunner};

    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let api = rt.block_on(api());
    let id = rt.block_on(api.user("fuzz"));
    let gid = rt.block_on(api.group("fuzzers"));
    let paths = prop_oneof![
        Just("/Users".to_string()),
        Just(format!("/Users/{id}")),
        Just(format!("/Groups/{gid}")),
        Just("/Groups".to_string()),
        Just("/Users/.search".to_string()),
        "/[A-Za-z%0-9./?=&+\"\\[\\] ]{0,30}".prop_map(|s| s
            .replace(' ', "%20")
            .replace('"', "%22")
            .replace('[', "%5B")
            .replace(']', "%5D")),
        "[a-zA-Z \"\\[\\]().:]{0,30}".prop_map(|f| format!("/Users?filter={}", q(&f))),
    ];
    let bodies: BoxedStrategy<Vec<u8>> = prop_oneof![
        "\\PC{0,40}".prop_map(String::into_bytes),
        proptest::collection::vec(any::<u8>(), 0..64),
        Just(br#"{"Operations":[{"op":"add","path":"members","value":[{"value":"x"}]}]}"#.to_vec()),
        "[a-z\"\\[\\]. ]{0,20}".prop_map(|p| {
            json!({"Operations": [{"op": "replace", "path": p, "value": {"a": [1, null, "True"]}}]})
                .to_string()
                .into_bytes()
        }),
        "[a-zA-Z.:\"]{0,20}"
            .prop_map(|k| json!({"userName": "u", "displayName": "d", k: "False"}).to_string().into_bytes()),
    ]
    .boxed();
    let methods = prop_oneof![
        Just(Method::GET),
        Just(Method::POST),
        Just(Method::PUT),
        Just(Method::PATCH),
        Just(Method::DELETE)
    ];
    let mut runner = TestRunner::new(Config { cases: 200, ..Config::default() });
    runner
        .run(&(methods, paths, bodies), |(method, path, body)| {
            let status = rt.block_on(async {
                let req = api.http.request(method, api.url(&path)).bearer_auth(api.server.token());
                let req = req.header("content-type", "application/scim+json").body(body);
                req.send().await.map(|r| r.status())
            });
            let status = status.map_err(|e| TestCaseError::fail(format!("transport error: {e}")))?;
            prop_assert!(status.as_u16() < 500, "{status} for {path}");
            Ok(())
        })
        .expect("no input makes the server fail");
}
