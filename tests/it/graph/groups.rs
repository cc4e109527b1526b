//! `groups` and their direct members.

use entrasim::directory::ChangeKind;
use reqwest::StatusCode;
use serde_json::json;

use super::double::unknown_oid;
use super::start;

#[tokio::test]
async fn groups_are_listed_created_updated_and_deleted() {
    let api = start().await;
    let list = api.ok("/v1.0/groups?$filter=displayName eq 'engineering'").await;
    assert_eq!(list["@odata.context"], format!("{}/v1.0/$metadata#groups", api.base));
    let eng = &list["value"][0];
    assert_eq!(
        (eng["id"].clone(), eng["securityEnabled"].clone(), eng["groupTypes"].clone()),
        (json!(api.tenant.oid("eng")), json!(true), json!([]))
    );

    let body = json!({"displayName": "Sales", "mailEnabled": false, "mailNickname": "sales", "securityEnabled": true,
        "description": "Everyone selling", "members@odata.bind": [format!("https://graph.microsoft.com/v1.0/directoryObjects/{}", api.tenant.oid("alice"))]});
    for required in ["displayName", "mailEnabled", "mailNickname", "securityEnabled"] {
        let mut partial = body.clone();
        partial.as_object_mut().unwrap().remove(required);
        let message = api.post("/v1.0/groups", partial).await.error(400, "Request_BadRequest");
        assert!(message.starts_with(&format!("Property '{required}' is required")), "{message}");
    }
    let mut bad_bind = body.clone();
    bad_bind["members@odata.bind"] =
        json!([format!("https://graph.microsoft.com/v1.0/directoryObjects/{}", unknown_oid())]);
    api.post("/v1.0/groups", bad_bind).await.error(404, "Request_ResourceNotFound");
    let created = api.post("/v1.0/groups", body).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let id = created.json()["id"].as_str().unwrap().to_string();
    assert_eq!(created.json()["description"], "Everyone selling");
    {
        let dir = api.tenant.dir();
        let sales = dir.group(dir.group_id("sales").unwrap()).unwrap();
        assert!(!sales.is_assigned());
        assert_eq!(sales.member_count(), 1);
    }
    let mark = api.tenant.dir().watermark();
    let patched =
        api.patch(&format!("/v1.0/groups/{id}"), json!({"displayName": "Sales EMEA", "description": null})).await;
    assert_eq!(patched.status, StatusCode::NO_CONTENT, "{}", patched.text);
    let after = api.ok(&format!("/beta/groups/{id}")).await;
    assert_eq!((after["displayName"].clone(), after["description"].clone()), (json!("Sales EMEA"), json!(null)));
    assert_eq!(
        api.tenant.dir().changes_since(mark).iter().map(|c| c.kind).collect::<Vec<_>>(),
        [ChangeKind::GroupUpdated]
    );
    api.patch(&format!("/v1.0/groups/{id}"), json!({"mail": "x@contoso.com"})).await.error(400, "Request_BadRequest");
    api.patch(&format!("/v1.0/groups/{id}"), json!({"securityEnabled": "yes"})).await.error(400, "Request_BadRequest");

    assert_eq!(api.delete(&format!("/v1.0/groups/{id}")).await.status, StatusCode::NO_CONTENT);
    api.get(&format!("/v1.0/groups/{id}")).await.error(404, "Request_ResourceNotFound");
    api.delete(&format!("/v1.0/groups/{id}")).await.error(404, "Request_ResourceNotFound");
    api.get(&format!("/v1.0/groups/{}", api.tenant.oid("alice"))).await.error(404, "Request_ResourceNotFound");
}

