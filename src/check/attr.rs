//! The SCIM target paths Entra's mappings use, enough to build a POST body from mapped values and to
//! read a returned value back: `title`, `name.givenName`, `emails[type eq "work"].value`,
//! `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department`. Attribute names and filter
//! values compare case-insensitively, as SCIM does.

use serde_json::{Map, Value as Json};

/// A parsed target path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetPath {
    /// The extension URN, when the path has one.
    pub urn: Option<String>,
    /// The top attribute.
    pub attr: String,
    /// A `key eq "value"` selector on a multi-valued attribute.
    pub filter: Option<(String, String)>,
    /// The sub-attribute.
    pub sub: Option<String>,
}

impl TargetPath {
    /// Parses a target path; `None` when it is not one of the forms above.
    pub fn parse(text: &str) -> Option<TargetPath> {
        let text = text.trim();
        let (urn, rest) = if text.len() > 4 && text[..4].eq_ignore_ascii_case("urn:") {
            let at = text.rfind(':')?;
            (Some(text[..at].to_string()), &text[at + 1..])
        } else {
            (None, text)
        };
        let (head, filter, tail) = match rest.find('[') {
            Some(open) => {
                let close = rest[open..].find(']')? + open;
                let filter = parse_filter(&rest[open + 1..close])?;
                (&rest[..open], Some(filter), rest[close + 1..].strip_prefix('.').map(str::to_string))
            }
            None => match rest.split_once('.') {
                Some((a, s)) => (a, None, Some(s.to_string())),
                None => (rest, None, None),
            },
        };
        if head.is_empty() || !head.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$') {
            return None;
        }
        Some(TargetPath { urn, attr: head.to_string(), filter, sub: tail })
    }

    /// The value at this path in a resource (first matching element for a filtered path).
    pub fn lookup<'a>(&self, resource: &'a Json) -> Option<&'a Json> {
        let container = match &self.urn {
            Some(urn) => get_ci(resource, urn)?,
            None => resource,
        };
        let top = get_ci(container, &self.attr)?;
        let node = match &self.filter {
            Some((key, value)) => top.as_array()?.iter().find(|el| element_matches(el, key, value))?,
            None => top,
        };
        match &self.sub {
            Some(sub) => get_ci(node, sub),
            None => Some(node),
        }
    }

    /// Sets the value at this path, creating the extension object, the complex value or the typed element
    /// (`{"type": "work", ...}`) as needed. A non-object in the way is replaced.
    pub fn set(&self, resource: &mut Json, value: Json) {
        let mut container = resource;
        if let Some(urn) = &self.urn {
            container = child_object(container, urn);
        }
        match (&self.filter, &self.sub) {
            (None, None) => {
                object(container).insert(self.attr.clone(), value);
            }
            (None, Some(sub)) => {
                object(child_object(container, &self.attr)).insert(sub.clone(), value);
            }
            (Some((key, wanted)), sub) => {
                let slot = object(container).entry(self.attr.clone()).or_insert_with(|| Json::Array(Vec::new()));
                if !slot.is_array() {
                    *slot = Json::Array(Vec::new());
                }
                let list = slot.as_array_mut().expect("invariant: made an array above");
                let at = match list.iter().position(|el| element_matches(el, key, wanted)) {
                    Some(at) => at,
                    None => {
                        let mut element = Map::new();
                        element.insert(key.clone(), Json::String(wanted.clone()));
                        list.push(Json::Object(element));
                        list.len() - 1
                    }
                };
                let element = object(&mut list[at]);
                element.insert(sub.clone().unwrap_or_else(|| "value".to_string()), value);
            }
        }
    }
}

fn parse_filter(text: &str) -> Option<(String, String)> {
    let mut parts = text.trim().splitn(3, ' ');
    let key = parts.next()?.to_string();
    if !parts.next()?.eq_ignore_ascii_case("eq") {
        return None;
    }
    let value = parts.next()?.trim();
    let value = value.strip_prefix('"').and_then(|v| v.strip_suffix('"')).unwrap_or(value);
    Some((key, value.to_string()))
}

fn element_matches(element: &Json, key: &str, wanted: &str) -> bool {
    match get_ci(element, key) {
        Some(Json::String(s)) => s.eq_ignore_ascii_case(wanted),
        Some(Json::Bool(b)) => b.to_string().eq_ignore_ascii_case(wanted),
        _ => false,
    }
}

/// A member of a JSON object by case-insensitive name (exact match first).
pub fn get_ci<'a>(value: &'a Json, key: &str) -> Option<&'a Json> {
    let obj = value.as_object()?;
    obj.get(key).or_else(|| obj.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v))
}

fn object(value: &mut Json) -> &mut Map<String, Json> {
    if !value.is_object() {
        *value = Json::Object(Map::new());
    }
    value.as_object_mut().expect("invariant: made an object above")
}

fn child_object<'a>(value: &'a mut Json, key: &str) -> &'a mut Json {
    let obj = object(value);
    let existing = obj.keys().find(|k| k.eq_ignore_ascii_case(key)).cloned();
    let slot = obj.entry(existing.unwrap_or_else(|| key.to_string())).or_insert_with(|| Json::Object(Map::new()));
    if !slot.is_object() {
        *slot = Json::Object(Map::new());
    }
    slot
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ENT: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

    #[test]
    fn parses_the_path_forms_entra_uses() {
        let p = TargetPath::parse("emails[type eq \"work\"].value").unwrap();
        assert_eq!(
            (p.attr.as_str(), p.filter.clone(), p.sub.as_deref()),
            ("emails", Some(("type".into(), "work".into())), Some("value"))
        );
        let p = TargetPath::parse(&format!("{ENT}:employeeNumber")).unwrap();
        assert_eq!((p.urn.as_deref(), p.attr.as_str()), (Some(ENT), "employeeNumber"));
        assert_eq!(TargetPath::parse("name.givenName").unwrap().sub.as_deref(), Some("givenName"));
        assert!(TargetPath::parse("emails[type ne \"work\"].value").is_none());
        assert!(TargetPath::parse("").is_none());
    }

    #[test]
    fn set_builds_and_lookup_reads_back() {
        let mut body = json!({});
        for (path, value) in [
            ("userName", json!("a@x.test")),
            ("name.givenName", json!("A")),
            ("emails[type eq \"work\"].value", json!("a@x.test")),
            ("phoneNumbers[type eq \"mobile\"].value", json!("+1")),
            ("phoneNumbers[type eq \"work\"].value", json!("+2")),
            (&format!("{ENT}:department"), json!("R&D")),
        ] {
            TargetPath::parse(path).unwrap().set(&mut body, value.clone());
            assert_eq!(TargetPath::parse(path).unwrap().lookup(&body), Some(&value), "{path}");
        }
        assert_eq!(body["phoneNumbers"].as_array().unwrap().len(), 2);
        let returned = json!({"Emails": [{"Type": "Work", "Value": "b@x.test"}]});
        let p = TargetPath::parse("emails[type eq \"work\"].value").unwrap();
        assert_eq!(p.lookup(&returned), Some(&json!("b@x.test")));
        assert_eq!(TargetPath::parse("title").unwrap().lookup(&returned), None);
    }
}
