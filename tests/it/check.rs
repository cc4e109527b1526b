//! `entrasim check` against wiremock (transport oddities, interruption) and against the embedded endpoint
//! (everything passes; one switch each fails exactly the matching checks; nothing is left behind).

use std::time::Duration;

use entrasim::check::{self, CheckError, CheckOptions, CheckResult, CheckStatus, RunEnd};
use entrasim::report;
use entrasim::scim::client::{Auth, Client, ClientConfig, Secret};
use serde_json::json;
use wiremock::matchers::{any, method, path, path_regex, query_param_contains};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TOKEN: &str = "tok-secret-4711";

fn client_for(base: &str) -> Client {
    let mut cfg = ClientConfig::new(base, Auth::Bearer(Secret::new(TOKEN)));
    cfg.timeout = Duration::from_secs(10);
    Client::new(cfg).expect("client builds")
}

fn scim(status: u16, body: serde_json::Value) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(body.to_string(), "application/scim+json")
}

fn empty_list() -> serde_json::Value {
    json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"], "totalResults": 0, "Resources": []})
}

fn ids(result: &CheckResult, status: CheckStatus) -> Vec<String> {
    result.with_status(status).map(|c| c.id()).collect()
}

/// The rendered reports must never contain the token.
fn assert_no_secret(result: &CheckResult) {
    let report = result.to_report();
    let junit = report::junit::render(&report).expect("junit renders");
    let json = report::json::render(&report);
    assert!(!junit.contains(TOKEN) && !json.contains(TOKEN), "the token leaked into a report");
}

#[tokio::test]
async fn refused_credentials_fail_the_probe_clearly_and_stop() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(scim(401, json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"], "status": "401"})))
        .expect(1)
        .mount(&server)
        .await;
    let result = check::run(&client_for(&format!("{}/scim", server.uri())), &CheckOptions::default()).await.unwrap();
    assert_eq!(ids(&result, CheckStatus::Fail), ["connection/test-connection-users"]);
    assert_eq!(result.checks.len(), 1);
    let problem = &result.checks[0].problems[0];
    assert_eq!(problem.kind, "credentials");
    assert!(problem.message.starts_with("GET /Users?filter=userName eq \""), "{}", problem.message);
    assert!(problem.message.contains("invalid credentials"), "{}", problem.message);
    assert!(matches!(result.end, RunEnd::Stopped { .. }));
    assert_no_secret(&result);
}

#[tokio::test]
async fn html_error_pages_fail_checks_naming_the_request_without_panicking() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(
            ResponseTemplate::new(502).set_body_raw("<html><body><h1>502 Bad Gateway</h1></body></html>", "text/html"),
        )
        .mount(&server)
        .await;
    let result = check::run(&client_for(&server.uri()), &CheckOptions::default()).await.unwrap();
    assert_eq!(result.end, RunEnd::Completed);
    assert!(ids(&result, CheckStatus::Pass).is_empty(), "{:?}", ids(&result, CheckStatus::Pass));
    let probe = &result.checks[0];
    assert_eq!((probe.id().as_str(), probe.status), ("connection/test-connection-users", CheckStatus::Fail));
    let problem = &probe.problems[0];
    assert!(problem.message.contains("GET /Users?filter=") && problem.message.contains("502"), "{}", problem.message);
    let evidence = check::evidence(problem.exchange.as_deref().expect("evidence"));
    assert!(evidence.response_body.unwrap().as_str().unwrap().contains("Bad Gateway"));
    let create = result.checks.iter().find(|c| c.id() == "users/create").unwrap();
    assert_eq!(create.status, CheckStatus::Fail);
    // Everything that needs a created object is skipped rather than failed.
    let skipped = ids(&result, CheckStatus::Skipped);
    assert!(skipped.contains(&"users/legacy/update-name".to_string()), "{skipped:?}");
    assert!(result.left_behind.is_empty());
    assert_no_secret(&result);
}

