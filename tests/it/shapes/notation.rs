//! The shape notation of the request-shape checks (see the parent module) and the query decoding they
//! need.

use serde_json::{json, Value as Json};

/// `value` against `shape` (the notation is in the parent module's docs); the error says where they differ.
pub fn conforms(value: &Json, shape: &Json, at: &str) -> Result<(), String> {
    let fail = || Err(format!("{at}: expected {shape}, found {value}"));
    match shape {
        Json::String(s) if s == "<any>" => Ok(()),
        Json::String(s) if s == "<str>" => {
            if value.is_string() {
                Ok(())
            } else {
                fail()
            }
        }
        Json::String(s) if s == "<bool>" => {
            if value.is_boolean() {
                Ok(())
            } else {
                fail()
            }
        }
        Json::String(s) if s == "<json>" => {
            let parsed = value.as_str().and_then(|t| serde_json::from_str::<Json>(t).ok());
            if parsed.is_some_and(|p| p.is_object()) {
                Ok(())
            } else {
                fail()
            }
        }
        Json::String(s) if s.contains('*') => match value.as_str() {
            Some(v) if glob(s, v) => Ok(()),
            _ => fail(),
        },
        Json::Array(items) if items.first() == Some(&json!("<each>")) => match value.as_array() {
            Some(values) if !values.is_empty() => {
                values.iter().enumerate().try_for_each(|(i, v)| conforms(v, &items[1], &format!("{at}[{i}]")))
            }
            _ => fail(),
        },
        Json::Array(items) => match value.as_array() {
            Some(values) if values.len() == items.len() => {
                values.iter().zip(items).enumerate().try_for_each(|(i, (v, s))| conforms(v, s, &format!("{at}[{i}]")))
            }
            _ => fail(),
        },
        Json::Object(fields) => {
            let Some(obj) = value.as_object() else { return fail() };
            let open = fields.get("..") == Some(&Json::Bool(true));
            for (k, s) in fields.iter().filter(|(k, _)| *k != "..") {
                match obj.get(k) {
                    Some(v) => conforms(v, s, &format!("{at}.{k}"))?,
                    None => return Err(format!("{at}: missing key `{k}` in {value}")),
                }
            }
            match obj.keys().find(|k| !fields.contains_key(*k)) {
                Some(extra) if !open => Err(format!("{at}: unexpected key `{extra}` in {value}")),
                _ => Ok(()),
            }
        }
        _ if value == shape => Ok(()),
        _ => fail(),
    }
}

/// `*` matches any run of characters.
pub fn glob(pattern: &str, text: &str) -> bool {
    if !pattern.contains('*') {
        return pattern == text;
    }
    let parts: Vec<&str> = pattern.split('*').collect();
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !text.starts_with(first) || !text[first.len()..].ends_with(last) || text.len() < first.len() + last.len() {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for part in &parts[1..parts.len() - 1] {
        match rest.find(part) {
            Some(i) => rest = &rest[i + part.len()..],
            None => return false,
        }
    }
    true
}

fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() && u8::from_str_radix(&text[i + 1..i + 3], 16).is_ok() => {
                out.push(u8::from_str_radix(&text[i + 1..i + 3], 16).unwrap_or(b'?'));
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

pub fn query_pairs(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| p.split_once('=').map_or((decode(p), String::new()), |(k, v)| (decode(k), decode(v))))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shape_notation_checks_types_keys_and_casing() {
        let op = json!({"op": "Add", "path": "roles", "value": ["<each>", {"value": "<json>"}]});
        assert!(
            conforms(&json!({"op": "Add", "path": "roles", "value": [{"value": "{\"id\":\"1\"}"}]}), &op, "").is_ok()
        );
        assert!(
            conforms(&json!({"op": "add", "path": "roles", "value": [{"value": "{}"}]}), &op, "").is_err(),
            "casing"
        );
        assert!(
            conforms(&json!({"op": "Add", "path": "roles", "value": [{"value": {"id": "1"}}]}), &op, "").is_err(),
            "object, not text"
        );
        assert!(conforms(&json!({"op": "Add", "path": "roles", "value": []}), &op, "").is_err(), "empty");
        assert!(conforms(&json!({"a": 1, "b": 2}), &json!({"a": 1}), "").is_err(), "extra key");
        assert!(conforms(&json!({"a": 1, "b": 2}), &json!({"a": 1, "..": true}), "").is_ok());
        assert!(glob("members[value eq \"*\"]", "members[value eq \"u1\"]"));
        assert!(!glob("userName eq \"*\"", "externalId eq \"x\""));
        assert!(glob("members", "members") && !glob("members", "member"));
        assert_eq!(decode("userName+eq+%22a%40b%22"), "userName eq \"a@b\"");
    }
}
