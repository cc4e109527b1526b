//! The hand-written mapping file format (TOML), documented in `docs/mapping-format.md`.
//!
//! The file is read with `toml`'s spanned document parser and walked by hand rather than through serde,
//! so that every problem (unknown keys with a "did you mean", wrong types, bad target paths, expression
//! errors at their exact `line:col` inside the TOML string) is reported in one pass.

use std::ops::Range;

use toml::de::{DeTable, DeValue};
use toml::Spanned;

use crate::diagnostic::{did_you_mean, Diagnostic, Severity, SourceFile, Span};

use super::catalog::{self, ObjectKind};
use super::compile::compile_expression;
use super::model::{Apply, AttributeMapping, FlowBehavior, MappingSet, MappingSource, ObjectMapping, TargetActions};
use super::rules;
use super::scope::{ScopeOperator, ScopingClause, ScopingFilter, ScopingFilters};
use super::source::ExprSource;
use super::target::TargetAttr;

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

/// A table being read: remembers which keys were used so the rest can be reported as unknown.
struct Fields<'a, 'i> {
    map: &'a DeTable<'i>,
    span: Range<usize>,
    used: Vec<String>,
}

impl<'a, 'i> Fields<'a, 'i> {
    fn new(map: &'a DeTable<'i>, span: Range<usize>) -> Self {
        Fields { map, span, used: Vec::new() }
    }

    fn get(&mut self, key: &str) -> Option<&'a Val<'i>> {
        self.used.push(key.to_string());
        self.map.iter().find(|(k, _)| k.get_ref() == key).map(|(_, v)| v)
    }

    fn string(&mut self, cx: &mut Cx, key: &str) -> Option<(String, Range<usize>)> {
        let v = self.get(key)?;
        match v.get_ref() {
            DeValue::String(s) => Some((s.to_string(), v.span())),
            other => {
                cx.error(
                    v.span(),
                    format!("`{key}` must be a string, found {}", other.type_str()),
                    "expected a string",
                );
                None
            }
        }
    }

    fn bool(&mut self, cx: &mut Cx, key: &str) -> Option<bool> {
        let v = self.get(key)?;
        match v.get_ref() {
            DeValue::Boolean(b) => Some(*b),
            other => {
                cx.error(
                    v.span(),
                    format!("`{key}` must be true or false, found {}", other.type_str()),
                    "expected a boolean",
                );
                None
            }
        }
    }

    fn int(&mut self, cx: &mut Cx, key: &str) -> Option<(i64, Range<usize>)> {
        let v = self.get(key)?;
        let parsed = v.get_ref().as_integer().and_then(|i| i64::from_str_radix(i.as_str(), i.radix()).ok());
        if parsed.is_none() {
            cx.error(
                v.span(),
                format!("`{key}` must be an integer, found {}", v.get_ref().type_str()),
                "expected an integer",
            );
        }
        parsed.map(|i| (i, v.span()))
    }

    fn table(&mut self, cx: &mut Cx, key: &str) -> Option<(&'a DeTable<'i>, Range<usize>)> {
        let v = self.get(key)?;
        match v.get_ref() {
            DeValue::Table(t) => Some((t, v.span())),
            other => {
                cx.error(v.span(), format!("`{key}` must be a table, found {}", other.type_str()), "expected a table");
                None
            }
        }
    }

    /// The tables of an array of tables (`[[users.attributes]]`).
    fn tables(&mut self, cx: &mut Cx, key: &str) -> Vec<(&'a DeTable<'i>, Range<usize>)> {
        let Some(v) = self.get(key) else { return Vec::new() };
        let Some(items) = v.get_ref().as_array() else {
            cx.error(v.span(), format!("`{key}` must be an array of tables"), format!("write `[[...{key}]]` sections"));
            return Vec::new();
        };
        items
            .iter()
            .filter_map(|item| match item.get_ref() {
                DeValue::Table(t) => Some((t, item.span())),
                other => {
                    cx.error(
                        item.span(),
                        format!("entries of `{key}` must be tables, found {}", other.type_str()),
                        "expected a table",
                    );
                    None
                }
            })
            .collect()
    }

