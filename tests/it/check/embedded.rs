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
    ["userName", "active", "displayName", "nickName", "emails", "externalId", "preferredLanguage", "name", "addresses"]
        .into_iter()
        .chain(["phoneNumbers", "roles", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"])
        .map(str::to_string)
        .collect()
}

/// One switch of the embedded endpoint, the checks it must fail and the checks it must warn about.
type Defect = (&'static str, fn(&mut Switches), &'static [&'static str], &'static [&'static str]);

const DEFECTS: &[Defect] = &[
    ("manager_as_string", |s| s.manager_as_string = true, &["users/legacy/manager", "users/compliant/manager"], &[]),
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
    ("delete_twice_succeeds", |s| s.delete_twice_succeeds = true, &["users/delete-twice", "groups/delete-twice"], &[]),
    ("schemas_omit title", |s| s.schemas_omit = Some(vec!["title".into()]), &["schema/discovery"], &[]),
    (
        "schemas_omit the Group schema",
        |s| s.schemas_omit = Some(vec!["urn:ietf:params:scim:schemas:core:2.0:Group".into()]),
        &["schema/discovery"],
        &[],
    ),
    (
        "schemas_omit the enterprise department",
        |s| s.schemas_omit = Some(vec!["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department".into()]),
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

#[tokio::test]
async fn a_chosen_joining_property_is_probed_and_matched() {
    let options = CheckOptions {
        dialects: vec![entrasim::engine::Dialect::Compliant],
        match_users: Some("externalId".into()),
        match_groups: Some("externalId".into()),
        ..CheckOptions::default()
    };
    let (result, left) = run_with(Switches::default(), options).await;
    let probe = &result.checks[0].exchanges[0];
    assert!(probe.query.contains("externalId"), "{}", probe.query);
    for id in ["users/filter-matching", "groups/filter-matching"] {
        let check = result.checks.iter().find(|c| c.id() == id).unwrap_or_else(|| panic!("{id} did not run"));
        assert_eq!(check.status, CheckStatus::Pass, "{check:#?}");
        assert!(check.detail.contains("filter=externalId eq"), "{}", check.detail);
    }
    assert!(result.passed() && left.is_empty());
}

#[tokio::test]
async fn a_joining_property_that_is_no_attribute_path_is_refused_before_sending() {
    let options = CheckOptions { match_users: Some("emails[type".into()), ..CheckOptions::default() };
    let client = client_for("http://127.0.0.1:9/scim");
    let err = check::run(&client, &options).await.unwrap_err();
    assert!(matches!(err, CheckError::MatchAttribute { .. }), "{err}");
    assert!(err.to_string().contains("emails[type"), "{err}");
}

#[tokio::test]
async fn the_attribute_sweep_writes_every_declared_attribute_and_names_the_one_not_stored() {
    let options = || CheckOptions {
        dialects: vec![entrasim::engine::Dialect::Compliant],
        groups: false,
        attribute_sweep: true,
        ..CheckOptions::default()
    };
    let sweep = |result: &CheckResult, status: CheckStatus| -> Vec<String> {
        result
            .checks
            .iter()
            .filter(|c| c.group == "schema/attributes" && c.status == status)
            .map(|c| c.name.clone())
            .collect()
    };
    let (result, left) = run_with(Switches::default(), options()).await;
    let passed = sweep(&result, CheckStatus::Pass);
    for attr in [
        "title",
        "emails",
        "addresses",
        "active",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
    ] {
        assert!(passed.contains(&attr.to_string()), "{attr} not swept: {passed:?}");
    }
    assert!(sweep(&result, CheckStatus::Skipped).contains(&"groups".to_string()), "read-only attributes are skipped");
    assert!(result.passed() && left.is_empty(), "{:?}", ids(&result, CheckStatus::Fail));
    let keep = ["userName", "active", "displayName", "emails", "externalId", "name", "phoneNumbers", "roles"];
    let switches =
        Switches { keep_attributes: Some(keep.iter().map(|s| s.to_string()).collect()), ..Switches::default() };
    let (result, _) = run_with(switches, options()).await;
    let failed = sweep(&result, CheckStatus::Fail);
    assert!(failed.contains(&"title".to_string()) && !failed.contains(&"emails".to_string()), "{failed:?}");
}
