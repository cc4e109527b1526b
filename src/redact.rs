//! Redaction for deterministic transcripts (STYLE C6): server ids become stable aliases named after
//! the source object (`<user:alice>`, `<group:eng>`, probe GUIDs `<probe:1>`); ids the engine never
//! linked become `<id:1>`, `<id:2>` in order of first appearance; timestamps, `ETag` versions, the base
//! URL (and so the port), secrets and the `--unique-names` run tag become fixed placeholders. Durations are
//! never rendered.
//!
//! A low module on purpose: it owns [`IdAlias`] (the engine records them, `engine::result` re-exports the
//! type) and reads only `scim::client` exchanges, so the engine (expectations read redacted request lines),
//! `snapshot` (transcripts), `report` and `cmd` all import it without importing each other.

use std::sync::OnceLock;

use regex::Regex;
use serde_json::{Map, Value as Json};

use serde::{Deserialize, Serialize};

use crate::scim::client::{form_decode, Exchange};

/// A target id (or probe value) and the alias transcripts show instead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdAlias {
    /// The raw value as the endpoint returned it.
    pub id: String,
    /// The alias, such as `user:alice`, `group:eng`, `probe:1`.
    pub alias: String,
}

fn timestamp_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?")
            .expect("invariant: the timestamp pattern is valid")
    })
}

fn etag_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r#"^(W/)?"[^"]*"$"#).expect("invariant: the ETag pattern is valid"))
}

/// Replaces run-specific values with stable placeholders.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    ids: Vec<(String, String)>,
    unknown: usize,
    base: Option<String>,
    secrets: Vec<String>,
    run_tag: Option<String>,
}

impl Redactor {
    /// A redactor for known aliases, the base URL the run used and secrets that must never show.
    pub fn new(aliases: &[IdAlias], base_url: Option<&str>, secrets: &[String]) -> Self {
        let ids = aliases.iter().map(|a| (a.id.clone(), format!("<{}>", a.alias))).collect();
        let base = base_url.map(|b| b.trim_end_matches('/').to_string()).filter(|b| !b.is_empty());
        let secrets = secrets.iter().filter(|s| !s.is_empty()).cloned().collect();
        Redactor { ids, unknown: 0, base, secrets, run_tag: None }
    }

    /// Also removes the `--unique-names` tag (in any case), so a tagged run reads like an untagged one.
    pub fn with_run_tag(mut self, tag: Option<&str>) -> Self {
        self.run_tag = tag.filter(|t| !t.is_empty()).map(str::to_string);
        self
    }

    /// Assigns `<id:N>` to every `id` in response bodies that has no alias, in order of appearance.
    pub fn learn(&mut self, exchanges: &[Exchange]) {
        for e in exchanges {
            if let Some(body) = e.response_body.json() {
                self.learn_json(body);
            }
        }
    }

    fn learn_json(&mut self, value: &Json) {
        match value {
            Json::Object(map) => {
                for (k, v) in map {
                    if k == "id" {
                        let id = match v {
                            Json::String(s) => s.clone(),
                            Json::Number(n) => n.to_string(),
                            _ => continue,
                        };
                        if !id.is_empty() && !self.ids.iter().any(|(known, _)| *known == id) {
                            self.unknown += 1;
                            self.ids.push((id, format!("<id:{}>", self.unknown)));
                        }
                    } else {
                        self.learn_json(v);
                    }
                }
            }
            Json::Array(items) => items.iter().for_each(|i| self.learn_json(i)),
            _ => {}
        }
    }

    /// The alias of an exact id.
    fn alias(&self, text: &str) -> Option<&str> {
        self.ids.iter().find(|(id, _)| id == text).map(|(_, a)| a.as_str())
    }

    /// Redacts free text: base URL, secrets, path segments and quoted literals that are ids, timestamps.
    pub fn text(&self, text: &str) -> String {
        if let Some(alias) = self.alias(text) {
            return alias.to_string();
        }
        let mut out = match &self.run_tag {
            Some(tag) => remove_tag(text, tag),
            None => text.to_string(),
        };
        for secret in &self.secrets {
            out = out.replace(secret.as_str(), "<token>");
        }
        if let Some(base) = &self.base {
            out = out.replace(base.as_str(), "<base>");
        }
        let mut ids: Vec<&(String, String)> = self.ids.iter().collect();
        ids.sort_by_key(|(id, _)| std::cmp::Reverse(id.len()));
        for (id, alias) in ids {
            out = out.replace(&format!("\"{id}\""), &format!("\"{alias}\""));
            out = replace_segment(&out, id, alias);
            if id.len() >= 8 {
                out = replace_word(&out, id, alias);
            }
        }
        timestamp_re().replace_all(&out, "<timestamp>").into_owned()
    }