    /// Reports every key that was not read.
    fn finish(self, cx: &mut Cx, allowed: &[&str], what: &str) {
        for (k, _) in self.map.iter() {
            let key: &str = k.get_ref();
            if self.used.iter().any(|u| u == key) {
                continue;
            }
            let label = did_you_mean(key, allowed.iter().copied())
                .map_or_else(|| format!("expected one of {}", allowed.join(", ")), |s| format!("did you mean `{s}`?"));
            cx.error(k.span(), format!("unknown key `{key}` in {what}"), label);
        }
        let _ = self.span;
    }
}

const OBJECT_KEYS: &[&str] = &["enabled", "actions", "attributes", "scope"];
const ATTRIBUTE_KEYS: &[&str] =
    &["target", "source", "constant", "expression", "default", "apply", "matching", "case_exact", "flow"];

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

type Str = Option<(String, Range<usize>)>;

fn attribute_mapping(
    cx: &mut Cx,
    table: &DeTable<'_>,
    span: Range<usize>,
    kind: ObjectKind,
) -> Option<(AttributeMapping, Range<usize>)> {
    let mut f = Fields::new(table, span.clone());
    let target = f.string(cx, "target");
    let sources = [f.string(cx, "source"), f.string(cx, "constant"), f.string(cx, "expression")];
    let default = f.string(cx, "default").map(|(s, _)| s);
    let apply = f.string(cx, "apply");
    let matching = f.int(cx, "matching");
    let case_exact = f.bool(cx, "case_exact").unwrap_or(false);
    let flow = f.string(cx, "flow");
    f.finish(cx, ATTRIBUTE_KEYS, "an attribute mapping");

    let Some((target_text, target_span)) = target else {
        cx.error(span, "attribute mapping without `target`", "add `target = \"<SCIM attribute>\"`");
        return None;
    };
    let target = match TargetAttr::parse(&target_text) {
        Ok(t) => Some(t),
        Err(e) => {
            let at = cx.string_source(&target_span, &target_text).map(Span::new(e.offset, e.offset + 1));
            cx.push(Diagnostic::error(format!("invalid target attribute: {}", e.message)).at(&cx.file, at));
            None
        }
    };
    if sources.iter().filter(|s| s.is_some()).count() > 1 {
        let message = "an attribute mapping takes only one of `source`, `constant` and `expression`";
        cx.error(span.clone(), message, "mapping with several sources");
    }
    let source = mapping_source(cx, sources, kind);
    let apply = apply.and_then(|(a, s)| parse_apply(cx, &a, s)).unwrap_or(Apply::Always);
    let flow_behavior = parse_flow(cx, flow);
    let matching_priority = match matching {
        Some((p, _)) if p >= 1 && p <= i64::from(u32::MAX) => Some(p as u32),
        Some((_, s)) => {
            cx.error(s, "`matching` is a precedence starting at 1", "1 is tried first");
            None
        }
        None => None,
    };
    let mapping = AttributeMapping {
        target: target?,
        source: source?,
        default,
        apply,
        matching_priority,
        case_exact,
        flow_behavior,
    };
    Some((mapping, target_span))
}

/// The mapping type from whichever of `source`, `constant` and `expression` is given (none = type None).
fn mapping_source(cx: &mut Cx, [direct, constant, expression]: [Str; 3], kind: ObjectKind) -> Option<MappingSource> {
    if let Some((attr, s)) = direct {
        if !catalog::is_known_attribute(kind, &attr) {
            let label = did_you_mean(&attr, kind.attributes().iter().copied())
                .map_or_else(|| "not a source attribute".to_string(), |s| format!("did you mean `{s}`?"));
            cx.error(s, format!("unknown source attribute `{attr}`"), label);
        }
        return Some(MappingSource::Direct(attr));
    }
    if let Some((c, _)) = constant {
        return Some(MappingSource::Constant(c));
    }
    if let Some((text, s)) = expression {
        let at = cx.string_source(&s, &text);
        return compile_expression(&text, kind, &at, &mut cx.diags).map(MappingSource::Expression);
    }
    Some(MappingSource::None)
}

