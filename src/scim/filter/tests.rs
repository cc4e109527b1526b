use super::*;
use serde_json::json;

fn user() -> Value {
    json!({
        "schemas": [model::USER_SCHEMA, model::ENTERPRISE_USER_SCHEMA],
        "id": "2819c223",
        "externalId": "AbC",
        "userName": "Alice@Contoso.com",
        "name": {"familyName": "Doe", "givenName": "Alice"},
        "active": true,
        "emails": [{"type": "work", "value": "alice@contoso.com", "primary": true},
                   {"type": "home", "value": "a@home.example"}],
        "roles": [{"primary": "True", "value": "Admin"}],
        "meta": {"created": "2020-01-02T03:04:05Z", "version": "W/\"1\""},
        model::ENTERPRISE_USER_SCHEMA: {"employeeNumber": "42", "manager": {"value": "m1"}},
    })
}

fn m(text: &str) -> bool {
    parse(text).unwrap_or_else(|e| panic!("{text}: {e}")).matches(&user())
}

#[test]
fn equality_and_case_rules() {
    assert!(m(r#"userName eq "alice@contoso.com""#));
    assert!(m(r#"USERNAME EQ "ALICE@CONTOSO.COM""#));
    assert!(m(r#"externalId eq "AbC""#));
    assert!(!m(r#"externalId eq "abc""#), "externalId is caseExact");
    assert!(!m(r#"id eq "2819C223""#), "id is caseExact");
    let f = parse(r#"userName eq "alice@contoso.com""#).expect("parses");
    assert!(!f.matches_with(&user(), EvalOptions { case_exact: true }));
}

#[test]
fn unquoted_values_are_strings() {
    assert!(m("externalId eq AbC"));
    assert_eq!(
        parse("externalId eq jyoung").expect("parses"),
        Filter::Compare { attr: AttrRef::new("externalId"), op: CompareOp::Eq, value: Literal::Str("jyoung".into()) }
    );
    assert!(m("(externalId eq AbC)"));
}

#[test]
fn operators() {
    assert!(m(r#"userName sw "alice""#));
    assert!(m(r#"userName ew ".COM""#));
    assert!(m(r#"userName co "contoso""#));
    assert!(m(r#"userName ne "bob""#));
    assert!(m("title ne \"x\""), "absent attribute is not equal");
    assert!(m("name.familyName pr"));
    assert!(!m("title pr"));
    assert!(m("active eq true"));
    assert!(!m("active eq false"));
    assert!(m(r#"meta.created gt "2015-01-01T00:00:00Z""#));
    assert!(m(r#"meta.created lt "2020-01-02T03:04:06+00:00""#));
    assert!(m("title eq null"));
    assert!(m(r#"userName gt "a" and userName lt "b""#));
}

#[test]
fn logic_and_grouping() {
    assert!(m(r#"userName eq "x" or name.givenName eq "alice""#));
    assert!(m(r#"not (userName eq "x")"#));
    assert!(!m(r#"not (userName eq "alice@contoso.com")"#));
    assert!(m(r#"(userName eq "x" or active eq true) and externalId eq "AbC""#));
    assert!(!m(r#"userName eq "x" or active eq true and externalId eq "nope""#));
}

#[test]
fn value_paths() {
    assert!(m(r#"emails[type eq "work"].value eq "alice@contoso.com""#));
    assert!(!m(r#"emails[type eq "home"].value eq "alice@contoso.com""#));
    assert!(m(r#"emails[type eq "work" and primary eq true]"#));
    assert!(m(r#"emails[type eq "WORK" and value co "contoso"]"#));
    assert!(m(r#"roles[primary eq "True"].value eq "Admin""#));
    assert!(m(r#"roles[primary eq true]"#));
    assert!(m(r#"emails.value eq "a@home.example""#));
    assert!(m(r#"emails eq "a@home.example""#));
}

#[test]
fn urn_qualified_attributes() {
    assert!(m(r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "42""#));
    assert!(m(r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "m1""#));
    assert!(m(r#"urn:ietf:params:scim:schemas:core:2.0:User:userName eq "alice@contoso.com""#));
    assert!(m(r#"manager eq "m1""#));
}

#[test]
fn errors_carry_offsets() {
    let cases = [
        ("userName eq", 11, "expected a space and a value"),
        ("userName foo \"x\"", 9, "unknown operator `foo`"),
        ("(userName eq \"x\"", 16, "expected `)`"),
        ("userName eq \"x", 12, "unterminated string"),
        ("emails[type eq \"work\"", 21, "expected `]`"),
        ("userName eq \"x\" xx", 16, "unexpected `xx`"),
        ("", 0, "expected an attribute name"),
        ("1abc eq \"x\"", 0, "not a valid attribute name"),
        ("emails[type[value eq \"x\"] eq \"y\"]", 11, "cannot be nested"),
    ];
    for (text, offset, msg) in cases {
        let e = parse(text).expect_err(text);
        assert_eq!(e.offset, offset, "{text}: {e}");
        assert!(e.message.contains(msg), "{text}: {e}");
    }
}

#[test]
fn depth_is_bounded() {
    let deep = format!("{}userName eq \"x\"{}", "(".repeat(500), ")".repeat(500));
    assert!(parse(&deep).expect_err("too deep").message.contains("nested deeper"));
    let nots = "not (".repeat(500);
    assert!(parse(&nots).is_err());
}

#[test]
fn eq_builder_quotes_and_escapes() {
    let f = Filter::eq("userName", "a\"b@contoso.com").expect("valid attribute");
    assert_eq!(f.to_string(), r#"userName eq "a\"b@contoso.com""#);
    assert!(Filter::eq("bad name", "x").is_err());
}

#[test]
fn display_round_trips() {
    for text in [
        r#"userName eq "a\"b""#,
        r#"emails[type eq "work" and primary eq true].value eq "x""#,
        r#"(a eq 1 or b eq 2) and not (c pr)"#,
        r#"a eq 1 or b eq 2 and c eq 3"#,
        r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq null"#,
    ] {
        let f = parse(text).expect("parses");
        assert_eq!(parse(&f.to_string()).expect("reparses"), f, "{text} -> {f}");
    }
    assert_eq!(parse("x eq jyoung").expect("parses").to_string(), r#"x eq "jyoung""#);
}

mod prop {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]
        #[test]
        fn parse_never_panics(s in "\\PC{0,60}") {
            if let Ok(f) = parse(&s) {
                let _ = f.matches(&user());
                let again = parse(&f.to_string());
                prop_assert_eq!(again.ok(), Some(f));
            }
        }

        #[test]
        fn parse_never_panics_on_filterish(s in "[a-zA-Z.:\\[\\]()\" ]{0,40}( eq | and | or | pr|not )[a-z\"0-9 ()\\[\\]]{0,20}") {
            if let Ok(f) = parse(&s) {
                let _ = f.matches(&user());
                prop_assert_eq!(parse(&f.to_string()).ok(), Some(f));
            }
        }
    }
}
