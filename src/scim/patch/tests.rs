//! Every PATCH form of ENTRA.md sections 1, 2 and 8, in both dialects.

use super::*;
use serde_json::json;

const EXT: &str = model::ENTERPRISE_USER_SCHEMA;

fn user() -> Value {
    json!({
        "schemas": [model::USER_SCHEMA, EXT],
        "id": "u1",
        "userName": "alice@contoso.com",
        "active": true,
        "name": {"givenName": "Alice", "familyName": "Doe"},
        "emails": [{"type": "work", "value": "alice@contoso.com", "primary": true}],
        EXT: {"employeeNumber": "1"},
        "meta": {"resourceType": "User"},
    })
}

fn group() -> Value {
    json!({"schemas": [model::GROUP_SCHEMA], "id": "g1", "displayName": "Eng",
           "members": [{"value": "a"}, {"value": "b"}, {"value": "c"}]})
}

fn ops(v: Value) -> Vec<PatchOperation> {
    let req: PatchRequest = serde_json::from_value(v).expect("valid PatchRequest");
    req.operations
}

fn patched(mut res: Value, body: Value) -> Value {
    apply(&mut res, &ops(body), ApplyOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    res
}

fn failed(mut res: Value, body: Value) -> PatchError {
    let before = res.clone();
    let e = apply(&mut res, &ops(body), ApplyOptions::default()).expect_err("should fail");
    assert_eq!(res, before, "a failed PATCH changes nothing");
    e
}

fn members(g: &Value) -> Vec<&str> {
    g["members"].as_array().map(|a| a.iter().filter_map(|m| m["value"].as_str()).collect()).unwrap_or_default()
}

#[test]
fn legacy_disable_with_string_boolean() {
    let u = patched(user(), json!({"Operations": [{"op": "Replace", "path": "active", "value": "False"}]}));
    assert_eq!(u["active"], json!(false));
    let u = patched(u, json!({"Operations": [{"op": "Replace", "path": "active", "value": "true"}]}));
    assert_eq!(u["active"], json!(true));
}

#[test]
fn compliant_disable_with_boolean() {
    let u = patched(
        user(),
        json!({"schemas": [model::PATCH_OP_SCHEMA], "Operations": [{"op": "replace", "path": "active", "value": false}]}),
    );
    assert_eq!(u["active"], json!(false));
}

#[test]
fn non_boolean_string_for_boolean_is_invalid_value() {
    let e = failed(user(), json!({"Operations": [{"op": "replace", "path": "active", "value": "nope"}]}));
    assert_eq!(e.kind, ScimType::InvalidValue);
}

#[test]
fn legacy_update_one_op_per_attribute() {
    let u = patched(
        user(),
        json!({"Operations": [
            {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "alice.doe@contoso.com"},
            {"op": "Replace", "path": "name.familyName", "value": "Doe-Smith"},
            {"op": "Replace", "path": format!("{EXT}:employeeNumber"), "value": "1235"},
            {"op": "Add", "path": "nickName", "value": "Ally"},
        ]}),
    );
    assert_eq!(u["emails"][0]["value"], "alice.doe@contoso.com");
    assert_eq!(u["emails"][0]["primary"], true, "other sub-attributes kept");
    assert_eq!(u["name"]["familyName"], "Doe-Smith");
    assert_eq!(u["name"]["givenName"], "Alice");
    assert_eq!(u[EXT]["employeeNumber"], "1235");
    assert_eq!(u["nickName"], "Ally");
}

#[test]
fn add_on_single_valued_attribute_replaces() {
    let u = patched(user(), json!({"Operations": [{"op": "Add", "path": "userName", "value": "new@contoso.com"}]}));
    assert_eq!(u["userName"], "new@contoso.com");
}

#[test]
fn compliant_pathless_replace_with_dotted_and_urn_keys() {
    let u = patched(
        user(),
        json!({"Operations": [{"op": "replace", "value": {
            "displayName": "Alice D",
            "name.givenName": "Ali",
            "name.familyName": "D",
            format!("{EXT}:employeeNumber"): "99",
            "externalId": "ext-1",
        }}]}),
    );
    assert_eq!(u["displayName"], "Alice D");
    assert_eq!(u["name"], json!({"givenName": "Ali", "familyName": "D"}));
    assert_eq!(u[EXT]["employeeNumber"], "99");
    assert_eq!(u["externalId"], "ext-1");
}

#[test]
fn pathless_replace_with_rfc_nesting() {
    let u = patched(
        user(),
        json!({"Operations": [{"op": "replace", "value": {"name": {"givenName": "Ally"}, EXT: {"department": "R&D"}, "active": "False"}}]}),
    );
    assert_eq!(u["name"], json!({"givenName": "Ally", "familyName": "Doe"}), "complex replace merges");
    assert_eq!(u[EXT], json!({"employeeNumber": "1", "department": "R&D"}));
    assert_eq!(u["active"], false);
}

#[test]
fn pathless_add_with_dotted_keys() {
    let u = patched(user(), json!({"Operations": [{"op": "add", "value": {"name.middleName": "M", "title": "Eng"}}]}));
    assert_eq!(u["name"]["middleName"], "M");
    assert_eq!(u["title"], "Eng");
}

#[test]
fn pathless_with_same_id_is_tolerated_other_id_is_mutability() {
    patched(user(), json!({"Operations": [{"op": "replace", "value": {"id": "u1", "title": "x"}}]}));
    let e = failed(user(), json!({"Operations": [{"op": "replace", "value": {"id": "u2"}}]}));
    assert_eq!(e.kind, ScimType::Mutability);
}

#[test]
fn ignore_pathless_replace_option() {
    let mut u = user();
    let opts = ApplyOptions { ignore_pathless_replace: true, ..ApplyOptions::default() };
    apply(&mut u, &ops(json!({"Operations": [{"op": "replace", "value": {"title": "x"}}]})), opts).expect("applies");
    assert!(u.get("title").is_none());
}

#[test]
fn filtered_path_creates_missing_element() {
    let u = patched(
        user(),
        json!({"Operations": [
            {"op": "Replace", "path": "phoneNumbers[type eq \"mobile\"].value", "value": "+1 555"},
            {"op": "Add", "path": "addresses[type eq \"work\"].streetAddress", "value": "1 Main St"},
            {"op": "Replace", "path": "addresses[type eq \"work\"].locality", "value": "Redmond"},
        ]}),
    );
    assert_eq!(u["phoneNumbers"], json!([{"type": "mobile", "value": "+1 555"}]));
    assert_eq!(u["addresses"], json!([{"type": "work", "streetAddress": "1 Main St", "locality": "Redmond"}]));
}

#[test]
fn roles_with_string_primary_filter() {
    let u = patched(
        user(),
        json!({"Operations": [{"op": "Add", "path": "roles[primary eq \"True\"].value", "value": "Admin"}]}),
    );
    assert_eq!(u["roles"], json!([{"primary": true, "value": "Admin"}]));
}

#[test]
fn remove_with_path_and_value_on_typed_email() {
    let u = patched(
        user(),
        json!({"Operations": [{"op": "Remove", "path": "emails[type eq \"work\"].value", "value": "alice@contoso.com"}]}),
    );
    assert!(
        u.get("emails").is_none() || u["emails"].as_array().is_some_and(|a| a.iter().all(|e| e.get("value").is_none())),
        "{u}"
    );
}

#[test]
fn members_add_legacy_and_compliant_shapes() {
    let g = patched(
        group(),
        json!({"Operations": [{"op": "Add", "path": "members", "value": [{"$ref": null, "value": "d"}]}]}),
    );
    assert_eq!(members(&g), ["a", "b", "c", "d"]);
    assert_eq!(g["members"][3], json!({"value": "d"}), "null $ref dropped");
    let g = patched(
        g,
        json!({"Operations": [{"op": "add", "path": "members", "value": [{"value": "e"}, {"value": "a"}]}]}),
    );
    assert_eq!(members(&g), ["a", "b", "c", "d", "e"], "no duplicates");
    let g = patched(g, json!({"Operations": [{"op": "add", "path": "members", "value": "f"}]}));
    assert_eq!(members(&g), ["a", "b", "c", "d", "e", "f"], "scalar member value");
    let g = patched(g, json!({"Operations": [{"op": "add", "path": "members", "value": {"value": "g"}}]}));
    assert_eq!(members(&g).len(), 7, "single object value");
}

#[test]
fn members_remove_legacy_by_value_array() {
    let g = patched(
        group(),
        json!({"Operations": [{"op": "Remove", "path": "members", "value": [{"$ref": null, "value": "b"}]}]}),
    );
    assert_eq!(members(&g), ["a", "c"]);
}

#[test]
fn members_remove_legacy_hazard_option_removes_all() {
    let mut g = group();
    let opts = ApplyOptions { remove_all_members_on_legacy_remove: true, ..ApplyOptions::default() };
    let body = json!({"Operations": [{"op": "Remove", "path": "members", "value": [{"value": "b"}]}]});
    apply(&mut g, &ops(body), opts).expect("applies");
    assert!(members(&g).is_empty());
}

#[test]
fn members_remove_compliant_by_filter() {
    let g = patched(group(), json!({"Operations": [{"op": "remove", "path": "members[value eq \"c\"]"}]}));
    assert_eq!(members(&g), ["a", "b"]);
    let g = patched(g, json!({"Operations": [{"op": "remove", "path": "members[value eq \"zzz\"]"}]}));
    assert_eq!(members(&g), ["a", "b"], "removing an absent member is a no-op");
}

#[test]
fn members_remove_without_value_removes_all() {
    let g = patched(group(), json!({"Operations": [{"op": "remove", "path": "members"}]}));
    assert!(g.get("members").is_none());
}

#[test]
fn members_replace_and_multiple_ops() {
    let g = patched(
        group(),
        json!({"Operations": [
            {"op": "replace", "path": "members", "value": [{"value": "x"}]},
            {"op": "add", "path": "members", "value": [{"value": "y"}]},
            {"op": "remove", "path": "members[value eq \"x\"]"},
            {"op": "Replace", "path": "displayName", "value": "Eng2"},
        ]}),
    );
    assert_eq!(members(&g), ["y"]);
    assert_eq!(g["displayName"], "Eng2");
}

#[test]
fn manager_forms() {
    let path = format!("{EXT}:manager");
    let u = patched(user(), json!({"Operations": [{"op": "Add", "path": path, "value": "271"}]}));
    assert_eq!(u[EXT]["manager"], json!({"value": "271"}));
    let mut u = patched(u, json!({"Operations": [{"op": "replace", "path": path, "value": {"value": "272"}}]}));
    assert_eq!(u[EXT]["manager"], json!({"value": "272"}));
    u[EXT]["manager"]["displayName"] = json!("Old Boss");
    let u = patched(u, json!({"Operations": [{"op": "replace", "path": path, "value": "274"}]}));
    assert_eq!(u[EXT]["manager"], json!({"value": "274"}), "replaced whole, not merged");
    let u = patched(
        u,
        json!({"Operations": [{"op": "Add", "path": "manager", "value": [{"$ref": "http://x/Users/273", "value": "273"}]}]}),
    );
    assert_eq!(u[EXT]["manager"]["value"], "273");
    let removed = patched(u.clone(), json!({"Operations": [{"op": "replace", "path": path, "value": {"value": ""}}]}));
    assert!(removed[EXT].get("manager").is_none(), "{removed}");
    let kept = patched(u.clone(), json!({"Operations": [{"op": "remove", "path": "manager[value eq \"other\"]"}]}));
    assert_eq!(kept[EXT]["manager"]["value"], "273");
    let removed = patched(u, json!({"Operations": [{"op": "remove", "path": "manager[value eq \"273\"]"}]}));
    assert!(removed[EXT].get("manager").is_none());
}

#[test]
fn mutability_errors_for_server_owned_attributes() {
    for path in ["id", "meta", "meta.version", "groups"] {
        let e = failed(user(), json!({"Operations": [{"op": "replace", "path": path, "value": "x"}]}));
        assert_eq!(e.kind, ScimType::Mutability, "{path}");
    }
}

#[test]
fn error_kinds_and_positions() {
    let e = failed(
        user(),
        json!({"Operations": [{"op": "replace", "path": "title", "value": "ok"}, {"op": "replace", "path": "emails[type eq", "value": "x"}]}),
    );
    assert_eq!((e.kind, e.operation, e.offset), (ScimType::InvalidPath, 1, Some(14)));
    assert!(e.to_string().starts_with("operation 2: "), "{e}");
    let e = failed(user(), json!({"Operations": [{"op": "frobnicate", "path": "title", "value": "x"}]}));
    assert_eq!(e.kind, ScimType::InvalidSyntax);
    let e = failed(user(), json!({"Operations": [{"op": "remove"}]}));
    assert_eq!(e.kind, ScimType::NoTarget);
    let e = failed(user(), json!({"Operations": [{"op": "replace", "path": "title"}]}));
    assert_eq!(e.kind, ScimType::InvalidValue);
    let e = failed(user(), json!({"Operations": [{"op": "replace", "value": "not an object"}]}));
    assert_eq!(e.kind, ScimType::InvalidValue);
    let e =
        failed(user(), json!({"Operations": [{"op": "replace", "path": "emails[value co \"x\"].type", "value": "x"}]}));
    assert_eq!(e.kind, ScimType::NoTarget);
    let e = failed(user(), json!({"Operations": [{"op": "replace", "path": "name", "value": "flat"}]}));
    assert_eq!(e.kind, ScimType::InvalidValue);
}

#[test]
fn normalize_resource_coerces_post_bodies() {
    let mut u = json!({"userName": "a", "active": "True", "title": null,
                       "roles": [{"primary": "True", "value": "r"}],
                       EXT: {"manager": "m1", "department": null}});
    normalize_resource(&mut u).expect("normalises");
    assert_eq!(
        u,
        json!({"userName": "a", "active": true, "roles": [{"primary": true, "value": "r"}], EXT: {"manager": {"value": "m1"}}})
    );
}

mod props {
    use super::*;
    use proptest::prelude::*;

    fn arb_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i32>().prop_map(|n| json!(n)),
            "[a-zA-Z \"\\[\\].:]{0,12}".prop_map(Value::String),
        ];
        leaf.prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                proptest::collection::vec(("[a-zA-Z.:\\[\\] \"]{0,16}", inner), 0..4)
                    .prop_map(|kv| Value::Object(kv.into_iter().collect())),
            ]
        })
    }

    fn arb_path() -> impl Strategy<Value = String> {
        prop_oneof![
            "\\PC{0,30}",
            Just("members".to_string()),
            Just("emails[type eq \"work\"].value".to_string()),
            Just(format!("{EXT}:manager")),
            Just("name.givenName".to_string()),
            "[a-z]{1,8}(\\.[a-z]{1,5})?(\\[[a-z]{1,5} eq \"[a-z]{0,3}\"\\])?",
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]
        #[test]
        fn apply_never_panics(op in "(?i)(add|replace|remove|x)", path in proptest::option::of(arb_path()), value in proptest::option::of(arb_json())) {
            for mut res in [user(), group()] {
                let before = res.clone();
                let o = PatchOperation { op: op.clone(), path: path.clone(), value: value.clone() };
                if apply(&mut res, &[o], ApplyOptions::default()).is_err() {
                    prop_assert_eq!(res, before);
                }
            }
        }

        #[test]
        fn path_parse_never_panics(s in "\\PC{0,40}") {
            if let Ok(p) = AttrPath::parse(&s) {
                let mut u = user();
                let _ = p.get_all(&u);
                let _ = p.set(&mut u, json!("v"), SetMode::Add);
                let _ = p.remove(&mut u);
            }
        }

        #[test]
        fn normalize_never_panics(v in arb_json()) {
            let mut v = v;
            let _ = normalize_resource(&mut v);
        }
    }
}

