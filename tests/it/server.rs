//! The embedded SCIM endpoint over real HTTP (reqwest against `server::start` on 127.0.0.1:0): Entra's request
//! forms in both dialects, every error status, paging and projection, discovery, concurrency, each switch, and
//! arbitrary input without a panic.

use std::time::{Duration, Instant};

use entrasim::server::{self, ServerConfig, ServerHandle, Switches};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

mod bench;
mod errors;
mod runtime;
mod switches;

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

    let a = api
        .patch(
            &format!("/Users/{id}?attributes=active"),
            json!([{"op": "Replace", "path": "active", "value": "False"}]),
        )
        .await;
    assert!(a.json().get("userName").is_none(), "attributes applies to PATCH answers: {}", a.text);
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
async fn a_password_is_stored_but_never_returned() {
    let api = api().await;
    let a = api.post("/Users", json!({"userName": "p@contoso.com", "password": "hunter2"})).await;
    assert_eq!(a.status, StatusCode::CREATED, "{}", a.text);
    let id = a.json()["id"].as_str().expect("id").to_string();
    let ops = json!([{"op": "replace", "path": "displayName", "value": "P"}]);
    let patched = api.patch(&format!("/Users/{id}"), ops).await;
    let read = api.get(&format!("/Users/{id}")).await;
    for answer in [&a, &patched, &read] {
        assert!(!answer.text.contains("hunter2") && !answer.text.contains("password"), "{}", answer.text);
    }
    assert_eq!(read.json()["displayName"], "P");
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
