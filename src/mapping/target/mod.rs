//! The target side of a mapping: a SCIM attribute path as Entra writes it in the mapping and in PATCH
//! `path`s (`userName`, `name.givenName`, `emails[type eq "work"].value`, `roles[primary eq "True"].value`,
//! `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager`, custom extension URNs, group
//! `members`); `rfc7643` holds the small schema table that gives each path its SCIM type.

mod rfc7643;

use std::fmt;

use serde::Serialize;

use super::value::Value;
pub use rfc7643::ScimType;
use rfc7643::{SchemaRow, CORE, ENTERPRISE};

/// The enterprise user extension URN.
pub const ENTERPRISE_USER: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/// A target attribute path.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TargetAttr {
    /// Extension schema URN for extension attributes (`None` for core attributes).
    pub schema: Option<String>,
    /// Top-level attribute name (`emails`, `name`, `userName`, `employeeNumber`).
    pub attribute: String,
    /// Value filter selecting one element of a multi-valued attribute (`[type eq "work"]`).
    pub filter: Option<ValueFilter>,
    /// Sub-attribute (`value`, `givenName`, `streetAddress`).
    pub sub_attribute: Option<String>,
}

/// `[attr eq "value"]` inside a target path.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ValueFilter {
    /// The element attribute tested (`type` or `primary`).
    pub attribute: String,
    /// The compared value as written (`work`, `True`).
    pub value: String,
}

/// Why a target path did not parse; `offset` is a byte offset into the path text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct TargetError {
    /// Where in the path text.
    pub offset: usize,
    /// What is wrong.
    pub message: String,
}

