//! Reading and writing mapped target paths in a SCIM resource the way Entra addresses them:
//! `userName`, `name.givenName`, `emails[type eq "work"].value`, `urn:…:enterprise:2.0:User:department`,
//! `urn:…:User:manager`. Attribute names match case-insensitively; value filters compare exactly
//! (a `type` returned as `Work` instead of `work` is not found, which is why such endpoints flap:
//! ENTRA.md 3.3 item 4). Pure.

use serde_json::{Map, Value as Json};

/// A parsed target path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetPath {
    /// Schema URN for extension attributes.
    pub urn: Option<String>,
    /// Top-level attribute.
    pub attr: String,
    /// Value filter on a multi-valued attribute: (sub-attribute, value).
    pub filter: Option<(String, String)>,
    /// Sub-attribute.
    pub sub: Option<String>,
}

impl TargetPath {
    /// Parses a mapped target path; `None` for shapes Entra does not use.
    pub fn parse(path: &str) -> Option<TargetPath> {
        let (urn, rest) = split_urn(path);
        let (head, sub) = match rest.find(']') {
            Some(close) => {
                let after = &rest[close + 1..];
                (&rest[..=close], after.strip_prefix('.').map(str::to_string))
            }
            None => match rest.split_once('.') {
                Some((a, s)) => (a, Some(s.to_string())),
                None => (rest, None),
            },
        };
        let (attr, filter) = match head.split_once('[') {
            Some((attr, f)) => {
                let f = f.strip_suffix(']')?;
                let mut parts = f.splitn(3, ' ');
                let (sub_attr, op, value) = (parts.next()?, parts.next()?, parts.next()?);
                if !op.eq_ignore_ascii_case("eq") {
                    return None;
                }
                let value = value.trim().trim_matches('"').to_string();
                (attr.to_string(), Some((sub_attr.to_string(), value)))
            }
            None => (head.to_string(), None),
        };
        if attr.is_empty() {
            return None;
        }
        Some(TargetPath { urn, attr, filter, sub })
    }

    /// True for the manager reference.
    pub fn is_manager(&self) -> bool {
        self.attr.eq_ignore_ascii_case("manager") && self.sub.is_none() && self.filter.is_none()
    }
}

fn split_urn(path: &str) -> (Option<String>, &str) {
    if path.len() > 4 && path.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("urn:")) {
        if let Some(i) = path.rfind(':') {
            return (Some(path[..i].to_string()), &path[i + 1..]);
        }
    }
    (None, path)
}

fn get_ci<'a>(obj: &'a Map<String, Json>, key: &str) -> Option<&'a Json> {
    obj.get(key).or_else(|| obj.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v))
}

fn filter_matches(element: &Json, (sub, value): &(String, String)) -> bool {
    let Some(obj) = element.as_object() else { return false };
    match get_ci(obj, sub) {
        Some(Json::String(s)) => s == value,
        Some(Json::Bool(b)) => value.eq_ignore_ascii_case(if *b { "true" } else { "false" }),
        _ => false,
    }
}

/// The value at `path` in a resource; `None` when absent or `null`.
pub fn get(resource: &Json, path: &TargetPath) -> Option<Json> {
    let mut container = resource.as_object()?;
    if let Some(urn) = &path.urn {
        container = get_ci(container, urn)?.as_object()?;
    }
    let mut value = get_ci(container, &path.attr)?;
    if let Some(filter) = &path.filter {
        value = value.as_array()?.iter().find(|e| filter_matches(e, filter))?;
    }
    if let Some(sub) = &path.sub {
        value = get_ci(value.as_object()?, sub)?;
    }
    (!value.is_null()).then(|| value.clone())
}

/// Sets `path` in a resource for a POST body, creating containers and filtered elements
/// (`{"type": "work", "value": …}`; work emails and addresses carry `primary: true` as Entra sends them).
pub fn set(resource: &mut Map<String, Json>, path: &TargetPath, value: Json) {
    let container = match &path.urn {
        Some(urn) => object_entry(resource, urn),
        None => resource,
    };
    match (&path.filter, &path.sub) {
        (None, None) => {
            container.insert(path.attr.clone(), value);
        }
        (None, Some(sub)) => {
            object_entry(container, &path.attr).insert(sub.clone(), value);
        }
        (Some(filter), sub) => {
            let array = container.entry(path.attr.clone()).or_insert_with(|| Json::Array(Vec::new()));
            if !array.is_array() {
                *array = Json::Array(Vec::new());
            }
            let Json::Array(items) = array else { return };
            let position = items.iter().position(|e| filter_matches(e, filter));
            let index = position.unwrap_or_else(|| {
                let mut element = Map::new();
                let primary = filter.0 == "type"
                    && filter.1 == "work"
                    && (path.attr.eq_ignore_ascii_case("emails") || path.attr.eq_ignore_ascii_case("addresses"));
                if primary {
                    element.insert("primary".into(), Json::Bool(true));
                }
                let filter_value = if filter.0 == "primary" {
                    Json::Bool(filter.1.eq_ignore_ascii_case("true"))
                } else {
                    Json::String(filter.1.clone())
                };
                element.insert(filter.0.clone(), filter_value);
                items.push(Json::Object(element));
                items.len() - 1
            });
            if let Some(Json::Object(element)) = items.get_mut(index) {
                element.insert(sub.clone().unwrap_or_else(|| "value".into()), value);
            }
        }
    }
}

