//! SCIM wire vocabulary shared by the client and the embedded server: schema URNs, the `ListResponse` and
//! error message bodies (RFC 7644 §3.4.2, §3.12), `scimType` values, and small helpers on JSON resources
//! (resources themselves stay `serde_json::Value`, stored as sent).

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Core User schema (RFC 7643 §4.1).
pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
/// Core Group schema (RFC 7643 §4.2).
pub const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
/// Enterprise User extension (RFC 7643 §4.3).
pub const ENTERPRISE_USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
/// List response message (RFC 7644 §3.4.2).
pub const LIST_RESPONSE_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
/// PATCH request message (RFC 7644 §3.5.2).
pub const PATCH_OP_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
/// Search request message (RFC 7644 §3.4.3).
pub const SEARCH_REQUEST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";
/// Error message (RFC 7644 §3.12).
pub const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
/// Service provider configuration (RFC 7643 §5).
pub const SERVICE_PROVIDER_CONFIG_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";
/// Resource type (RFC 7643 §6).
pub const RESOURCE_TYPE_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";
/// Schema definition (RFC 7643 §7).
pub const SCHEMA_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Schema";
/// The SCIM media type (RFC 7644 §3.1).
pub const SCIM_MEDIA_TYPE: &str = "application/scim+json";

/// A query response (RFC 7644 §3.4.2).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListResponse {
    /// Always `[LIST_RESPONSE_SCHEMA]`.
    pub schemas: Vec<String>,
    /// Number of results matching the query (before paging).
    pub total_results: u64,
    /// The page of resources.
    #[serde(rename = "Resources", alias = "resources", default)]
    pub resources: Vec<Value>,
    /// 1-based index of the first resource of the page.
    #[serde(default = "one")]
    pub start_index: u64,
    /// Number of resources in this page.
    #[serde(default)]
    pub items_per_page: u64,
}

fn one() -> u64 {
    1
}

impl ListResponse {
    /// A page of a larger result.
    pub fn new(total_results: u64, resources: Vec<Value>, start_index: u64) -> Self {
        ListResponse {
            schemas: vec![LIST_RESPONSE_SCHEMA.to_string()],
            total_results,
            items_per_page: resources.len() as u64,
            resources,
            start_index,
        }
    }
}

/// The `scimType` detail error keywords of RFC 7644 §3.12 table 9.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ScimType {
    /// The filter syntax was invalid or the attribute/operator combination is not supported.
    InvalidFilter,
    /// Too many results.
    TooMany,
    /// A uniqueness constraint was violated (409).
    Uniqueness,
    /// The modification is incompatible with an attribute's mutability.
    Mutability,
    /// The request body or a parameter could not be parsed.
    InvalidSyntax,
    /// The `path` attribute was invalid or malformed.
    InvalidPath,
    /// The `path` did not yield an attribute or value that could be operated on.
    NoTarget,
    /// A required value was missing, or the value is not compatible with the attribute.
    InvalidValue,
    /// The `version` was invalid.
    InvalidVers,
    /// The request cannot be completed because of sensitive information in the URI.
    Sensitive,
}

impl ScimType {
    /// The keyword as it appears on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            ScimType::InvalidFilter => "invalidFilter",
            ScimType::TooMany => "tooMany",
            ScimType::Uniqueness => "uniqueness",
            ScimType::Mutability => "mutability",
            ScimType::InvalidSyntax => "invalidSyntax",
            ScimType::InvalidPath => "invalidPath",
            ScimType::NoTarget => "noTarget",
            ScimType::InvalidValue => "invalidValue",
            ScimType::InvalidVers => "invalidVers",
            ScimType::Sensitive => "sensitive",
        }
    }
}

impl fmt::Display for ScimType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A SCIM error body (RFC 7644 §3.12). `status` is a string on the wire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScimError {
    /// Always `[ERROR_SCHEMA]`.
    #[serde(default)]
    pub schemas: Vec<String>,
    /// The HTTP status code as a string.
    pub status: String,
    /// The detail error keyword, if any (kept as text so unknown keywords from other servers survive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scim_type: Option<String>,
    /// Human-readable detail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl ScimError {
    /// An error body with a status, an optional keyword and a detail message.
    pub fn new(status: u16, scim_type: Option<ScimType>, detail: impl Into<String>) -> Self {
        ScimError {
            schemas: vec![ERROR_SCHEMA.to_string()],
            status: status.to_string(),
            scim_type: scim_type.map(|t| t.as_str().to_string()),
            detail: Some(detail.into()),
        }
    }