impl TargetAttr {
    /// Parses a target path. Known attribute names are normalised to their RFC 7643 spelling (SCIM
    /// names are case-insensitive); unknown names are kept as written.
    pub fn parse(text: &str) -> Result<TargetAttr, TargetError> {
        let err = |offset: usize, message: &str| TargetError { offset, message: message.to_string() };
        let trimmed = text.trim();
        let lead = text.len() - text.trim_start().len();
        if trimmed.is_empty() {
            return Err(err(0, "empty target attribute"));
        }
        let is_urn = trimmed.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("urn:")) && trimmed.len() > 4;
        let (schema, rest, rest_at) = if is_urn {
            let head_end = trimmed.find('[').unwrap_or(trimmed.len());
            let colon = trimmed[..head_end].rfind(':').ok_or_else(|| err(lead, "extension path without attribute"))?;
            let urn = &trimmed[..colon];
            let urn =
                if urn.eq_ignore_ascii_case(ENTERPRISE_USER) { ENTERPRISE_USER.to_string() } else { urn.to_string() };
            (Some(urn), &trimmed[colon + 1..], lead + colon + 1)
        } else {
            (None, trimmed, lead)
        };
        let name_end = rest.find(['[', '.']).unwrap_or(rest.len());
        let attribute = &rest[..name_end];
        if !is_name(attribute) {
            return Err(err(rest_at, "expected an attribute name"));
        }
        let mut tail = &rest[name_end..];
        let mut at = rest_at + name_end;
        let mut filter = None;
        if let Some(inner) = tail.strip_prefix('[') {
            let close = inner.find(']').ok_or_else(|| err(at, "expected `]` to close the value filter"))?;
            filter = Some(parse_filter(&inner[..close]).map_err(|m| err(at + 1, &m))?);
            tail = &inner[close + 1..];
            at += close + 2;
        }
        let sub_attribute = match tail.strip_prefix('.') {
            Some(sub) if is_name(sub) => Some(sub.to_string()),
            Some(_) => return Err(err(at + 1, "expected a sub-attribute name after `.`")),
            None if tail.is_empty() => None,
            None => return Err(err(at, "unexpected text after the attribute")),
        };
        if filter.is_some() && sub_attribute.is_none() {
            return Err(err(at, "a value filter must be followed by a sub-attribute, e.g. `.value`"));
        }
        let mut t = TargetAttr { schema, attribute: attribute.to_string(), filter, sub_attribute };
        t.normalise();
        Ok(t)
    }

    fn normalise(&mut self) {
        if let Some((name, subs, _, _)) = self.row() {
            self.attribute = name.to_string();
            if let Some(sub) = &mut self.sub_attribute {
                if let Some((s, _)) = subs.iter().find(|(s, _)| s.eq_ignore_ascii_case(sub)) {
                    *sub = s.to_string();
                }
            }
            if let Some(f) = &mut self.filter {
                if let Some((s, _)) = subs.iter().find(|(s, _)| s.eq_ignore_ascii_case(&f.attribute)) {
                    f.attribute = s.to_string();
                }
            }
        }
    }

    fn row(&self) -> Option<&'static SchemaRow> {
        let table = match self.schema.as_deref() {
            None => CORE,
            Some(ENTERPRISE_USER) => ENTERPRISE,
            Some(_) => return None,
        };
        // Parsing normalises known names to the table's spelling, so the exact comparison usually hits.
        table
            .iter()
            .find(|(n, ..)| *n == self.attribute)
            .or_else(|| table.iter().find(|(n, ..)| n.eq_ignore_ascii_case(&self.attribute)))
    }

    /// For core and enterprise paths that RFC 7643 does not define (`usrName`, `name.givenNme`): the
    /// unknown part and the closest known name, if any. `None` for known paths and custom extensions.
    pub fn unknown_part(&self) -> Option<(String, Option<&'static str>)> {
        let table = match self.schema.as_deref() {
            None => CORE,
            Some(ENTERPRISE_USER) => ENTERPRISE,
            Some(_) => return None,
        };
        let Some((_, subs, _, _)) = self.row() else {
            let names = table.iter().map(|(n, ..)| *n);
            return Some((self.attribute.clone(), crate::diagnostic::did_you_mean(&self.attribute, names)));
        };
        let sub = self.sub_attribute.as_ref()?;
        if subs.is_empty() || subs.iter().any(|(s, _)| s == sub) {
            return None;
        }
        Some((format!("{}.{sub}", self.attribute), crate::diagnostic::did_you_mean(sub, subs.iter().map(|(s, _)| *s))))
    }

    /// True for the enterprise extension.
    pub fn is_enterprise(&self) -> bool {
        self.schema.as_deref() == Some(ENTERPRISE_USER)
    }

    /// True for attributes whose value is another object's target `id` (`manager`, `members`).
    pub fn is_reference(&self) -> bool {
        self.sub_attribute.is_none() && self.row().is_some_and(|(_, _, t, _)| *t == ScimType::Reference)
    }

    /// True for value-filtered paths (`emails[type eq "work"].value`).
    pub fn is_filtered(&self) -> bool {
        self.filter.is_some()
    }

    /// True for multi-valued attributes (the whole attribute, not one filtered element).
    pub fn is_multi_valued(&self) -> bool {
        self.filter.is_none() && self.sub_attribute.is_none() && self.row().is_some_and(|r| r.3)
    }

    /// The SCIM type of the value at this path (unknown attributes are strings).
    pub fn scim_type(&self) -> ScimType {
        let Some((_, subs, ty, _)) = self.row() else { return ScimType::String };
        match &self.sub_attribute {
            None => *ty,
            Some(sub) => subs.iter().find(|(s, _)| s == sub).map_or(ScimType::String, |(_, t)| *t),
        }
    }

    /// The typed JSON Entra sends for `v` on POST: booleans (from `true`/`false` in any case) for boolean
    /// attributes, integers for integer attributes, role objects for unfiltered complex multi-valued
    /// attributes fed with JSON texts, strings otherwise. `Null` gives `null`. A multi-valued value sent to
    /// a single-valued RFC 7643 attribute or a filtered element keeps its first value; custom attributes
    /// keep the array (multi-valued extension attributes built with `Split`).
    pub fn scim_value(&self, v: &Value) -> serde_json::Value {
        let single_valued = self.is_filtered() || self.sub_attribute.is_some() || self.row().is_some_and(|r| !r.3);
        match v {
            Value::Null => serde_json::Value::Null,
            Value::Multi(items) if single_valued => {
                items.first().map_or(serde_json::Value::Null, |i| self.scim_value(i))
            }
            Value::Multi(items) => serde_json::Value::Array(items.iter().map(|i| self.scim_element(i)).collect()),
            single if self.is_multi_valued() => serde_json::Value::Array(vec![self.scim_element(single)]),
            single => self.scalar(single),
        }
    }

    /// [`TargetAttr::scim_value`] of a value no longer needed: a string for a string attribute is moved,
    /// not copied.
    pub fn into_scim_value(&self, v: Value) -> serde_json::Value {
        match v {
            Value::Str(s) if self.sends_strings_unchanged() => serde_json::Value::String(s),
            other => self.scim_value(&other),
        }
    }

    /// True when [`TargetAttr::into_scim_value`] sends a string as it is: a single-valued attribute that is
    /// neither boolean nor integer.
    pub fn sends_strings_unchanged(&self) -> bool {
        !self.is_multi_valued() && !matches!(self.scim_type(), ScimType::Boolean | ScimType::Integer)
    }

    fn scim_element(&self, v: &Value) -> serde_json::Value {
        if self.is_multi_valued() {
            if let Some(obj) = v.to_text().and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok()) {
                if obj.is_object() {
                    return obj;
                }
            }
            return serde_json::json!({ "value": v.to_text().unwrap_or_default() });
        }
        self.scalar(v)
    }

    fn scalar(&self, v: &Value) -> serde_json::Value {
        let text = v.to_text().unwrap_or_default();
        match self.scim_type() {
            ScimType::Boolean => match v {
                Value::Bool(b) => serde_json::Value::Bool(*b),
                _ if text.trim().eq_ignore_ascii_case("true") => serde_json::Value::Bool(true),
                _ if text.trim().eq_ignore_ascii_case("false") => serde_json::Value::Bool(false),
                _ => serde_json::Value::String(text),
            },
            ScimType::Integer => {
                text.trim().parse::<i64>().map_or(serde_json::Value::String(text), serde_json::Value::from)
            }
            _ => serde_json::Value::String(text),
        }
    }

    /// The value at this path in a SCIM resource returned by an endpoint: names compared
    /// case-insensitively, typed elements found by their filter, extension values inside the URN object,
    /// and a complex `manager` read as its `value`.
    pub fn lookup<'a>(&self, resource: &'a serde_json::Value) -> Option<&'a serde_json::Value> {
        let container = match &self.schema {
            Some(urn) => get_ci(resource, urn)?,
            None => resource,
        };
        let mut v = get_ci(container, &self.attribute)?;
        if let Some(f) = &self.filter {
            v = v.as_array()?.iter().find(|el| f.matches(el))?;
        }
        if let Some(sub) = &self.sub_attribute {
            v = get_ci(v, sub)?;
        } else if self.is_reference() && v.is_object() {
            v = get_ci(v, "value")?;
        }
        (!v.is_null()).then_some(v)
    }
}