fn object_entry<'a>(map: &'a mut Map<String, Json>, key: &str) -> &'a mut Map<String, Json> {
    let slot = map.entry(key.to_string()).or_insert_with(|| Json::Object(Map::new()));
    if !slot.is_object() {
        *slot = Json::Object(Map::new());
    }
    slot.as_object_mut().expect("invariant: the slot was just made an object")
}

/// The manager's target id as returned: `{"value": id}` (RFC form) or a bare string. The second
/// element tells whether it came as a bare string (which Entra cannot deserialise: ENTRA.md 1.8).
pub fn manager_id(value: &Json) -> Option<(String, bool)> {
    match value {
        Json::String(s) if !s.is_empty() => Some((s.clone(), true)),
        Json::Object(o) => match get_ci(o, "value") {
            Some(Json::String(s)) if !s.is_empty() => Some((s.clone(), false)),
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn p(s: &str) -> TargetPath {
        TargetPath::parse(s).unwrap()
    }

    #[test]
    fn parses_entra_paths() {
        assert_eq!(p("userName"), TargetPath { urn: None, attr: "userName".into(), filter: None, sub: None });
        let e = p("emails[type eq \"work\"].value");
        assert_eq!(
            (e.attr.as_str(), e.filter.clone(), e.sub.as_deref()),
            ("emails", Some(("type".into(), "work".into())), Some("value"))
        );
        let x = p("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager");
        assert_eq!(x.urn.as_deref(), Some("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"));
        assert!(x.is_manager());
        assert_eq!(p("name.givenName").sub.as_deref(), Some("givenName"));
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_paths_never_panic(text in ".{0,40}") {
            if let Some(path) = TargetPath::parse(&text) {
                let _ = get(&serde_json::json!({"a": [{"type": "work"}], "urn:x": {"y": 1}}), &path);
                set(&mut Map::new(), &path, serde_json::json!("v"));
            }
        }
    }

    #[test]
    fn odd_paths_do_not_panic() {
        for text in ["ü", "üürn:x", "[", "a[", "a[b]", "a[type eq]", "urn:", "urn:x:y", "a..b", "é[type eq \"x\"].v"]
        {
            let _ = TargetPath::parse(text).map(|p| get(&serde_json::json!({"a": [1]}), &p));
        }
    }

    #[test]
    fn get_reads_case_insensitive_names_and_exact_filters() {
        let r = json!({"UserName": "a", "emails": [{"type": "Work", "value": "x"}, {"type": "work", "value": "y"}],
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "R&D", "manager": {"value": "9"}}});
        assert_eq!(get(&r, &p("userName")), Some(json!("a")));
        assert_eq!(get(&r, &p("emails[type eq \"work\"].value")), Some(json!("y")));
        assert_eq!(
            get(&r, &p("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department")),
            Some(json!("R&D"))
        );
        assert_eq!(get(&r, &p("title")), None);
        let m = get(&r, &p("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager")).unwrap();
        assert_eq!(manager_id(&m), Some(("9".into(), false)));
        assert_eq!(manager_id(&json!("9")), Some(("9".into(), true)));
    }

    #[test]
    fn set_builds_entra_shaped_bodies() {
        let mut r = Map::new();
        set(&mut r, &p("name.givenName"), json!("A"));
        set(&mut r, &p("emails[type eq \"work\"].value"), json!("a@x"));
        set(&mut r, &p("addresses[type eq \"work\"].locality"), json!("Redmond"));
        set(&mut r, &p("addresses[type eq \"work\"].region"), json!("WA"));
        set(&mut r, &p("phoneNumbers[type eq \"mobile\"].value"), json!("1"));
        set(&mut r, &p("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"), json!("D"));
        assert_eq!(
            Json::Object(r),
            json!({"name": {"givenName": "A"},
                "emails": [{"primary": true, "type": "work", "value": "a@x"}],
                "addresses": [{"primary": true, "type": "work", "locality": "Redmond", "region": "WA"}],
                "phoneNumbers": [{"type": "mobile", "value": "1"}],
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "D"}})
        );
    }
}
