//! Whether a target resource already holds the value a mapping wants (ENTRA.md 3.4 `compare`): strings
//! compare case-insensitively unless the mapping is case-exact, booleans and integers by type, references
//! by exact id, multi-valued attributes as sets, complex elements on the sub-attributes Entra sends.

use serde_json::Value as Json;

use super::model::AttributeMapping;
use super::target::{ScimType, TargetAttr};

impl TargetAttr {
    /// True when `actual` (the value [`TargetAttr::lookup`] found, `None` when absent) equals `desired` (the
    /// typed value from [`TargetAttr::scim_value`]). A JSON string `"True"` does not equal the boolean
    /// `true`: an endpoint that stores booleans as strings flaps (ENTRA.md 3.3 item 8).
    pub fn same_value(&self, desired: &Json, actual: Option<&Json>, case_exact: bool) -> bool {
        let actual = actual.unwrap_or(&Json::Null);
        let exact = case_exact || self.scim_type() == ScimType::Reference;
        json_equal(desired, actual, exact)
    }
}

impl AttributeMapping {
    /// True when `resource` (as returned by the endpoint) already holds `desired` at this mapping's target.
    pub fn in_sync(&self, desired: &Json, resource: &Json) -> bool {
        self.target.same_value(desired, self.target.lookup(resource), self.case_exact)
    }
}

fn json_equal(desired: &Json, actual: &Json, exact: bool) -> bool {
    match (desired, actual) {
        (Json::Null, Json::Null) => true,
        (Json::String(a), Json::String(b)) => {
            if exact {
                a == b
            } else {
                a.to_lowercase() == b.to_lowercase()
            }
        }
        (Json::Number(a), Json::Number(b)) => a == b,
        (Json::Number(a), Json::String(b)) | (Json::String(b), Json::Number(a)) => a.to_string() == *b,
        (Json::Bool(a), Json::Bool(b)) => a == b,
        (Json::Array(a), Json::Array(b)) => {
            a.len() == b.len()
                && a.iter().all(|x| b.iter().any(|y| json_equal(x, y, exact)))
                && b.iter().all(|y| a.iter().any(|x| json_equal(x, y, exact)))
        }
        (Json::Object(a), Json::Object(b)) => a.iter().all(|(k, v)| {
            let other = b.get(k).or_else(|| b.iter().find(|(bk, _)| bk.eq_ignore_ascii_case(k)).map(|(_, v)| v));
            json_equal(v, other.unwrap_or(&Json::Null), exact)
        }),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn t(path: &str) -> TargetAttr {
        TargetAttr::parse(path).expect("valid path")
    }

    #[test]
    fn strings_ignore_case_unless_case_exact() {
        assert!(t("userName").same_value(&json!("Alice@Contoso.com"), Some(&json!("alice@contoso.com")), false));
        assert!(!t("userName").same_value(&json!("Alice@Contoso.com"), Some(&json!("alice@contoso.com")), true));
        assert!(!t("title").same_value(&json!("Engineer"), None, false));
    }

    #[test]
    fn booleans_are_typed_and_references_exact() {
        assert!(t("active").same_value(&json!(true), Some(&json!(true)), false));
        assert!(!t("active").same_value(&json!(false), Some(&json!("False")), false));
        let manager = t("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager");
        assert!(!manager.same_value(&json!("AbC"), Some(&json!("abc")), false));
    }

    #[test]
    fn multi_values_compare_as_sets_of_sent_sub_attributes() {
        let roles = json!([{"primary": false, "value": "Admin"}, {"primary": false, "value": "Reader"}]);
        let back =
            json!([{"value": "Reader", "primary": false, "display": "Reader"}, {"value": "admin", "primary": false}]);
        assert!(t("roles").same_value(&roles, Some(&back), false));
        assert!(!t("roles").same_value(&roles, Some(&json!([{"value": "Admin", "primary": false}])), false));
    }

    #[test]
    fn in_sync_reads_the_resource() {
        let m = AttributeMapping::direct("mail", t(r#"emails[type eq "work"].value"#));
        let resource = json!({"emails": [{"type": "work", "value": "ALICE@contoso.com"}]});
        assert!(m.in_sync(&json!("alice@contoso.com"), &resource));
        assert!(!m.in_sync(&json!("bob@contoso.com"), &resource));
    }
}
