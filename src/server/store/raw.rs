//! A request body read as borrowed text ([`Raw`]) for the create fast path ([`super::direct`]): the tree of
//! a JSON document whose strings and numbers stay slices of the body, with plain vectors for objects. It is
//! read only when every token is already in the form `serde_json` writes (so writing the tree back gives the
//! bytes `serde_json` writes for the `Value` it would read): no `null`, integers of at most 18 digits without
//! a sign on zero, strings whose only escapes are the short ones `serde_json` writes (`\"`, `\\`, `\b`, `\f`,
//! `\n`, `\r`, `\t`), keys without escapes, and no object with the same key twice in any case. Anything else
//! is `None`, and the general path reads the body (and reports its errors).

use std::borrow::Cow;

use serde_json::{Map, Value};

use super::stamp::ESCAPED;

/// Deepest nesting read; deeper documents take the general path.
const MAX_DEPTH: usize = 64;

/// A JSON value as text of the body it was read from.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Raw<'a> {
    Bool(bool),
    /// An integer as written.
    Int(&'a str),
    /// A string's text between its quotes, as `serde_json` writes it.
    Str(Cow<'a, str>),
    Arr(Vec<Raw<'a>>),
    /// Entries in document order (keys unique, in any case).
    Obj(Vec<(&'a str, Raw<'a>)>),
}

impl<'a> Raw<'a> {
    /// Reads `text` when it is one JSON object in the form described in the module docs.
    #[cfg(test)]
    pub fn parse(text: &'a str) -> Option<Raw<'a>> {
        Document::parse(text).map(|doc| Raw::Obj(doc.entries))
    }

    /// An object's value of `key`, as [`get_ci`] finds it.
    pub fn get_ci(&self, key: &str) -> Option<&Raw<'a>> {
        let Raw::Obj(entries) = self else { return None };
        get_ci(entries, key)
    }

    /// A string without escapes (its text is its value).
    pub fn as_plain_str(&self) -> Option<&str> {
        match self {
            Raw::Str(s) if !s.contains('\\') => Some(s),
            _ => None,
        }
    }

    /// Appends the compact JSON text of the value.
    pub fn write(&self, out: &mut String) {
        match self {
            Raw::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Raw::Int(n) => out.push_str(n),
            Raw::Str(s) => {
                out.push('"');
                out.push_str(s);
                out.push('"');
            }
            Raw::Arr(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    item.write(out);
                }
                out.push(']');
            }
            Raw::Obj(entries) => {
                out.push('{');
                for (i, (key, value)) in entries.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_entry(out, key, value);
                }
                out.push('}');
            }
        }
    }

    /// The value as a `serde_json` tree.
    pub fn to_value(&self) -> Value {
        match self {
            Raw::Bool(b) => Value::Bool(*b),
            // At most 18 digits: always an `i64`.
            Raw::Int(n) => n.parse::<i64>().map(Value::from).unwrap_or(Value::Null),
            Raw::Str(s) if !s.contains('\\') => Value::String(s.to_string()),
            // The escapes are JSON's, so the quoted text reads back as the string.
            Raw::Str(s) => serde_json::from_str(&format!("\"{s}\"")).unwrap_or(Value::Null),
            Raw::Arr(items) => Value::Array(items.iter().map(Raw::to_value).collect()),
            Raw::Obj(entries) => {
                Value::Object(entries.iter().map(|(k, v)| (k.to_string(), v.to_value())).collect::<Map<_, _>>())
            }
        }
    }
}

/// A JSON object read as [`Raw`] entries, with the text of each value that is already written compactly
/// (no space between its tokens), which is then its JSON text as it is.
pub(super) struct Document<'a> {
    pub entries: Vec<(&'a str, Raw<'a>)>,
    /// Per entry, the value's text when it is compact.
    pub compact: Vec<Option<&'a str>>,
}

