//! Every request shape of ENTRA.md sections 1, 2 and 8 that entrasim emits, checked structurally against
//! the bundled scenario `docs/request-shapes.md` names for it: method, path, decoded query, body keys, op
//! casing and value types. A shape that changes fails here even when its snapshot is re-accepted, and a
//! row of `docs/request-shapes.md` without a check (or a check without a row) fails too.
//!
//! Shape notation (JSON): `"<str>"` any string, `"<bool>"` any boolean, `"<json>"` a string holding the
//! JSON text of an object, `"<any>"` anything; a string with `*` is a glob; an object matches when its keys
//! are exactly the shape's (`"..": true` allows others); `["<each>", X]` is a non-empty array whose every
//! element matches X; other arrays match element by element; other values must be equal.

use std::collections::HashMap;
use std::path::Path;

use entrasim::scim::client::{Exchange, Method, Origin};
use serde_json::{json, Value as Json};

use crate::support::run_scenario_file;

mod notation;
use notation::{conforms, glob, query_pairs};

const CORE_USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const CORE_GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const ADSCIM: &str = "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group";
const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const MANAGER: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager";
const ROLE_TYPE: &str = "WindowsAzureActiveDirectoryRole";

/// What one shape looks like on the wire.
struct Shape {
    id: &'static str,
    scenario: &'static str,
    method: Method,
    /// Path segments; `{id}` matches any one segment.
    path: &'static str,
    /// Decoded query parameters, exactly (values may be globs).
    query: &'static [(&'static str, &'static str)],
    /// The whole body, or `None` for no body.
    body: Option<Json>,
    /// Or: one operation of a PATCH body (the body is still checked to be a `PatchOp` message).
    op: Option<Json>,
}

fn get(
    id: &'static str,
    scenario: &'static str,
    path: &'static str,
    query: &'static [(&'static str, &'static str)],
) -> Shape {
    Shape { id, scenario, method: Method::Get, path, query, body: None, op: None }
}

fn post(id: &'static str, scenario: &'static str, path: &'static str, body: Json) -> Shape {
    Shape { id, scenario, method: Method::Post, path, query: &[], body: Some(body), op: None }
}

fn patch(id: &'static str, scenario: &'static str, path: &'static str, op: Json) -> Shape {
    Shape { id, scenario, method: Method::Patch, path, query: &[], body: None, op: Some(op) }
}

fn delete(id: &'static str, scenario: &'static str, path: &'static str) -> Shape {
    Shape { id, scenario, method: Method::Delete, path, query: &[], body: None, op: None }
}

const USER_FILTER: &[(&str, &str)] = &[("filter", "userName eq \"*\"")];
const GROUP_FILTER: &[(&str, &str)] = &[("excludedAttributes", "members"), ("filter", "displayName eq \"*\"")];
const NO_MEMBERS: &[(&str, &str)] = &[("excludedAttributes", "members")];

fn user_post(active: Json) -> Json {
    json!({"schemas": ["<each>", "urn:ietf:params:scim:schemas:*"], "userName": "<str>", "active": active,
           "meta": {"resourceType": "User"}, "roles": "<any>", "..": true})
}

fn role(primary: bool) -> Json {
    match primary {
        true => json!({"primary": true, "type": ROLE_TYPE, "value": "<str>"}),
        false => json!({"primary": false, "type": ROLE_TYPE, "display": "<str>", "value": "<str>"}),
    }
}

