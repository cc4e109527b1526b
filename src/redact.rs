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
use rustc_hash::FxHashMap;
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
///
/// A tenant of 100,000 users has 100,000 aliases and renders thousands of exchanges, so ids are not
/// searched for one by one: an id made only of ASCII letters, digits and `-` (UUIDs, numbers, hex: nearly
/// all of them) can only stand as a whole run of such characters, so [`Redactor::text`] looks each run of
/// the text up once. The few other ids are replaced one by one, longest first.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    /// Every id with its placeholder, in the order they became known (aliases first).
    ids: Vec<(String, String)>,
    /// Where each id stands in `ids` (the first, when an id has two aliases).
    index: FxHashMap<String, usize>,
    /// The ids that are not a plain run of letters, digits and `-`, longest first.
    unusual: Vec<usize>,
    unknown: usize,
    base: Option<String>,
    secrets: Vec<String>,
    run_tag: Option<String>,
}

impl Redactor {
    /// A redactor for known aliases, the base URL the run used and secrets that must never show.
    pub fn new(aliases: &[IdAlias], base_url: Option<&str>, secrets: &[String]) -> Self {
        let base = base_url.map(|b| b.trim_end_matches('/').to_string()).filter(|b| !b.is_empty());
        let secrets = secrets.iter().filter(|s| !s.is_empty()).cloned().collect();
        let mut redactor = Redactor { base, secrets, ..Redactor::default() };
        for a in aliases {
            redactor.add(a.id.clone(), format!("<{}>", a.alias));
        }
        redactor
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
                        if !id.is_empty() && !self.index.contains_key(&id) {
                            self.unknown += 1;
                            let placeholder = format!("<id:{}>", self.unknown);
                            self.add(id, placeholder);
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

    /// Records `id`'s placeholder; an id that already has one keeps it.
    fn add(&mut self, id: String, placeholder: String) {
        if self.index.contains_key(&id) {
            return;
        }
        let at = self.ids.len();
        if id.is_empty() || !is_plain(&id) {
            // After every unusual id at least as long: longest first, and in order among equals.
            let len = id.len();
            let slot = self.unusual.partition_point(|&i| self.ids[i].0.len() >= len);
            self.unusual.insert(slot, at);
        }
        self.index.insert(id.clone(), at);
        self.ids.push((id, placeholder));
    }

    /// The alias of an exact id.
    fn alias(&self, text: &str) -> Option<&str> {
        self.index.get(text).map(|&i| self.ids[i].1.as_str())
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
        for &i in &self.unusual {
            let (id, alias) = &self.ids[i];
            out = out.replace(&format!("\"{id}\""), &format!("\"{alias}\""));
            out = replace_segment(&out, id, alias);
            if id.len() >= 8 {
                out = replace_word(&out, id, alias);
            }
        }
        if !self.index.is_empty() {
            out = self.replace_plain_ids(&out);
        }
        timestamp_re().replace_all(&out, "<timestamp>").into_owned()
    }

    /// Replaces every plain id that stands quoted (`"id"`), as a path segment (`/id` before `/`, `?`, `"`,
    /// a space, `#` or the end) or, when it has at least 8 characters, as a whole word. Such an id is a whole
    /// run of letters, digits and `-` in each of these places, so each run is looked up once.
    fn replace_plain_ids(&self, text: &str) -> String {
        let bytes = text.as_bytes();
        let mut out = String::with_capacity(text.len());
        let mut copied = 0;
        let mut at = 0;
        while at < bytes.len() {
            if !is_plain_byte(bytes[at]) {
                at += 1;
                continue;
            }
            let start = at;
            while at < bytes.len() && is_plain_byte(bytes[at]) {
                at += 1;
            }
            let Some(&i) = self.index.get(&text[start..at]) else { continue };
            let before = start.checked_sub(1).map(|b| bytes[b]);
            let after = bytes.get(at).copied();
            let quoted = before == Some(b'"') && after == Some(b'"');
            let segment = before == Some(b'/') && after.is_none_or(|c| matches!(c, b'/' | b'?' | b'"' | b' ' | b'#'));
            if quoted || segment || at - start >= 8 {
                out.push_str(&text[copied..start]);
                out.push_str(&self.ids[i].1);
                copied = at;
            }
        }
        out.push_str(&text[copied..]);
        out
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

/// Whether `id` is one run of ASCII letters, digits and `-`.
fn is_plain(id: &str) -> bool {
    id.bytes().all(is_plain_byte)
}

fn is_plain_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-'
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

    /// The redaction `text` stands for: every id in turn, longest first, each replaced where it stands
    /// quoted, as a path segment or (8 characters or more) as a whole word.
    fn one_by_one(aliases: &[IdAlias], text: &str) -> String {
        if let Some(a) = aliases.iter().find(|a| a.id == text) {
            return format!("<{}>", a.alias);
        }
        let mut ids: Vec<&IdAlias> = aliases.iter().collect();
        ids.sort_by_key(|a| std::cmp::Reverse(a.id.len()));
        let mut out = text.to_string();
        for a in ids {
            let alias = format!("<{}>", a.alias);
            out = out.replace(&format!("\"{}\"", a.id), &format!("\"{alias}\""));
            out = replace_segment(&out, &a.id, &alias);
            if a.id.len() >= 8 {
                out = replace_word(&out, &a.id, &alias);
            }
        }
        timestamp_re().replace_all(&out, "<timestamp>").into_owned()
    }

    proptest::proptest! {
        #[test]
        fn ids_are_replaced_as_if_one_by_one(
            ids in proptest::collection::vec("[a-c0-9-]{1,10}|[a-c0-9.@_ -]{1,10}", 0..8),
            words in proptest::collection::vec("[a-c0-9-]{1,10}|[a-c0-9.@_ -]{1,10}|[\"/?# .@=\\[\\]]", 0..24),
        ) {
            let aliases: Vec<IdAlias> =
                ids.iter().enumerate().map(|(i, id)| IdAlias { id: id.clone(), alias: format!("user:{i}") }).collect();
            let text = words.concat();
            let r = Redactor::new(&aliases, None, &[]);
            proptest::prop_assert_eq!(r.text(&text), one_by_one(&aliases, &text));
        }
    }

    #[test]
    fn a_hundred_thousand_aliases_redact_an_exchange_at_once() {
        let aliases: Vec<IdAlias> = (0..100_000)
            .map(|i| IdAlias { id: format!("{i:08x}-0000-4000-8000-000000000000"), alias: format!("user:u{i:06}") })
            .collect();
        let r = Redactor::new(&aliases, None, &[]);
        let text = r#"{"id":"0001869f-0000-4000-8000-000000000000","manager":{"value":"00000001-0000-4000-8000-000000000000"}}"#;
        assert_eq!(r.text(text), r#"{"id":"<user:u099999>","manager":{"value":"<user:u000001>"}}"#);
        assert_eq!(r.text("/Users/00000002-0000-4000-8000-000000000000"), "/Users/<user:u000002>");
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
