//! Directory objects as Graph's `user` and `group` JSON, and Graph request bodies back into directory
//! attributes.
//!
//! Most Graph properties are the directory attributes of the same name. The exceptions are spelled out in
//! [`USER_PROPERTIES`]: `businessPhones` (a list in Graph) is `telephoneNumber`, `mobilePhone` is `mobile`,
//! `officeLocation` is `physicalDeliveryOfficeName`, `faxNumber` is `facsimileTelephoneNumber`, and
//! `employeeOrgData` is the two attributes `employeeOrgData.costCenter` and `.division`. `id` and
//! `accountEnabled` are the user's structural fields; directory extensions
//! (`extension_<appId>_<name>`) pass through under their own names.

use serde_json::{json, Map, Value as Json};

use super::error::GraphError;
use super::odata::EntityType;
use crate::directory::{Directory, GroupId, UserId};
use crate::mapping::Value;

/// How a Graph property is stored in the directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A string attribute of the same meaning.
    Text(&'static str),
    /// A boolean attribute.
    Bool(&'static str),
    /// A multi-valued string attribute.
    List(&'static str),
    /// Graph's `businessPhones` list over the single `telephoneNumber`.
    Phones,
    /// Graph's `employeeOrgData` object over two attributes.
    OrgData,
    /// Read-only in Graph.
    ReadOnly(&'static str),
}

/// Graph user properties and where each lives in the directory.
const USER_PROPERTIES: &[(&str, Kind)] = &[
    ("ageGroup", Kind::Text("ageGroup")),
    ("businessPhones", Kind::Phones),
    ("city", Kind::Text("city")),
    ("companyName", Kind::Text("companyName")),
    ("consentProvidedForMinor", Kind::Text("consentProvidedForMinor")),
    ("country", Kind::Text("country")),
    ("createdDateTime", Kind::ReadOnly("createdDateTime")),
    ("department", Kind::Text("department")),
    ("displayName", Kind::Text("displayName")),
    ("employeeHireDate", Kind::Text("employeeHireDate")),
    ("employeeId", Kind::Text("employeeId")),
    ("employeeLeaveDateTime", Kind::Text("employeeLeaveDateTime")),
    ("employeeOrgData", Kind::OrgData),
    ("employeeType", Kind::Text("employeeType")),
    ("faxNumber", Kind::Text("facsimileTelephoneNumber")),
    ("givenName", Kind::Text("givenName")),
    ("jobTitle", Kind::Text("jobTitle")),
    ("legalAgeGroupClassification", Kind::Text("legalAgeGroupClassification")),
    ("mail", Kind::Text("mail")),
    ("mailNickname", Kind::Text("mailNickname")),
    ("mobilePhone", Kind::Text("mobile")),
    ("officeLocation", Kind::Text("physicalDeliveryOfficeName")),
    ("onPremisesDistinguishedName", Kind::ReadOnly("onPremisesDistinguishedName")),
    ("onPremisesDomainName", Kind::ReadOnly("onPremisesDomainName")),
    ("onPremisesImmutableId", Kind::Text("onPremisesImmutableId")),
    ("onPremisesSamAccountName", Kind::ReadOnly("onPremisesSamAccountName")),
    ("onPremisesSecurityIdentifier", Kind::ReadOnly("onPremisesSecurityIdentifier")),
    ("onPremisesUserPrincipalName", Kind::ReadOnly("onPremisesUserPrincipalName")),
    ("otherMails", Kind::List("otherMails")),
    ("passwordPolicies", Kind::Text("passwordPolicies")),
    ("postalCode", Kind::Text("postalCode")),
    ("preferredDataLocation", Kind::Text("preferredDataLocation")),
    ("preferredLanguage", Kind::Text("preferredLanguage")),
    ("proxyAddresses", Kind::ReadOnly("proxyAddresses")),
    ("showInAddressList", Kind::Bool("showInAddressList")),
    ("signInSessionsValidFromDateTime", Kind::ReadOnly("signInSessionsValidFromDateTime")),
    ("state", Kind::Text("state")),
    ("streetAddress", Kind::Text("streetAddress")),
    ("surname", Kind::Text("surname")),
    ("usageLocation", Kind::Text("usageLocation")),
    ("userPrincipalName", Kind::Text("userPrincipalName")),
    ("userType", Kind::Text("userType")),
];

/// Graph group properties (all stored under their own names).
const GROUP_PROPERTIES: &[(&str, Kind)] = &[
    ("createdDateTime", Kind::ReadOnly("createdDateTime")),
    ("description", Kind::Text("description")),
    ("displayName", Kind::Text("displayName")),
    ("groupTypes", Kind::List("groupTypes")),
    ("mail", Kind::ReadOnly("mail")),
    ("mailEnabled", Kind::Bool("mailEnabled")),
    ("mailNickname", Kind::Text("mailNickname")),
    ("proxyAddresses", Kind::ReadOnly("proxyAddresses")),
    ("securityEnabled", Kind::Bool("securityEnabled")),
    ("visibility", Kind::Text("visibility")),
];

/// `microsoft.graph.user`.
pub static USER: EntityType = EntityType {
    name: "microsoft.graph.user",
    properties: &[
        "id",
        "accountEnabled",
        "deletedDateTime",
        "ageGroup",
        "businessPhones",
        "city",
        "companyName",
        "consentProvidedForMinor",
        "country",
        "createdDateTime",
        "department",
        "displayName",
        "employeeHireDate",
        "employeeId",
        "employeeLeaveDateTime",
        "employeeOrgData",
        "employeeType",
        "faxNumber",
        "givenName",
        "jobTitle",
        "legalAgeGroupClassification",
        "mail",
        "mailNickname",
        "mobilePhone",
        "officeLocation",
        "onPremisesDistinguishedName",
        "onPremisesDomainName",
        "onPremisesImmutableId",
        "onPremisesSamAccountName",
        "onPremisesSecurityIdentifier",
        "onPremisesUserPrincipalName",
        "otherMails",
        "passwordPolicies",
        "postalCode",
        "preferredDataLocation",
        "preferredLanguage",
        "proxyAddresses",
        "showInAddressList",
        "signInSessionsValidFromDateTime",
        "state",
        "streetAddress",
        "surname",
        "usageLocation",
        "userPrincipalName",
        "userType",
    ],
    defaults: &[
        "businessPhones",
        "displayName",
        "givenName",
        "jobTitle",
        "mail",
        "mobilePhone",
        "officeLocation",
        "preferredLanguage",
        "surname",
        "userPrincipalName",
        "id",
    ],
    expandable: &["manager"],
};

/// `microsoft.graph.group`'s properties, then `$extra` ones (a delta query's `members`).
macro_rules! group_properties {
    ($($extra:literal),*) => {
        &[
            "id",
            "deletedDateTime",
            "createdDateTime",
            "description",
            "displayName",
            "groupTypes",
            "mail",
            "mailEnabled",
            "mailNickname",
            "proxyAddresses",
            "securityEnabled",
            "visibility",
            $($extra),*
        ]
    };
}
pub(crate) use group_properties;

/// `microsoft.graph.group`.
pub static GROUP: EntityType =
    EntityType { name: "microsoft.graph.group", properties: group_properties!(), defaults: &[], expandable: &[] };

/// The object with its `@odata.type` first, as Graph writes members of a mixed `directoryObject` collection.
pub fn typed(item: Json, type_name: &str) -> Json {
    let Json::Object(map) = item else { return item };
    let mut out = Map::new();
    out.insert("@odata.type".into(), json!(format!("#{type_name}")));
    out.extend(map);
    Json::Object(out)
}

/// A user as Graph returns it (every property the directory has).
pub fn user(dir: &Directory, id: UserId) -> Json {
    user_fields(dir, id, None)
}

/// A user with only the properties `only` names (all when `None`): what a `$filter` pass needs, without
/// building the forty-odd properties of every user of a large directory.
pub fn user_fields(dir: &Directory, id: UserId, only: Option<&[String]>) -> Json {
    let Some(u) = dir.user(id) else { return Json::Null };
    let wanted = |name: &str| only.is_none_or(|names| names.iter().any(|n| n.eq_ignore_ascii_case(name)));
    let attrs = dir.source_object(id);
    let mut out = Map::new();
    out.insert("id".into(), json!(u.object_id().to_string()));
    out.insert("accountEnabled".into(), json!(u.account_enabled()));
    if u.is_soft_deleted() {
        out.insert("deletedDateTime".into(), Json::Null);
    }
    for (name, kind) in USER_PROPERTIES.iter().filter(|(name, _)| wanted(name)) {
        let value = match kind {
            Kind::Text(a) | Kind::Bool(a) | Kind::List(a) | Kind::ReadOnly(a) => attrs.get(a).to_json(),
            Kind::Phones => Json::Array(attrs.get("telephoneNumber").to_text().map(Json::String).into_iter().collect()),
            Kind::OrgData => {
                let cost = attrs.get("employeeOrgData.costCenter");
                let division = attrs.get("employeeOrgData.division");
                if cost.is_null() && division.is_null() {
                    Json::Null
                } else {
                    json!({"costCenter": cost.to_json(), "division": division.to_json()})
                }
            }
        };
        let value = match (kind, value) {
            (Kind::List(_), Json::Null) => json!([]),
            (Kind::List(_), Json::String(s)) => json!([s]),
            (_, v) => v,
        };
        out.insert((*name).into(), value);
    }
    for (name, value) in attrs.iter().filter(|(n, _)| crate::directory::is_extension(n)) {
        out.insert(name.to_string(), value.to_json());
    }
    Json::Object(out)
}

/// A group as Graph returns it.
pub fn group(dir: &Directory, id: GroupId) -> Json {
    let Some(g) = dir.group(id) else { return Json::Null };
    let attrs = dir.group_source_object(id);
    let mut out = Map::new();
    out.insert("id".into(), json!(g.object_id().to_string()));
    for (name, kind) in GROUP_PROPERTIES {
        let value = attrs.get(name).to_json();
        let value = match (*name, kind, value) {
            ("securityEnabled", _, Json::Null) => json!(true),
            ("mailEnabled", _, Json::Null) => json!(false),
            (_, Kind::List(_), Json::Null) => json!([]),
            (_, _, v) => v,
        };
        out.insert((*name).into(), value);
    }
    for (name, value) in attrs.iter().filter(|(n, _)| crate::directory::is_extension(n)) {
        out.insert(name.to_string(), value.to_json());
    }
    Json::Object(out)
}

/// Directory attribute changes from a Graph request body: `(set, unset)`. Structural properties (`id`,
/// `accountEnabled`, `passwordProfile`, ...) are the caller's and are skipped here; `structural` names them.
pub fn user_changes(body: &Map<String, Json>, structural: &[&str]) -> Result<Changes, GraphError> {
    changes(body, USER_PROPERTIES, structural, "User")
}

/// As [`user_changes`], for a group.
pub fn group_changes(body: &Map<String, Json>, structural: &[&str]) -> Result<Changes, GraphError> {
    changes(body, GROUP_PROPERTIES, structural, "Group")
}

/// Attributes to set and to remove.
pub type Changes = (Vec<(String, Value)>, Vec<String>);

fn changes(
    body: &Map<String, Json>,
    table: &[(&str, Kind)],
    structural: &[&str],
    resource: &str,
) -> Result<Changes, GraphError> {
    let mut set = Vec::new();
    let mut unset = Vec::new();
    for (name, json) in body {
        if name.starts_with("@odata.") || structural.iter().any(|s| s.eq_ignore_ascii_case(name)) {
            continue;
        }
        let invalid = || {
            GraphError::bad_request(format!("Invalid value specified for property '{name}' of resource '{resource}'."))
        };
        let mut put = |attr: &str, value: Value| match value {
            Value::Null => unset.push(attr.to_string()),
            v => set.push((attr.to_string(), v)),
        };
        if crate::directory::is_extension(name) {
            put(name, Value::from_json(json));
            continue;
        }
        let Some((_, kind)) = table.iter().find(|(p, _)| p.eq_ignore_ascii_case(name)) else {
            return Err(GraphError::bad_request(format!(
                "Property '{name}' does not exist as a declared property or extension property of resource '{resource}'."
            )));
        };
        match (kind, json) {
            (Kind::ReadOnly(_), _) => {
                return Err(GraphError::bad_request(format!("Property '{name}' is read-only and cannot be set.")))
            }
            (_, Json::Null) => match kind {
                Kind::Phones => put("telephoneNumber", Value::Null),
                Kind::OrgData => {
                    put("employeeOrgData.costCenter", Value::Null);
                    put("employeeOrgData.division", Value::Null);
                }
                Kind::Text(a) | Kind::Bool(a) | Kind::List(a) => put(a, Value::Null),
                Kind::ReadOnly(_) => {}
            },
            (Kind::Text(a), Json::String(s)) => put(a, Value::Str(s.clone())),
            (Kind::Bool(a), Json::Bool(b)) => put(a, Value::Bool(*b)),
            (Kind::List(a), Json::Array(items)) => {
                let texts: Option<Vec<Value>> = items.iter().map(|i| i.as_str().map(|s| Value::Str(s.into()))).collect();
                put(a, Value::Multi(texts.ok_or_else(invalid)?));
            }
            (Kind::Phones, Json::Array(items)) => match items.as_slice() {
                [] => put("telephoneNumber", Value::Null),
                [Json::String(s)] => put("telephoneNumber", Value::Str(s.clone())),
                _ => {
                    return Err(GraphError::bad_request(
                        "Invalid value specified for property 'businessPhones' of resource 'User': it holds one number at most.",
                    ))
                }
            },
            (Kind::OrgData, Json::Object(org)) => {
                for (key, attr) in [("costCenter", "employeeOrgData.costCenter"), ("division", "employeeOrgData.division")] {
                    match org.get(key) {
                        None => {}
                        Some(Json::String(s)) => put(attr, Value::Str(s.clone())),
                        Some(Json::Null) => put(attr, Value::Null),
                        Some(_) => return Err(invalid()),
                    }
                }
            }
            _ => return Err(invalid()),
        }
    }
    Ok((set, unset))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::directory::NewUser;

    #[test]
    fn graph_names_map_to_directory_attributes_and_back() {
        let body = json!({
            "displayName": "Alice", "mobilePhone": "+1 555", "businessPhones": ["+1 556"], "officeLocation": "B1",
            "employeeOrgData": {"costCenter": "42"}, "jobTitle": null, "accountEnabled": true,
            "extension_0123456789abcdef0123456789abcdef_team": "blue"
        });
        let (set, unset) = user_changes(body.as_object().unwrap(), &["accountEnabled"]).unwrap();
        let names: Vec<&str> = set.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "displayName",
                "mobile",
                "telephoneNumber",
                "physicalDeliveryOfficeName",
                "employeeOrgData.costCenter",
                "extension_0123456789abcdef0123456789abcdef_team"
            ]
        );
        assert_eq!(unset, ["jobTitle"]);

        let mut dir = Directory::new();
        let mut alice = NewUser::new("alice");
        alice.attrs = set.into_iter().collect();
        let id = dir.add_user(alice).unwrap();
        let shaped = user(&dir, id);
        assert_eq!(shaped["mobilePhone"], "+1 555");
        assert_eq!(shaped["businessPhones"], json!(["+1 556"]));
        assert_eq!(shaped["employeeOrgData"], json!({"costCenter": "42", "division": null}));
        assert_eq!(shaped["otherMails"], json!([]));
        assert_eq!(shaped["extension_0123456789abcdef0123456789abcdef_team"], "blue");
    }

    #[test]
    fn bad_bodies_name_the_property() {
        let err = |body: Json| user_changes(body.as_object().unwrap(), &[]).unwrap_err().message;
        assert_eq!(
            err(json!({"displayNmae": "x"})),
            "Property 'displayNmae' does not exist as a declared property or extension property of resource 'User'."
        );
        assert_eq!(
            err(json!({"displayName": 7})),
            "Invalid value specified for property 'displayName' of resource 'User'."
        );
        assert_eq!(err(json!({"proxyAddresses": []})), "Property 'proxyAddresses' is read-only and cannot be set.");
    }
}
