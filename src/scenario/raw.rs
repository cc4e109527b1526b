//! The scenario file as TOML sees it: a spanned tree (`toml::de::DeTable`) and checked readers over it.
//!
//! Why not `#[derive(Deserialize)]` structs with `deny_unknown_fields`: serde stops at the first error of a
//! value, and a scenario must report *every* mistake at once (an unknown key in step 3 and a wrong type in
//! step 7). So the raw layer is toml's own spanned tree, read by the small typed readers below that record
//! an error and carry on; `parse.rs` turns what they return into the validated model.

use toml::de::{DeTable, DeValue};
use toml::Spanned;

use crate::diagnostic::{did_you_mean, Diagnostic, SourceFile, Span};

/// A TOML value with its position.
pub(crate) type Node<'i> = Spanned<DeValue<'i>>;

/// Parses the document. Syntax errors come back as diagnostics (toml recovers and reports several).
pub(crate) fn parse_document<'i>(file: &SourceFile, text: &'i str) -> Result<Spanned<DeTable<'i>>, Vec<Diagnostic>> {
    let (doc, errors) = DeTable::parse_recoverable(text);
    if errors.is_empty() {
        return Ok(doc);
    }
    let mut errors = errors;
    errors.sort_by_key(|e| e.span().map_or(0, |r| r.start));
    let diags = errors
        .iter()
        .map(|e| {
            let message = e.message().trim().trim_end_matches('.').to_string();
            let d = Diagnostic::error(format!("invalid TOML: {}", first_lowercase(&message)));
            match e.span() {
                Some(r) => d.at(file, Span::from(r)).with_label("here"),
                None => d,
            }
        })
        .collect();
    Err(diags)
}