    /// The status as a number (`None` if the server sent something that is not one).
    pub fn status_code(&self) -> Option<u16> {
        self.status.trim().parse().ok()
    }
}

/// The value of `key` in a JSON object, matching the key case-insensitively (RFC 7643 §2.1); an exact match
/// wins.
pub fn get_ci<'a>(obj: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    obj.get(key).or_else(|| obj.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v))
}

/// The key actually used in `obj` for `key` (case-insensitive), if present.
pub fn key_ci(obj: &Map<String, Value>, key: &str) -> Option<String> {
    if obj.contains_key(key) {
        return Some(key.to_string());
    }
    obj.keys().find(|k| k.eq_ignore_ascii_case(key)).cloned()
}

/// Mutable access to `key` (case-insensitive).
pub fn get_ci_mut<'a>(obj: &'a mut Map<String, Value>, key: &str) -> Option<&'a mut Value> {
    let k = key_ci(obj, key)?;
    obj.get_mut(&k)
}

/// Removes `key` (case-insensitive) and returns its value.
pub fn remove_ci(obj: &mut Map<String, Value>, key: &str) -> Option<Value> {
    let k = key_ci(obj, key)?;
    obj.shift_remove(&k)
}

/// A resource's `id`, if it is a string.
pub fn id(resource: &Value) -> Option<&str> {
    resource.as_object().and_then(|o| get_ci(o, "id")).and_then(Value::as_str)
}

/// Reads a boolean leniently: JSON booleans, and the strings `"true"`/`"false"` in any case (Entra's legacy
/// dialect sends `"False"`, ENTRA.md 1.5).
pub fn lenient_bool(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s.trim().eq_ignore_ascii_case("true") => Some(true),
        Value::String(s) if s.trim().eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

/// What identifies an element of a multi-valued attribute (for de-duplication and removal by value): its
/// `value` sub-attribute, or the element itself.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ElementKey<'a> {
    /// A string id, borrowed (member lists are full of them).
    Str(&'a str),
    /// Any other value, as JSON text.
    Json(String),
}

/// The [`ElementKey`] of a multi-valued element.
pub fn element_key(v: &Value) -> ElementKey<'_> {
    match v.as_object().and_then(|o| get_ci(o, "value")).unwrap_or(v) {
        Value::String(s) => ElementKey::Str(s),
        other => ElementKey::Json(other.to_string()),
    }
}

/// True for a value that counts as "no value" in SCIM (null, empty string, array or object).
pub fn is_unassigned(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn list_response_wire_shape() {
        let lr = ListResponse::new(0, vec![], 1);
        let v = serde_json::to_value(&lr).expect("serialises");
        assert_eq!(
            v,
            json!({"schemas":[LIST_RESPONSE_SCHEMA],"totalResults":0,"Resources":[],"startIndex":1,"itemsPerPage":0})
        );
    }

    #[test]
    fn error_wire_shape_has_string_status() {
        let e = ScimError::new(409, Some(ScimType::Uniqueness), "userName `a` exists");
        let v = serde_json::to_value(&e).expect("serialises");
        assert_eq!(v["status"], "409");
        assert_eq!(v["scimType"], "uniqueness");
        let back: ScimError = serde_json::from_value(v).expect("parses");
        assert_eq!(back.status_code(), Some(409));
    }

    #[test]
    fn lenient_bool_accepts_entra_strings() {
        assert_eq!(lenient_bool(&json!("False")), Some(false));
        assert_eq!(lenient_bool(&json!("true")), Some(true));
        assert_eq!(lenient_bool(&json!(true)), Some(true));
        assert_eq!(lenient_bool(&json!("yes")), None);
    }

    #[test]
    fn case_insensitive_keys() {
        let o = json!({"UserName": "a"});
        let o = o.as_object().expect("object");
        assert_eq!(get_ci(o, "username"), Some(&json!("a")));
        assert_eq!(key_ci(o, "USERNAME").as_deref(), Some("UserName"));
    }
}
