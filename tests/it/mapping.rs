//! The attribute-mapping layer through its public API: presets and the POST bodies they produce,
//! diagnostics of broken mapping files, Graph schema import, and property tests of the parser.

use std::path::Path;

use entrasim::diagnostic::{render_all, SourceFile};
use entrasim::mapping::{self, EvalEnv, MappingSource, ObjectKind, SourceObject, TargetAttr};
use proptest::prelude::*;
use serde_json::json;

fn alice() -> SourceObject {
    SourceObject::from_json(&json!({
        "objectId": "7fce0092-d52e-4f76-b727-3955bd72c939",
        "userPrincipalName": "alice@contoso.com",
        "mailNickname": "alice",
        "IsSoftDeleted": false,
        "accountEnabled": true,
        "displayName": "Alice Doe",
        "jobTitle": "Engineer",
        "preferredLanguage": "en-US",
        "mail": "alice@contoso.com",
        "givenName": "Alice",
        "surname": "Doe",
        "physicalDeliveryOfficeName": "Bldg 1",
        "streetAddress": "1 Main St",
        "city": "Redmond",
        "state": "WA",
        "postalCode": "98052",
        "country": "US",
        "telephoneNumber": "+1 425 555 0100",
        "mobile": "+1 425 555 0101",
        "employeeId": "1234",
        "department": "R&D",
        "manager": "bob-object-id"
    }))
}

fn preset(name: &str) -> mapping::MappingSet {
    mapping::load(name, Path::new(".")).unwrap_or_else(|d| panic!("{}", render_all(&d, false))).set
}

