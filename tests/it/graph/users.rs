//! `users`, the recycle bin and the manager reference; paging, `$select`, `$filter`, `$count`.

use entrasim::directory::{ChangeKind, ObjectRef};
use reqwest::{Method, StatusCode};
use serde_json::json;

use super::double::unknown_oid;
use super::start;

#[tokio::test]
async fn users_list_with_graph_defaults_select_filter_count_and_paging() {
    let api = start().await;
    let all = api.ok("/v1.0/users").await;
    assert_eq!(all["@odata.context"], format!("{}/v1.0/$metadata#users", api.base));
    let names: Vec<_> = all["value"].as_array().unwrap().iter().map(|u| u["displayName"].clone()).collect();
    assert_eq!(names, [json!("Alice Smith"), json!("Bob Jones")]);
    let alice = &all["value"][0];
    assert_eq!(alice["id"], api.tenant.oid("alice"));
    assert_eq!(alice["businessPhones"], json!([]));
    assert!(alice.get("accountEnabled").is_none(), "not a default property: {alice}");

    let selected = api.ok("/v1.0/users?$select=displayName,accountEnabled").await;
    assert_eq!(selected["@odata.context"], format!("{}/v1.0/$metadata#users(displayName,accountEnabled)", api.base));
    assert_eq!(selected["value"][0], json!({"displayName": "Alice Smith", "accountEnabled": true}));

    let filtered = api.ok("/beta/users?$filter=startswith(displayName,'bob')").await;
    assert_eq!(filtered["@odata.context"], format!("{}/beta/$metadata#users", api.base));
    assert_eq!(filtered["value"].as_array().unwrap().len(), 1);
    assert_eq!(filtered["value"][0]["userPrincipalName"], "bob@contoso.com");
    let both = api.ok("/v1.0/users?$filter=accountEnabled eq true and userPrincipalName eq 'ALICE@contoso.com'").await;
    assert_eq!(both["value"].as_array().unwrap().len(), 1, "eq on text ignores case: {both}");
    let ext = api.ok("/v1.0/users?$filter=jobTitle eq 'Engineer'&$select=id").await;
    assert_eq!(ext["value"], json!([{"id": api.tenant.oid("alice")}]));

    let page1 = api.ok("/v1.0/users?$top=1&$count=true&$select=displayName").await;
    assert_eq!(page1["@odata.count"], 2);
    assert_eq!(page1["value"].as_array().unwrap().len(), 1);
    let next = page1["@odata.nextLink"].as_str().unwrap();
    assert!(next.starts_with(&format!("{}/v1.0/users?", api.base)), "absolute on the request's host: {next}");
    let page2 = api.ok(next).await;
    assert_eq!(page2["value"][0]["displayName"], "Bob Jones");
    assert_eq!(page2["value"][0].as_object().unwrap().len(), 1, "$select carries over: {page2}");
    assert!(page2.get("@odata.nextLink").is_none());

    let count = api.get("/v1.0/users/$count?$filter=startswith(userPrincipalName,'a')").await;
    assert_eq!((count.status, count.text.as_str()), (StatusCode::OK, "1"));
    assert_eq!(api.get("/v1.0/groups/$count").await.text, "1");
    let groups = api.ok(&format!("/v1.0/users/{}/memberOf?$select=displayName", api.tenant.oid("bob"))).await;
    assert_eq!(groups["value"], json!([{"@odata.type": "#microsoft.graph.group", "displayName": "Engineering"}]));

    let cases = [
        ("$select=displayNmae", "Could not find a property named 'displayNmae' on type 'microsoft.graph.user'"),
        ("$filter=mial eq 'x'", "Invalid filter clause: Could not find a property named 'mial'"),
        ("$filter=displayName eq", "Invalid filter clause: expected a value, found the end"),
        ("$top=0", "Invalid page size specified: '0'"),
        ("$top=1000", "Must be between 1 and 999"),
        ("$expand=memberOf", "`$expand=memberOf` is not supported by the simulator on type 'microsoft.graph.user'"),
        ("$expand=manager($top=1)", "only a nested $select is supported"),
        ("$expand=manager($select=nope)", "Could not find a property named 'nope'"),
        ("$orderby=displayNmae", "Could not find a property named 'displayNmae'"),
        ("$orderby=displayName sideways", "expected asc or desc"),
        (
            "$search=\"displayName:al\"",
            "only works through MSGraph with a special request header: 'ConsistencyLevel: eventual'",
        ),
        ("$count=maybe", "`$count` must be true or false"),
        ("$skiptoken=xyz", "was not issued by this server"),
    ];
    for (query, message) in cases {
        let answer = api.get(&format!("/v1.0/users?{query}")).await;
        let got = answer.error(400, "Request_BadRequest");
        assert!(got.contains(message), "{query}: {got}");
    }
}