impl<'a> Document<'a> {
    /// Reads `text` when it is one JSON object in the form described in the module docs.
    pub fn parse(text: &'a str) -> Option<Document<'a>> {
        let mut reader = Reader { text, b: text.as_bytes(), at: 0, spaced: false };
        if reader.next_token()? != b'{' {
            return None;
        }
        let mut doc = Document { entries: Vec::with_capacity(24), compact: Vec::with_capacity(24) };
        reader.skip_space();
        if reader.peek()? == b'}' {
            reader.at += 1;
        } else {
            loop {
                let key = reader.key(&doc.entries)?;
                reader.skip_space();
                let (start, spaced) = (reader.at, std::mem::take(&mut reader.spaced));
                let value = reader.value(1)?;
                let compact = !std::mem::replace(&mut reader.spaced, spaced);
                doc.compact.push(compact.then(|| &text[start..reader.at]));
                doc.entries.push((key, value));
                match reader.next_token()? {
                    b',' => {}
                    b'}' => break,
                    _ => return None,
                }
            }
        }
        reader.skip_space();
        (reader.at == reader.b.len()).then_some(doc)
    }

    /// Keeps the entries `keep` admits.
    pub fn retain(&mut self, keep: impl Fn(&str) -> bool) {
        let kept: Vec<bool> = self.entries.iter().map(|(k, _)| keep(k)).collect();
        let mut at = 0;
        self.entries.retain(|_| (kept[at], at += 1).0);
        at = 0;
        self.compact.retain(|_| (kept[at], at += 1).0);
    }

    /// Takes entry `at` out.
    pub fn remove(&mut self, at: usize) -> Raw<'a> {
        self.compact.remove(at);
        self.entries.remove(at).1
    }

    /// Appends `,"key":value` for every entry.
    pub fn write_entries(&self, out: &mut String) {
        for ((key, value), text) in self.entries.iter().zip(&self.compact) {
            out.push_str(",\"");
            out.push_str(key);
            out.push_str("\":");
            match text {
                Some(text) => out.push_str(text),
                None => value.write(out),
            }
        }
    }
}

/// Where `key` is among `entries`: exactly that key, else the first in any case (as `model::key_ci`).
pub(super) fn find_ci(entries: &[(&str, Raw<'_>)], key: &str) -> Option<usize> {
    let exact = entries.iter().position(|(k, _)| *k == key);
    exact.or_else(|| entries.iter().position(|(k, _)| k.eq_ignore_ascii_case(key)))
}

/// The value of `key` among `entries`, as `model::get_ci` finds it.
pub(super) fn get_ci<'r, 'a>(entries: &'r [(&str, Raw<'a>)], key: &str) -> Option<&'r Raw<'a>> {
    find_ci(entries, key).map(|at| &entries[at].1)
}

/// Appends `"key":value`.
pub(super) fn write_entry(out: &mut String, key: &str, value: &Raw<'_>) {
    out.push('"');
    out.push_str(key);
    out.push_str("\":");
    value.write(out);
}

struct Reader<'a> {
    text: &'a str,
    b: &'a [u8],
    at: usize,
    /// Space was skipped (since this was last reset).
    spaced: bool,
}

