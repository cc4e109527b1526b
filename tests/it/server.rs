//! The embedded SCIM endpoint over real HTTP (reqwest against `server::start` on 127.0.0.1:0): Entra's request
//! forms in both dialects, every error status, paging and projection, discovery, concurrency, each switch, and
//! arbitrary input without a panic.

use std::time::{Duration, Instant};

use entrasim::server::{self, ServerConfig, ServerHandle, Switches};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const EXT: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const SCIM: &str = "application/scim+json";

struct Api {
    server: ServerHandle,
    http: reqwest::Client,
}

struct Answer {
    status: StatusCode,
    content_type: String,
    headers: reqwest::header::HeaderMap,
    text: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text))
    }
}

async fn api_with(config: ServerConfig) -> Api {
    let server = server::start(config).await.expect("server starts");
    let http = reqwest::Client::builder().no_proxy().build().expect("client");
    Api { server, http }
}

async fn api() -> Api {
    api_with(ServerConfig::default()).await
}

async fn api_switched(switches: Switches) -> Api {
    api_with(ServerConfig { switches, ..ServerConfig::default() }).await
}

impl Api {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server.url())
    }

    async fn send(&self, method: Method, path: &str, body: Option<Value>) -> Answer {
        let mut req = self.http.request(method, self.url(path)).bearer_auth(self.server.token());
        if let Some(b) = body {
            req = req.header("content-type", "application/scim+json; charset=utf-8").body(b.to_string());
        }
        read(req.send().await.expect("request sent")).await
    }

    async fn get(&self, path: &str) -> Answer {
        self.send(Method::GET, path, None).await
    }

    async fn post(&self, path: &str, body: Value) -> Answer {
        self.send(Method::POST, path, Some(body)).await
    }

    async fn patch(&self, path: &str, ops: Value) -> Answer {
        let body = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": ops});
        self.send(Method::PATCH, path, Some(body)).await
    }

    async fn delete(&self, path: &str) -> Answer {
        self.send(Method::DELETE, path, None).await
    }

    async fn user(&self, name: &str) -> String {
        let a = self.post("/Users", json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": name, "externalId": name, "active": true})).await;
        assert_eq!(a.status, StatusCode::CREATED, "{}", a.text);
        a.json()["id"].as_str().expect("id").to_string()
    }

    async fn group(&self, name: &str) -> String {
        let a = self.post("/Groups", json!({"displayName": name, "externalId": name})).await;
        assert_eq!(a.status, StatusCode::CREATED, "{}", a.text);
        a.json()["id"].as_str().expect("id").to_string()
    }

    async fn members(&self, gid: &str) -> Vec<String> {
        let g = self.get(&format!("/Groups/{gid}")).await.json();
        g["members"]
            .as_array()
            .map(|a| a.iter().filter_map(|m| m["value"].as_str().map(str::to_string)).collect())
            .unwrap_or_default()
    }
}

async fn read(resp: reqwest::Response) -> Answer {
    let status = resp.status();
    let headers = resp.headers().clone();
    let content_type = headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let text = resp.text().await.expect("body");
    Answer { status, content_type, headers, text }
}