#[test]
fn entra_default_posts_the_documented_user_body() {
    let x = mapping::explain(&preset("entra-default"), &alice(), &mut EvalEnv::deterministic(1));
    // ENTRA.md 1.2, step B (manager is linked later, not POSTed).
    assert_eq!(
        x.create_body,
        json!({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User",
                          "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
               "externalId":"alice",
               "userName":"alice@contoso.com",
               "active":true,
               "displayName":"Alice Doe",
               "title":"Engineer",
               "preferredLanguage":"en-US",
               "emails":[{"primary":true,"type":"work","value":"alice@contoso.com"}],
               "meta":{"resourceType":"User"},
               "name":{"formatted":"Alice Doe","familyName":"Doe","givenName":"Alice"},
               "addresses":[{"type":"work","formatted":"Bldg 1","streetAddress":"1 Main St","locality":"Redmond",
                             "region":"WA","postalCode":"98052","country":"US","primary":true}],
               "phoneNumbers":[{"type":"work","value":"+1 425 555 0100"},{"type":"mobile","value":"+1 425 555 0101"}],
               "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"employeeNumber":"1234","department":"R&D"},
               "roles":[]})
    );
    assert!(x.scope.in_scope);
    assert_eq!(x.matching[0].filter.as_deref(), Some(r#"userName eq "alice@contoso.com""#));
    insta::assert_snapshot!("explain_entra_default_alice", x.render(false));
}

#[test]
fn unleash_keeps_five_attributes_and_lowercase_active() {
    let x = mapping::explain(&preset("unleash"), &alice(), &mut EvalEnv::deterministic(1));
    assert_eq!(
        x.create_body,
        json!({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],
               "userName":"alice@contoso.com",
               "active":true,
               "displayName":"Alice Doe",
               "emails":[{"primary":true,"type":"work","value":"alice@contoso.com"}],
               "externalId":"alice",
               "meta":{"resourceType":"User"},
               "roles":[]})
    );
    let active = x.attributes.iter().find(|a| a.target.to_string() == "active").expect("active is mapped");
    assert_eq!(active.source, r#"Switch([IsSoftDeleted], , "false", "true", "true", "false")"#);
    let mut deleted = alice();
    deleted.set("IsSoftDeleted", true.into());
    let x = mapping::explain(&preset("unleash"), &deleted, &mut EvalEnv::deterministic(1));
    assert_eq!(x.create_body["active"], json!(false));
    insta::assert_json_snapshot!("explain_unleash_alice_json", serde_json::to_value(&x).expect("serialises"));
}

#[test]
fn groups_post_the_documented_group_body() {
    let group = SourceObject::from_json(&json!({
        "objectId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159", "displayName": "Engineering",
        "securityEnabled": true, "members": ["alice-object-id"]
    }));
    let x = mapping::explain(&preset("entra-default"), &group, &mut EvalEnv::deterministic(1));
    assert_eq!(x.kind, ObjectKind::Group);
    assert_eq!(
        x.create_body,
        json!({"schemas":["urn:ietf:params:scim:schemas:core:2.0:Group",
                          "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],
               "externalId":"8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
               "displayName":"Engineering",
               "meta":{"resourceType":"Group"}})
    );
}

#[test]
fn soft_deleted_users_get_active_false_from_the_default_mapping() {
    let set = preset("entra-default");
    let active = set.users.attribute(&TargetAttr::parse("active").expect("valid")).expect("mapped");
    let mut u = alice();
    u.set("IsSoftDeleted", true.into());
    let v = active.evaluate(&u, &mut EvalEnv::deterministic(1)).expect("evaluates");
    assert_eq!(active.target.scim_value(&v), json!(false));
}

const BROKEN: &str = r#"description = "a mapping with one of every mistake"

[users]
actions = ["create", "updte"]

[[users.attributes]]
target = "userName"
source = "userPrincipalNam"
matching = 1

[[users.attributes]]
target = "displayName"
expression = 'Joinn(" ", [givenName], [surnme])'

[[users.attributes]]
target = "name.formatted"
expression = "Join(\" \", [givenName], [mailNickame])"

[[users.attributes]]
target = 'emails[type eq "work"'
source = "mail"

[[users.attributes]]
target = "title"
expresion = '[jobTitle]'

[[users.attributes]]
target = "active"
expression = 'Switch([IsSoftDeleted], , "False", "True", "True")'
apply = "on_creat"

[[users.scope]]
title = "engineers"
clauses = [
  { attribute = "manager", operator = "IS NOT NULL" },
  { attribute = "department", operator = "EQUAL", value = "Engineering" },
]
"#;

#[test]
fn broken_mapping_file_reports_every_error_at_its_position() {
    let file = SourceFile::new("broken.toml", BROKEN);
    let diags = mapping::load_source(&file).expect_err("the file is broken");
    let positions: Vec<String> = diags.iter().filter_map(|d| d.position()).collect();
    assert!(positions.contains(&"broken.toml:4:22".to_string()), "{positions:?}");
    assert!(positions.contains(&"broken.toml:17:40".to_string()), "escaped string offsets: {positions:?}");
    insta::assert_snapshot!("broken_mapping_diagnostics", render_all(&diags, false));
}

#[test]
fn mapping_files_load_from_paths_and_report_missing_files() {
    let dir = std::env::temp_dir().join(format!("entrasim-mapping-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    std::fs::write(
        dir.join("m.toml"),
        "[users]\n[[users.attributes]]\ntarget = \"userName\"\nsource = \"mail\"\nmatching = 1\n",
    )
    .expect("write");
    let loaded = mapping::load("m.toml", &dir).expect("loads");
    assert!(loaded.warnings.is_empty());
    assert!(loaded.set.groups.is_none());
    let err = mapping::load("entra-defualt", &dir).expect_err("no such file");
    assert_eq!(err[0].help.as_deref(), Some("did you mean the preset `entra-default`?"));
    assert!(mapping::check("m.toml", &dir).is_empty());
    let _ = std::fs::remove_dir_all(&dir);
}

fn fixtures() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/schema")
}

#[test]
fn imports_a_scim_app_schema() {
    let loaded =
        mapping::load("contoso-scim.json", &fixtures()).unwrap_or_else(|d| panic!("{}", render_all(&d, false)));
    assert!(loaded.warnings.is_empty(), "{}", render_all(&loaded.warnings, false));
    let users = &loaded.set.users;
    assert_eq!(users.attributes.len(), 13);
    let names: Vec<String> = users.matching_attributes().iter().map(|m| m.target.to_string()).collect();
    assert_eq!(names, ["userName", "externalId"]);
    let case_exact: Vec<bool> = users.matching_attributes().iter().map(|m| m.case_exact).collect();
    assert_eq!(case_exact, [false, true], "caseExact comes from the directory definitions");
    assert_eq!(users.scope.filters.len(), 2);
    let mut alice = alice();
    alice.set("department", "Engineering".into());
    let x = mapping::explain(&loaded.set, &alice, &mut EvalEnv::deterministic(1));
    assert!(x.scope.in_scope);
    assert_eq!(x.create_body["phoneNumbers"], json!([{"type": "mobile", "value": "+14255550101"}]));
    assert_eq!(x.create_body["title"], json!("Engineer"));
    let groups = loaded.set.groups.expect("group mapping enabled");
    assert_eq!(groups.matching_attributes()[0].target.to_string(), "displayName");
}

#[test]
fn imports_a_legacy_schema_with_warnings_for_unsupported_parts() {
    let loaded =
        mapping::load("legacy-customappsso.json", &fixtures()).unwrap_or_else(|d| panic!("{}", render_all(&d, false)));
    assert!(loaded.set.groups.is_none(), "the group mapping is disabled");
    let rendered = render_all(&loaded.warnings, false);
    insta::assert_snapshot!("legacy_schema_warnings", rendered);
    let user_name = loaded.set.users.attribute(&TargetAttr::parse("userName").expect("valid")).expect("mapped");
    let MappingSource::Expression(e) = &user_name.source else { panic!("expected an expression") };
    assert_eq!(e.text, r#"Replace([userPrincipalName], "@contoso.onmicrosoft.com", , , "@contoso.com")"#);
    let mut u = alice();
    u.set("userPrincipalName", "alice@contoso.onmicrosoft.com".into());
    assert_eq!(user_name.evaluate(&u, &mut EvalEnv::deterministic(1)), Ok("alice@contoso.com".into()));
}

#[test]
fn schema_errors_point_into_the_json() {
    let text = r#"{"synchronizationRules":[{"objectMappings":[{"sourceObjectName":"User","flowTypes":"Add",
  "attributeMappings":[{"targetAttributeName":"userName","matchingPriority":1,
     "source":{"type":"Function","name":"ToLower","expression":"ToLower([userPrincipalNme])","parameters":[]}}]}]}]}"#;
    let diags = mapping::load_source(&SourceFile::new("s.json", text)).expect_err("unknown attribute");
    assert_eq!(diags[0].message, "unknown attribute `[userPrincipalNme]`");
    assert_eq!(diags[0].position().as_deref(), Some("s.json:3:73"));
}