impl<'a> Reader<'a> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.at).copied()
    }

    fn skip_space(&mut self) {
        let from = self.at;
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.at += 1;
        }
        self.spaced |= self.at != from;
    }

    /// The next non-space byte, consumed.
    fn next_token(&mut self) -> Option<u8> {
        self.skip_space();
        let b = self.peek()?;
        self.at += 1;
        Some(b)
    }

    fn value(&mut self, depth: usize) -> Option<Raw<'a>> {
        if depth > MAX_DEPTH {
            return None;
        }
        match self.next_token()? {
            b'{' => self.object(depth),
            b'[' => self.array(depth),
            b'"' => self.string().map(|s| Raw::Str(Cow::Borrowed(s))),
            b't' => self.literal("rue").then_some(Raw::Bool(true)),
            b'f' => self.literal("alse").then_some(Raw::Bool(false)),
            b'-' | b'0'..=b'9' => self.integer(),
            _ => None,
        }
    }

    fn literal(&mut self, rest: &str) -> bool {
        let found = self.b[self.at..].starts_with(rest.as_bytes());
        self.at += rest.len();
        found
    }

    /// An integer whose first byte was just consumed.
    fn integer(&mut self) -> Option<Raw<'a>> {
        let start = self.at - 1;
        let digits_from = if self.b[start] == b'-' { start + 1 } else { start };
        let mut end = digits_from;
        while self.b.get(end).is_some_and(u8::is_ascii_digit) {
            end += 1;
        }
        let digits = &self.b[digits_from..end];
        let canonical = !digits.is_empty()
            && digits.len() <= 18
            && (digits[0] != b'0' || (digits.len() == 1 && digits_from == start))
            && !matches!(self.b.get(end), Some(b'.' | b'e' | b'E'));
        self.at = end;
        canonical.then(|| Raw::Int(&self.text[start..end]))
    }

    /// A string whose opening quote was just consumed: its text up to the closing quote.
    fn string(&mut self) -> Option<&'a str> {
        let start = self.at;
        loop {
            // Strings are short: a table lookup per byte beats a vectorised search here.
            let found = self.b[self.at..].iter().position(|&c| ESCAPED[usize::from(c)])?;
            self.at += found;
            match (self.b[self.at], self.b.get(self.at + 1)) {
                (b'"', _) => {
                    self.at += 1;
                    return Some(&self.text[start..self.at - 1]);
                }
                (b'\\', Some(b'"' | b'\\' | b'b' | b'f' | b'n' | b'r' | b't')) => self.at += 2,
                _ => return None,
            }
        }
    }

    fn array(&mut self, depth: usize) -> Option<Raw<'a>> {
        self.skip_space();
        if self.peek()? == b']' {
            self.at += 1;
            return Some(Raw::Arr(Vec::new()));
        }
        let mut items = Vec::with_capacity(2);
        loop {
            items.push(self.value(depth + 1)?);
            match self.next_token()? {
                b',' => {}
                b']' => return Some(Raw::Arr(items)),
                _ => return None,
            }
        }
    }

    /// A key that is not among `entries` in any case, and its `:`.
    fn key(&mut self, entries: &[(&'a str, Raw<'a>)]) -> Option<&'a str> {
        if self.next_token()? != b'"' {
            return None;
        }
        let key = self.string().filter(|k| !k.contains('\\'))?;
        let twice = entries.iter().any(|(k, _)| k.len() == key.len() && k.eq_ignore_ascii_case(key));
        if twice || self.next_token()? != b':' {
            return None;
        }
        Some(key)
    }

    fn object(&mut self, depth: usize) -> Option<Raw<'a>> {
        self.skip_space();
        if self.peek()? == b'}' {
            self.at += 1;
            return Some(Raw::Obj(Vec::new()));
        }
        let mut entries: Vec<(&'a str, Raw<'a>)> = Vec::with_capacity(4);
        loop {
            let key = self.key(&entries)?;
            let value = self.value(depth + 1)?;
            entries.push((key, value));
            match self.next_token()? {
                b',' => {}
                b'}' => return Some(Raw::Obj(entries)),
                _ => return None,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the general path stores for `text`: the `Value` `serde_json` reads, written back.
    fn general(text: &str) -> Option<String> {
        serde_json::from_str::<Value>(text).ok().map(|v| serde_json::to_string(&v).expect("json"))
    }

    #[test]
    fn documents_read_write_what_serde_json_writes() {
        let docs = [
            r#"{}"#,
            r#" { "a" : [ 1 , -2, 0, true,false, "x\"y\\z\n\t\r\b\f", {} , [] ] , "é😀": "ü/" } "#,
            "{\"del\":\"\u{7f}\"}",
            r#"{"n":123456789012345678,"m":-123456789012345678,"deep":{"a":{"b":[[{"c":"d"}]]}}}"#,
            "{\"k\":\"tab\\tnew\\nline\"}\n",
        ];
        for text in docs {
            let raw = Raw::parse(text).unwrap_or_else(|| panic!("read {text}"));
            let mut out = String::new();
            raw.write(&mut out);
            assert_eq!(Some(out.clone()), general(text), "{text}");
            assert_eq!(Some(raw.to_value()), serde_json::from_str(text).ok(), "{text}");
        }
    }

    #[test]
    fn other_forms_are_left_to_the_general_path() {
        let declined = [
            r#"[]"#,
            r#""s""#,
            r#"{"a":null}"#,
            r#"{"a":1.5}"#,
            r#"{"a":1e3}"#,
            r#"{"a":-0}"#,
            r#"{"a":01}"#,
            r#"{"a":1234567890123456789}"#,
            r#"{"a":"\u0041"}"#,
            r#"{"a":"\/"}"#,
            r#"{"a\"b":1}"#,
            r#"{"a":1,"A":2}"#,
            r#"{"a":1,"a":2}"#,
            "{\"a\":\"raw\u{1}control\"}",
            r#"{"a":1}x"#,
            r#"{"a":1,}"#,
            r#"{"a":[1,]}"#,
            r#"{"a":tru}"#,
            r#"{"a""#,
            r#"{"a":"unterminated}"#,
            r#"{"a":"\"#,
        ];
        for text in declined {
            assert_eq!(Raw::parse(text), None, "{text}");
        }
        let deep = format!("{{\"a\":{}1{}}}", "[".repeat(100), "]".repeat(100));
        assert_eq!(Raw::parse(&deep), None);
    }

    #[test]
    fn keys_are_found_as_get_ci_finds_them() {
        let raw = Raw::parse(r#"{"userName":"a","Emails":[],"value":"v"}"#).expect("read");
        assert_eq!(raw.get_ci("username").and_then(Raw::as_plain_str), Some("a"));
        assert!(raw.get_ci("emails").is_some());
        assert_eq!(raw.get_ci("nope"), None);
        assert_eq!(Raw::Str(Cow::Borrowed("a\\nb")).as_plain_str(), None);
    }
}
