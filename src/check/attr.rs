//! Reading SCIM JSON the way SCIM names attributes: case-insensitively.

use serde_json::Value as Json;

/// A member of a JSON object by case-insensitive name (exact match first).
pub fn get_ci<'a>(value: &'a Json, key: &str) -> Option<&'a Json> {
    let obj = value.as_object()?;
    obj.get(key).or_else(|| obj.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_compare_case_insensitively_exact_first() {
        let v = json!({"Emails": 1, "userName": 2, "username": 3});
        assert_eq!(get_ci(&v, "emails"), Some(&json!(1)));
        assert_eq!(get_ci(&v, "username"), Some(&json!(3)));
        assert_eq!(get_ci(&v, "USERNAME").and_then(Json::as_i64).map(|n| n == 2 || n == 3), Some(true));
        assert_eq!(get_ci(&json!([1]), "x"), None);
    }
}