    /// Redacts a JSON value; `version` fields and `ETag`s become `<version>`.
    pub fn json(&self, value: &Json) -> Json {
        match value {
            Json::String(s) => Json::String(self.text(s)),
            Json::Number(n) => match self.alias(&n.to_string()) {
                Some(a) => Json::String(a.to_string()),
                None => value.clone(),
            },
            Json::Array(items) => Json::Array(items.iter().map(|i| self.json(i)).collect()),
            Json::Object(map) => {
                let mut out = Map::new();
                for (k, v) in map {
                    let redacted = if k.eq_ignore_ascii_case("version") && v.is_string() {
                        Json::String("<version>".into())
                    } else {
                        self.json(v)
                    };
                    out.insert(k.clone(), redacted);
                }
                Json::Object(out)
            }
            other => other.clone(),
        }
    }

    /// A header value (`etag` → `<version>`).
    pub fn header(&self, name: &str, value: &str) -> String {
        if name.eq_ignore_ascii_case("etag") || etag_re().is_match(value) {
            "<version>".into()
        } else {
            self.text(value)
        }
    }

    /// `METHOD /path?query` with the query decoded and everything redacted.
    pub fn request_line(&self, e: &Exchange) -> String {
        let path = self.text(&e.path);
        if e.query.is_empty() {
            format!("{} {path}", e.method)
        } else {
            let query: Vec<String> = e
                .query
                .split('&')
                .map(|part| match part.split_once('=') {
                    Some((k, v)) => format!("{}={}", form_decode(k), self.text(&form_decode(v))),
                    None => form_decode(part),
                })
                .collect();
            format!("{} {path}?{}", e.method, query.join("&"))
        }
    }
}

/// `text` without the run tag `tag`, as sent or upper-cased (lower-casing leaves a tag as it is).
pub fn remove_tag(text: &str, tag: &str) -> String {
    if tag.is_empty() {
        return text.to_string();
    }
    text.replace(tag, "").replace(&tag.to_uppercase(), "")
}

/// Replaces `id` where it stands as a whole token (not inside a longer run of letters, digits or `-`).
fn replace_word(text: &str, id: &str, alias: &str) -> String {
    let is_word = |c: char| c.is_ascii_alphanumeric() || c == '-';
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut prev: Option<char> = None;
    while let Some(pos) = rest.find(id) {
        let before = rest[..pos].chars().last().or(prev);
        let after = rest[pos + id.len()..].chars().next();
        out.push_str(&rest[..pos]);
        if !before.is_some_and(is_word) && !after.is_some_and(is_word) {
            out.push_str(alias);
        } else {
            out.push_str(id);
        }
        prev = id.chars().last();
        rest = &rest[pos + id.len()..];
    }
    out.push_str(rest);
    out
}

/// Replaces `/id` path segments (followed by `/`, `?`, end or a quote) with `/alias`.
fn replace_segment(text: &str, id: &str, alias: &str) -> String {
    let needle = format!("/{id}");
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find(&needle) {
        let after = &rest[pos + needle.len()..];
        let boundary = !after.chars().next().is_some_and(|c| !matches!(c, '/' | '?' | '"' | ' ' | '#'));
        out.push_str(&rest[..pos]);
        if boundary {
            out.push('/');
            out.push_str(alias);
        } else {
            out.push_str(&needle);
        }
        rest = after;
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn redactor() -> Redactor {
        let aliases = vec![
            IdAlias { id: "a1b2".into(), alias: "user:alice".into() },
            IdAlias { id: "5f0c3d1e-7c2b".into(), alias: "probe:1".into() },
        ];
        Redactor::new(&aliases, Some("http://127.0.0.1:41234/scim/v2"), &["s3cret".to_string()])
    }

    #[test]
    fn ids_become_aliases_everywhere() {
        let r = redactor();
        assert_eq!(r.text("a1b2"), "<user:alice>");
        assert_eq!(r.text("/Users/a1b2"), "/Users/<user:alice>");
        assert_eq!(r.text("/Users/a1b2x"), "/Users/a1b2x");
        assert_eq!(r.text("members[value eq \"a1b2\"]"), "members[value eq \"<user:alice>\"]");
        assert_eq!(r.text("http://127.0.0.1:41234/scim/v2/Users/a1b2"), "<base>/Users/<user:alice>");
        assert_eq!(r.text("Bearer s3cret"), "Bearer <token>");
        assert_eq!(r.text("string (5f0c3d1e-7c2b); x5f0c3d1e-7c2b"), "string (<probe:1>); x5f0c3d1e-7c2b");
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_text_never_panics(text in ".{0,60}") {
            let r = redactor();
            let _ = r.text(&text);
            let _ = r.header("etag", &text);
        }
    }

    #[test]
    fn unknown_ids_are_numbered_in_order() {
        let mut r = redactor();
        r.learn_json(&json!({"Resources": [{"id": "zz"}, {"id": "a1b2"}, {"id": "yy"}]}));
        assert_eq!(r.json(&json!(["yy", "zz"])), json!(["<id:2>", "<id:1>"]));
    }

    #[test]
    fn timestamps_and_versions_are_fixed() {
        let r = redactor();
        let v = r.json(&json!({"meta": {"created": "2026-11-22T04:21:04.123Z", "version": "W/\"3\""}}));
        assert_eq!(v, json!({"meta": {"created": "<timestamp>", "version": "<version>"}}));
        assert_eq!(r.header("etag", "W/\"9\""), "<version>");
    }
}
