use super::*;
use serde_json::json;

const EXT: &str = model::ENTERPRISE_USER_SCHEMA;

fn p(text: &str) -> AttrPath {
    AttrPath::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"))
}

#[test]
fn parses_every_form() {
    assert_eq!(p("userName").name, "userName");
    let np = p("name.givenName");
    assert_eq!((np.name.as_str(), np.sub.as_deref()), ("name", Some("givenName")));
    let ep = p(r#"emails[type eq "work"].value"#);
    assert_eq!(ep.sub.as_deref(), Some("value"));
    assert!(ep.filter.is_some());
    let mp = p(&format!("{EXT}:manager"));
    assert_eq!(mp.container_key().as_deref(), Some(EXT));
    let mf = p(r#"manager[value eq "m1"]"#);
    assert_eq!(mf.container_key().as_deref(), Some(EXT));
    assert!(p(EXT).is_extension_root());
    assert_eq!(p("members[value eq \"x\"]").to_string(), r#"members[value eq "x"]"#);
    assert_eq!(p(&format!("{EXT}:employeeNumber")).to_string(), format!("{EXT}:employeeNumber"));
}

#[test]
fn parse_errors_have_offsets() {
    for (text, offset) in [("emails[type eq", 14), ("a.b.c", 0), ("emails]", 6), ("", 0), ("name.given[x eq 1]", 10)] {
        let e = AttrPath::parse(text).expect_err(text);
        assert_eq!(e.kind, ScimType::InvalidPath);
        assert_eq!(e.offset, Some(offset), "{text}: {e}");
    }
}

#[test]
fn filtered_set_creates_missing_element() {
    let mut u = json!({"userName": "a", "emails": [{"type": "home", "value": "h"}]});
    p(r#"emails[type eq "work"].value"#).set(&mut u, json!("w@x"), SetMode::Replace).expect("sets");
    assert_eq!(u["emails"][1], json!({"type": "work", "value": "w@x"}));
    p(r#"emails[type eq "work"].value"#).set(&mut u, json!("w2@x"), SetMode::Add).expect("sets");
    assert_eq!(u["emails"][1], json!({"type": "work", "value": "w2@x"}));
    assert_eq!(p(r#"emails[type eq "WORK"].value"#).get(&u), Some(&json!("w2@x")));
}

#[test]
fn filtered_set_without_equality_terms_is_no_target() {
    let mut u = json!({"userName": "a"});
    let e = p(r#"emails[value co "x"].value"#).set(&mut u, json!("y"), SetMode::Replace).expect_err("no target");
    assert_eq!(e.kind, ScimType::NoTarget);
}

#[test]
fn sets_extension_and_sub_attributes() {
    let mut u = json!({"userName": "a"});
    p(&format!("{EXT}:employeeNumber")).set(&mut u, json!("7"), SetMode::Replace).expect("sets");
    p("name.givenName").set(&mut u, json!("Al"), SetMode::Replace).expect("sets");
    p("NAME.familyName").set(&mut u, json!("D"), SetMode::Replace).expect("sets");
    assert_eq!(u[EXT]["employeeNumber"], "7");
    assert_eq!(u["name"], json!({"givenName": "Al", "familyName": "D"}));
}

#[test]
fn multi_valued_add_appends_unique_and_replace_replaces() {
    let mut g = json!({"displayName": "g"});
    p("members").set(&mut g, json!([{"value": "1"}, {"value": "2"}]), SetMode::Add).expect("adds");
    p("members").set(&mut g, json!([{"value": "2"}, {"value": "3"}]), SetMode::Add).expect("adds");
    assert_eq!(g["members"].as_array().map(Vec::len), Some(3));
    p("members").set(&mut g, json!([{"value": "9"}]), SetMode::Replace).expect("replaces");
    assert_eq!(g["members"], json!([{"value": "9"}]));
}

#[test]
fn removes() {
    let mut u = json!({"emails": [{"type": "work", "value": "w"}, {"type": "home", "value": "h"}],
                       EXT: {"manager": {"value": "m1"}}});
    assert_eq!(p(r#"emails[type eq "work"].value"#).remove(&mut u), 2, "sub removed and the bare element dropped");
    assert_eq!(u["emails"], json!([{"type": "home", "value": "h"}]));
    assert_eq!(p(r#"manager[value eq "other"]"#).remove(&mut u), 0);
    assert_eq!(p(r#"manager[value eq "m1"]"#).remove(&mut u), 1);
    assert!(u.get(EXT).is_none(), "empty extension dropped: {u}");
}

#[test]
fn filtered_set_on_absent_single_valued_attribute_creates_an_object() {
    let mut u = json!({"userName": "a"});
    p(r#"manager[value eq "m1"].displayName"#).set(&mut u, json!("Boss"), SetMode::Replace).expect("sets");
    assert_eq!(u[EXT]["manager"], json!({"value": "m1", "displayName": "Boss"}));
}