impl ValueFilter {
    /// True when a multi-valued element matches: strings compare exactly (Entra does not find `Work`
    /// for `work`), booleans match `"True"`/`"False"` in any case.
    pub fn matches(&self, element: &serde_json::Value) -> bool {
        match get_ci(element, &self.attribute) {
            Some(serde_json::Value::String(s)) => s == &self.value,
            Some(serde_json::Value::Bool(b)) => self.value.eq_ignore_ascii_case(if *b { "true" } else { "false" }),
            _ => false,
        }
    }

    /// The filter value as JSON (booleans for `primary`).
    pub fn json_value(&self) -> serde_json::Value {
        match self.value.to_ascii_lowercase().as_str() {
            "true" if self.attribute == "primary" => serde_json::Value::Bool(true),
            "false" if self.attribute == "primary" => serde_json::Value::Bool(false),
            _ => serde_json::Value::String(self.value.clone()),
        }
    }
}

fn get_ci<'a>(v: &'a serde_json::Value, key: &str) -> Option<&'a serde_json::Value> {
    let obj = v.as_object()?;
    obj.get(key).or_else(|| obj.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v))
}

fn is_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '$' || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '$')
}

fn parse_filter(inner: &str) -> Result<ValueFilter, String> {
    let mut parts = inner.trim().splitn(3, char::is_whitespace).filter(|p| !p.is_empty());
    let attribute = parts.next().unwrap_or_default();
    let op = parts.next().unwrap_or_default();
    let value = parts.next().unwrap_or_default().trim();
    if !is_name(attribute) || !op.eq_ignore_ascii_case("eq") || value.is_empty() {
        return Err(format!("expected a filter like `type eq \"work\"`, found `{inner}`"));
    }
    let value = value.strip_prefix('"').and_then(|v| v.strip_suffix('"')).unwrap_or(value);
    Ok(ValueFilter { attribute: attribute.to_string(), value: value.to_string() })
}

impl fmt::Display for TargetAttr {
    /// The canonical path text (`emails[type eq "work"].value`, `urn:…:User:employeeNumber`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(urn) = &self.schema {
            write!(f, "{urn}:")?;
        }
        f.write_str(&self.attribute)?;
        if let Some(filter) = &self.filter {
            write!(f, "[{} eq \"{}\"]", filter.attribute, filter.value)?;
        }
        if let Some(sub) = &self.sub_attribute {
            write!(f, ".{sub}")?;
        }
        Ok(())
    }
}