fn first_lowercase(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Collects diagnostics for one file.
pub(crate) struct Sink {
    pub file: SourceFile,
    pub diags: Vec<Diagnostic>,
}

impl Sink {
    pub(crate) fn new(file: SourceFile) -> Self {
        Sink { file, diags: Vec::new() }
    }

    /// Records an error at `span` with a label under the carets.
    pub(crate) fn error(&mut self, span: Span, message: impl Into<String>, label: impl Into<String>) {
        let d = Diagnostic::error(message).at(&self.file, span).with_label(label);
        self.diags.push(d);
    }

    /// Records a warning at `span`.
    pub(crate) fn warning(&mut self, span: Span, message: impl Into<String>, label: impl Into<String>) {
        let d = Diagnostic::warning(message).at(&self.file, span).with_label(label);
        self.diags.push(d);
    }

    /// Records an already built diagnostic.
    pub(crate) fn push(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }
}

/// The span of a spanned thing.
pub(crate) fn span_of<T>(s: &Spanned<T>) -> Span {
    Span::from(s.span())
}

/// The entries of a table in file order (toml's map sorts keys; diagnostics and JSON follow the file).
pub(crate) fn entries<'a, 'i>(table: &'a DeTable<'i>) -> Vec<(&'a str, Span, &'a Node<'i>)> {
    let mut out: Vec<_> = table.iter().map(|(k, v)| (k.get_ref().as_ref(), span_of(k), v)).collect();
    out.sort_by_key(|(_, span, _)| span.start);
    out
}

/// The value of `key`, if present.
pub(crate) fn get<'a, 'i>(table: &'a DeTable<'i>, key: &str) -> Option<&'a Node<'i>> {
    table.get(key)
}

/// The key's own span, for errors about the key rather than its value.
pub(crate) fn key_span(table: &DeTable<'_>, key: &str) -> Option<Span> {
    table.get_key_value(key).map(|(k, _)| span_of(k))
}

/// Reports every key of `table` that is not in `known`, with a "did you mean" label; returns them.
pub(crate) fn check_keys<'a>(sink: &mut Sink, table: &'a DeTable<'_>, known: &[&str], what: &str) -> Vec<&'a str> {
    let mut unknown = Vec::new();
    for (key, span, _) in entries(table) {
        if known.contains(&key) {
            continue;
        }
        unknown.push(key);
        let label = match did_you_mean(key, known.iter().copied()) {
            Some(s) => format!("did you mean `{s}`?"),
            None => "unknown key".to_string(),
        };
        let mut d = Diagnostic::error(format!("unknown key `{key}` in {what}")).at(&sink.file, span).with_label(label);
        // Long lists (the step keys) are documented; listing them all would bury the message.
        if known.len() <= 12 {
            let list: Vec<String> = known.iter().map(|k| format!("`{k}`")).collect();
            d = d.with_help(format!("expected one of: {}", list.join(", ")));
        }
        sink.push(d);
    }
    unknown
}

/// Reports a value of the wrong type.
pub(crate) fn type_error(sink: &mut Sink, node: &Node<'_>, key: &str, expected: &str) {
    sink.error(
        span_of(node),
        format!("`{key}` must be {expected}, found {}", article(node.get_ref().type_str())),
        format!("expected {expected}"),
    );
}

fn article(type_str: &str) -> String {
    match type_str {
        "integer" | "array" => format!("an {type_str}"),
        other => format!("a {other}"),
    }
}

/// A string value.
pub(crate) fn string(sink: &mut Sink, node: &Node<'_>, key: &str) -> Option<(String, Span)> {
    match node.get_ref() {
        DeValue::String(s) => Some((s.to_string(), span_of(node))),
        _ => {
            type_error(sink, node, key, "a string");
            None
        }
    }
}

/// A boolean value.
pub(crate) fn boolean(sink: &mut Sink, node: &Node<'_>, key: &str) -> Option<bool> {
    match node.get_ref() {
        DeValue::Boolean(b) => Some(*b),
        _ => {
            type_error(sink, node, key, "a boolean");
            None
        }
    }
}

/// A non-negative integer.
pub(crate) fn count(sink: &mut Sink, node: &Node<'_>, key: &str) -> Option<u64> {
    match node.get_ref() {
        DeValue::Integer(i) => match u64::from_str_radix(i.as_str(), i.radix()) {
            Ok(n) => Some(n),
            Err(_) => {
                sink.error(span_of(node), format!("`{key}` must not be negative"), "expected 0 or more");
                None
            }
        },
        _ => {
            type_error(sink, node, key, "a non-negative integer");
            None
        }
    }
}

/// An array of strings (each with its span).
pub(crate) fn string_list(sink: &mut Sink, node: &Node<'_>, key: &str) -> Option<Vec<(String, Span)>> {
    let DeValue::Array(items) = node.get_ref() else {
        type_error(sink, node, key, "an array of strings");
        return None;
    };
    let mut out = Vec::new();
    for item in items.iter() {
        match item.get_ref() {
            DeValue::String(s) => out.push((s.to_string(), span_of(item))),
            _ => type_error(sink, item, &format!("{key}[]"), "a string"),
        }
    }
    Some(out)
}

/// A table.
pub(crate) fn table<'a, 'i>(sink: &mut Sink, node: &'a Node<'i>, key: &str) -> Option<&'a DeTable<'i>> {
    match node.get_ref() {
        DeValue::Table(t) => Some(t),
        _ => {
            type_error(sink, node, key, "a table");
            None
        }
    }
}

/// An array of tables (`[[key]]` or `key = [{...}]`).
pub(crate) fn table_list<'a, 'i>(sink: &mut Sink, node: &'a Node<'i>, key: &str) -> Vec<(&'a DeTable<'i>, Span)> {
    let DeValue::Array(items) = node.get_ref() else {
        type_error(sink, node, key, "an array of tables");
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|item| match item.get_ref() {
            DeValue::Table(t) => Some((t, span_of(item))),
            _ => {
                type_error(sink, item, &format!("{key}[]"), "a table");
                None
            }
        })
        .collect()
}

/// The JSON form of a TOML value: tables keep file order, datetimes become their text.
pub(crate) fn to_json(node: &Node<'_>) -> serde_json::Value {
    match node.get_ref() {
        DeValue::String(s) => serde_json::Value::String(s.to_string()),
        DeValue::Integer(i) => i64::from_str_radix(i.as_str(), i.radix())
            .map(serde_json::Value::from)
            .unwrap_or_else(|_| serde_json::Value::String(i.to_string())),
        DeValue::Float(f) => f
            .as_str()
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map_or_else(|| serde_json::Value::String(f.as_str().to_string()), serde_json::Value::Number),
        DeValue::Boolean(b) => serde_json::Value::Bool(*b),
        DeValue::Datetime(d) => serde_json::Value::String(d.to_string()),
        DeValue::Array(items) => serde_json::Value::Array(items.iter().map(to_json).collect()),
        DeValue::Table(t) => serde_json::Value::Object(table_to_json(t)),
    }
}

/// The JSON object form of a table, in file order.
pub(crate) fn table_to_json(table: &DeTable<'_>) -> serde_json::Map<String, serde_json::Value> {
    entries(table).into_iter().map(|(k, _, v)| (k.to_string(), to_json(v))).collect()
}

/// The `toml::Value` form of a value (for `[embedded]`, deserialized later by the server's switches).
pub(crate) fn to_toml(node: &Node<'_>) -> toml::Value {
    match node.get_ref() {
        DeValue::String(s) => toml::Value::String(s.to_string()),
        DeValue::Integer(i) => i64::from_str_radix(i.as_str(), i.radix())
            .map_or_else(|_| toml::Value::String(i.to_string()), toml::Value::Integer),
        DeValue::Float(f) => {
            f.as_str().parse::<f64>().map_or_else(|_| toml::Value::String(f.to_string()), toml::Value::Float)
        }
        DeValue::Boolean(b) => toml::Value::Boolean(*b),
        DeValue::Datetime(d) => toml::Value::Datetime(*d),
        DeValue::Array(items) => toml::Value::Array(items.iter().map(to_toml).collect()),
        DeValue::Table(t) => toml::Value::Table(table_to_toml(t)),
    }
}

/// The `toml::Table` form of a table.
pub(crate) fn table_to_toml(table: &DeTable<'_>) -> toml::Table {
    table.iter().map(|(k, v)| (k.get_ref().to_string(), to_toml(v))).collect()
}
