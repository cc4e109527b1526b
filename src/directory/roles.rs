//! App role assignments of a user (ENTRA.md 1.9): what `[appRoleAssignments]` holds for the role
//! functions. Each assignment is stored as the JSON text of `{"id", "value", "displayName"}`, the object
//! Entra's legacy role PATCH carries as a string.

use serde_json::json;

use super::ObjectId;
use crate::mapping::Value;

/// One app role assigned to a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppRole {
    /// The app role's id (a GUID).
    pub id: String,
    /// The role's `value` (what SCIM `roles[].value` carries).
    pub value: String,
    /// The role's display name.
    pub display_name: String,
}

impl AppRole {
    /// A role with only a value: the display name is the value, the id derived from it.
    pub fn from_value(value: &str) -> Self {
        AppRole { id: role_id(value), value: value.to_string(), display_name: value.to_string() }
    }

    /// The JSON object `{"id", "value", "displayName"}`.
    pub fn to_json(&self) -> serde_json::Value {
        json!({"id": self.id, "value": self.value, "displayName": self.display_name})
    }

    /// The source value of a list of assignments: a multi-value of JSON texts.
    pub fn to_source(roles: &[AppRole]) -> Value {
        Value::Multi(roles.iter().map(|r| Value::Str(r.to_json().to_string())).collect())
    }

    /// Reads one stored assignment: a JSON text of an object with `value` (and optionally `id`,
    /// `displayName`), or a bare role value.
    pub fn from_text(text: &str) -> Option<Self> {
        let text = text.trim();
        if text.is_empty() {
            return None;
        }
        let Some(obj) = serde_json::from_str::<serde_json::Value>(text).ok().filter(serde_json::Value::is_object)
        else {
            return Some(AppRole::from_value(text));
        };
        let field = |k: &str| obj.get(k).and_then(|v| v.as_str()).map(str::to_string);
        let value = field("value").or_else(|| field("displayName"))?;
        Some(AppRole {
            id: field("id").unwrap_or_else(|| role_id(&value)),
            display_name: field("displayName").unwrap_or_else(|| value.clone()),
            value,
        })
    }

    /// Every assignment of a source value (multi-valued, a single text, or null).
    pub fn all_of(v: &Value) -> Vec<AppRole> {
        match v {
            Value::Multi(items) => {
                items.iter().filter_map(|i| i.to_text()).filter_map(|t| Self::from_text(&t)).collect()
            }
            Value::Null => Vec::new(),
            single => single.to_text().and_then(|t| Self::from_text(&t)).into_iter().collect(),
        }
    }
}

/// The id of an app role given only by its value: a GUID derived from the value, stable across runs.
pub fn role_id(value: &str) -> String {
    ObjectId::derive(&format!("appRole:{value}")).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assignments_read_back_from_their_text() {
        let admin = AppRole { id: "06b0".into(), value: "Admin".into(), display_name: "Administrator".into() };
        let source = AppRole::to_source(&[admin.clone(), AppRole::from_value("Reader")]);
        let back = AppRole::all_of(&source);
        assert_eq!(back[0], admin);
        assert_eq!(back[1].display_name, "Reader");
        assert_eq!(back[1].id, role_id("Reader"), "a derived id is stable");
        assert!(uuid::Uuid::parse_str(&back[1].id).is_ok());
        assert_eq!(AppRole::all_of(&Value::Str("Admin".into()))[0].value, "Admin");
        assert!(AppRole::all_of(&Value::Null).is_empty());
    }
}