fn parse_flow(cx: &mut Cx, flow: Str) -> FlowBehavior {
    let Some((text, span)) = flow else { return FlowBehavior::FlowWhenChanged };
    match text.to_ascii_lowercase().replace('-', "_").as_str() {
        "when_changed" => FlowBehavior::FlowWhenChanged,
        "always" => FlowBehavior::FlowAlways,
        _ => {
            cx.error(span, "unknown `flow`", "expected \"when_changed\" or \"always\"");
            FlowBehavior::FlowWhenChanged
        }
    }
}

fn parse_apply(cx: &mut Cx, text: &str, span: Range<usize>) -> Option<Apply> {
    const NAMES: &[(&str, Apply)] = &[
        ("always", Apply::Always),
        ("on_create", Apply::OnCreate),
        ("multi_value_add_only", Apply::MultiValueAddOnly),
        ("value_add_only", Apply::ValueAddOnly),
        ("attribute_add_only", Apply::AttributeAddOnly),
    ];
    let key = text.to_ascii_lowercase().replace('-', "_");
    if let Some((_, a)) = NAMES.iter().find(|(n, _)| *n == key) {
        return Some(*a);
    }
    let label = did_you_mean(text, NAMES.iter().map(|(n, _)| *n))
        .map_or_else(|| "expected \"always\" or \"on_create\"".to_string(), |s| format!("did you mean `{s}`?"));
    cx.error(span, format!("unknown `apply` value \"{text}\""), label);
    None
}

fn filter(cx: &mut Cx, table: &DeTable<'_>, span: Range<usize>, kind: ObjectKind) -> Option<ScopingFilter> {
    let mut f = Fields::new(table, span.clone());
    let title = f.string(cx, "title").map(|(t, _)| t).unwrap_or_default();
    let clauses: Vec<ScopingClause> =
        f.tables(cx, "clauses").into_iter().filter_map(|(t, s)| clause(cx, t, s, kind)).collect();
    f.finish(cx, &["title", "clauses"], "a scoping filter");
    if clauses.is_empty() {
        cx.error(span, "scoping filter without clauses", "add `[[users.scope.clauses]]` entries or `clauses = [...]`");
    }
    Some(ScopingFilter { title, clauses })
}