#[tokio::test]
async fn users_and_groups_are_searched_with_consistency_level_eventual_and_ordered() {
    let api = start().await;
    let search = |query: &'static str| {
        let request = api.http.get(format!("{}/v1.0/{query}", api.base)).bearer_auth(&api.token);
        async move {
            let answer = request.header("ConsistencyLevel", "eventual").send().await.expect("request");
            let status = answer.status();
            let body: serde_json::Value = answer.json().await.expect("JSON");
            assert_eq!(status, StatusCode::OK, "{query}: {body}");
            body["value"].as_array().unwrap().iter().map(|u| u["displayName"].clone()).collect::<Vec<_>>()
        }
    };
    assert_eq!(search("users?$search=\"displayName:smi\"").await, [json!("Alice Smith")]);
    assert_eq!(search("users?$search=\"displayName:jo\" OR \"mailNickname:ali\"").await.len(), 2);
    assert_eq!(search("users?$search=\"userPrincipalName:bob@\"&$select=displayName").await, [json!("Bob Jones")]);
    assert!(search("users?$search=\"displayName:mith\"").await.is_empty(), "words are matched from their start");
    assert_eq!(search("groups?$search=\"displayName:eng\"").await, [json!("Engineering")]);
    let counted = api
        .http
        .get(format!("{}/v1.0/users/$count?$search=\"displayName:bob\"", api.base))
        .bearer_auth(&api.token)
        .header("ConsistencyLevel", "eventual")
        .send()
        .await
        .expect("request");
    assert_eq!(counted.text().await.unwrap(), "1");

    let names = |v: serde_json::Value| -> Vec<_> {
        v["value"].as_array().unwrap().iter().map(|u| u["displayName"].clone()).collect()
    };
    let descending = api.ok("/v1.0/users?$orderby=displayName desc").await;
    assert_eq!(names(descending), [json!("Bob Jones"), json!("Alice Smith")]);
    let by_upn = api.ok("/v1.0/users?$orderby=userPrincipalName&$top=1").await;
    assert_eq!(names(by_upn.clone()), [json!("Alice Smith")]);
    let next = by_upn["@odata.nextLink"].as_str().expect("a second page").to_string();
    assert_eq!(names(api.ok(&next).await), [json!("Bob Jones")], "the order holds across pages");
    let nulls_first = api.ok("/v1.0/users?$orderby=jobTitle,displayName desc&$select=displayName,jobTitle").await;
    assert_eq!(names(nulls_first), [json!("Bob Jones"), json!("Alice Smith")], "bob has no jobTitle");
}

#[tokio::test]
async fn a_user_is_found_by_object_id_or_user_principal_name() {
    let api = start().await;
    let by_id = api.ok(&format!("/v1.0/users/{}", api.tenant.oid("bob"))).await;
    assert_eq!(by_id["@odata.context"], format!("{}/v1.0/$metadata#users/$entity", api.base));
    assert_eq!(by_id["userPrincipalName"], "bob@contoso.com");
    let by_upn = api.ok("/v1.0/users/BOB@contoso.com?$select=id,mailNickname").await;
    assert_eq!(by_upn["id"], api.tenant.oid("bob"));
    assert_eq!(by_upn["@odata.context"], format!("{}/v1.0/$metadata#users(id,mailNickname)/$entity", api.base));
    let missing = api.get(&format!("/v1.0/users/{}", unknown_oid())).await;
    assert!(missing.error(404, "Request_ResourceNotFound").contains(&unknown_oid()));
    api.get("/v1.0/users/nobody@contoso.com").await.error(404, "Request_ResourceNotFound");
    let group_id = api.tenant.oid("eng");
    api.get(&format!("/v1.0/users/{group_id}")).await.error(404, "Request_ResourceNotFound");
}