impl Serialize for TargetAttr {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn t(s: &str) -> TargetAttr {
        TargetAttr::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn parses_and_prints_every_documented_shape() {
        for path in [
            "userName",
            "name.givenName",
            r#"emails[type eq "work"].value"#,
            r#"addresses[type eq "work"].streetAddress"#,
            r#"roles[primary eq "True"].value"#,
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
            "urn:ietf:params:scim:schemas:extension:Contoso:2.0:User:badgeId",
            "members",
        ] {
            assert_eq!(t(path).to_string(), path);
        }
        assert_eq!(t(r#"addresses[type eq "other"].Formatted"#).to_string(), r#"addresses[type eq "other"].formatted"#);
        assert_eq!(t("USERNAME").to_string(), "userName");
    }

    #[test]
    fn rejects_malformed_paths_with_offsets() {
        assert_eq!(TargetAttr::parse(r#"emails[type eq "work"]"#).unwrap_err().offset, 22);
        assert_eq!(TargetAttr::parse(r#"emails[type "work"].value"#).unwrap_err().offset, 7);
        assert!(TargetAttr::parse("name..givenName").is_err());
        assert!(TargetAttr::parse("").is_err());
        assert!(TargetAttr::parse("emails[type eq \"work\".value").unwrap_err().message.contains("`]`"));
    }

    #[test]
    fn unknown_core_parts_are_found_with_suggestions() {
        assert_eq!(t("usrName").unknown_part(), Some(("usrName".to_string(), Some("userName"))));
        assert_eq!(t("name.givenNme").unknown_part(), Some(("name.givenNme".to_string(), Some("givenName"))));
        assert_eq!(
            t("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCentre").unknown_part().map(|p| p.1),
            Some(Some("costCenter"))
        );
        assert_eq!(t("urn:ietf:params:scim:schemas:extension:Contoso:2.0:User:anything").unknown_part(), None);
        assert_eq!(t(r#"emails[type eq "work"].value"#).unknown_part(), None);
    }

    #[test]
    fn types_come_from_the_schema_table() {
        assert_eq!(t("active").scim_type(), ScimType::Boolean);
        assert_eq!(t(r#"emails[type eq "work"].primary"#).scim_type(), ScimType::Boolean);
        assert_eq!(
            t("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager").scim_type(),
            ScimType::Reference
        );
        assert!(t("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager").is_reference());
        assert!(t("members").is_reference());
        assert!(!t("userName").is_reference());
        assert!(t(r#"emails[type eq "work"].value"#).is_filtered());
        assert_eq!(t("custom").scim_type(), ScimType::String);
    }

    #[test]
    fn scim_values_are_typed() {
        assert_eq!(t("active").scim_value(&"True".into()), json!(true));
        assert_eq!(t("active").scim_value(&"false".into()), json!(false));
        assert_eq!(t("active").scim_value(&Value::Bool(true)), json!(true));
        assert_eq!(t("displayName").scim_value(&Value::Bool(true)), json!("True"));
        assert_eq!(t("displayName").scim_value(&Value::Int(3)), json!("3"));
        assert_eq!(t("displayName").scim_value(&Value::Null), json!(null));
        let two = Value::Multi(vec!["a".into(), "b".into()]);
        assert_eq!(t("displayName").scim_value(&two), json!("a"), "single-valued attributes keep the first value");
        assert_eq!(
            t("urn:ietf:params:scim:schemas:extension:Contoso:2.0:User:sets").scim_value(&two),
            json!(["a", "b"])
        );
        let role = Value::Multi(vec![Value::Str(r#"{"primary":false,"value":"Admin"}"#.into())]);
        assert_eq!(t("roles").scim_value(&role), json!([{"primary": false, "value": "Admin"}]));
    }

    #[test]
    fn owned_values_are_typed_as_borrowed_ones_are() {
        let targets = ["active", "displayName", "userName", "roles", r#"emails[type eq "work"].value"#, "externalId"];
        let values: [Value; 5] = ["True".into(), "42".into(), " plain ".into(), Value::Null, Value::Int(7)];
        for target in targets {
            for value in &values {
                assert_eq!(t(target).into_scim_value(value.clone()), t(target).scim_value(value), "{target} {value:?}");
            }
        }
    }

    #[test]
    fn lookup_reads_endpoint_resources() {
        let user = json!({
            "UserName": "alice@contoso.com",
            "name": {"givenName": "Alice"},
            "emails": [{"type": "home", "value": "a@home"}, {"type": "work", "value": "alice@contoso.com", "primary": true}],
            "roles": [{"primary": true, "value": "Admin"}],
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"employeeNumber": "1234", "manager": {"value": "m-1"}},
            "phoneNumbers": [{"type": "Work", "value": "1"}]
        });
        assert_eq!(t("userName").lookup(&user), Some(&json!("alice@contoso.com")));
        assert_eq!(t("name.givenName").lookup(&user), Some(&json!("Alice")));
        assert_eq!(t(r#"emails[type eq "work"].value"#).lookup(&user), Some(&json!("alice@contoso.com")));
        assert_eq!(t(r#"roles[primary eq "True"].value"#).lookup(&user), Some(&json!("Admin")));
        assert_eq!(
            t("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber").lookup(&user),
            Some(&json!("1234"))
        );
        assert_eq!(
            t("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager").lookup(&user),
            Some(&json!("m-1"))
        );
        assert_eq!(t(r#"phoneNumbers[type eq "work"].value"#).lookup(&user), None, "type values compare exactly");
        assert_eq!(t("title").lookup(&user), None);
    }
}
