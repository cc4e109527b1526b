use super::*;
use crate::scim::filter;
use serde_json::json;

fn store() -> Store {
    Store::new("http://h/scim/v2".into(), StoreOptions::default())
}

fn user(s: &mut Store, name: &str) -> String {
    let doc = s.create(Kind::User, json!({"userName": name, "externalId": format!("ext-{name}")})).expect("created");
    doc["id"].as_str().expect("id").to_string()
}

fn ids(s: &Store, kind: Kind, f: &str) -> Vec<String> {
    let f = filter::parse(f).expect("filter parses");
    let (_, page) = s.query(kind, Some(&f), EvalOptions::default(), 1, 100);
    page.into_iter().filter_map(|d| d.into_doc()["id"].as_str().map(str::to_string)).collect()
}

fn op(v: Value) -> Vec<PatchOperation> {
    serde_json::from_value(v).expect("ops")
}

#[test]
fn create_stamps_id_meta_and_schemas() {
    let mut s = store();
    let doc = s
        .create(Kind::User, json!({"userName": "a", "id": "mine", "meta": {"resourceType": "User"}, "active": "True"}))
        .expect("created");
    let id = doc["id"].as_str().expect("id");
    assert_ne!(id, "mine", "client ids are ignored");
    assert_eq!(doc["schemas"], json!([model::USER_SCHEMA]));
    assert_eq!(doc["active"], true);
    assert_eq!(doc["meta"]["version"], "W/\"1\"");
    assert_eq!(doc["meta"]["location"], format!("http://h/scim/v2/Users/{id}"));
    assert_eq!(doc["meta"]["resourceType"], "User");
}