#[tokio::test]
async fn create_update_soft_delete_restore_and_purge_reach_the_change_log() {
    let api = start().await;
    let mark = api.tenant.dir().watermark();
    let new_user = json!({
        "accountEnabled": true, "displayName": "Carol Diaz", "mailNickname": "carol",
        "userPrincipalName": "carol@contoso.com", "passwordProfile": {"password": "Secret-123", "forceChangePasswordNextSignIn": true},
        "jobTitle": "Designer", "mobilePhone": "+1 555 0100"
    });
    for required in ["accountEnabled", "displayName", "mailNickname", "userPrincipalName", "passwordProfile"] {
        let mut body = new_user.clone();
        body.as_object_mut().unwrap().remove(required);
        let message = api.post("/v1.0/users", body).await.error(400, "Request_BadRequest");
        assert!(message.starts_with(&format!("Property '{required}' is required")), "{message}");
    }
    let mut malformed = new_user.clone();
    malformed["userPrincipalName"] = json!("carol at contoso");
    let message = api.post("/v1.0/users", malformed).await.error(400, "Request_BadRequest");
    assert!(message.contains("`carol at contoso` is not of the form alias@domain"), "{message}");
    let mut duplicate = new_user.clone();
    duplicate["userPrincipalName"] = json!("ALICE@contoso.com");
    let message = api.post("/v1.0/users", duplicate).await.error(400, "Request_BadRequest");
    assert_eq!(message, "Another object with the same value for property userPrincipalName already exists.");

    let created = api.post("/v1.0/users", new_user).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let carol = created.json();
    let id = carol["id"].as_str().unwrap().to_string();
    assert!(uuid::Uuid::parse_str(&id).is_ok());
    assert_eq!(
        (carol["displayName"].clone(), carol["mobilePhone"].clone()),
        (json!("Carol Diaz"), json!("+1 555 0100"))
    );
    assert!(!created.text.contains("Secret-123"), "the password is not kept or echoed");
    {
        let dir = api.tenant.dir();
        let uid = dir.user_id("carol").expect("alias from mailNickname");
        assert!(!dir.is_assigned(uid), "created unassigned, as in Entra");
        assert_eq!(dir.source_object(uid).get("mobile").to_text().as_deref(), Some("+1 555 0100"));
        let kinds: Vec<_> = dir.changes_since(mark).iter().map(|c| c.kind).collect();
        assert_eq!(kinds, [ChangeKind::UserAdded]);
    }

    let mark = api.tenant.dir().watermark();
    let patched = api
        .patch(&format!("/v1.0/users/{id}"), json!({"jobTitle": "Lead", "accountEnabled": false, "mobilePhone": null}))
        .await;
    assert_eq!(patched.status, StatusCode::NO_CONTENT, "{}", patched.text);
    let after = api.ok(&format!("/v1.0/users/{id}?$select=jobTitle,accountEnabled,mobilePhone")).await;
    assert_eq!(
        (after["jobTitle"].clone(), after["accountEnabled"].clone(), after["mobilePhone"].clone()),
        (json!("Lead"), json!(false), json!(null))
    );
    assert!(!api.tenant.dir().changed_since(mark).is_empty());
    let message = api
        .patch(&format!("/v1.0/users/{id}"), json!({"favouriteColour": "blue"}))
        .await
        .error(400, "Request_BadRequest");
    assert!(message.starts_with("Property 'favouriteColour' does not exist"), "{message}");
    api.patch(&format!("/v1.0/users/{id}"), json!({"id": "x"})).await.error(400, "Request_BadRequest");
    api.patch(&format!("/v1.0/users/{id}"), json!({"userPrincipalName": null})).await.error(400, "Request_BadRequest");
    api.patch(&format!("/v1.0/users/{id}"), json!({"accountEnabled": "no"})).await.error(400, "Request_BadRequest");
    api.patch(&format!("/v1.0/users/{}", unknown_oid()), json!({"jobTitle": "x"}))
        .await
        .error(404, "Request_ResourceNotFound");

    assert_eq!(api.delete(&format!("/v1.0/users/{id}")).await.status, StatusCode::NO_CONTENT);
    api.get(&format!("/v1.0/users/{id}")).await.error(404, "Request_ResourceNotFound");
    api.delete(&format!("/v1.0/users/{id}")).await.error(404, "Request_ResourceNotFound");
    let bin = api.ok("/v1.0/directory/deletedItems/microsoft.graph.user").await;
    assert_eq!(bin["value"].as_array().unwrap().iter().map(|u| u["id"].clone()).collect::<Vec<_>>(), [json!(id)]);
    assert_eq!(api.ok(&format!("/v1.0/directory/deletedItems/{id}")).await["displayName"], "Carol Diaz");
    assert!(api.tenant.dir().user(api.tenant.dir().user_id("carol").unwrap()).unwrap().is_soft_deleted());

    let restored = api.post(&format!("/v1.0/directory/deletedItems/{id}/restore"), json!({})).await;
    assert_eq!(restored.status, StatusCode::OK, "{}", restored.text);
    assert_eq!(restored.json()["id"], id);
    assert_eq!(api.ok(&format!("/v1.0/users/{id}")).await["displayName"], "Carol Diaz");
    api.post(&format!("/v1.0/directory/deletedItems/{id}/restore"), json!({}))
        .await
        .error(404, "Request_ResourceNotFound");

    api.delete(&format!("/v1.0/directory/deletedItems/{id}")).await.error(404, "Request_ResourceNotFound");
    api.delete(&format!("/v1.0/users/{id}")).await;
    let mark = api.tenant.dir().watermark();
    assert_eq!(api.delete(&format!("/v1.0/directory/deletedItems/{id}")).await.status, StatusCode::NO_CONTENT);
    api.get(&format!("/v1.0/directory/deletedItems/{id}")).await.error(404, "Request_ResourceNotFound");
    let dir = api.tenant.dir();
    let uid = dir.user_id("carol").unwrap();
    assert!(dir.user(uid).unwrap().is_hard_deleted());
    assert!(dir
        .changes_since(mark)
        .iter()
        .any(|c| c.object == ObjectRef::User(uid) && c.kind == ChangeKind::HardDeleted));
}