#[test]
fn legacy_role_strings_are_stored_as_roles() {
    // See: issue 24 (ENTRA.md 1.9: each element's `value` is the JSON text of the role).
    let mut u = json!({"userName": "a", "roles": [{"primary": true, "type": "WindowsAzureActiveDirectoryRole", "value": "Admin"}]});
    let text = r#"{"id":"06b0","value":"Reader","displayName":"Read only"}"#;
    apply(
        &mut u,
        &[PatchOperation::new(
            "Add",
            Some("roles"),
            Some(json!([{"value": text}, {"value": "{\"value\":\"Admin\"}"}])),
        )],
        ApplyOptions::default(),
    )
    .expect("applies");
    let values: Vec<&str> = u["roles"].as_array().expect("roles").iter().filter_map(|r| r["value"].as_str()).collect();
    assert_eq!(values, vec!["Admin", "Reader"], "added once each");
    assert_eq!(u["roles"][1], json!({"display": "Read only", "value": "Reader"}));
    apply(
        &mut u,
        &[PatchOperation::new("replace", Some("roles"), Some(json!([{"primary": true, "value": "Reader"}])))],
        ApplyOptions::default(),
    )
    .expect("applies");
    assert_eq!(u["roles"], json!([{"primary": true, "value": "Reader"}]));
}

#[test]
fn a_primary_role_added_demotes_the_others() {
    let mut u = json!({"userName": "a", "roles": [{"primary": true, "value": "Admin"}]});
    apply(
        &mut u,
        &[PatchOperation::new("add", Some("roles"), Some(json!([{"primary": true, "value": "Reader"}])))],
        ApplyOptions::default(),
    )
    .expect("applies");
    assert_eq!(u["roles"], json!([{"primary": false, "value": "Admin"}, {"primary": true, "value": "Reader"}]));
}