#[test]
fn eval_expression_text_evaluates_against_a_source_object() {
    let v = mapping::eval_expression_text(
        r#"ToLower(Join(".", [givenName], [surname]))"#,
        &alice(),
        &mut EvalEnv::deterministic(1),
    );
    assert_eq!(v, Ok("alice.doe".into()));
}

fn arb_expr() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        "[a-zA-Z][a-zA-Z0-9_]{0,8}".prop_map(|a| format!("[{a}]")),
        "[ -~]{0,8}".prop_map(|s| mapping::quote(&s)),
        (-1000i64..1000).prop_map(|i| i.to_string()),
        (0i64..4096).prop_map(|i| format!("&H{i:X}")),
        Just("vbTextCompare".to_string()),
    ];
    leaf.prop_recursive(4, 24, 5, |inner| {
        (
            prop::sample::select(vec!["Join", "Switch", "Replace", "IIF", "Mid", "F"]),
            prop::collection::vec(prop::option::of(inner.clone()), 0..5),
            prop::option::of((inner.clone(), prop::sample::select(vec!["=", "<>", ">=", "<"]), inner)),
        )
            .prop_map(|(name, args, cond)| {
                let mut parts: Vec<String> = args.into_iter().map(Option::unwrap_or_default).collect();
                if let Some((l, op, r)) = cond {
                    parts.insert(0, format!("{l} {op} {r}"));
                }
                if parts.len() == 1 && parts[0].is_empty() {
                    parts.clear();
                }
                format!("{name}({})", parts.join(", "))
            })
    })
}

proptest! {
    #[test]
    fn parser_never_panics(text in "\\PC{0,200}") {
        let _ = mapping::parse_expression(&text);
    }

    #[test]
    fn parser_never_panics_on_expression_like_input(text in "[\\[\\]()\",&H0-9a-zA-Z<>= \\\\-]{0,120}") {
        let (expr, _) = mapping::parse_expression(&text);
        if let Some(e) = expr {
            let _ = mapping::check_expression(&e, ObjectKind::User);
            let _ = mapping::evaluate(&e, &alice(), &mut EvalEnv::deterministic(1));
        }
    }

    #[test]
    fn printing_then_reparsing_is_stable(text in arb_expr()) {
        let (first, errors) = mapping::parse_expression(&text);
        prop_assert!(errors.is_empty(), "{} -> {:?}", text, errors);
        let printed = first.expect("parsed").to_string();
        let (second, errors) = mapping::parse_expression(&printed);
        prop_assert!(errors.is_empty(), "{} -> {:?}", printed, errors);
        let reprinted = second.expect("parsed").to_string();
        prop_assert_eq!(printed, reprinted);
    }
}

#[test]
fn the_documented_example_mapping_file_loads() {
    let doc =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/mapping-format.md")).expect("doc");
    let start = doc.find("```toml\n").expect("a toml block") + "```toml\n".len();
    let end = start + doc[start..].find("```").expect("closed block");
    let loaded = mapping::load_source(&SourceFile::new("mapping-format.md", &doc[start..end]))
        .unwrap_or_else(|d| panic!("{}", render_all(&d, false)));
    assert_eq!(loaded.set.users.scope.filters.len(), 2);
    assert!(loaded.set.groups.is_some());
    assert!(loaded.warnings.is_empty(), "{}", render_all(&loaded.warnings, false));
}

