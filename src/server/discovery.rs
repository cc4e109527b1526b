//! The discovery documents (RFC 7643 §5–7): `/ServiceProviderConfig`, `/ResourceTypes` and `/Schemas`, built
//! from the attribute table in [`crate::scim::schema`].

use serde_json::{json, Value};

use crate::scim::model::{self, ListResponse};
use crate::scim::schema;

/// `GET /ServiceProviderConfig`.
pub(crate) fn service_provider_config(base: &str, max_results: usize) -> Value {
    json!({
        "schemas": [model::SERVICE_PROVIDER_CONFIG_SCHEMA],
        "documentationUri": "https://github.com/entrasim/entrasim#embedded-endpoint",
        "patch": {"supported": true},
        "bulk": {"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": true, "maxResults": max_results},
        "changePassword": {"supported": false},
        "sort": {"supported": false},
        "etag": {"supported": true},
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "OAuth Bearer Token",
            "description": "Authentication with a bearer token in the Authorization header",
            "primary": true,
        }],
        "meta": {"resourceType": "ServiceProviderConfig", "location": format!("{base}/ServiceProviderConfig")},
    })
}

/// One resource type document, by name (`User`, `Group`; case-insensitive).
pub(crate) fn resource_type(base: &str, name: &str) -> Option<Value> {
    let (id, endpoint, description, schema, extensions) = if name.eq_ignore_ascii_case("User") {
        (
            "User",
            "/Users",
            "User Account",
            model::USER_SCHEMA,
            json!([{"schema": model::ENTERPRISE_USER_SCHEMA, "required": false}]),
        )
    } else if name.eq_ignore_ascii_case("Group") {
        ("Group", "/Groups", "Group", model::GROUP_SCHEMA, json!([]))
    } else {
        return None;
    };
    Some(json!({
        "schemas": [model::RESOURCE_TYPE_SCHEMA],
        "id": id,
        "name": id,
        "endpoint": endpoint,
        "description": description,
        "schema": schema,
        "schemaExtensions": extensions,
        "meta": {"resourceType": "ResourceType", "location": format!("{base}/ResourceTypes/{id}")},
    }))
}

/// `GET /ResourceTypes`.
pub(crate) fn resource_types(base: &str) -> Value {
    let all: Vec<Value> = ["User", "Group"].iter().filter_map(|n| resource_type(base, n)).collect();
    list(all)
}

/// One schema document, by URN (case-insensitive).
pub(crate) fn schema_doc(base: &str, urn: &str) -> Option<Value> {
    schema::schema(urn).map(|s| schema::to_json(s, &format!("{base}/Schemas/{}", s.id)))
}

/// `GET /Schemas`.
pub(crate) fn schemas(base: &str) -> Value {
    list(schema::ALL.iter().map(|s| schema::to_json(s, &format!("{base}/Schemas/{}", s.id))).collect())
}

fn list(resources: Vec<Value>) -> Value {
    let total = resources.len() as u64;
    serde_json::to_value(ListResponse::new(total, resources, 1)).unwrap_or(Value::Null)
}
