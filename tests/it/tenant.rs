//! `entrasim tenant` end to end: an admin's Graph calls change the simulated directory, the clock moves
//! through the control routes, and the job's SCIM requests to the (embedded) target show the result:
//! create on assignment, disable on soft delete, enable on restore, DELETE on hard delete, provision on
//! demand, restart with and without a reset of the scope, and a quarantine in the job's status.

use std::time::Duration;

use entrasim::engine::result::Event;
use entrasim::tenant::{self, TenantConfig, TenantHandle};
use serde_json::{json, Value};

const DEFAULT_ACCESS: &str = "00000000-0000-0000-0000-000000000000";

/// A running tenant with a Graph token, its clock paused so cycles come only when a test moves it.
struct Live {
    handle: TenantHandle,
    http: reqwest::Client,
    token: String,
    events: tokio::sync::mpsc::UnboundedReceiver<Event>,
    /// Exchanges seen so far (`seq` of the last one).
    seen: u64,
}

impl Live {
    async fn start(configure: impl FnOnce(&mut TenantConfig)) -> Live {
        let mut live = Live::start_only(configure).await;
        // Test Connection and the initial cycle run at once, whatever the clock.
        live.cycle_finished().await;
        live
    }

    async fn start_only(configure: impl FnOnce(&mut TenantConfig)) -> Live {
        let mapping = entrasim::mapping::load("entra-default", std::path::Path::new(".")).expect("preset").set;
        let mut config = TenantConfig::new(mapping);
        config.clock_paused = true;
        configure(&mut config);
        let handle = tenant::start(config).await.expect("the tenant starts");
        let events = handle.subscribe();
        let http = reqwest::Client::new();
        let credentials = handle.credentials().clone();
        let answer: Value = http
            .post(handle.token_url())
            .form(&[
                ("grant_type", "client_credentials"),
                ("client_id", credentials.client_id.as_str()),
                ("client_secret", credentials.client_secret.expose()),
                ("scope", "https://graph.microsoft.com/.default"),
            ])
            .send()
            .await
            .expect("token endpoint answers")
            .json()
            .await
            .expect("token JSON");
        let token = answer["access_token"].as_str().expect("a token").to_string();
        Live { handle, http, token, events, seen: 0 }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.handle.url())
    }

    fn sp(&self) -> String {
        self.handle.identity().service_principal_id.clone()
    }

    fn job(&self) -> String {
        format!("/v1.0/servicePrincipals/{}/synchronization/jobs/{}", self.sp(), self.handle.identity().job_id)
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let mut request = self.http.request(method, self.url(path)).bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("the tenant answers");
        let status = response.status().as_u16();
        let text = response.text().await.unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    async fn ok(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let (status, answer) = self.call(method.clone(), path, body).await;
        assert!((200..300).contains(&status), "{method} {path}: {status} {answer}");
        answer
    }

    /// Waits for the next cycle to end (a guard against a hang, not a timing assertion).
    async fn cycle_finished(&mut self) -> u32 {
        let wait = async {
            while let Some(event) = self.events.recv().await {
                if let Event::CycleFinished { cycle, .. } = event {
                    return cycle;
                }
            }
            panic!("the tenant stopped sending events");
        };
        tokio::time::timeout(Duration::from_secs(60), wait).await.expect("a cycle ends")
    }

    /// Moves the clock to the next cycle and waits for it to end.
    async fn next_cycle(&mut self) -> u32 {
        self.ok(reqwest::Method::POST, "/_entrasim/clock/next-cycle", None).await;
        self.cycle_finished().await
    }

    /// The request lines sent to the target since the last call.
    async fn new_requests(&mut self) -> Vec<String> {
        let answer = self.ok(reqwest::Method::GET, &format!("/_entrasim/exchanges?after={}", self.seen), None).await;
        let exchanges = answer["value"].as_array().cloned().unwrap_or_default();
        if let Some(last) = exchanges.last() {
            self.seen = last["seq"].as_u64().unwrap_or(self.seen);
        }
        exchanges
            .iter()
            .map(|e| format!("{} {}", e["request_line"].as_str().unwrap_or(""), e["text"].as_str().unwrap_or("")))
            .collect()
    }

    async fn create_user(&self, nickname: &str) -> String {
        let user = self
            .ok(
                reqwest::Method::POST,
                "/v1.0/users",
                Some(json!({
                    "accountEnabled": true,
                    "displayName": nickname,
                    "mailNickname": nickname,
                    "userPrincipalName": format!("{nickname}@contoso.com"),
                    "passwordProfile": {"forceChangePasswordNextSignIn": true, "password": "xWwvJ]6NMw+bWH-d"},
                })),
            )
            .await;
        user["id"].as_str().expect("an id").to_string()
    }

    async fn assign(&self, user: &str) -> String {
        let body = json!({"principalId": user, "resourceId": self.sp(), "appRoleId": DEFAULT_ACCESS});
        let path = format!("/v1.0/servicePrincipals/{}/appRoleAssignedTo", self.sp());
        let assignment = self.ok(reqwest::Method::POST, &path, Some(body)).await;
        assignment["id"].as_str().expect("an assignment id").to_string()
    }
}