#[tokio::test]
async fn the_manager_reference_is_set_read_and_removed() {
    let api = start().await;
    let (alice, bob) = (api.tenant.oid("alice"), api.tenant.oid("bob"));
    let manager = api.ok(&format!("/v1.0/users/{bob}/manager")).await;
    assert_eq!(manager["id"], alice);
    assert_eq!(manager["@odata.type"], "#microsoft.graph.user");
    api.get(&format!("/v1.0/users/{alice}/manager")).await.error(404, "Request_ResourceNotFound");

    let set = api
        .send(
            Method::PUT,
            &format!("/v1.0/users/{alice}/manager/$ref"),
            Some(json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/users/{bob}")})),
        )
        .await;
    assert_eq!(set.status, StatusCode::NO_CONTENT, "{}", set.text);
    assert_eq!(api.ok("/v1.0/users/alice@contoso.com/manager").await["id"], bob);
    let own =
        api.send(Method::PUT, &format!("/v1.0/users/{alice}/manager/$ref"), Some(json!({"@odata.id": alice}))).await;
    assert!(own.error(400, "Request_BadRequest").contains("cannot be their own manager"));
    let bad = api.send(Method::PUT, &format!("/v1.0/users/{alice}/manager/$ref"), Some(json!({"id": bob}))).await;
    assert!(bad.error(400, "Request_BadRequest").contains("`@odata.id`"));
    let nobody = api
        .send(Method::PUT, &format!("/v1.0/users/{alice}/manager/$ref"), Some(json!({"@odata.id": unknown_oid()})))
        .await;
    nobody.error(404, "Request_ResourceNotFound");

    assert_eq!(api.delete(&format!("/v1.0/users/{bob}/manager/$ref")).await.status, StatusCode::NO_CONTENT);
    api.get(&format!("/v1.0/users/{bob}/manager")).await.error(404, "Request_ResourceNotFound");
    api.delete(&format!("/v1.0/users/{bob}/manager/$ref")).await.error(404, "Request_ResourceNotFound");
    let dir = api.tenant.dir();
    assert!(dir.user(dir.user_id("bob").unwrap()).unwrap().manager().is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_calls_leave_the_directory_and_its_change_log_consistent() {
    let api = start().await;
    let mark = api.tenant.dir().watermark();
    let creates = (0..24).map(|i| {
        let body = json!({"accountEnabled": true, "displayName": format!("Load {i}"), "mailNickname": "load",
            "userPrincipalName": format!("load{i}@contoso.com"), "passwordProfile": {"password": "Load-pass-1"}});
        api.post("/v1.0/users", body)
    });
    let created = futures::future::join_all(creates).await;
    let ids: Vec<String> = created
        .iter()
        .map(|a| {
            assert_eq!(a.status, StatusCode::CREATED, "{}", a.text);
            a.json()["id"].as_str().unwrap().to_string()
        })
        .collect();
    let eng = api.tenant.oid("eng");
    let sp = super::double::SP;
    let (api, eng) = (&api, &eng);
    let changes = ids.iter().map(|id| async move {
        let (user, members, assigned) = (
            format!("/v1.0/users/{id}"),
            format!("/v1.0/groups/{eng}/members/$ref"),
            format!("/v1.0/servicePrincipals/{sp}/appRoleAssignedTo"),
        );
        let patch = api.patch(&user, json!({"jobTitle": "Tester"}));
        let member = api.post(&members, json!({"@odata.id": id}));
        let assign = api.post(
            &assigned,
            json!({"principalId": id, "resourceId": sp, "appRoleId": "00000000-0000-0000-0000-000000000000"}),
        );
        let (p, m, a) = futures::join!(patch, member, assign);
        assert_eq!(
            (p.status, m.status, a.status),
            (StatusCode::NO_CONTENT, StatusCode::NO_CONTENT, StatusCode::CREATED)
        );
    });
    futures::future::join_all(changes).await;

    let dir = api.tenant.dir();
    assert_eq!(dir.user_count(), 26);
    let mut aliases: Vec<String> = ids
        .iter()
        .map(|id| match dir.by_object_id(entrasim::directory::ObjectId::parse(id).unwrap()) {
            Some(ObjectRef::User(u)) => {
                let user = dir.user(u).unwrap();
                assert!(user.is_assigned_directly());
                assert_eq!(dir.source_object(u).get("jobTitle").to_text().as_deref(), Some("Tester"));
                user.alias().to_string()
            }
            other => panic!("{id}: {other:?}"),
        })
        .collect();
    aliases.sort();
    aliases.dedup();
    assert_eq!(aliases.len(), 24, "every created user has its own alias");
    assert_eq!(dir.group(dir.group_id("eng").unwrap()).unwrap().member_count(), 26);
    let added = dir.changes_since(mark).iter().filter(|c| c.kind == ChangeKind::UserAdded).count();
    assert_eq!(added, 24);
    assert_eq!(dir.changed_since(mark).users.len(), 24);
}

#[tokio::test]
async fn the_manager_is_expanded_inline_with_its_own_select() {
    let api = start().await;
    let listed = api.ok("/v1.0/users?$select=displayName&$expand=manager($select=id,displayName)").await;
    assert_eq!(
        listed["value"],
        json!([
            {"displayName": "Alice Smith"},
            {"displayName": "Bob Jones", "manager": {
                "@odata.type": "#microsoft.graph.user", "id": api.tenant.oid("alice"), "displayName": "Alice Smith"}}
        ])
    );
    let bob = api.ok(&format!("/v1.0/users/{}?$expand=manager", api.tenant.oid("bob"))).await;
    assert_eq!(bob["manager"]["userPrincipalName"], "alice@contoso.com", "the defaults without a nested $select");
    assert_eq!(bob["displayName"], "Bob Jones");
    let groups = api.get("/v1.0/groups?$expand=members").await;
    assert!(groups.error(400, "Request_BadRequest").contains("it expands nothing here"));
}

#[tokio::test]
async fn users_delta_lists_everyone_then_only_what_changed_with_removals() {
    let api = start().await;
    let delta = |url: String| {
        let request = api.http.get(url).bearer_auth(&api.token).header("Prefer", "odata.maxpagesize=1");
        async move {
            let answer = request.send().await.expect("request");
            let status = answer.status();
            let body: serde_json::Value = answer.json().await.expect("JSON");
            assert_eq!(status, StatusCode::OK, "{body}");
            body
        }
    };
    // A whole round, page by page: the entries and the next round's link.
    let round = |first: String| async move {
        let (mut entries, mut url) = (Vec::new(), first);
        loop {
            let page = delta(url).await;
            entries.extend(page["value"].as_array().unwrap().iter().cloned());
            if let Some(next) = page["@odata.nextLink"].as_str() {
                url = next.to_string();
            } else {
                break (entries, page["@odata.deltaLink"].as_str().expect("a delta link").to_string());
            }
        }
    };
    let first = delta(format!("{}/v1.0/users/delta?$select=displayName", api.base)).await;
    let alice_id = api.tenant.oid("alice");
    assert_eq!(
        first["value"],
        json!([{"id": alice_id, "displayName": "Alice Smith"}]),
        "one per page, always with its id"
    );
    assert!(first["@odata.nextLink"].as_str().unwrap().contains("%24select=displayName"), "{first}");
    let (everyone, link) = round(format!("{}/v1.0/users/delta?$select=displayName,jobTitle", api.base)).await;
    assert_eq!(everyone.len(), 2, "{everyone:?}");
    assert!(link.starts_with(&format!("{}/v1.0/users/delta?", api.base)) && link.contains("deltatoken"), "{link}");
    let (nothing, link) = round(link).await;
    assert!(nothing.is_empty(), "nothing changed: {nothing:?}");

    let (alice, bob) = (api.tenant.oid("alice"), api.tenant.oid("bob"));
    let patched = api.send(Method::PATCH, &format!("/v1.0/users/{bob}"), Some(json!({"jobTitle": "Lead"}))).await;
    assert_eq!(patched.status, StatusCode::NO_CONTENT, "{}", patched.text);
    assert_eq!(api.send(Method::DELETE, &format!("/v1.0/users/{alice}"), None).await.status, StatusCode::NO_CONTENT);
    let (changed, link) = round(link).await;
    assert_eq!(
        changed,
        [
            json!({"@odata.type": "#microsoft.graph.user", "id": alice, "@removed": {"reason": "changed"}}),
            json!({"id": bob, "displayName": "Bob Jones", "jobTitle": "Lead"}),
        ]
    );
    let purged = api.send(Method::DELETE, &format!("/v1.0/directory/deletedItems/{alice}"), None).await;
    assert_eq!(purged.status, StatusCode::NO_CONTENT, "{}", purged.text);
    let (gone, _) = round(link).await;
    let deleted = json!({"@odata.type": "#microsoft.graph.user", "id": alice, "@removed": {"reason": "deleted"}});
    let unmanaged = json!({"id": bob, "displayName": "Bob Jones", "jobTitle": "Lead"});
    assert_eq!(gone, [deleted, unmanaged], "bob lost his manager with her");

    for query in ["$deltatoken=banana", "$deltatoken=999999", "$skiptoken=1.2", "$filter=displayName eq 'x'"] {
        let answer = api.get(&format!("/v1.0/users/delta?{query}")).await;
        answer.error(400, "Request_BadRequest");
    }
}
