//! The hand-written mapping file format (TOML), documented in `docs/mapping-format.md`.
//!
//! The file is read with `toml`'s spanned document parser and walked by hand rather than through serde,
//! so that every problem (unknown keys with a "did you mean", wrong types, bad target paths, expression
//! errors at their exact `line:col` inside the TOML string) is reported in one pass.

use std::ops::Range;

use toml::de::{DeTable, DeValue};
use toml::Spanned;

use crate::diagnostic::{did_you_mean, Diagnostic, Severity, SourceFile, Span};

use super::catalog::ObjectKind;
use super::model::{MappingSet, ObjectMapping, TargetActions};
use super::rules;
use super::scope::ScopingFilters;
use super::source::ExprSource;

type Val<'i> = Spanned<DeValue<'i>>;

/// Parses a mapping file. Returns the mapping set when there is no error, and every diagnostic (errors and
/// warnings) in file order.
pub fn parse_mapping_toml(file: &SourceFile) -> (Option<MappingSet>, Vec<Diagnostic>) {
    let text: &str = &file.text;
    let (doc, errors) = DeTable::parse_recoverable(text);
    let mut cx = Cx { file: file.clone(), diags: Vec::new() };
    for e in &errors {
        let span = e.span().map_or(Span::new(0, 0), Span::from);
        cx.diags.push(Diagnostic::error(e.message().to_string()).at(file, span));
    }
    if !errors.is_empty() {
        return (None, cx.diags);
    }
    let mut root = Fields::new(doc.get_ref(), doc.span());
    let _ = root.string(&mut cx, "description");
    let users = match root.table(&mut cx, "users") {
        Some((t, span)) => object_mapping(&mut cx, t, span, ObjectKind::User),
        None => {
            cx.push(Diagnostic::error("missing `[users]` table").at(file, Span::new(0, 0)).with_help(
                "a mapping file has a `[users]` table with `[[users.attributes]]` entries; see docs/mapping-format.md",
            ));
            None
        }
    };
    let groups =
        root.table(&mut cx, "groups").and_then(|(t, span)| object_mapping(&mut cx, t, span, ObjectKind::Group));
    root.finish(&mut cx, &["description", "users", "groups"], "top level");
    cx.diags.sort_by_key(|d| d.location.as_ref().map_or(0, |(_, s)| s.start));
    let ok = !cx.diags.iter().any(Diagnostic::is_error);
    let set = match (ok, users) {
        (true, Some(users)) => Some(MappingSet { users, groups }),
        _ => None,
    };
    (set, cx.diags)
}

struct Cx {
    file: SourceFile,
    diags: Vec<Diagnostic>,
}

impl Cx {
    fn push(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    fn error(&mut self, span: Range<usize>, message: impl Into<String>, label: impl Into<String>) {
        let d = Diagnostic::error(message).at(&self.file, Span::from(span)).with_label(label);
        self.diags.push(d);
    }

    /// Where the text of a string value starts, and how its offsets map (literal strings map 1:1).
    fn string_source(&self, span: &Range<usize>, decoded: &str) -> ExprSource {
        let raw = &self.file.text[span.clone()];
        let skip_newline = |at: usize| {
            let rest = &self.file.text[at..];
            at + if rest.starts_with("\r\n") { 2 } else { usize::from(rest.starts_with('\n')) }
        };
        if raw.starts_with("'''") {
            ExprSource::linear(&self.file, skip_newline(span.start + 3))
        } else if raw.starts_with('\'') {
            ExprSource::linear(&self.file, span.start + 1)
        } else if raw.starts_with("\"\"\"") {
            ExprSource::escaped(&self.file, skip_newline(span.start + 3), decoded)
        } else {
            ExprSource::escaped(&self.file, span.start + 1, decoded)
        }
    }
}

const OBJECT_KEYS: &[&str] = &["enabled", "actions", "attributes", "scope"];

fn object_mapping(cx: &mut Cx, table: &DeTable<'_>, span: Range<usize>, kind: ObjectKind) -> Option<ObjectMapping> {
    let mut f = Fields::new(table, span.clone());
    let name = kind.as_str().to_lowercase() + "s";
    let enabled = f.bool(cx, "enabled").unwrap_or(true);
    if !enabled && kind == ObjectKind::User {
        cx.error(span.clone(), "the user mapping cannot be disabled", "Entra only lets you disable the group mapping");
    }
    let mut om = ObjectMapping::new(kind);
    if let Some(v) = f.get("actions") {
        om.actions = actions(cx, v);
    }
    let mut spans = Vec::new();
    let mut failed = false;
    for (t, s) in f.tables(cx, "attributes") {
        match attribute_mapping(cx, t, s, kind) {
            Some((m, target_span)) => {
                om.attributes.push(m);
                spans.push(target_span);
            }
            None => failed = true,
        }
    }
    om.scope = ScopingFilters {
        filters: f.tables(cx, "scope").into_iter().filter_map(|(t, s)| filter(cx, t, s, kind)).collect(),
    };
    f.finish(cx, OBJECT_KEYS, &format!("`[{name}]`"));
    // Rules about the whole mapping are only meaningful once every attribute mapping was understood.
    let rule_problems = if failed || !enabled { Vec::new() } else { rules::check_object_mapping(&om) };
    for p in rule_problems {
        let at = p.attribute.and_then(|i| spans.get(i)).cloned().unwrap_or(span.clone());
        let d = match p.severity {
            Severity::Error => Diagnostic::error(p.message),
            Severity::Warning => Diagnostic::warning(p.message),
        };
        cx.push(d.at(&cx.file, Span::from(at)).with_label(p.label));
    }
    enabled.then_some(om)
}

fn actions(cx: &mut Cx, v: &Val<'_>) -> TargetActions {
    let mut a = TargetActions { create: false, update: false, delete: false };
    let Some(items) = v.get_ref().as_array() else {
        cx.error(v.span(), "`actions` must be an array", "e.g. [\"create\", \"update\", \"delete\"]");
        return TargetActions::default();
    };
    for item in items.iter() {
        match item.get_ref().as_str().map(str::to_ascii_lowercase).as_deref() {
            Some("create") => a.create = true,
            Some("update") => a.update = true,
            Some("delete") => a.delete = true,
            _ => {
                let label =
                    item.get_ref().as_str().and_then(|s| did_you_mean(s, ["create", "update", "delete"])).map_or_else(
                        || "expected create, update or delete".to_string(),
                        |s| format!("did you mean `{s}`?"),
                    );
                cx.error(item.span(), "unknown target object action", label);
            }
        }
    }
    a
}

mod attribute;
mod fields;
mod filters;
#[cfg(test)]
mod tests;

use attribute::attribute_mapping;
use fields::Fields;
use filters::filter;