fn q(filter: &str) -> String {
    let mut out = String::new();
    for b in filter.bytes() {
        match b {
            b' ' => out.push('+'),
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn assert_error(a: &Answer, status: u16, scim_type: Option<&str>) {
    assert_eq!(a.status.as_u16(), status, "{}", a.text);
    assert_eq!(a.content_type, SCIM);
    let body = a.json();
    assert_eq!(body["schemas"], json!(["urn:ietf:params:scim:api:messages:2.0:Error"]));
    assert_eq!(body["status"], json!(status.to_string()));
    match scim_type {
        Some(t) => assert_eq!(body["scimType"], t, "{}", a.text),
        None => assert!(body.get("scimType").is_none(), "{}", a.text),
    }
}

#[tokio::test]
async fn test_connection_probes_get_empty_list_responses() {
    let api = api().await;
    let a = api.get("/Users?filter=userName+eq+%225f0c3d1e-7c2b-4b8e-9a51-2f6d4c1a9e77%22").await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(a.content_type, SCIM);
    assert_eq!(
        a.json(),
        json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"], "totalResults": 0, "Resources": [], "startIndex": 1, "itemsPerPage": 0})
    );
    let a = api.get(r#"/Groups?excludedAttributes=members&filter=displayName eq "0b7d9e42""#).await;
    assert_eq!((a.status, a.json()["totalResults"].clone()), (StatusCode::OK, json!(0)));
    let a = api.get("/Users?filter=externalId+eq+jyoung&aadOptscim062020").await;
    assert_eq!(
        (a.status, a.json()["totalResults"].clone()),
        (StatusCode::OK, json!(0)),
        "unquoted value, flag ignored"
    );
}

#[tokio::test]
async fn user_lifecycle_in_the_legacy_dialect() {
    let api = api().await;
    let body = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", EXT],
        "externalId": "alice", "userName": "alice@contoso.com", "active": "True", "displayName": "Alice Doe",
        "emails": [{"primary": true, "type": "work", "value": "alice@contoso.com"}],
        "meta": {"resourceType": "User"}, "name": {"familyName": "Doe", "givenName": "Alice"},
        EXT: {"employeeNumber": "1234", "department": "R&D"}, "roles": [],
    });
    let a = api.post("/Users", body.clone()).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text);
    let user = a.json();
    let id = user["id"].as_str().expect("id").to_string();
    assert_eq!(a.headers["location"], format!("{}/Users/{id}", api.server.url()).as_str());
    assert_eq!(a.headers["etag"], "W/\"1\"");
    assert_eq!(user["active"], true, "string boolean stored as boolean");
    assert_eq!(user[EXT]["department"], "R&D");
    assert_eq!(user["meta"]["resourceType"], "User");

    let dup = api.post("/Users", json!({"userName": "ALICE@contoso.com"})).await;
    assert_error(&dup, 409, Some("uniqueness"));

    let found = api.get(&format!("/Users?filter={}", q(r#"userName eq "Alice@Contoso.COM""#))).await.json();
    assert_eq!(found["totalResults"], 1, "case-insensitive userName");
    assert_eq!(found["Resources"][0]["id"], id.as_str());

    let ops = json!([
        {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "alice.doe@contoso.com"},
        {"op": "Replace", "path": "name.familyName", "value": "Doe-Smith"},
        {"op": "Replace", "path": format!("{EXT}:employeeNumber"), "value": "1235"},
        {"op": "Add", "path": "nickName", "value": "Ally"},
        {"op": "Add", "path": "phoneNumbers[type eq \"mobile\"].value", "value": "+1 555"},
    ]);
    let a = api.patch(&format!("/Users/{id}"), ops).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    let u = a.json();
    assert_eq!(u["emails"][0]["value"], "alice.doe@contoso.com");
    assert_eq!(u["name"]["familyName"], "Doe-Smith");
    assert_eq!(u[EXT]["employeeNumber"], "1235");
    assert_eq!(u["nickName"], "Ally");
    assert_eq!(u["phoneNumbers"], json!([{"type": "mobile", "value": "+1 555"}]));
    assert_eq!(u["meta"]["version"], "W/\"2\"");

    let a = api.patch(&format!("/Users/{id}"), json!([{"op": "Replace", "path": "active", "value": "False"}])).await;
    assert_eq!(a.json()["active"], false);
    let found = api.get(&format!("/Users?filter={}", q(r#"externalId eq "alice""#))).await.json();
    assert_eq!(found["Resources"][0]["active"], false, "a disabled user is still returned");

    let a = api
        .patch(
            &format!("/Users/{id}"),
            json!([{"op": "Remove", "path": "emails[type eq \"work\"].value", "value": "alice.doe@contoso.com"}]),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK);
    assert!(a.json().get("emails").is_none(), "{}", a.text);

    assert_eq!(api.delete(&format!("/Users/{id}")).await.status, StatusCode::NO_CONTENT);
    assert_error(&api.get(&format!("/Users/{id}")).await, 404, None);
    assert_error(&api.delete(&format!("/Users/{id}")).await, 404, None);
}

#[tokio::test]
async fn compliant_dialect_pathless_replace_and_reenable() {
    let api = api().await;
    let id = api.user("bob@contoso.com").await;
    let ops = json!([
        {"op": "replace", "path": "emails[type eq \"work\"].value", "value": "bob@fabrikam.com"},
        {"op": "replace", "value": {
            "displayName": "Bob B", "name.givenName": "Bob", "name.familyName": "B",
            format!("{EXT}:employeeNumber"): "77", "externalId": "bob-2", "active": false,
        }},
    ]);
    let a = api.patch(&format!("/Users/{id}"), ops).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    let u = api.get(&format!("/Users/{id}")).await.json();
    assert_eq!(u["displayName"], "Bob B");
    assert_eq!(u["name"], json!({"givenName": "Bob", "familyName": "B"}));
    assert_eq!(u[EXT]["employeeNumber"], "77");
    assert_eq!(u["emails"], json!([{"type": "work", "value": "bob@fabrikam.com"}]));
    assert_eq!(u["active"], false);
    let found = api.get(&format!("/Users?filter={}", q(r#"externalId eq "bob-2""#))).await.json();
    assert_eq!(found["totalResults"], 1, "externalId index follows the rename");
    let a = api.patch(&format!("/Users/{id}"), json!([{"op": "replace", "path": "active", "value": true}])).await;
    assert_eq!(a.json()["active"], true);
}

#[tokio::test]
async fn manager_forms_and_read_back_shape() {
    let api = api().await;
    let boss = api.user("boss").await;
    let id = api.user("worker").await;
    let path = format!("{EXT}:manager");
    let a = api.patch(&format!("/Users/{id}"), json!([{"op": "Add", "path": path, "value": boss}])).await;
    let mgr = &a.json()[EXT]["manager"];
    assert_eq!(mgr["value"], boss.as_str(), "{}", a.text);
    assert_eq!(mgr["$ref"], format!("{}/Users/{boss}", api.server.url()).as_str());
    // The legacy reference probe (ENTRA.md 1.8): unquoted values, unqualified `manager`.
    let probe =
        api.get(&format!("/Users?filter={}&attributes=id", q(&format!("id eq {id} and manager eq {boss}")))).await;
    let probe = probe.json();
    assert_eq!(probe["totalResults"], 1, "{probe}");
    assert!(probe["Resources"][0].get("userName").is_none());
    let a = api.patch(&format!("/Users/{id}"), json!([{"op": "replace", "path": path, "value": {"value": ""}}])).await;
    assert!(a.json().get(EXT).and_then(|e| e.get("manager")).is_none(), "{}", a.text);
    api.patch(&format!("/Users/{id}"), json!([{"op": "add", "path": path, "value": {"value": boss}}])).await;
    let a = api
        .patch(&format!("/Users/{id}"), json!([{"op": "remove", "path": format!("manager[value eq \"{boss}\"]")}]))
        .await;
    assert!(a.json().get(EXT).and_then(|e| e.get("manager")).is_none(), "{}", a.text);
}

#[tokio::test]
async fn groups_in_both_dialects() {
    let api = api().await;
    let (a, b, c) = (api.user("a").await, api.user("b").await, api.user("c").await);
    let gid = api.group("Engineering").await;
    assert_error(&api.post("/Groups", json!({"displayName": "ENGINEERING"})).await, 409, Some("uniqueness"));

    let ans = api
        .patch(
            &format!("/Groups/{gid}"),
            json!([{"op": "Add", "path": "members", "value": [{"$ref": null, "value": a}, {"value": b}]}]),
        )
        .await;
    assert_eq!(ans.status, StatusCode::NO_CONTENT, "{}", ans.text);
    assert!(ans.text.is_empty());
    api.patch(&format!("/Groups/{gid}"), json!([{"op": "add", "path": "members", "value": [{"value": c}]}])).await;
    assert_eq!(api.members(&gid).await, [a.clone(), b.clone(), c.clone()]);

    // The legacy membership probe (ENTRA.md 1.7).
    let probe = api
        .get(&format!("/Groups?filter={}&attributes=id", q(&format!(r#"id eq "{gid}" and members eq "{b}""#))))
        .await;
    assert_eq!(probe.json()["totalResults"], 1, "{}", probe.text);
    let probe = api.get(&format!("/Groups?filter={}", q(&format!(r#"id eq "{gid}" and members eq "nobody""#)))).await;
    assert_eq!(probe.json()["totalResults"], 0);
    let g = api.get(&format!("/Groups/{gid}?excludedAttributes=members")).await.json();
    assert!(g.get("members").is_none());
    assert_eq!(g["displayName"], "Engineering");
    let g = api
        .get(&format!("/Groups?excludedAttributes=members&filter={}", q(r#"displayName eq "engineering""#)))
        .await
        .json();
    assert_eq!(g["totalResults"], 1);
    assert!(g["Resources"][0].get("members").is_none());

    api.patch(
        &format!("/Groups/{gid}"),
        json!([{"op": "Remove", "path": "members", "value": [{"$ref": null, "value": a}]}]),
    )
    .await;
    assert_eq!(api.members(&gid).await, [b.clone(), c.clone()], "legacy removal by value");
    api.patch(&format!("/Groups/{gid}"), json!([{"op": "remove", "path": format!("members[value eq \"{b}\"]")}])).await;
    assert_eq!(api.members(&gid).await, vec![c.clone()], "compliant removal by filter");

    let bad = api
        .patch(
            &format!("/Groups/{gid}"),
            json!([{"op": "add", "path": "members", "value": [{"value": "no-such-user"}]}]),
        )
        .await;
    assert_error(&bad, 400, Some("invalidValue"));
    assert_eq!(api.members(&gid).await, vec![c.clone()]);

    let user_c = api.get(&format!("/Users/{c}")).await.json();
    assert_eq!(user_c["groups"][0]["value"], gid.as_str(), "computed groups: {user_c}");
    assert_eq!(user_c["groups"][0]["display"], "Engineering");
    let listed = api.get(&format!("/Users?filter={}", q(r#"userName eq "a""#))).await.json();
    assert!(listed["Resources"][0].get("groups").is_none(), "a is no longer a member: {listed}");
    api.delete(&format!("/Users/{c}")).await;
    assert!(api.members(&gid).await.is_empty(), "deleting a user removes its memberships");

    let other = api.group("Sales").await;
    let ans = api
        .patch(&format!("/Groups/{other}"), json!([{"op": "Replace", "path": "displayName", "value": "engineering"}]))
        .await;
    assert_error(&ans, 409, Some("uniqueness"));
    let ans = api
        .patch(
            &format!("/Groups/{gid}"),
            json!([{"op": "replace", "value": {"displayName": "Eng", "externalId": "e2"}}]),
        )
        .await;
    assert_eq!(ans.status, StatusCode::NO_CONTENT);
    assert_eq!(api.get(&format!("/Groups/{gid}")).await.json()["displayName"], "Eng");
    api.patch(&format!("/Groups/{gid}"), json!([{"op": "add", "path": "members", "value": [{"value": a}]}])).await;
    api.patch(&format!("/Groups/{gid}"), json!([{"op": "remove", "path": "members"}])).await;
    assert!(api.members(&gid).await.is_empty(), "remove without value removes all");
    assert_eq!(api.delete(&format!("/Groups/{gid}")).await.status, StatusCode::NO_CONTENT);
    assert_error(&api.delete(&format!("/Groups/{gid}")).await, 404, None);
}

#[tokio::test]
async fn attribute_names_are_case_insensitive() {
    // See: ENTRA.md 8.9; the Microsoft Postman collection sends `UserName`.
    let api = api().await;
    let a =
        api.post("/Users", json!({"UserName": "Case@Contoso.com", "Active": "True", "Name": {"GivenName": "C"}})).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text);
    let id = a.json()["id"].as_str().expect("id").to_string();
    assert_eq!(a.json()["Active"], true, "stored under the key as sent, coerced to a boolean");
    assert_error(&api.post("/Users", json!({"userName": "case@contoso.com"})).await, 409, Some("uniqueness"));
    let found = api.get(&format!("/Users?filter={}", q(r#"USERNAME eq "case@contoso.com""#))).await.json();
    assert_eq!(found["totalResults"], 1);
    let a =
        api.patch(&format!("/Users/{id}"), json!([{"op": "replace", "path": "name.givenName", "value": "D"}])).await;
    assert_eq!(a.json()["Name"], json!({"GivenName": "D"}), "{}", a.text);
}

#[tokio::test]
async fn put_replaces_and_keeps_identity() {
    let api = api().await;
    let id = api.user("p").await;
    let a = api.send(Method::PUT, &format!("/Users/{id}"), Some(json!({"userName": "p2", "title": "T"}))).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.text);
    let u = a.json();
    assert_eq!((u["id"].as_str(), u["title"].as_str()), (Some(id.as_str()), Some("T")));
    assert!(u.get("externalId").is_none());
    assert_eq!(u["meta"]["version"], "W/\"2\"");
    api.user("taken").await;
    let a = api.send(Method::PUT, &format!("/Users/{id}"), Some(json!({"userName": "TAKEN"}))).await;
    assert_error(&a, 409, Some("uniqueness"));
}

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
async fn paging_and_projection() {
    let api = api().await;
    for i in 0..5 {
        api.user(&format!("user{i}")).await;
    }
    let page = api.get("/Users?startIndex=1&count=2").await.json();
    assert_eq!(
        (page["totalResults"].as_u64(), page["itemsPerPage"].as_u64(), page["startIndex"].as_u64()),
        (Some(5), Some(2), Some(1))
    );
    assert_eq!(page["Resources"][0]["userName"], "user0");
    let page = api.get("/Users?startIndex=5&count=2").await.json();
    assert_eq!(page["itemsPerPage"], 1);
    assert_eq!(page["Resources"][0]["userName"], "user4");
    let page = api.get("/Users?count=0").await.json();
    assert_eq!((page["totalResults"].as_u64(), page["Resources"].as_array().map(Vec::len)), (Some(5), Some(0)));
    let page = api.get("/Users?startIndex=9").await.json();
    assert_eq!((page["totalResults"].as_u64(), page["itemsPerPage"].as_u64()), (Some(5), Some(0)));

    let page = api.get(&format!("/Users?attributes=userName&filter={}", q(r#"userName sw "user3""#))).await.json();
    let r = &page["Resources"][0];
    let mut keys: Vec<&str> = r.as_object().expect("object").keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["id", "meta", "schemas", "userName"]);
    let page = api.get("/Users?excludedAttributes=externalId,active,id&count=1").await.json();
    let r = &page["Resources"][0];
    assert!(r.get("externalId").is_none() && r.get("active").is_none());
    assert!(r.get("id").is_some(), "id is always returned");

    let search = api
        .post("/Users/.search", json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "filter": "userName ew \"3\" or userName ew \"4\"", "attributes": ["userName"], "count": 10}))
        .await;
    assert_eq!(search.status, StatusCode::OK, "{}", search.text);
    assert_eq!(search.json()["totalResults"], 2);
}

#[tokio::test]
async fn discovery_documents() {
    let api = api().await;
    let base = api.server.url().to_string();
    let spc = api.get("/ServiceProviderConfig").await;
    assert_eq!(spc.content_type, SCIM);
    let mut spc = spc.json();
    assert_eq!(spc["patch"]["supported"], true);
    assert_eq!(spc["bulk"]["supported"], false);
    assert_eq!(spc["authenticationSchemes"][0]["type"], "oauthbearertoken");
    spc["meta"]["location"] = json!(spc["meta"]["location"].as_str().map(|l| l.replace(&base, "<base>")));
    insta::assert_json_snapshot!("service_provider_config", spc);

    let rts = api.get("/ResourceTypes").await.json();
    assert_eq!(rts["totalResults"], 2);
    let user_rt = api.get("/ResourceTypes/User").await.json();
    assert_eq!(user_rt["schemaExtensions"][0]["schema"], EXT);
    assert_error(&api.get("/ResourceTypes/Printer").await, 404, None);

    let schemas = api.get("/Schemas").await.json();
    assert_eq!(schemas["totalResults"], 3);
    let user = api.get("/Schemas/urn:ietf:params:scim:schemas:core:2.0:User").await.json();
    let attrs = user["attributes"].as_array().expect("attributes");
    let user_name = attrs.iter().find(|a| a["name"] == "userName").expect("userName");
    assert_eq!((user_name["uniqueness"].as_str(), user_name["caseExact"].as_bool()), (Some("server"), Some(false)));
    let ext = api.get(&format!("/Schemas/{}", EXT.replace(':', "%3A"))).await.json();
    assert_eq!(ext["id"], EXT);
    assert!(!schemas.to_string().contains("null"), "no null values in /Schemas");
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
async fn invalid_switches_are_rejected() {
    let r = server::start(ServerConfig {
        switches: Switches { error_rate: 2.0, ..Switches::default() },
        ..ServerConfig::default()
    })
    .await;
    assert!(matches!(r, Err(server::ServerError::InvalidSwitch(_))));
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

/// A rough throughput figure (client and server share the machine):
/// `ENTRASIM_BENCH_N=20000 cargo test --release --test it server::throughput -- --ignored --nocapture`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "measurement, not a test"]
async fn throughput() {
    let api = std::sync::Arc::new(api().await);
    let n: usize = std::env::var("ENTRASIM_BENCH_N").ok().and_then(|v| v.parse().ok()).unwrap_or(20_000);
    let workers = 16;
    let t = Instant::now();
    let tasks: Vec<_> = (0..workers)
        .map(|w| {
            let api = api.clone();
            tokio::spawn(async move {
                for i in (w..n).step_by(workers) {
                    let name = format!("user{i}@contoso.com");
                    let a = api.post("/Users", json!({"userName": name, "externalId": format!("e{i}")})).await;
                    assert_eq!(a.status, StatusCode::CREATED);
                    let f = api.get(&format!("/Users?filter={}", q(&format!("userName eq \"{name}\"")))).await;
                    assert_eq!(f.json()["totalResults"], 1);
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.expect("worker");
    }
    let secs = t.elapsed().as_secs_f64();
    eprintln!(
        "{n} POST+GET pairs in {secs:.2}s: {:.0} pairs/s, {:.0} requests/s",
        n as f64 / secs,
        2.0 * n as f64 / secs
    );
}

/// How member `PATCH`es scale with group size (each PATCH copies the group, so cost grows with membership):
/// `ENTRASIM_BENCH_N=20000 cargo test --release --test it server::group_membership_throughput -- --ignored --nocapture`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "measurement, not a test"]
async fn group_membership_throughput() {
    let api = api().await;
    let n: usize = std::env::var("ENTRASIM_BENCH_N").ok().and_then(|v| v.parse().ok()).unwrap_or(20_000);
    let mut ids = Vec::with_capacity(n);
    for i in 0..n {
        let stored =
            api.server.insert(server::ResourceType::User, json!({"userName": format!("m{i}")})).expect("stored");
        ids.push(stored["id"].as_str().expect("id").to_string());
    }
    let gid = api.group("everyone").await;
    let t = Instant::now();
    let mut last = Duration::ZERO;
    for batch in ids.chunks(100) {
        let members: Vec<Value> = batch.iter().map(|id| json!({"value": id})).collect();
        let one = Instant::now();
        let a = api.patch(&format!("/Groups/{gid}"), json!([{"op": "Add", "path": "members", "value": members}])).await;
        assert_eq!(a.status, StatusCode::NO_CONTENT);
        last = one.elapsed();
    }
    let secs = t.elapsed().as_secs_f64();
    eprintln!(
        "{n} members in {} PATCHes of 100: {secs:.2}s, {:.0} PATCH/s, last PATCH {:.1} ms",
        n / 100,
        (n / 100) as f64 / secs,
        last.as_secs_f64() * 1000.0
    );
}