#[tokio::test]
async fn non_json_bodies_are_failed_checks() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/Users"))
        .respond_with(
            ResponseTemplate::new(200).set_body_raw("{\"totalResults\": 0, \"Resour", "application/scim+json"),
        )
        .mount(&server)
        .await;
    Mock::given(any()).respond_with(ResponseTemplate::new(200).set_body_raw("OK", "text/plain")).mount(&server).await;
    let options = CheckOptions { groups: false, ..CheckOptions::default() };
    let result = check::run(&client_for(&server.uri()), &options).await.unwrap();
    let probe = &result.checks[0];
    assert_eq!(probe.status, CheckStatus::Fail);
    assert_eq!(probe.problems[0].kind, "not_scim_json");
    let create = result.checks.iter().find(|c| c.id() == "users/create").unwrap();
    assert_eq!(create.status, CheckStatus::Fail, "{create:?}");
    assert!(create.problems[0].message.contains("POST /Users"), "{}", create.problems[0].message);
}

#[tokio::test]
async fn a_patch_answered_with_text_fails_as_unparseable() {
    let server = MockServer::start().await;
    Mock::given(method("GET")).respond_with(scim(200, empty_list())).mount(&server).await;
    Mock::given(method("POST")).respond_with(scim(201, json!({"id": "u-1"}))).mount(&server).await;
    Mock::given(method("PATCH"))
        .respond_with(ResponseTemplate::new(200).set_body_raw("Updated!", "text/plain"))
        .mount(&server)
        .await;
    Mock::given(method("DELETE")).respond_with(ResponseTemplate::new(204)).mount(&server).await;
    let options = CheckOptions { groups: false, ..CheckOptions::default() };
    let result = check::run(&client_for(&server.uri()), &options).await.unwrap();
    let name = result.checks.iter().find(|c| c.id() == "users/compliant/update-name").unwrap();
    assert_eq!(name.status, CheckStatus::Fail);
    assert_eq!(name.problems[0].kind, "unparseable_response");
    assert!(name.problems[0].message.starts_with("PATCH /Users/u-1 answered 200"), "{}", name.problems[0].message);
}

#[tokio::test]
async fn odd_answers_to_every_request_never_panic_and_never_pass_a_create() {
    let bodies = [
        json!(null),
        json!([]),
        json!("text"),
        json!({"id": 5, "totalResults": "1", "Resources": "x"}),
        json!({"id": "", "Resources": [null, 1, {"id": null}]}),
        json!({"id": "u-1", "members": {"value": "x"}, "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": 3}),
        json!({"totalResults": 1, "Resources": [{"id": "u-1", "active": "maybe", "emails": "a@b"}]}),
    ];
    for body in bodies {
        for status in [200, 201, 204, 409] {
            let server = MockServer::start().await;
            Mock::given(any()).respond_with(scim(status, body.clone())).mount(&server).await;
            let result = check::run(&client_for(&server.uri()), &CheckOptions::default()).await.unwrap();
            let create = result.checks.iter().find(|c| c.id() == "users/create");
            let passed = create.is_some_and(|c| c.status == CheckStatus::Pass);
            assert!(!passed || (status == 201 && body["id"] == json!("u-1")), "{status} {body}: {create:#?}");
            assert!(result.checks.iter().all(|c| c.status != CheckStatus::Fail || !c.problems.is_empty()));
        }
    }
}

#[tokio::test]
async fn an_unreachable_target_is_an_error_not_a_finding() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let err =
        check::run(&client_for(&format!("http://127.0.0.1:{port}/scim")), &CheckOptions::default()).await.unwrap_err();
    assert!(matches!(err, CheckError::Unreachable { .. }), "{err}");
    assert!(err.to_string().contains("GET /Users?filter="), "{err}");
}

#[tokio::test]
async fn a_probe_that_times_out_stops_the_run() {
    let server = MockServer::start().await;
    Mock::given(any()).respond_with(scim(200, empty_list()).set_delay(Duration::from_secs(5))).mount(&server).await;
    let mut cfg = ClientConfig::new(server.uri(), Auth::Bearer(Secret::new(TOKEN)));
    cfg.timeout = Duration::from_millis(300);
    let client = Client::new(cfg).expect("client builds");
    let result = check::run(&client, &CheckOptions::default()).await.unwrap();
    assert_eq!(result.checks.len(), 1);
    assert_eq!(result.checks[0].problems[0].kind, "transport");
    assert!(result.checks[0].problems[0].message.contains("timed out"), "{}", result.checks[0].problems[0].message);
    assert!(matches!(&result.end, RunEnd::Stopped { reason } if reason.contains("timed out")), "{:?}", result.end);
}