fn shapes() -> Vec<Shape> {
    use json as j;
    let legacy_ref = j!({"op": "Add", "path": "members", "value": ["<each>", {"$ref": null, "value": "<str>"}]});
    vec![
        get("probe-user", "connection/test_connection.toml", "/Users", USER_FILTER),
        get("probe-group", "connection/test_connection.toml", "/Groups", GROUP_FILTER),
        get("probe-cycle", "wire/cycle_probe.toml", "/Users", USER_FILTER),
        get("match-user", "users/initial_cycle_new_and_existing.toml", "/Users", USER_FILTER),
        get(
            "match-user-externalid",
            "failures/duplicate_source_entries.toml",
            "/Users",
            &[("filter", "externalId eq \"*\"")],
        ),
        post("post-user", "users/initial_cycle_new_and_existing.toml", "/Users", user_post(j!("<bool>"))),
        post("post-user-active-string", "wire/post_active_as_string.toml", "/Users", user_post(j!("True"))),
        get("read-user-by-id", "users/incremental_update_legacy.toml", "/Users/{id}", &[]),
        get("read-user-by-filter", "wire/linked_user_lookup_filter.toml", "/Users", USER_FILTER),
        patch(
            "update-legacy-replace",
            "users/incremental_update_legacy.toml",
            "/Users/{id}",
            j!({"op": "Replace", "path": "displayName", "value": "<str>"}),
        ),
        patch(
            "update-legacy-add",
            "users/incremental_update_legacy.toml",
            "/Users/{id}",
            j!({"op": "Add", "path": "phoneNumbers[type eq \"mobile\"].value", "value": "<str>"}),
        ),
        patch(
            "update-legacy-filtered",
            "users/incremental_update_legacy.toml",
            "/Users/{id}",
            j!({"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "<str>"}),
        ),
        patch(
            "update-legacy-urn",
            "users/incremental_update_legacy.toml",
            "/Users/{id}",
            j!({"op": "Replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "value": "<str>"}),
        ),
        patch(
            "update-legacy-subattribute",
            "users/incremental_update_legacy.toml",
            "/Users/{id}",
            j!({"op": "Replace", "path": "name.familyName", "value": "<str>"}),
        ),
        patch(
            "update-username",
            "failures/duplicate_target_entries.toml",
            "/Users/{id}",
            j!({"op": "Replace", "path": "userName", "value": "<str>"}),
        ),
        patch(
            "clear-remove-legacy",
            "wire/clear_with_remove_legacy.toml",
            "/Users/{id}",
            j!({"op": "Remove", "path": "emails[type eq \"work\"].value", "value": "<str>"}),
        ),
        patch(
            "clear-remove-compliant",
            "wire/clear_with_remove_compliant.toml",
            "/Users/{id}",
            j!({"op": "remove", "path": "title", "value": "<str>"}),
        ),
        patch(
            "disable-legacy",
            "deprovision/soft_delete_and_restore_legacy.toml",
            "/Users/{id}",
            j!({"op": "Replace", "path": "active", "value": "False"}),
        ),
        patch(
            "enable-legacy",
            "deprovision/soft_delete_and_restore_legacy.toml",
            "/Users/{id}",
            j!({"op": "Replace", "path": "active", "value": "True"}),
        ),
        patch(
            "disable-compliant",
            "deprovision/soft_delete_and_restore_compliant.toml",
            "/Users/{id}",
            j!({"op": "replace", "path": "active", "value": false}),
        ),
        patch(
            "enable-compliant",
            "deprovision/soft_delete_and_restore_compliant.toml",
            "/Users/{id}",
            j!({"op": "replace", "path": "active", "value": true}),
        ),
        delete("delete-user", "deprovision/hard_delete.toml", "/Users/{id}"),
        get("match-group", "groups/membership_legacy.toml", "/Groups", GROUP_FILTER),
        post(
            "post-group",
            "groups/membership_legacy.toml",
            "/Groups",
            j!({"schemas": [CORE_GROUP, ADSCIM], "displayName": "<str>", "externalId": "<str>", "meta": {"resourceType": "Group"}}),
        ),
        post(
            "post-group-core-only",
            "wire/group_without_adscim_schema.toml",
            "/Groups",
            j!({"schemas": [CORE_GROUP], "displayName": "<str>", "externalId": "<str>", "meta": {"resourceType": "Group"}}),
        ),
        patch(
            "members-add-legacy",
            "groups/membership_legacy.toml",
            "/Groups/{id}",
            j!({"op": "Add", "path": "members", "value": ["<each>", {"value": "<str>"}]}),
        ),
        patch("members-add-ref-null", "wire/member_ref_null.toml", "/Groups/{id}", legacy_ref),
        patch(
            "members-add-compliant",
            "groups/membership_compliant.toml",
            "/Groups/{id}",
            j!({"op": "add", "path": "members", "value": ["<each>", {"value": "<str>"}]}),
        ),
        patch(
            "members-remove-legacy",
            "groups/membership_legacy.toml",
            "/Groups/{id}",
            j!({"op": "Remove", "path": "members", "value": ["<each>", {"value": "<str>"}]}),
        ),
        patch(
            "members-remove-ref-null",
            "wire/member_ref_null.toml",
            "/Groups/{id}",
            j!({"op": "Remove", "path": "members", "value": ["<each>", {"$ref": null, "value": "<str>"}]}),
        ),
        patch(
            "members-remove-compliant",
            "groups/membership_compliant.toml",
            "/Groups/{id}",
            j!({"op": "remove", "path": "members[value eq \"*\"]"}),
        ),
        patch(
            "group-rename",
            "groups/rename_and_delete.toml",
            "/Groups/{id}",
            j!({"op": "Replace", "path": "displayName", "value": "<str>"}),
        ),
        get("read-group-by-id", "groups/membership_legacy.toml", "/Groups/{id}", NO_MEMBERS),
        delete("delete-group", "groups/rename_and_delete.toml", "/Groups/{id}"),
        patch(
            "manager-set-legacy",
            "users/manager_removed_legacy.toml",
            "/Users/{id}",
            j!({"op": "Add", "path": MANAGER, "value": "<str>"}),
        ),
        patch(
            "manager-set-compliant",
            "users/manager_removed_compliant.toml",
            "/Users/{id}",
            j!({"op": "add", "path": MANAGER, "value": "<str>"}),
        ),
        patch(
            "manager-remove-legacy",
            "users/manager_removed_legacy.toml",
            "/Users/{id}",
            j!({"op": "Remove", "path": MANAGER, "value": "<str>"}),
        ),
        patch(
            "manager-remove-compliant",
            "users/manager_removed_compliant.toml",
            "/Users/{id}",
            j!({"op": "remove", "path": "manager[value eq \"*\"]"}),
        ),
        post("roles-post-single", "roles/single_legacy.toml", "/Users", j!({"roles": [role(true)], "..": true})),
        post(
            "roles-post-complex",
            "roles/complex_compliant.toml",
            "/Users",
            j!({"roles": ["<each>", role(false)], "..": true}),
        ),
        post(
            "roles-post-none",
            "roles/single_compliant.toml",
            "/Users",
            j!({"schemas": [CORE_USER], "roles": [], "..": true}),
        ),
        patch(
            "roles-add-legacy",
            "roles/complex_legacy.toml",
            "/Users/{id}",
            j!({"op": "Add", "path": "roles", "value": ["<each>", {"value": "<json>"}]}),
        ),
        patch(
            "roles-add-legacy-single",
            "roles/single_legacy.toml",
            "/Users/{id}",
            j!({"op": "Add", "path": "roles", "value": [{"value": "<json>"}]}),
        ),
        patch(
            "roles-add-compliant",
            "roles/complex_compliant.toml",
            "/Users/{id}",
            j!({"op": "add", "path": "roles", "value": ["<each>", role(false)]}),
        ),
        patch(
            "roles-add-compliant-single",
            "roles/single_compliant.toml",
            "/Users/{id}",
            j!({"op": "add", "path": "roles", "value": [role(true)]}),
        ),
        patch(
            "roles-replace-legacy",
            "roles/assertive_legacy.toml",
            "/Users/{id}",
            j!({"op": "Replace", "path": "roles", "value": ["<each>", {"value": "<json>"}]}),
        ),
        patch(
            "roles-replace-compliant",
            "roles/assertive_compliant.toml",
            "/Users/{id}",
            j!({"op": "replace", "path": "roles", "value": ["<each>", role(false)]}),
        ),
        patch(
            "compliant-add-simple",
            "users/incremental_update_compliant.toml",
            "/Users/{id}",
            j!({"op": "add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber", "value": "<str>"}),
        ),
        patch(
            "compliant-pathless-replace",
            "users/incremental_update_compliant.toml",
            "/Users/{id}",
            j!({"op": "replace", "value": {"name.familyName": "<str>", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department": "<str>", "..": true}}),
        ),
        patch(
            "compliant-filtered-replace",
            "users/incremental_update_compliant.toml",
            "/Users/{id}",
            j!({"op": "replace", "path": "emails[type eq \"work\"].value", "value": "<str>"}),
        ),
        patch(
            "compliant-lone-replace",
            "users/single_attribute_change_compliant.toml",
            "/Users/{id}",
            j!({"op": "replace", "path": "displayName", "value": "<str>"}),
        ),
    ]
}

/// Why `e` is not `shape`, or `Ok`.
fn matches(e: &Exchange, shape: &Shape) -> Result<(), String> {
    if e.method != shape.method {
        return Err("method".into());
    }
    let path: Vec<&str> = e.path.trim_matches('/').split('/').collect();
    let want: Vec<&str> = shape.path.trim_matches('/').split('/').collect();
    if path.len() != want.len() || !path.iter().zip(&want).all(|(p, w)| *w == "{id}" || p == w) {
        return Err("path".into());
    }
    let pairs = query_pairs(&e.query);
    if pairs.len() != shape.query.len()
        || !shape.query.iter().all(|(k, v)| pairs.iter().any(|(pk, pv)| pk == k && glob(v, pv)))
    {
        return Err(format!("query {pairs:?}"));
    }
    match (&shape.body, &shape.op, &e.request_body) {
        (None, None, None) => Ok(()),
        (Some(body), None, Some(sent)) => conforms(sent, body, "body"),
        (None, Some(op), Some(sent)) => {
            conforms(sent, &json!({"schemas": [PATCH_OP], "Operations": "<any>"}), "body")?;
            let ops = sent["Operations"].as_array().cloned().unwrap_or_default();
            let errors: Vec<String> = ops
                .iter()
                .enumerate()
                .filter_map(|(i, o)| conforms(o, op, &format!("Operations[{i}]")).err())
                .collect();
            if errors.len() < ops.len() {
                Ok(())
            } else {
                Err(errors.join("; "))
            }
        }
        _ => Err("body presence".into()),
    }
}

/// The ids and scenarios of `docs/request-shapes.md`: rows whose first cell is a backticked id; the
/// scenario is the cell holding a `scenarios/…` link (`None` for shapes entrasim does not emit).
fn documented() -> Vec<(String, Option<String>)> {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/request-shapes.md"))
        .expect("docs/request-shapes.md");
    text.lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line.split(" | ").collect();
            let id = cells.first()?.strip_prefix("| `")?.strip_suffix('`')?.to_string();
            let scenario = cells.iter().find_map(|c| {
                let start = c.find("(../scenarios/")? + "(../scenarios/".len();
                Some(c[start..].split(')').next()?.to_string())
            });
            Some((id, scenario))
        })
        .collect()
}

#[test]
fn every_documented_request_shape_is_emitted_by_its_scenario() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let shapes = shapes();
    let doc = documented();
    for shape in &shapes {
        let row = doc.iter().find(|(id, _)| id == shape.id);
        assert_eq!(
            row.and_then(|(_, s)| s.as_deref()),
            Some(shape.scenario),
            "`{}`: docs/request-shapes.md must name the scenario the check runs",
            shape.id
        );
    }
    for (id, scenario) in &doc {
        assert!(
            scenario.is_none() || shapes.iter().any(|s| s.id == id),
            "`{id}` is documented with a scenario but has no structural check"
        );
    }
    let mut transcripts: HashMap<&str, Vec<Exchange>> = HashMap::new();
    let mut failures = Vec::new();
    for shape in &shapes {
        let exchanges = transcripts.entry(shape.scenario).or_insert_with(|| {
            let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios").join(shape.scenario);
            let (result, _) = runtime.block_on(run_scenario_file(&path));
            result.transcript.into_iter().filter(|e| e.origin == Origin::Entra).collect()
        });
        let candidates: Vec<String> = exchanges
            .iter()
            .filter(|e| e.method == shape.method)
            .filter_map(|e| matches(e, shape).err().map(|why| format!("  {} {}: {why}", e.request_line(), e.index)))
            .collect();
        let found = exchanges.iter().any(|e| matches(e, shape).is_ok());
        if !found {
            failures.push(format!("`{}` not sent by {}:\n{}", shape.id, shape.scenario, candidates.join("\n")));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