fn clause(cx: &mut Cx, table: &DeTable<'_>, span: Range<usize>, kind: ObjectKind) -> Option<ScopingClause> {
    let mut f = Fields::new(table, span.clone());
    let attribute = f.string(cx, "attribute");
    let operator = f.string(cx, "operator");
    let value = f.string(cx, "value").map(|(v, _)| v).unwrap_or_default();
    f.finish(cx, &["attribute", "operator", "value"], "a scoping clause");
    let (Some((attribute, attr_span)), Some((op_text, op_span))) = (attribute, operator) else {
        cx.error(span, "a scoping clause needs `attribute` and `operator`", "incomplete clause");
        return None;
    };
    let Some(operator) = ScopeOperator::parse(&op_text) else {
        let label = did_you_mean(&op_text, ScopeOperator::names()).map_or_else(
            || format!("expected one of {}", ScopeOperator::names().collect::<Vec<_>>().join(", ")),
            |s| format!("did you mean `{s}`?"),
        );
        cx.error(op_span, format!("unknown scoping operator \"{op_text}\""), label);
        return None;
    };
    let c = ScopingClause { attribute, operator, value };
    for (message, label) in c.problems(kind) {
        let at =
            if message.contains("value") || message.contains("regex") { op_span.clone() } else { attr_span.clone() };
        cx.error(at, message, label);
    }
    Some(c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::render_all;

    fn parse(text: &str) -> (Option<MappingSet>, Vec<Diagnostic>) {
        parse_mapping_toml(&SourceFile::new("m.toml", text))
    }

    #[test]
    fn structural_mistakes_are_all_reported() {
        let text = r#"colour = "blue"

[users]
enabled = false

[[users.attributes]]
target = "userName"
source = "mail"
matching = "1"

[[users.attributes]]
source = "displayName"

[[users.attributes]]
target = "title"
source = "jobTitle"
constant = "x"
flow = "sometimes"

[[users.scope]]
title = "empty"
"#;
        let (set, diags) = parse(text);
        assert!(set.is_none());
        insta::assert_snapshot!(render_all(&diags, false));
    }

    #[test]
    fn multi_line_literal_expressions_keep_exact_positions() {
        let text = "[users]\n[[users.attributes]]\ntarget = \"userName\"\nmatching = 1\nexpression = '''\nJoin(\"\",\n     [mailNickame])'''\n";
        let (_, diags) = parse(text);
        assert_eq!(diags.len(), 1, "{diags:?}");
        assert_eq!(diags[0].position().as_deref(), Some("m.toml:7:6"));
    }

    #[test]
    fn basic_strings_with_unicode_escapes_map_positions() {
        let text = "[users]\n[[users.attributes]]\ntarget = \"userName\"\nmatching = 1\nexpression = \"Join(\\u0022 \\u0022, [givenNme])\"\n";
        let (_, diags) = parse(text);
        assert_eq!(diags.len(), 1, "{diags:?}");
        assert_eq!(diags[0].message, "unknown attribute `[givenNme]`");
        assert_eq!(diags[0].position().as_deref(), Some("m.toml:5:35"));
    }

    #[test]
    fn whole_mapping_rules() {
        let text = r#"[users]
[[users.attributes]]
target = "userName"
source = "userPrincipalName"
matching = 1
[[users.attributes]]
target = "externalId"
source = "objectId"
matching = 1
[[users.attributes]]
target = "userName"
expression = 'Guid()'
[[users.attributes]]
target = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager"
expression = 'Coalesce([manager], "none")'

[groups]
enabled = false
"#;
        let (set, diags) = parse(text);
        assert!(set.is_none());
        let messages: Vec<&str> = diags.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "matching precedence 1 is used twice",
                "duplicate mapping for target `userName`",
                "`userName` changes on every evaluation",
                "reference attribute `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager` is not mapped directly",
            ]
        );
    }

    #[test]
    fn unknown_scim_attributes_are_warnings_at_the_target() {
        let text = "[users]\n[[users.attributes]]\ntarget = \"userName\"\nsource = \"userPrincipalName\"\nmatching = 1\n[[users.attributes]]\ntarget = \"name.givenNme\"\nsource = \"givenName\"\n";
        let (set, diags) = parse(text);
        assert!(set.is_some(), "warnings do not stop loading");
        insta::assert_snapshot!(render_all(&diags, false), @r#"
        warning: unknown SCIM attribute `name.givenNme`
         --> m.toml:7:10
          |
        7 | target = "name.givenNme"
          |          ^^^^^^^^^^^^^^^ did you mean `givenName`?
        "#);
    }

    #[test]
    fn disabled_groups_and_actions() {
        let text = "[users]\nactions = [\"update\"]\n[[users.attributes]]\ntarget = \"userName\"\nsource = \"userPrincipalName\"\nmatching = 1\n[groups]\nenabled = false\n";
        let (set, diags) = parse(text);
        assert!(diags.is_empty(), "{diags:?}");
        let set = set.expect("valid");
        assert!(set.groups.is_none());
        assert_eq!(set.users.actions, TargetActions { create: false, update: true, delete: false });
    }

    #[test]
    fn toml_syntax_errors_are_located() {
        let (set, diags) = parse("[users\ntarget = 1\n");
        assert!(set.is_none());
        assert_eq!(diags[0].position().as_deref(), Some("m.toml:1:7"));
    }
}