proptest! {
    #[test]
    fn target_paths_and_mapping_files_never_panic(text in "\\PC{0,120}") {
        let _ = TargetAttr::parse(&text);
        let _ = mapping::load_source(&SourceFile::new("x.toml", text.as_str()));
        let _ = mapping::load_source(&SourceFile::new("x.json", text.as_str()));
    }

    #[test]
    fn valid_target_paths_print_back_to_themselves(
        attr in "[a-z][a-zA-Z]{0,10}",
        filter in prop::option::of(("[a-z]{1,6}", "[a-zA-Z0-9]{1,6}")),
        sub in prop::option::of("[a-z][a-zA-Z]{0,8}"),
    ) {
        let sub = if filter.is_some() { Some(sub.unwrap_or_else(|| "value".into())) } else { sub };
        let mut text = attr.clone();
        if let Some((a, v)) = &filter {
            text.push_str(&format!("[{a} eq \"{v}\"]"));
        }
        if let Some(s) = &sub {
            text.push('.');
            text.push_str(s);
        }
        let parsed = TargetAttr::parse(&text).expect("valid");
        let again = TargetAttr::parse(&parsed.to_string()).expect("printed form parses");
        prop_assert_eq!(parsed, again);
    }
}

fn arb_call() -> impl Strategy<Value = String> {
    let names: Vec<&'static str> = mapping::FUNCTIONS.iter().map(|f| f.name).collect();
    let leaf = prop_oneof![
        Just("[givenName]".to_string()),
        Just("[proxyAddresses]".to_string()),
        Just("[missing]".to_string()),
        Just("[IsSoftDeleted]".to_string()),
        any::<i64>().prop_map(|i| i.to_string()),
        (-3i64..300).prop_map(|i| i.to_string()),
        prop::sample::select(vec![
            "\"\"",
            "\"d\"",
            "\"yyyy\"",
            "\"ww\"",
            "\"2021-08-24\"",
            "\"8/25/2021 5:41:18 PM\"",
            "\"(?<g>a)\"",
            "\"${g}\"",
            "\"[\"",
            "\"tr-TR\"",
            "\"yyyyMMddHHmmss.fZ\"",
            "\"zzz K tt\"",
            "\"True\"",
            "\"é ß Ø\"",
        ])
        .prop_map(str::to_string),
        Just("vbTextCompare".to_string()),
    ];
    leaf.prop_recursive(3, 16, 7, move |inner| {
        (prop::sample::select(names.clone()), prop::collection::vec(prop::option::of(inner), 0..8)).prop_map(
            |(name, args)| {
                let parts: Vec<String> = args.into_iter().map(Option::unwrap_or_default).collect();
                let parts = if parts.len() == 1 && parts[0].is_empty() { Vec::new() } else { parts };
                format!("{name}({})", parts.join(", "))
            },
        )
    })
}

proptest! {
    #[test]
    fn every_function_survives_arbitrary_arguments(text in arb_call()) {
        let mut src = alice();
        src.set("proxyAddresses", mapping::Value::Multi(vec!["smtp:a@x".into(), "SMTP:b@x".into()]));
        let (expr, errors) = mapping::parse_expression(&text);
        prop_assert!(errors.is_empty(), "{} -> {:?}", text, errors);
        let expr = expr.expect("parsed");
        let _ = mapping::check_expression(&expr, ObjectKind::User);
        let _ = mapping::evaluate(&expr, &src, &mut EvalEnv::deterministic(3));
    }
}

#[test]
fn every_function_is_documented_in_the_mapping_format() {
    let doc =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/mapping-format.md")).expect("doc");
    for f in mapping::FUNCTIONS {
        assert!(doc.contains(&format!("`{}(", f.name)), "`{}` is missing from docs/mapping-format.md", f.name);
    }
}

#[test]
fn mapping_export_writes_a_schema_that_explains_like_the_mapping() {
    use crate::cli::Cli;
    use entrasim::exit;
    let user = alice().to_json().to_string();
    let out = Cli::new()
        .file("alice.json", &user)
        .args(["mapping", "export", "entra-default", "--out", "schema.json"])
        .run()
        .code(exit::OK);
    assert_eq!(out.stdout, "");
    let schema = std::fs::read_to_string(out.path("schema.json")).expect("written");
    let stdout = Cli::new().args(["mapping", "export", "entra-default"]).run().code(exit::OK).stdout.clone();
    assert_eq!(stdout, schema, "stdout and --out carry the same JSON");
    let explain = |spec: &str| {
        Cli::new()
            .file("alice.json", &user)
            .file("schema.json", &schema)
            .args(["mapping", "explain", spec, "--user", "alice.json"])
            .run()
            .code(exit::OK)
            .stdout
            .clone()
    };
    assert_eq!(explain("schema.json"), explain("entra-default"));
    let broken = Cli::new()
        .file("m.toml", "[users]\n[[users.attributes]]\ntarget = \"userName\"\nsource = \"userPrincipalNme\"\n")
        .args(["mapping", "export", "m.toml"])
        .run()
        .code(exit::INVALID);
    assert_eq!(broken.stdout, "", "nothing is exported from a mapping with errors");
}