#[tokio::test]
async fn mappings_that_do_not_load_and_empty_dialects_are_rejected_before_sending() {
    let server = MockServer::start().await;
    Mock::given(any()).respond_with(scim(200, empty_list())).expect(0).mount(&server).await;
    let client = client_for(&server.uri());
    let options = CheckOptions { mapping: "nope".into(), ..CheckOptions::default() };
    assert!(matches!(check::run(&client, &options).await, Err(CheckError::Mapping { .. })));
    let options = CheckOptions { dialects: vec![], ..CheckOptions::default() };
    assert!(matches!(check::run(&client, &options).await, Err(CheckError::NoDialect)));
}

#[tokio::test]
async fn interruption_still_deletes_what_was_created() {
    let server = MockServer::start().await;
    // Match queries on the run's own objects hang; the probes (random GUIDs) answer at once.
    Mock::given(method("GET"))
        .and(query_param_contains("filter", "entrasim-"))
        .respond_with(scim(200, empty_list()).set_delay(Duration::from_secs(8)))
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET")).respond_with(scim(200, empty_list())).mount(&server).await;
    Mock::given(method("POST"))
        .and(path("/Users"))
        .respond_with(scim(201, json!({"id": "u-1", "userName": "x"})))
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path_regex("^/Users/u-1$"))
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    let cancel = tokio::time::sleep(Duration::from_millis(800));
    let started = std::time::Instant::now();
    let result = check::run_until(&client_for(&server.uri()), &CheckOptions::default(), cancel).await.unwrap();
    assert!(started.elapsed() < Duration::from_secs(6), "the hanging request was not abandoned");
    assert_eq!(result.end, RunEnd::Interrupted);
    assert!(result.left_behind.is_empty());
    let ran: Vec<String> = result.checks.iter().map(|c| c.id()).collect();
    assert_eq!(
        ran,
        [
            "connection/test-connection-users",
            "connection/test-connection-groups",
            "schema/discovery",
            "users/create",
            "users/duplicate-create"
        ]
    );
    // users/filter-username was abandoned in its hanging query; the user it created is deleted afterwards.
    let requests = server.received_requests().await.unwrap();
    let hanging = requests.iter().rposition(|r| r.url.query().is_some_and(|q| q.contains("entrasim-"))).unwrap();
    let deletes = requests[hanging..].iter().filter(|r| r.method.as_str() == "DELETE").count();
    assert_eq!(deletes, 1, "{requests:#?}");
    assert_eq!(result.to_report().exit_code(), entrasim::exit::RUNTIME);
}

#[tokio::test]
async fn a_post_without_a_usable_answer_is_found_by_its_unique_name_and_deleted() {
    let server = MockServer::start().await;
    let ours = "entrasim-t1-user1";
    Mock::given(method("GET"))
        .and(path("/Users"))
        .and(wiremock::matchers::query_param("filter", format!("externalId eq \"{ours}\"")))
        .respond_with(scim(
            200,
            json!({"totalResults": 2, "Resources": [
                {"id": "u-9", "externalId": ours},
                {"id": "x-1", "externalId": "entrasim-t1-user1-not-quite"}
            ]}),
        ))
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET")).respond_with(scim(200, empty_list())).mount(&server).await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_raw("{\"id\": \"u-9\", \"userNa", "application/scim+json"))
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/Users/u-9"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/Users/x-1"))
        .respond_with(ResponseTemplate::new(204))
        .expect(0)
        .mount(&server)
        .await;
    let options = CheckOptions {
        groups: false,
        run_tag: Some("t1".into()),
        dialects: vec![entrasim::engine::Dialect::Legacy],
        ..CheckOptions::default()
    };
    let result = check::run(&client_for(&server.uri()), &options).await.unwrap();
    let create = result.checks.iter().find(|c| c.id() == "users/create").unwrap();
    assert_eq!(create.status, CheckStatus::Fail);
    assert!(result.left_behind.is_empty());
}

mod embedded {
    //! Against the embedded endpoint over real HTTP.

    use super::*;
    use entrasim::scim::client::{Method, Request};
    use entrasim::server::{self, ServerConfig, Switches};