fn sent(requests: &[String], line: &str) -> bool {
    requests.iter().any(|r| r.starts_with(line))
}

fn sent_with(requests: &[String], line: &str, text: &str) -> bool {
    requests.iter().any(|r| r.starts_with(line) && r.contains(text))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_made_and_assigned_through_graph_is_created_disabled_enabled_and_deleted_by_the_job() {
    let mut live = Live::start(|_| {}).await;
    live.new_requests().await;
    let id = live.create_user("adele").await;
    assert_eq!(live.next_cycle().await, 2);
    assert!(!sent(&live.new_requests().await, "POST /Users"), "not assigned yet: out of scope");

    live.assign(&id).await;
    live.next_cycle().await;
    let requests = live.new_requests().await;
    assert!(sent_with(&requests, "POST /Users", "adele@contoso.com"), "{requests:#?}");

    // Soft delete: the user goes to the recycle bin and the job disables the target user.
    live.ok(reqwest::Method::DELETE, &format!("/v1.0/users/{id}"), None).await;
    let deleted = live.ok(reqwest::Method::GET, "/v1.0/directory/deletedItems/microsoft.graph.user", None).await;
    assert_eq!(deleted["value"][0]["id"], json!(id));
    live.next_cycle().await;
    let requests = live.new_requests().await;
    assert!(sent_with(&requests, "PATCH /Users/", "active"), "{requests:#?}");
    assert!(!sent(&requests, "DELETE /Users/"), "a soft delete only disables");

    // Restore: enabled again.
    live.ok(reqwest::Method::POST, &format!("/v1.0/directory/deletedItems/{id}/restore"), None).await;
    live.next_cycle().await;
    let requests = live.new_requests().await;
    assert!(sent_with(&requests, "PATCH /Users/", "true"), "{requests:#?}");

    // Hard delete: soft delete, then permanent delete from the recycle bin.
    live.ok(reqwest::Method::DELETE, &format!("/v1.0/users/{id}"), None).await;
    live.ok(reqwest::Method::DELETE, &format!("/v1.0/directory/deletedItems/{id}"), None).await;
    live.next_cycle().await;
    let requests = live.new_requests().await;
    assert!(sent(&requests, "DELETE /Users/"), "{requests:#?}");

    let log = live.ok(reqwest::Method::GET, "/v1.0/auditLogs/provisioning", None).await;
    let actions: Vec<&str> =
        log["value"].as_array().expect("entries").iter().filter_map(|e| e["provisioningAction"].as_str()).collect();
    for action in ["create", "disable", "delete"] {
        assert!(actions.contains(&action), "{action} in {actions:?}");
    }
    // Each entry's steps show the user as that cycle read it, in Entra's words, newest entry first.
    let steps_of = |action: &str, status: &str| -> Vec<(String, String, String)> {
        let entry = log["value"]
            .as_array()
            .and_then(|v| {
                v.iter()
                    .rev()
                    .find(|e| e["provisioningAction"] == action && e["provisioningStatusInfo"]["status"] == status)
            })
            .unwrap_or_else(|| panic!("a {action} entry that is {status}: {log:#}"));
        let steps = entry["provisioningSteps"].as_array().expect("steps");
        steps
            .iter()
            .map(|s| (s["name"].to_string(), s["provisioningStepType"].to_string(), s["status"].to_string()))
            .collect()
    };
    let step = |name: &str, kind: &str, status: &str| (format!("{name:?}"), format!("{kind:?}"), format!("{status:?}"));
    assert_eq!(
        steps_of("other", "skipped"),
        [step("EntryImportUpdate", "import", "success"), step("EntrySynchronizationScoping", "scoping", "skipped")],
        "not assigned yet: the entry ends with its scope"
    );
    assert_eq!(
        steps_of("create", "success"),
        [
            step("EntryImportAdd", "import", "success"),
            step("EntrySynchronizationScoping", "scoping", "success"),
            step("EntrySynchronizationAdd", "matching", "success"),
            step("EntryExportAdd", "export", "success"),
        ]
    );
    assert_eq!(
        steps_of("disable", "success"),
        [
            step("EntryImportUpdate", "import", "success"),
            step("EntrySynchronizationScoping", "scoping", "skipped"),
            step("EntrySynchronizationUpdate", "matching", "success"),
            step("EntryExportUpdateSoftDelete", "export", "success"),
        ],
        "in the recycle bin: not active, so out of scope, and disabled"
    );
    assert_eq!(
        steps_of("delete", "success"),
        [
            step("EntryImportDelete", "import", "success"),
            step("EntrySynchronizationUpdate", "matching", "success"),
            step("EntryExportDelete", "export", "success"),
        ],
        "deleted from the directory: no scope to evaluate"
    );
    let disable = log["value"].as_array().unwrap().iter().find(|e| e["provisioningAction"] == "disable").unwrap();
    assert_eq!(disable["provisioningSteps"][1]["details"]["Active in the source system"], "False", "{disable:#}");
    live.handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provision_on_demand_reports_its_steps_and_creates_the_user_at_once() {
    let mut live = Live::start(|_| {}).await;
    live.new_requests().await;
    let id = live.create_user("bianca").await;
    live.assign(&id).await;
    let schema = live.ok(reqwest::Method::GET, &format!("{}/schema", live.job()), None).await;
    let rule = schema["synchronizationRules"][0]["id"].as_str().expect("the schema names its rule").to_string();
    let body = json!({
        "parameters": [{"ruleId": rule, "subjects": [{"objectId": id, "objectTypeName": "User"}]}]
    });
    let answer = live.ok(reqwest::Method::POST, &format!("{}/provisionOnDemand", live.job()), Some(body)).await;
    let report: Value = serde_json::from_str(answer["value"].as_str().expect("a report as JSON text")).expect("JSON");
    let text = report.to_string();
    assert!(text.contains("bianca@contoso.com") || text.contains("bianca"), "{text}");
    let requests = live.new_requests().await;
    assert!(sent_with(&requests, "POST /Users", "bianca@contoso.com"), "{requests:#?}");
    let log = live.ok(reqwest::Method::GET, "/v1.0/auditLogs/provisioning", None).await;
    assert!(log["value"].as_array().expect("entries").iter().any(|e| e["provisioningAction"] == "create"));
    live.handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_runs_an_initial_cycle_and_a_reset_scope_forgets_the_links() {
    let mut live = Live::start(|_| {}).await;
    let id = live.create_user("chiara").await;
    live.assign(&id).await;
    live.next_cycle().await;
    live.new_requests().await;

    // Without resetScope: the links stay, the initial cycle finds the user linked and in sync.
    live.ok(reqwest::Method::POST, &format!("{}/restart", live.job()), Some(json!({"criteria": {}}))).await;
    live.next_cycle().await;
    let job = live.ok(reqwest::Method::GET, &live.job(), None).await;
    let counts = &job["status"]["synchronizedEntryCountByType"];
    assert_eq!(counts[0], json!({"key": "user", "value": 1}), "{job}");
    let kept = live.new_requests().await;
    assert!(!sent(&kept, "POST /Users"), "{kept:#?}");

    // With resetScope Full: the link is forgotten, so the user is looked up again by its matching value.
    let body = json!({"criteria": {"resetScope": "Full"}});
    live.ok(reqwest::Method::POST, &format!("{}/restart", live.job()), Some(body)).await;
    live.next_cycle().await;
    let reset = live.new_requests().await;
    assert!(sent_with(&reset, "GET /Users?filter=userName eq", "chiara@contoso.com"), "{reset:#?}");
    assert!(!sent(&reset, "POST /Users"), "matched, not created again: {reset:#?}");
    live.handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn too_many_deletions_quarantine_the_job_as_graph_reports_it() {
    let mut live = Live::start(|config| config.settings.deletion_threshold = Some(1)).await;
    let mut assignments = Vec::new();
    for name in ["dora", "elio"] {
        let id = live.create_user(name).await;
        assignments.push(live.assign(&id).await);
    }
    live.next_cycle().await;
    let path = format!("/v1.0/servicePrincipals/{}/appRoleAssignedTo", live.sp());
    for assignment in &assignments {
        live.ok(reqwest::Method::DELETE, &format!("{path}/{assignment}"), None).await;
    }
    live.next_cycle().await;
    let job = live.ok(reqwest::Method::GET, &live.job(), None).await;
    assert_eq!(job["status"]["code"], "Quarantine", "{job}");
    assert_eq!(job["status"]["quarantine"]["reason"], "TooManyDeletes", "{job}");
    let status = live.ok(reqwest::Method::GET, "/_entrasim/status", None).await;
    assert_eq!(status["job"]["code"], "quarantine");
    live.handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_token_graph_and_the_control_routes_refuse() {
    let live = Live::start(|_| {}).await;
    for path in ["/v1.0/users", "/_entrasim/status"] {
        let answer = live.http.get(live.url(path)).send().await.expect("answers");
        assert_eq!(answer.status().as_u16(), 401, "{path}");
        let body: Value = answer.json().await.expect("JSON");
        assert_eq!(body["error"]["code"], "InvalidAuthenticationToken", "{path}");
    }
    live.handle.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tenant_kept_with_state_comes_back_and_its_next_cycle_is_incremental() {
    let dir = std::env::temp_dir().join(format!("entrasim-tenant-state-{}", uuid::Uuid::new_v4()));
    let secret = entrasim::scim::client::Secret::new("kept-secret-for-the-test".to_string());
    let configure = |config: &mut TenantConfig| {
        config.state_dir = Some(dir.clone());
        config.client_secret = Some(secret.clone());
    };
    let mut live = Live::start(configure).await;
    let id = live.create_user("fabio").await;
    live.assign(&id).await;
    live.next_cycle().await;
    assert!(sent(&live.new_requests().await, "POST /Users"));
    let before = live.handle.identity().clone();
    live.handle.shutdown().await;

    let mut live = Live::start_only(configure).await;
    assert_eq!(live.handle.identity(), &before, "same tenant, application and job");
    let users = live.ok(reqwest::Method::GET, "/v1.0/users", None).await;
    assert_eq!(users["value"][0]["id"], json!(id));
    live.ok(reqwest::Method::PATCH, &format!("/v1.0/users/{id}"), Some(json!({"jobTitle": "Chef"}))).await;
    assert_eq!(live.next_cycle().await, 3, "cycle numbers go on");
    let requests = live.new_requests().await;
    assert!(!sent(&requests, "POST /Users"), "still linked: {requests:#?}");
    assert!(sent_with(&requests, "PATCH /Users/", "Chef"), "{requests:#?}");
    let log = live.ok(reqwest::Method::GET, "/v1.0/auditLogs/provisioning", None).await;
    let actions: Vec<&str> =
        log["value"].as_array().expect("entries").iter().filter_map(|e| e["provisioningAction"].as_str()).collect();
    assert!(actions.contains(&"create") && actions.contains(&"update"), "{actions:?}");
    live.handle.shutdown().await;
    std::fs::remove_dir_all(&dir).ok();
}