#[tokio::test]
async fn members_are_listed_added_and_removed_by_reference() {
    let api = start().await;
    let (eng, alice, bob) = (api.tenant.oid("eng"), api.tenant.oid("alice"), api.tenant.oid("bob"));
    let members = api.ok(&format!("/v1.0/groups/{eng}/members?$select=id,displayName")).await;
    assert_eq!(
        members["value"],
        json!([{"@odata.type": "#microsoft.graph.user", "id": alice, "displayName": "Alice Smith"},
               {"@odata.type": "#microsoft.graph.user", "id": bob, "displayName": "Bob Jones"}])
    );
    let removed = api.delete(&format!("/v1.0/groups/{eng}/members/{bob}/$ref")).await;
    assert_eq!(removed.status, StatusCode::NO_CONTENT, "{}", removed.text);
    api.delete(&format!("/v1.0/groups/{eng}/members/{bob}/$ref")).await.error(404, "Request_ResourceNotFound");
    assert_eq!(api.ok(&format!("/v1.0/groups/{eng}/members")).await["value"].as_array().unwrap().len(), 1);

    let reference = json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/directoryObjects/{bob}")});
    let added = api.post(&format!("/v1.0/groups/{eng}/members/$ref"), reference.clone()).await;
    assert_eq!(added.status, StatusCode::NO_CONTENT, "{}", added.text);
    let again = api.post(&format!("/v1.0/groups/{eng}/members/$ref"), reference).await;
    assert!(again.error(400, "Request_BadRequest").contains("already exist"));
    {
        let dir = api.tenant.dir();
        assert!(dir.group(dir.group_id("eng").unwrap()).unwrap().has_member(dir.user_id("bob").unwrap()));
    }

    let unknown = json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/directoryObjects/{}", unknown_oid())});
    api.post(&format!("/v1.0/groups/{eng}/members/$ref"), unknown).await.error(404, "Request_ResourceNotFound");
    api.post(&format!("/v1.0/groups/{eng}/members/$ref"), json!({"@odata.id": "alice"}))
        .await
        .error(400, "Request_BadRequest");
    api.get(&format!("/v1.0/groups/{}/members", unknown_oid())).await.error(404, "Request_ResourceNotFound");
}

#[tokio::test]
async fn groups_delta_lists_every_group_with_its_members_then_member_changes_and_deletions() {
    let api = start().await;
    let (eng, alice, bob) = (api.tenant.oid("eng"), api.tenant.oid("alice"), api.tenant.oid("bob"));
    let user = |id: &str| json!({"@odata.type": "#microsoft.graph.user", "id": id});
    let removed =
        |id: &str| json!({"@odata.type": "#microsoft.graph.user", "id": id, "@removed": {"reason": "deleted"}});

    let first = api.ok("/v1.0/groups/delta?$select=displayName,members").await;
    assert_eq!(
        first["value"],
        json!([{"id": eng, "displayName": "Engineering", "members@delta": [user(&alice), user(&bob)]}])
    );
    let link = first["@odata.deltaLink"].as_str().expect("one page: the round's delta link").to_string();
    assert!(link.contains("%24select=displayName%2Cmembers") && link.contains("deltatoken"), "{link}");
    let path = |link: &str| link.strip_prefix(&api.base).expect("a link to this server").to_string();
    let nothing = api.ok(&path(&link)).await;
    assert_eq!(nothing["value"], json!([]), "nothing changed");

    // Bob leaves and comes back (net: still a member), alice leaves.
    for (method, member) in [("remove", &bob), ("add", &bob), ("remove", &alice)] {
        let answer = if method == "add" {
            let reference = json!({"@odata.id": format!("https://graph.microsoft.com/v1.0/directoryObjects/{member}")});
            api.post(&format!("/v1.0/groups/{eng}/members/$ref"), reference).await
        } else {
            api.delete(&format!("/v1.0/groups/{eng}/members/{member}/$ref")).await
        };
        assert_eq!(answer.status, StatusCode::NO_CONTENT, "{}", answer.text);
    }
    let changed = api.ok(&path(nothing["@odata.deltaLink"].as_str().unwrap())).await;
    assert_eq!(
        changed["value"],
        json!([{"id": eng, "displayName": "Engineering", "members@delta": [user(&bob), removed(&alice)]}]),
        "each member once, as it stands now"
    );

    // Without `members` in `$select`, no `members@delta`; a deleted group is `@removed`.
    let without = api.ok("/v1.0/groups/delta?$select=displayName").await;
    assert_eq!(without["value"], json!([{"id": eng, "displayName": "Engineering"}]));
    let deleted = api.delete(&format!("/v1.0/groups/{eng}")).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT, "{}", deleted.text);
    let gone = api.ok(&path(changed["@odata.deltaLink"].as_str().unwrap())).await;
    assert_eq!(
        gone["value"],
        json!([{"@odata.type": "#microsoft.graph.group", "id": eng, "@removed": {"reason": "deleted"}}])
    );
    api.get("/v1.0/groups/delta?$deltatoken=banana").await.error(400, "Request_BadRequest");
}