    /// Sends a test's own request, again while the endpoint's rate-limit switch answers 429.
    async fn unthrottled(client: &Client, request: Request) -> entrasim::scim::client::Exchange {
        loop {
            let ex = client.send(&request).await.expect("the embedded endpoint answers");
            if ex.status != Some(429) {
                return ex;
            }
        }
    }

    /// Runs the check against a fresh embedded endpoint that already holds one user and one group that are
    /// not the check's; returns the result and what is left on the endpoint besides those two, after
    /// asserting that they are untouched.
    async fn run_against(switches: Switches) -> (CheckResult, Vec<serde_json::Value>) {
        run_with(switches, CheckOptions::default()).await
    }

    async fn run_with(switches: Switches, options: CheckOptions) -> (CheckResult, Vec<serde_json::Value>) {
        let config = ServerConfig { switches, ..ServerConfig::default() };
        let server = server::start(config).await.expect("embedded endpoint starts");
        let mut cfg = ClientConfig::new(server.url(), Auth::Bearer(Secret::new(server.token())));
        cfg.timeout = Duration::from_secs(10);
        let client = Client::new(cfg).expect("client builds");
        let mut foreign = Vec::new();
        for (collection, body) in [
            (
                "/Users",
                json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "someone@else.test", "active": true}),
            ),
            ("/Groups", json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Not ours"})),
        ] {
            let ex = unthrottled(&client, Request::new(Method::Post, collection).body(body)).await;
            let created = ex.response_body.json().cloned().expect("created resource");
            foreign.push((collection, created));
        }
        let setup = client.transcript().len();
        let result = check::run(&client, &options).await.expect("check runs");
        let touched: Vec<String> = client.transcript().exchanges()[setup..]
            .iter()
            .filter(|e| e.method != Method::Get)
            .map(|e| e.path.clone())
            .filter(|p| foreign.iter().any(|(c, f)| *p == format!("{c}/{}", f["id"].as_str().unwrap_or("-"))))
            .collect();
        assert!(touched.is_empty(), "the check wrote to objects that are not its own: {touched:?}");
        let mut left = Vec::new();
        for (collection, original) in &foreign {
            let ex = unthrottled(&client, Request::new(Method::Get, *collection)).await;
            let body = ex.response_body.json().cloned().expect("list is JSON");
            for resource in body["Resources"].as_array().cloned().unwrap_or_default() {
                if resource["id"] == original["id"] {
                    assert_eq!(&resource, original, "an object that is not the check's changed");
                } else {
                    left.push(resource);
                }
            }
        }
        server.shutdown().await;
        (result, left)
    }

    #[tokio::test]
    async fn a_faithful_endpoint_passes_everything_in_both_dialects_and_nothing_is_left() {
        let (result, left) = run_against(Switches::default()).await;
        let not_passed: Vec<String> = result
            .checks
            .iter()
            .filter(|c| c.status != CheckStatus::Pass)
            .map(|c| format!("{} {:?}: {} {:?}", c.id(), c.status, c.detail, c.problems.first().map(|p| &p.message)))
            .collect();
        assert!(not_passed.is_empty(), "{not_passed:#?}");
        assert_eq!(result.end, RunEnd::Completed);
        assert!(result.left_behind.is_empty());
        assert!(left.is_empty(), "left behind: {left:#?}");
        let groups: Vec<&str> = {
            let mut g: Vec<&str> = result.checks.iter().map(|c| c.group.as_str()).collect();
            g.dedup();
            g
        };
        assert_eq!(
            groups,
            [
                "connection",
                "schema",
                "users",
                "users/legacy",
                "users/compliant",
                "groups",
                "groups/legacy",
                "groups/compliant",
                "steady-state"
            ]
        );
        assert!(result.passed());
        assert_eq!(result.to_report().exit_code(), entrasim::exit::OK);
    }

    /// The operations of every PATCH a check sent, in order.
    fn patch_ops(result: &CheckResult, id: &str) -> Vec<serde_json::Value> {
        let check = result.checks.iter().find(|c| c.id() == id).unwrap_or_else(|| panic!("no check {id}"));
        check
            .exchanges
            .iter()
            .filter(|e| e.method == Method::Patch)
            .flat_map(|e| {
                let body = e.request_body.clone().expect("PATCH has a body");
                assert_eq!(body["schemas"], json!(["urn:ietf:params:scim:api:messages:2.0:PatchOp"]));
                body["Operations"].as_array().cloned().unwrap_or_default()
            })
            .collect()
    }

    #[tokio::test]
    async fn requests_have_the_shapes_entra_sends_in_each_dialect() {
        let (result, _) = run_against(Switches::default()).await;
        let ent = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
        let legacy = patch_ops(&result, "users/legacy/disable-enable");
        assert_eq!(legacy[0], json!({"op": "Replace", "path": "active", "value": "False"}));
        assert_eq!(legacy[1], json!({"op": "Replace", "path": "active", "value": "True"}));
        let compliant = patch_ops(&result, "users/compliant/disable-enable");
        assert_eq!(compliant[0], json!({"op": "replace", "path": "active", "value": false}));
        let manager = &patch_ops(&result, "users/legacy/manager")[0];
        assert_eq!((&manager["op"], &manager["path"]), (&json!("Add"), &json!(format!("{ent}:manager"))));
        assert!(manager["value"].is_string(), "the manager id is sent as a bare string");
        let pathless = &patch_ops(&result, "users/compliant/pathless-replace")[0];
        assert!(pathless.get("path").is_none() && pathless["value"]["name.givenName"] == json!("Babs"), "{pathless}");
        assert!(pathless["value"].get(format!("{ent}:employeeNumber")).is_some(), "{pathless}");
        let email = &patch_ops(&result, "users/legacy/update-email")[0];
        assert_eq!((&email["op"], &email["path"]), (&json!("Replace"), &json!("emails[type eq \"work\"].value")));
        let removal = patch_ops(&result, "groups/legacy/remove-member");
        let remove = removal.last().unwrap();
        assert_eq!((&remove["op"], &remove["path"]), (&json!("Remove"), &json!("members")));
        assert_eq!(remove["value"].as_array().map(Vec::len), Some(1));
        let removal = patch_ops(&result, "groups/compliant/remove-member");
        let remove = removal.last().unwrap();
        assert!(remove["path"].as_str().unwrap().starts_with("members[value eq \""), "{remove}");
        assert!(remove.get("value").is_none(), "{remove}");
        let create = result.checks.iter().find(|c| c.id() == "groups/create").unwrap();
        let body = create.exchanges[0].request_body.clone().unwrap();
        assert!(body.get("members").is_none() && body["meta"]["resourceType"] == json!("Group"), "{body}");
    }

    #[tokio::test]
    async fn options_select_the_dialects_the_groups_and_the_mapping() {
        let options = CheckOptions {
            dialects: vec![entrasim::engine::Dialect::Compliant, entrasim::engine::Dialect::Compliant],
            groups: false,
            mapping: "unleash".into(),
            ..CheckOptions::default()
        };
        let (result, left) = run_with(Switches::default(), options).await;
        let mut groups: Vec<&str> = result.checks.iter().map(|c| c.group.as_str()).collect();
        groups.dedup();
        assert_eq!(groups, ["connection", "schema", "users", "users/compliant", "steady-state"]);
        assert_eq!(result.checks.iter().filter(|c| c.group == "connection").count(), 1);
        let mut ids: Vec<String> = result.checks.iter().map(|c| c.id()).collect();
        let all = ids.len();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), all, "a dialect given twice runs once");
        let steady = result.checks.last().unwrap();
        assert_eq!((steady.id().as_str(), steady.status), ("steady-state/unleash", CheckStatus::Pass), "{steady:#?}");
        assert!(result.passed() && left.is_empty());
    }

    fn keep_all_but_title() -> Vec<String> {
        [
            "userName",
            "active",
            "displayName",
            "nickName",
            "emails",
            "externalId",
            "preferredLanguage",
            "name",
            "addresses",
        ]
        .into_iter()
        .chain(["phoneNumbers", "roles", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"])
        .map(str::to_string)
        .collect()
    }

    /// One switch of the embedded endpoint, the checks it must fail and the checks it must warn about.
    type Defect = (&'static str, fn(&mut Switches), &'static [&'static str], &'static [&'static str]);

    const DEFECTS: &[Defect] = &[
        (
            "manager_as_string",
            |s| s.manager_as_string = true,
            &["users/legacy/manager", "users/compliant/manager"],
            &[],
        ),
        (
            "not_found_on_empty_query",
            |s| s.not_found_on_empty_query = true,
            &["connection/test-connection-users", "connection/test-connection-groups", "users/filter-no-match"],
            &[],
        ),
        (
            "ignore_pathless_patch",
            |s| s.ignore_pathless_patch = true,
            &["users/compliant/pathless-replace", "groups/pathless-replace"],
            &[],
        ),
        (
            "case_exact_filters",
            |s| s.case_exact_filters = true,
            &["users/filter-username-different-case", "groups/filter-different-case"],
            &[],
        ),
        (
            "remove_all_members_on_legacy_remove",
            |s| s.remove_all_members_on_legacy_remove = true,
            &["groups/legacy/remove-member"],
            &[],
        ),
        (
            "keep_attributes without title",
            |s| s.keep_attributes = Some(keep_all_but_title()),
            &["users/legacy/update-simple", "users/compliant/update-simple", "steady-state/entra-default"],
            &[],
        ),
        (
            "group_patch_returns_resource",
            |s| s.group_patch_returns_resource = true,
            &[],
            &[
                "groups/legacy/add-member",
                "groups/legacy/remove-member",
                "groups/legacy/add-remove-one-patch",
                "groups/compliant/add-member",
                "groups/compliant/remove-member",
                "groups/compliant/add-remove-one-patch",
            ],
        ),
        ("html_errors", |s| s.html_errors = true, &[], &["users/duplicate-create", "groups/duplicate-create"]),
        (
            "rate_limit_rate 0.1 (429s are retried)",
            |s| {
                s.rate_limit_rate = 0.1;
                s.seed = 11;
            },
            &[],
            &[],
        ),
        ("duplicate_group_names", |s| s.duplicate_group_names = true, &["groups/duplicate-create"], &[]),
        (
            "paging_ignores_start_index",
            |s| s.paging_ignores_start_index = true,
            &["users/pagination", "groups/pagination"],
            &[],
        ),
        (
            "ignore_null_updates",
            |s| s.ignore_null_updates = true,
            &["users/legacy/null-update", "users/compliant/null-update"],
            &[],
        ),
        (
            "reject_mixed_patch_ops",
            |s| s.reject_mixed_patch_ops = true,
            &["users/legacy/multi-op", "users/compliant/multi-op"],
            &[],
        ),
        (
            "first_op_per_path",
            |s| s.first_op_per_path = true,
            &["users/legacy/multi-op-same-attribute", "users/compliant/multi-op-same-attribute"],
            &[],
        ),
        (
            "group_patch_first_op_only",
            |s| s.group_patch_first_op_only = true,
            &["groups/legacy/add-remove-one-patch", "groups/compliant/add-remove-one-patch"],
            &[],
        ),
        (
            "ignore_empty_manager",
            |s| s.ignore_empty_manager = true,
            &["users/legacy/manager-validator-remove", "users/compliant/manager-validator-remove"],
            &[],
        ),
        (
            "delete_unknown_succeeds",
            |s| s.delete_unknown_succeeds = true,
            &["users/delete-unknown", "groups/delete-unknown"],
            &[],
        ),
        (
            "delete_twice_succeeds",
            |s| s.delete_twice_succeeds = true,
            &["users/delete-twice", "groups/delete-twice"],
            &[],
        ),
        ("schemas_omit title", |s| s.schemas_omit = Some(vec!["title".into()]), &["schema/discovery"], &[]),
        (
            "schemas_omit the Group schema",
            |s| s.schemas_omit = Some(vec!["urn:ietf:params:scim:schemas:core:2.0:Group".into()]),
            &["schema/discovery"],
            &[],
        ),
        (
            "schemas_omit the enterprise department",
            |s| {
                s.schemas_omit =
                    Some(vec!["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department".into()])
            },
            &["schema/discovery"],
            &[],
        ),
        (
            "keep_group_attributes without description",
            |s| s.keep_group_attributes = Some(vec!["displayName".into(), "externalId".into(), "members".into()]),
            &["groups/update-description"],
            &[],
        ),
    ];

    #[tokio::test]
    async fn a_duplicate_group_name_accepted_fails_only_the_duplicate_check() {
        let (result, left) = run_against(Switches { duplicate_group_names: true, ..Switches::default() }).await;
        assert_eq!(ids(&result, CheckStatus::Fail), ["groups/duplicate-create"]);
        assert!(ids(&result, CheckStatus::Warning).is_empty(), "{:?}", ids(&result, CheckStatus::Warning));
        let duplicate = result.checks.iter().find(|c| c.id() == "groups/duplicate-create").unwrap();
        assert_eq!(duplicate.problems[0].kind, "duplicate_status");
        // The accepted duplicate was deleted with its check, so later checks never saw two groups of one name.
        assert!(left.is_empty() && result.left_behind.is_empty(), "left behind {left:#?}");
    }

    #[tokio::test]
    async fn one_defect_fails_exactly_the_matching_checks_with_evidence() {
        for &(label, set, fails, warns) in DEFECTS {
            let mut switches = Switches::default();
            set(&mut switches);
            let (result, left) = run_against(switches).await;
            assert_eq!(ids(&result, CheckStatus::Fail), fails, "{label}");
            assert_eq!(ids(&result, CheckStatus::Warning), warns, "{label}");
            assert!(ids(&result, CheckStatus::Skipped).is_empty(), "{label}: {:?}", ids(&result, CheckStatus::Skipped));
            for failed in result.with_status(CheckStatus::Fail).chain(result.with_status(CheckStatus::Warning)) {
                let problem = &failed.problems[0];
                let exchange = problem.exchange.as_deref().unwrap_or_else(|| panic!("{label}: no evidence"));
                assert!(problem.message.contains(&exchange.request_line()), "{label}: {}", problem.message);
                assert!(problem.hint.is_some(), "{label}");
            }
            assert!(left.is_empty() && result.left_behind.is_empty(), "{label}: left behind {left:#?}");
        }
    }
}

mod rendered {
    //! The reports of a real run against the embedded endpoint with one defect, redacted to be stable.

    use super::*;
    use entrasim::server::{self, ServerConfig, Switches};
    use regex::Regex;

    /// Aliases UUIDs by first appearance and blanks the base URL, the crate version, timestamps and durations.
    fn redact(text: &str, base: &str) -> String {
        let text = text.replace(base, "<base>").replace(env!("CARGO_PKG_VERSION"), "[version]");
        let uuid = Regex::new(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}").unwrap();
        let mut seen: Vec<String> = Vec::new();
        let text = uuid.replace_all(&text, |c: &regex::Captures| {
            let id = c[0].to_string();
            let n = seen.iter().position(|s| *s == id).unwrap_or_else(|| {
                seen.push(id);
                seen.len() - 1
            });
            format!("<id:{}>", n + 1)
        });
        let rules = [
            (r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z", "<timestamp>"),
            (r#""duration_ms": \d+"#, r#""duration_ms": 0"#),
            (r#"time="[0-9.]+""#, r#"time="0""#),
        ];
        rules.iter().fold(text.into_owned(), |t, (pattern, with)| {
            Regex::new(pattern).unwrap().replace_all(&t, *with).into_owned()
        })
    }

    #[tokio::test]
    async fn junit_and_json_reports_of_a_run_with_one_defect() {
        let switches = Switches { manager_as_string: true, ..Switches::default() };
        let server = server::start(ServerConfig { switches, ..ServerConfig::default() }).await.unwrap();
        let client = Client::new(ClientConfig::new(server.url(), Auth::Bearer(Secret::new(server.token())))).unwrap();
        let options = CheckOptions { run_tag: Some("tag0".into()), ..CheckOptions::default() };
        let result = check::run(&client, &options).await.unwrap();
        let report = result.to_report();
        let junit = report::junit::render(&report).unwrap();
        let json = report::json::render(&report);
        assert!(!junit.contains(server.token()) && !json.contains(server.token()));
        let schema: serde_json::Value =
            serde_json::from_str(include_str!("../../docs/report-json.schema.json")).expect("schema is JSON");
        let validator = jsonschema::validator_for(&schema).expect("schema compiles");
        let doc: serde_json::Value = serde_json::from_str(&json).expect("report is JSON");
        let errors: Vec<String> =
            validator.iter_errors(&doc).map(|e| format!("{e} at {}", e.instance_path())).collect();
        assert!(errors.is_empty(), "{errors:#?}");
        insta::assert_snapshot!("check_report_junit", redact(&junit, server.url()));
        insta::assert_snapshot!("check_report_json", redact(&json, server.url()));
        server.shutdown().await;
    }
}