#[test]
fn indexes_answer_equality_queries_case_insensitively() {
    let mut s = store();
    let a = user(&mut s, "Alice@Contoso.com");
    let _b = user(&mut s, "bob@contoso.com");
    assert_eq!(ids(&s, Kind::User, r#"userName eq "alice@contoso.com""#), vec![a.clone()]);
    assert_eq!(ids(&s, Kind::User, r#"externalId eq "ext-Alice@Contoso.com""#), vec![a.clone()]);
    assert!(ids(&s, Kind::User, r#"externalId eq "EXT-alice@contoso.com""#).is_empty(), "externalId is caseExact");
    assert_eq!(ids(&s, Kind::User, &format!(r#"id eq "{a}" and userName eq "ALICE@contoso.com""#)), vec![a.clone()]);
    assert!(ids(&s, Kind::User, &format!(r#"id eq "{a}" and userName eq "bob@contoso.com""#)).is_empty());
    assert_eq!(ids(&s, Kind::User, r#"userName sw "a""#), [a], "scan path");
}

#[test]
fn renames_move_the_index_and_keep_uniqueness() {
    let mut s = store();
    let a = user(&mut s, "a");
    user(&mut s, "b");
    let e =
        s.patch(Kind::User, &a, &op(json!([{"op": "replace", "path": "userName", "value": "B"}]))).expect_err("dup");
    assert_eq!(e.status, 409);
    s.patch(Kind::User, &a, &op(json!([{"op": "replace", "path": "userName", "value": "c"}]))).expect("renamed");
    assert!(ids(&s, Kind::User, r#"userName eq "a""#).is_empty());
    assert_eq!(ids(&s, Kind::User, r#"userName eq "C""#), vec![a.clone()]);
    user(&mut s, "a");
    let e = s.replace(Kind::User, &a, json!({"userName": "A"})).expect_err("dup on PUT");
    assert_eq!(e.status, 409);
}

#[test]
fn version_bumps_on_change_only() {
    let mut s = store();
    let a = user(&mut s, "a");
    let d = s.patch(Kind::User, &a, &op(json!([{"op": "replace", "path": "title", "value": "x"}]))).expect("ok");
    assert_eq!(d["meta"]["version"], "W/\"2\"");
    let d = s.patch(Kind::User, &a, &op(json!([{"op": "replace", "path": "title", "value": "x"}]))).expect("ok");
    assert_eq!(d["meta"]["version"], "W/\"2\"");
}

#[test]
fn failed_patch_changes_nothing() {
    let mut s = store();
    let a = user(&mut s, "a");
    let before = s.get(Kind::User, &a);
    let e = s
        .patch(
            Kind::User,
            &a,
            &op(json!([{"op": "replace", "path": "title", "value": "x"}, {"op": "remove", "path": "userName"}])),
        )
        .expect_err("userName is required");
    assert_eq!(e.scim_type, Some(ScimType::InvalidValue));
    assert_eq!(s.get(Kind::User, &a), before);
}

#[test]
fn members_must_exist_and_leave_groups_on_delete() {
    let mut s = store();
    let a = user(&mut s, "a");
    let b = user(&mut s, "b");
    let g = s.create(Kind::Group, json!({"displayName": "g", "members": [{"value": a}]})).expect("group");
    let gid = g["id"].as_str().expect("id").to_string();
    let e = s.patch(Kind::Group, &gid, &op(json!([{"op": "add", "path": "members", "value": [{"value": "nope"}]}])));
    assert_eq!(e.expect_err("unknown member").scim_type, Some(ScimType::InvalidValue));
    s.patch(Kind::Group, &gid, &op(json!([{"op": "add", "path": "members", "value": [{"value": b}]}]))).expect("added");
    s.delete(Kind::User, &a).expect("deleted");
    let g = s.get(Kind::Group, &gid).expect("group");
    assert_eq!(g["members"], json!([{"value": b}]));
    assert_eq!(g["meta"]["version"], "W/\"3\"");
    assert_eq!(s.len(Kind::User), 1);
    s.delete(Kind::User, &b).expect("deleted");
    assert!(s.get(Kind::Group, &gid).expect("group").get("members").is_none(), "no empty member list left");
    assert_eq!(s.delete(Kind::User, &a).expect_err("gone").status, 404);
    assert_eq!(s.len(Kind::User), 0);
}

#[test]
fn keep_attributes_drops_the_rest() {
    let opts = StoreOptions {
        keep_attributes: Some(vec!["userName".into(), format!("{}:department", model::ENTERPRISE_USER_SCHEMA)]),
        ..StoreOptions::default()
    };
    let mut s = Store::new("http://h".into(), opts);
    let d = s
        .create(
            Kind::User,
            json!({"userName": "a", "title": "t", model::ENTERPRISE_USER_SCHEMA: {"department": "d", "employeeNumber": "1"}}),
        )
        .expect("created");
    assert!(d.get("title").is_none());
    assert_eq!(d[model::ENTERPRISE_USER_SCHEMA], json!({"department": "d"}));
    let id = d["id"].as_str().expect("id").to_string();
    let d = s.patch(Kind::User, &id, &op(json!([{"op": "add", "path": "nickName", "value": "n"}]))).expect("ok");
    assert!(d.get("nickName").is_none());
}

#[test]
fn manager_gets_a_ref() {
    let mut s = store();
    let d =
        s.create(Kind::User, json!({"userName": "a", model::ENTERPRISE_USER_SCHEMA: {"manager": "m1"}})).expect("ok");
    assert_eq!(
        d[model::ENTERPRISE_USER_SCHEMA]["manager"],
        json!({"value": "m1", "$ref": "http://h/scim/v2/Users/m1"})
    );
    assert_eq!(d["schemas"], json!([model::USER_SCHEMA, model::ENTERPRISE_USER_SCHEMA]));
}

#[test]
fn email_index_answers_entra_matching_forms() {
    let mut s = store();
    let doc = s
        .create(Kind::User, json!({"userName": "e", "emails": [{"type": "work", "value": "E@Contoso.com"}, {"type": "home", "value": "h@x"}]}))
        .expect("created");
    let id = doc["id"].as_str().expect("id").to_string();
    user(&mut s, "other");
    for f in [
        r#"emails[type eq "work"].value eq "e@contoso.com""#,
        r#"emails[type eq "work" and value eq "E@CONTOSO.COM"]"#,
        r#"emails[(type eq "work") and value eq "e@contoso.com"]"#,
        r#"emails.value eq "e@contoso.com""#,
        r#"emails eq "h@x""#,
    ] {
        assert_eq!(ids(&s, Kind::User, f), vec![id.clone()], "{f}");
        assert!(s.plan(Kind::User, &filter::parse(f).expect("parses")).is_some(), "indexed: {f}");
    }
    assert!(ids(&s, Kind::User, r#"emails[type eq "home"].value eq "e@contoso.com""#).is_empty());
    s.patch(Kind::User, &id, &op(json!([{"op": "replace", "path": "emails[type eq \"work\"].value", "value": "n@x"}])))
        .expect("patched");
    assert!(ids(&s, Kind::User, r#"emails.value eq "e@contoso.com""#).is_empty(), "old value unindexed");
    assert_eq!(ids(&s, Kind::User, r#"emails.value eq "N@x""#), vec![id.clone()]);
    s.delete(Kind::User, &id).expect("deleted");
    assert!(ids(&s, Kind::User, r#"emails.value eq "n@x""#).is_empty());
}

/// The member set's PATCH gives what the general PATCH gives the whole document: the same members in the
/// same order, a new version exactly when something changed, the same errors.
#[test]
fn member_patches_match_the_general_patch() {
    let mut s = store();
    let [a, b, c, d] = ["a", "b", "c", "d"].map(|n| user(&mut s, n));
    let unknown = Id::random().to_string();
    let add = |v: Value| json!({"op": "add", "path": "members", "value": v});
    let remove = |id: &str| json!({"op": "remove", "path": format!("members[value eq \"{id}\"]")});
    let legacy = |v: Value| json!({"op": "Remove", "path": "members", "value": v});
    let cases: Vec<Vec<Value>> = vec![
        vec![add(json!([{"value": c}]))],
        vec![add(json!([{"value": a}]))],
        vec![add(json!([{"value": c}, {"value": c, "display": "again"}]))],
        vec![add(json!([{"value": d, "display": "D"}])), add(json!(c))],
        vec![remove(&a)],
        vec![remove(&d)],
        vec![legacy(json!([{"value": a}, {"value": "zzz"}, 7]))],
        vec![remove(&a), add(json!([{"value": a}]))],
        vec![add(json!([{"value": c}])), remove(&c)],
        vec![remove(&a), remove(&b)],
        vec![add(json!([{"value": unknown}]))],
        vec![add(json!([{"value": "not-an-id"}]))],
    ];
    for ops in cases {
        let ops = op(Value::Array(ops));
        let g = s.create(Kind::Group, json!({"displayName": "g", "members": [{"value": a}, {"value": b}]})).expect("g");
        let gid = g["id"].as_str().expect("id").to_string();
        let slot = s.groups.slot(&gid).expect("slot");
        assert!(s.groups.at(slot).expect("record").members.is_some(), "members are split off");
        let mut expected = patch::apply_owned(g.clone(), &ops, s.opts.patch).expect("applies");
        s.opts.finish(Kind::Group, &mut expected);
        let result = s.patch(Kind::Group, &gid, &ops);
        let expected_members: Vec<&str> = expected
            .get("members")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(|m| m["value"].as_str()).collect())
            .unwrap_or_default();
        if expected_members.iter().any(|m| *m == unknown || *m == "not-an-id") {
            let e = result.expect_err("unknown member");
            assert_eq!(e.scim_type, Some(ScimType::InvalidValue), "{ops:?}");
            assert!(e.detail.contains("is not the id of an existing User or Group"), "{}", e.detail);
            assert_eq!(s.get(Kind::Group, &gid), Some(g), "nothing changed");
            s.delete(Kind::Group, &gid).expect("deleted");
            continue;
        }
        let after = result.expect("patched");
        assert_eq!(after.get("members"), expected.get("members"), "{ops:?}");
        let changed = expected != g;
        assert_eq!(after["meta"]["version"], if changed { "W/\"2\"" } else { "W/\"1\"" }, "{ops:?}");
        let keys: Vec<&String> = after.as_object().expect("object").keys().collect();
        assert_eq!(keys.last().map(|k| k.as_str()), Some("meta"), "{ops:?}");
        for m in [&a, &b, &c, &d] {
            let listed = expected_members.contains(&m.as_str());
            let query = filter::parse(&format!("members[value eq \"{m}\"]")).expect("filter");
            let (_, found) = s.query(Kind::Group, Some(&query), EvalOptions::default(), 1, 100);
            let found: Vec<String> =
                found.into_iter().filter_map(|g| g.into_doc()["id"].as_str().map(str::to_string)).collect();
            assert_eq!(found.contains(&gid), listed, "membership index of {m} after {ops:?}");
            let user = s.stored(Kind::User, m).expect("user").render();
            let in_groups = user["groups"].as_array().is_some_and(|gs| gs.iter().any(|x| x["value"] == gid.as_str()));
            assert_eq!(in_groups, listed, "groups of {m} after {ops:?}");
        }
        s.delete(Kind::Group, &gid).expect("deleted");
    }
}

#[test]
fn deleting_a_member_leaves_a_split_member_list() {
    let mut s = store();
    let [a, b] = ["a", "b"].map(|n| user(&mut s, n));
    let g =
        s.create(Kind::Group, json!({"displayName": "g", "members": [{"value": a}, {"value": b}], "externalId": "x"}));
    let gid = g.expect("g")["id"].as_str().expect("id").to_string();
    s.delete(Kind::User, &a).expect("deleted");
    let g = s.get(Kind::Group, &gid).expect("group");
    assert_eq!(g["members"], json!([{"value": b}]));
    let keys: Vec<&str> = g.as_object().expect("object").keys().map(String::as_str).collect();
    assert_eq!(keys, ["schemas", "id", "displayName", "members", "externalId", "meta"]);
    s.delete(Kind::User, &b).expect("deleted");
    assert!(s.get(Kind::Group, &gid).expect("group").get("members").is_none());
}

/// The manager splice writes the text the general PATCH writes (the modification time aside, which is the
/// clock's), with the same version and the same no-change verdict; the shapes it does not serve are left to
/// the general PATCH.
#[test]
fn manager_patches_match_the_general_patch() {
    let ent = model::ENTERPRISE_USER_SCHEMA;
    let path = format!("{ent}:manager");
    let mask = |text: &str| -> String {
        let key = "\"lastModified\":\"";
        let at = text.find(key).expect("lastModified") + key.len();
        let end = at + text[at..].find('"').expect("end");
        format!("{}T{}", &text[..at], &text[end..])
    };
    let users = [
        json!({"userName": "plain", ent: {"department": "R&D \"x\" é\u{1}"}}),
        json!({"userName": "first", ent: {"manager": "m0", "department": "x", "employeeNumber": "7"}}),
        json!({"userName": "only", ent: {"manager": {"value": "m0"}}}),
        json!({"userName": "shown", ent: {"department": "x", "manager": {"value": "m0", "displayName": "M"}}}),
        json!({"userName": "empty", ent: {}, "title": "t"}),
        json!({"userName": "none", "title": "t"}),
        json!({"userName": "cased", ent: {"Manager": {"value": "m0"}}}),
        json!({"userName": "ünï\"code", "emails": [{"value": "a@b", "type": "work"}], ent: {"costCenter": "c"}}),
    ];
    let cases = [
        (json!([{"op": "Add", "path": path, "value": "m0"}]), true),
        (json!([{"op": "replace", "path": path, "value": {"value": "m1"}}]), true),
        (json!([{"op": "add", "path": path, "value": "m\"ü"}]), true),
        (json!([{"op": "Add", "path": path, "value": ""}]), false),
        (json!([{"op": "Add", "path": path.to_uppercase(), "value": "m0"}]), false),
        (json!([{"op": "Add", "path": path, "value": {"value": "m0", "displayName": "M"}}]), false),
        (json!([{"op": "Add", "path": path, "value": "m0"}, {"op": "add", "path": "title", "value": "t"}]), false),
        (json!([{"op": "remove", "path": path}]), false),
    ];
    for body in users {
        let mut s = store();
        let name = body["userName"].as_str().expect("name").to_string();
        let id = s.create(Kind::User, body).expect("created")["id"].as_str().expect("id").to_string();
        let splices = !matches!(name.as_str(), "none" | "cased" | "only");
        let mut spliced_any = false;
        for (ops, served) in &cases {
            let ops = op(ops.clone());
            let slot = s.users.slot(&id).expect("slot");
            let (before, version) = manager::record_of(&s, &id).expect("record");
            let fast = s.patch_manager(slot, &ops);
            let Some(fast) = fast else { continue };
            assert!(*served && splices, "{name}: {ops:?} is not for the splice");
            spliced_any = true;
            fast.expect("spliced");
            let (spliced, spliced_version) = manager::record_of(&s, &id).expect("record");
            manager::put_record(&mut s, &id, before.clone(), version);
            s.patch_whole(Kind::User, slot, &ops).expect("patched");
            let (whole, whole_version) = manager::record_of(&s, &id).expect("record");
            assert_eq!(mask(&spliced), mask(&whole), "{name}: {ops:?}");
            assert_eq!(spliced_version, whole_version, "{name}: {ops:?}");
            assert_eq!(spliced == before, whole == before, "{name}: no-change verdict of {ops:?}");
            let doc: Value = serde_json::from_str(&spliced).expect("spliced text parses");
            assert_eq!(serde_json::to_string(&doc).expect("json"), *spliced, "compact as the store writes");
        }
        assert_eq!(spliced_any, splices, "{name}");
    }
}

/// Keys whose hashes collide share index entries; the store still tells their resources apart: no false
/// uniqueness conflict, and a query answers only the resource that matches.
#[test]
fn colliding_index_keys_are_told_apart() {
    let (a, b) = keys::colliding_keys();
    let mut s = store();
    let ida = s.create(Kind::User, json!({"userName": a, "externalId": a, "emails": [{"value": a}]})).expect("a");
    let idb = s.create(Kind::User, json!({"userName": b, "externalId": b, "emails": [{"value": b}]})).expect("b");
    let (ida, idb) = (ida["id"].as_str().expect("id"), idb["id"].as_str().expect("id"));
    for attr in ["userName", "externalId", "emails.value"] {
        assert_eq!(ids(&s, Kind::User, &format!("{attr} eq \"{a}\"")), vec![ida.to_string()], "{attr}");
        assert_eq!(ids(&s, Kind::User, &format!("{attr} eq \"{b}\"")), vec![idb.to_string()], "{attr}");
    }
    let e = s.create(Kind::User, json!({"userName": b.to_uppercase()})).expect_err("taken");
    assert_eq!(e.status, 409);
    s.delete(Kind::User, ida).expect("deleted");
    assert_eq!(ids(&s, Kind::User, &format!("externalId eq \"{b}\"")), vec![idb.to_string()]);
    assert!(ids(&s, Kind::User, &format!("externalId eq \"{a}\"")).is_empty());
}
