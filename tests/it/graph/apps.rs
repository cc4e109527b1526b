//! The service principal and `appRoleAssignedTo`: users and groups assigned, with the default access role
//! or an app role of the application.

use entrasim::directory::{role_id, AppRole};
use reqwest::StatusCode;
use serde_json::json;

use super::double::{unknown_oid, APP, SP};
use super::start;

const DEFAULT: &str = "00000000-0000-0000-0000-000000000000";

#[tokio::test]
async fn the_service_principal_is_found_by_id_and_by_filter() {
    let api = start().await;
    let sp = api.ok(&format!("/v1.0/servicePrincipals/{SP}")).await;
    assert_eq!((sp["appId"].clone(), sp["displayName"].clone()), (json!(APP), json!("Contoso SCIM")));
    assert_eq!(sp["appRoles"][0]["value"], "Admin");
    assert_eq!(sp["appRoles"][0]["id"], role_id("Admin"));
    let found = api.ok(&format!("/v1.0/servicePrincipals?$filter=appId eq '{APP}'")).await;
    assert_eq!(found["value"][0]["id"], SP);
    assert_eq!(api.ok("/v1.0/servicePrincipals?$filter=appId eq 'x'").await["value"], json!([]));
    api.get(&format!("/v1.0/servicePrincipals/{}", unknown_oid())).await.error(404, "Request_ResourceNotFound");
}

#[tokio::test]
async fn users_and_groups_are_assigned_and_unassigned() {
    let api = start().await;
    let path = format!("/v1.0/servicePrincipals/{SP}/appRoleAssignedTo");
    let (alice, bob, eng) = (api.tenant.oid("alice"), api.tenant.oid("bob"), api.tenant.oid("eng"));
    let before = api.ok(&path).await;
    assert_eq!(before["value"].as_array().unwrap().len(), 1);
    assert_eq!(before["value"][0]["principalId"], alice);
    assert_eq!(before["value"][0]["appRoleId"], DEFAULT);
    assert_eq!(before["value"][0]["principalType"], "User");

    let assign = |principal: &str, role: &str| json!({"principalId": principal, "resourceId": SP, "appRoleId": role});
    let created = api.post(&path, assign(&bob, DEFAULT)).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    assert_eq!(created.json()["principalDisplayName"], "Bob Jones");
    assert!(api.tenant.dir().is_assigned_directly(api.tenant.dir().user_id("bob").unwrap()));
    let duplicate = api.post(&path, assign(&bob, DEFAULT)).await;
    assert_eq!(duplicate.error(400, "Request_BadRequest"), "Permission being assigned already exists on the object.");

    let admin = role_id("Admin");
    let with_role = api.post(&path, assign(&alice, &admin)).await;
    assert_eq!(with_role.status, StatusCode::CREATED, "{}", with_role.text);
    let alice_id = api.tenant.dir().user_id("alice").unwrap();
    assert_eq!(api.tenant.dir().app_roles(alice_id), [AppRole::from_value("Admin")]);
    let unknown_role = api.post(&path, assign(&alice, &unknown_oid())).await;
    assert!(unknown_role
        .error(400, "Request_BadRequest")
        .starts_with(&format!("Permission being assigned was not found on application '{APP}'")));
    let group = api.post(&path, assign(&eng, DEFAULT)).await;
    assert_eq!((group.status, group.json()["principalType"].clone()), (StatusCode::CREATED, json!("Group")));
    assert!(api.tenant.dir().group(api.tenant.dir().group_id("eng").unwrap()).unwrap().is_assigned());
    let group_role = api.post(&path, assign(&eng, &admin)).await;
    assert!(group_role.error(400, "Request_BadRequest").contains("default access role only"));
    api.post(&path, assign(&unknown_oid(), DEFAULT)).await.error(404, "Request_ResourceNotFound");
    let other_resource =
        api.post(&path, json!({"principalId": bob, "resourceId": unknown_oid(), "appRoleId": DEFAULT})).await;
    assert!(other_resource.error(400, "Request_BadRequest").contains("`resourceId`"));
    api.post(&path, json!({"principalId": bob})).await.error(400, "Request_BadRequest");
    let by_name = api.post(&path, assign("bob@contoso.com", DEFAULT)).await;
    assert_eq!(
        by_name.error(400, "Request_BadRequest"),
        "`principalId` must be an objectId (a GUID), not `bob@contoso.com`"
    );

    let all = api.ok(&format!("{path}?$filter=principalType eq 'User'")).await;
    let roles: Vec<_> =
        all["value"].as_array().unwrap().iter().map(|a| (a["principalId"].clone(), a["appRoleId"].clone())).collect();
    assert_eq!(
        roles,
        [(json!(alice), json!(admin)), (json!(bob), json!(DEFAULT))],
        "a role replaces alice's default access row"
    );
    let mine = api.ok(&format!("/v1.0/users/{alice}/appRoleAssignments")).await;
    assert_eq!(mine["value"].as_array().unwrap().len(), 1);

    let alice_row = all["value"][0]["id"].as_str().unwrap().to_string();
    assert_eq!(api.delete(&format!("{path}/{alice_row}")).await.status, StatusCode::NO_CONTENT);
    assert!(!api.tenant.dir().is_assigned_directly(alice_id), "the last role removed unassigns the user");
    api.delete(&format!("{path}/{alice_row}")).await.error(404, "Request_ResourceNotFound");
    let group_row = api.ok(&format!("{path}?$filter=principalType eq 'Group'")).await["value"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(api.delete(&format!("{path}/{group_row}")).await.status, StatusCode::NO_CONTENT);
    assert!(!api.tenant.dir().group(api.tenant.dir().group_id("eng").unwrap()).unwrap().is_assigned());

    let via_user = api.post(&format!("/v1.0/users/{alice}/appRoleAssignments"), assign(&alice, DEFAULT)).await;
    assert_eq!(via_user.status, StatusCode::CREATED, "{}", via_user.text);
    let mismatch = api.post(&format!("/v1.0/users/{alice}/appRoleAssignments"), assign(&bob, DEFAULT)).await;
    assert!(mismatch.error(400, "Request_BadRequest").contains("is not the user of the URL"));
}
