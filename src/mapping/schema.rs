//! Import of Microsoft Graph's `synchronizationSchema` JSON (what `GET .../synchronization/jobs/{id}/schema`
//! returns and what the admin center's schema editor shows): `synchronizationRules[].objectMappings[]` with
//! their `attributeMappings` (source trees of type `Attribute`, `Constant` and `Function`), flow types,
//! matching priorities, defaults and `scope` filter groups.
//!
//! JSON has no spans in `serde_json`, so semantic problems are located by finding the offending string in
//! the text, searching forward from the previous attribute mapping; syntax errors use `serde_json`'s
//! `line:col`. Anything the simulator does not model becomes a warning that names it.

use serde_json::Value as Json;

use crate::diagnostic::{Diagnostic, Severity, SourceFile, Span};

use super::ast::{Expr, ExprKind};
use super::catalog::{self, ObjectKind};
use super::check::check_expression;
use super::compile::compile_expression;
use super::model::{
    Apply, AttributeMapping, Expression, FlowBehavior, MappingSet, MappingSource, ObjectMapping, TargetActions,
};
use super::rules;
use super::scope::{ScopeOperator, ScopingClause, ScopingFilter, ScopingFilters};
use super::source::ExprSource;
use super::target::TargetAttr;

/// Imports a Graph schema JSON file.
pub fn import_schema(file: &SourceFile) -> (Option<MappingSet>, Vec<Diagnostic>) {
    let json: Json = match serde_json::from_str(&file.text) {
        Ok(j) => j,
        Err(e) => {
            let at = offset_of(&file.text, e.line(), e.column());
            let msg = e.to_string();
            let msg = msg.rsplit_once(" at line").map_or(msg.as_str(), |(m, _)| m).to_string();
            return (None, vec![Diagnostic::error(format!("invalid JSON: {msg}")).at(file, Span::new(at, at + 1))]);
        }
    };
    let mut cx = Cx { file: file.clone(), diags: Vec::new(), cursor: 0 };
    let schema = unwrap_schema(&json);
    let Some(rules) = schema.get("synchronizationRules").and_then(Json::as_array) else {
        cx.diag(
            Severity::Error,
            "no `synchronizationRules` in the schema JSON",
            None,
            "expected a Graph synchronizationSchema",
        );
        return (None, cx.diags);
    };
    let (users, groups) = object_mappings(&mut cx, schema, rules);
    let users = match users {
        Some(Some(u)) => Some(u),
        Some(None) => None,
        None => {
            cx.diag(Severity::Error, "the schema has no object mapping with `sourceObjectName` \"User\"", None, "");
            None
        }
    };
    let groups = groups.flatten().and_then(|g| g.enabled.then_some(g.om));
    cx.diags.sort_by_key(|d| d.location.as_ref().map_or(0, |(_, s)| s.start));
    let ok = !cx.diags.iter().any(Diagnostic::is_error);
    let set = users.filter(|_| ok).map(|users| MappingSet { users: users.om, groups });
    (set, cx.diags)
}

/// An object mapping of one kind: not found, found but not importable (`Some(None)`), or imported.
type Slot = Option<Option<Imported>>;

/// The user and group object mappings of every rule (the first of each kind).
fn object_mappings(cx: &mut Cx, schema: &Json, rules: &[Json]) -> (Slot, Slot) {
    let (mut users, mut groups) = (None, None);
    for rule in rules {
        let target_directory = rule.get("targetDirectoryName").and_then(Json::as_str).unwrap_or("");
        for om in rule.get("objectMappings").and_then(Json::as_array).into_iter().flatten() {
            let source = om.get("sourceObjectName").and_then(Json::as_str).unwrap_or("");
            let name = om.get("name").and_then(Json::as_str).unwrap_or(source);
            let kind = match source.to_ascii_lowercase().as_str() {
                "user" => ObjectKind::User,
                "group" => ObjectKind::Group,
                _ => {
                    let message = format!("object mapping `{name}` ({source}) is not simulated and was skipped");
                    cx.diag(Severity::Warning, &message, Some(source), "only User and Group mappings are simulated");
                    continue;
                }
            };
            let slot = if kind == ObjectKind::User { &mut users } else { &mut groups };
            if slot.is_some() {
                let message = format!("a second {} object mapping was ignored", kind.as_str().to_lowercase());
                cx.diag(Severity::Warning, &message, Some(name), "only the first mapping per object type is used");
                continue;
            }
            let mut imported = object_mapping(cx, om, kind);
            if let Some(imported) = imported.as_mut() {
                let target_object = om.get("targetObjectName").and_then(Json::as_str).unwrap_or("");
                apply_case_exact(&mut imported.om, schema, target_directory, target_object);
            }
            *slot = Some(imported);
        }
    }
    (users, groups)
}

/// Copies "Exact case?" (`caseExact`) of each target attribute from the schema's `directories`
/// definitions onto the attribute mappings that write it.
fn apply_case_exact(om: &mut ObjectMapping, schema: &Json, directory: &str, object: &str) {
    let attributes = schema
        .get("directories")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
        .filter(|d| d.get("name").and_then(Json::as_str).is_some_and(|n| n.eq_ignore_ascii_case(directory)))
        .flat_map(|d| d.get("objects").and_then(Json::as_array).into_iter().flatten())
        .filter(|o| o.get("name").and_then(Json::as_str).is_some_and(|n| n.eq_ignore_ascii_case(object)))
        .flat_map(|o| o.get("attributes").and_then(Json::as_array).into_iter().flatten())
        .collect::<Vec<_>>();
    for m in &mut om.attributes {
        let path = m.target.to_string();
        let definition = attributes
            .iter()
            .find(|a| a.get("name").and_then(Json::as_str).is_some_and(|n| n.eq_ignore_ascii_case(&path)));
        if let Some(exact) = definition.and_then(|a| a.get("caseExact")).and_then(Json::as_bool) {
            m.case_exact = exact;
        }
    }
}

fn unwrap_schema(json: &Json) -> &Json {
    if json.get("synchronizationRules").is_some() {
        return json;
    }
    for key in ["schema", "synchronizationSchema", "value"] {
        if let Some(inner) = json.get(key).filter(|v| v.get("synchronizationRules").is_some()) {
            return inner;
        }
    }
    json
}

fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let start: usize = text.split_inclusive('\n').take(line.saturating_sub(1)).map(str::len).sum();
    (start + column.saturating_sub(1)).min(text.len())
}

struct Cx {
    file: SourceFile,
    diags: Vec<Diagnostic>,
    cursor: usize,
}

impl Cx {
    /// Where `needle` (a JSON string value) appears, searching from the cursor, else from the start.
    fn find(&self, needle: &str) -> Option<Span> {
        let quoted = serde_json::to_string(needle).ok()?;
        let text: &str = &self.file.text;
        let at = text
            .get(self.cursor..)
            .and_then(|t| t.find(&quoted))
            .map(|i| i + self.cursor)
            .or_else(|| text.find(&quoted))?;
        Some(Span::new(at, at + quoted.len()))
    }

    fn diag(&mut self, severity: Severity, message: &str, near: Option<&str>, label: &str) {
        let mut d = match severity {
            Severity::Error => Diagnostic::error(message),
            Severity::Warning => Diagnostic::warning(message),
        };
        let span = near.and_then(|n| self.find(n)).unwrap_or(Span::new(self.cursor, self.cursor + 1));
        d = d.at(&self.file, span);
        if !label.is_empty() {
            d = d.with_label(label);
        }
        self.diags.push(d);
    }
}

struct Imported {
    om: ObjectMapping,
    enabled: bool,
}

const OBJECT_KEYS: &[&str] = &[
    "enabled",
    "flowTypes",
    "name",
    "sourceObjectName",
    "targetObjectName",
    "attributeMappings",
    "scope",
    "metadata",
    "@odata.type",
];
const ATTRIBUTE_KEYS: &[&str] = &[
    "defaultValue",
    "exportMissingReferences",
    "flowBehavior",
    "flowType",
    "matchingPriority",
    "source",
    "targetAttributeName",
    "@odata.type",
];

fn object_mapping(cx: &mut Cx, om: &Json, kind: ObjectKind) -> Option<Imported> {
    let name = om.get("name").and_then(Json::as_str).unwrap_or(kind.as_str()).to_string();
    if let Some(span) = cx.find(&name) {
        cx.cursor = span.start;
    }
    warn_unknown_keys(cx, om, OBJECT_KEYS, &format!("object mapping `{name}`"));
    let enabled = om.get("enabled").and_then(Json::as_bool).unwrap_or(true);
    if !enabled && kind == ObjectKind::User {
        cx.diag(
            Severity::Warning,
            "the user object mapping is disabled in the schema; entrasim runs it anyway",
            Some(&name),
            "Entra cannot disable the user mapping",
        );
    }
    let mut out = ObjectMapping::new(kind);
    if let Some(flow_types) = om.get("flowTypes").and_then(Json::as_str) {
        let has = |w: &str| flow_types.split(',').any(|p| p.trim().eq_ignore_ascii_case(w));
        out.actions = TargetActions { create: has("Add"), update: has("Update"), delete: has("Delete") };
    }
    let mut failed = false;
    let mut located = Vec::new();
    for am in om.get("attributeMappings").and_then(Json::as_array).into_iter().flatten() {
        match attribute_mapping(cx, am, kind) {
            Some(m) => {
                located.push(cx.cursor);
                out.attributes.push(m);
            }
            None => failed = true,
        }
    }
    out.scope = scope(cx, om.get("scope"), kind);
    // Rules about the whole mapping are only meaningful once every attribute mapping was understood.
    let rule_problems = if failed || !enabled { Vec::new() } else { rules::check_object_mapping(&out) };
    for p in rule_problems {
        let at = p.attribute.and_then(|i| located.get(i)).copied().unwrap_or(cx.cursor);
        let d = match p.severity {
            Severity::Error => Diagnostic::error(p.message),
            Severity::Warning => Diagnostic::warning(p.message),
        };
        cx.diags.push(d.at(&cx.file, Span::new(at, at + 1)).with_label(p.label));
    }
    (!failed).then_some(Imported { om: out, enabled })
}

fn warn_unknown_keys(cx: &mut Cx, obj: &Json, known: &[&str], what: &str) {
    for key in obj.as_object().into_iter().flat_map(|o| o.keys()) {
        if !known.contains(&key.as_str()) && !key.starts_with("@odata") {
            cx.diag(
                Severity::Warning,
                &format!("`{key}` in {what} is not simulated and was ignored"),
                Some(key),
                "ignored",
            );
        }
    }
}

fn attribute_mapping(cx: &mut Cx, am: &Json, kind: ObjectKind) -> Option<AttributeMapping> {
    let target_text = am.get("targetAttributeName").and_then(Json::as_str).unwrap_or("").to_string();
    let previous = cx.cursor;
    if let Some(span) = cx.find(&target_text) {
        cx.cursor = span.start;
    }
    let target = match TargetAttr::parse(&target_text) {
        Ok(t) => Some(t),
        Err(e) => {
            let at = cx.find(&target_text).map_or(cx.cursor, |s| s.start + 1 + e.offset);
            cx.diags.push(
                Diagnostic::error(format!("invalid target attribute: {}", e.message))
                    .at(&cx.file, Span::new(at, at + 1)),
            );
            None
        }
    };
    // Keys of this mapping may come before its target: search from the previous mapping onwards.
    let here = cx.cursor;
    cx.cursor = previous;
    warn_unknown_keys(cx, am, ATTRIBUTE_KEYS, &format!("the mapping of `{target_text}`"));
    let source = match am.get("source") {
        None | Some(Json::Null) => Some(MappingSource::None),
        Some(src) => mapping_source(cx, src, kind),
    };
    let apply = match am.get("flowType").and_then(Json::as_str).unwrap_or("Always") {
        "Always" => Apply::Always,
        "ObjectAddOnly" => Apply::OnCreate,
        "MultiValueAddOnly" => Apply::MultiValueAddOnly,
        "ValueAddOnly" => Apply::ValueAddOnly,
        "AttributeAddOnly" => Apply::AttributeAddOnly,
        other => {
            cx.diag(Severity::Warning, &format!("unknown flowType \"{other}\" treated as Always"), Some(other), "");
            Apply::Always
        }
    };
    let flow_behavior = match am.get("flowBehavior").and_then(Json::as_str) {
        Some("FlowAlways") => FlowBehavior::FlowAlways,
        _ => FlowBehavior::FlowWhenChanged,
    };
    if am.get("exportMissingReferences").and_then(Json::as_bool) == Some(true) {
        cx.diag(
            Severity::Warning,
            &format!("`exportMissingReferences` on `{target_text}` is not simulated"),
            Some("exportMissingReferences"),
            "ignored",
        );
    }
    let matching_priority =
        am.get("matchingPriority").and_then(Json::as_u64).filter(|p| *p > 0).and_then(|p| u32::try_from(p).ok());
    let default = am.get("defaultValue").and_then(Json::as_str).filter(|d| !d.is_empty()).map(str::to_string);
    cx.cursor = here;
    Some(AttributeMapping {
        target: target?,
        source: source?,
        default,
        apply,
        matching_priority,
        case_exact: false,
        flow_behavior,
    })
}

fn mapping_source(cx: &mut Cx, src: &Json, kind: ObjectKind) -> Option<MappingSource> {
    let ty = src.get("type").and_then(Json::as_str).unwrap_or("");
    let name = src.get("name").and_then(Json::as_str).unwrap_or("").to_string();
    match ty {
        "Attribute" => {
            if !catalog::is_known_attribute(kind, &name) {
                let label = crate::diagnostic::did_you_mean(&name, kind.attributes().iter().copied())
                    .map_or_else(|| "not a source attribute".to_string(), |s| format!("did you mean `{s}`?"));
                cx.diag(Severity::Error, &format!("unknown source attribute `{name}`"), Some(&name), &label);
            }
            Some(MappingSource::Direct(name))
        }
        "Constant" => {
            Some(MappingSource::Constant(src.get("value").and_then(Json::as_str).map_or(name, str::to_string)))
        }
        "Function" => {
            if let Some(text) = src.get("expression").and_then(Json::as_str).filter(|t| !t.trim().is_empty()) {
                let at = match cx.find(text) {
                    Some(span) => ExprSource::escaped(&cx.file, span.start + 1, text),
                    None => ExprSource::linear(&cx.file, cx.cursor),
                };
                return compile_expression(text, kind, &at, &mut cx.diags).map(MappingSource::Expression);
            }
            let ast = tree(cx, src)?;
            let problems = check_expression(&ast, kind);
            for p in &problems {
                cx.diag(p.severity, &p.message, Some(&name), p.label.as_deref().unwrap_or(""));
            }
            if problems.iter().any(|p| p.severity == Severity::Error) {
                return None;
            }
            Some(MappingSource::Expression(Expression { text: ast.to_string(), ast }))
        }
        other => {
            cx.diag(
                Severity::Error,
                &format!("unknown source type \"{other}\""),
                Some(other),
                "expected Attribute, Constant or Function",
            );
            None
        }
    }
}

/// Builds an expression from a Graph source tree (used when the tree has no `expression` text).
fn tree(cx: &mut Cx, src: &Json) -> Option<Expr> {
    let ty = src.get("type").and_then(Json::as_str).unwrap_or("");
    let name = src.get("name").and_then(Json::as_str).unwrap_or("").to_string();
    let kind = match ty {
        "Attribute" => ExprKind::Attribute(name),
        "Constant" => ExprKind::Str(src.get("value").and_then(Json::as_str).map_or(name, str::to_string)),
        "Function" => {
            let mut args: Vec<Option<Expr>> = Vec::new();
            let mut extra = Vec::new();
            for p in src.get("parameters").and_then(Json::as_array).into_iter().flatten() {
                let key = p.get("key").and_then(Json::as_str).unwrap_or("");
                let value = tree(cx, p.get("value").unwrap_or(&Json::Null))?;
                match catalog::graph_param_position(&name, key) {
                    Some(i) => {
                        if args.len() <= i {
                            args.resize(i + 1, None);
                        }
                        args[i] = Some(value);
                    }
                    None => extra.push(Some(value)),
                }
            }
            let fixed = catalog::function(&name).map_or(0, |f| {
                if f.name == "Switch" {
                    2
                } else if f.max.is_none() {
                    f.params.len() - 1
                } else {
                    0
                }
            });
            if args.len() < fixed && !extra.is_empty() {
                args.resize(fixed, None);
            }
            args.extend(extra);
            ExprKind::Call { name, name_span: Span::default(), args }
        }
        other => {
            cx.diag(
                Severity::Error,
                &format!("unknown source type \"{other}\""),
                Some(other),
                "expected Attribute, Constant or Function",
            );
            return None;
        }
    };
    Some(Expr::new(kind, Span::default()))
}

fn scope(cx: &mut Cx, scope: Option<&Json>, kind: ObjectKind) -> ScopingFilters {
    let Some(scope) = scope.filter(|s| !s.is_null()) else { return ScopingFilters::default() };
    for key in ["categoryFilterGroups", "inputFilterGroups"] {
        if scope.get(key).and_then(Json::as_array).is_some_and(|a| !a.is_empty()) {
            cx.diag(
                Severity::Warning,
                &format!("scope `{key}` is not simulated and was ignored"),
                Some(key),
                "ignored",
            );
        }
    }
    let mut filters = Vec::new();
    for (gi, group) in scope.get("groups").and_then(Json::as_array).into_iter().flatten().enumerate() {
        let title = group
            .get("name")
            .and_then(Json::as_str)
            .map_or_else(|| format!("Scoping filter {}", gi + 1), str::to_string);
        let mut clauses = Vec::new();
        for c in group.get("clauses").and_then(Json::as_array).into_iter().flatten() {
            let op_name = c.get("operatorName").and_then(Json::as_str).unwrap_or("");
            let attribute = c.get("sourceOperandName").and_then(Json::as_str).unwrap_or("").to_string();
            let values: Vec<&str> = c
                .pointer("/targetOperand/values")
                .and_then(Json::as_array)
                .into_iter()
                .flatten()
                .filter_map(Json::as_str)
                .collect();
            let Some(operator) = ScopeOperator::parse(op_name) else {
                cx.diag(Severity::Error, &format!("unknown scoping operator \"{op_name}\""), Some(op_name), "");
                continue;
            };
            if values.len() > 1 {
                cx.diag(
                    Severity::Warning,
                    &format!("clause on `{attribute}` has several values; only the first is used"),
                    Some(&attribute),
                    "",
                );
            }
            let clause = ScopingClause {
                attribute: attribute.clone(),
                operator,
                value: values.first().map_or(String::new(), |v| v.to_string()),
            };
            for (message, label) in clause.problems(kind) {
                cx.diag(Severity::Error, &message, Some(&attribute), &label);
            }
            clauses.push(clause);
        }
        filters.push(ScopingFilter { title, clauses });
    }
    ScopingFilters { filters }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn import(text: &str) -> (Option<MappingSet>, Vec<Diagnostic>) {
        import_schema(&SourceFile::new("schema.json", text))
    }

    #[test]
    fn imports_attribute_constant_and_function_sources() {
        let text = r#"{"synchronizationRules":[{"name":"USER","objectMappings":[{"enabled":true,"flowTypes":"Add, Update",
          "sourceObjectName":"User","targetObjectName":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
          "attributeMappings":[
            {"targetAttributeName":"userName","matchingPriority":1,"flowType":"Always","source":{"type":"Attribute","name":"userPrincipalName","expression":"[userPrincipalName]","parameters":[]}},
            {"targetAttributeName":"title","defaultValue":"Staff","flowType":"ObjectAddOnly","source":{"type":"Constant","name":"Engineer","expression":"\"Engineer\""}},
            {"targetAttributeName":"name.formatted","source":{"type":"Function","name":"Join","parameters":[
               {"key":"separator","value":{"type":"Constant","name":" "}},
               {"key":"source","value":{"type":"Attribute","name":"givenName"}},
               {"key":"source","value":{"type":"Attribute","name":"surname"}}]}}
          ]}]}]}"#;
        let (set, diags) = import(text);
        assert!(diags.is_empty(), "{diags:?}");
        let set = set.expect("imported");
        assert_eq!(set.users.actions, TargetActions { create: true, update: true, delete: false });
        let a = &set.users.attributes;
        assert_eq!(a[0].matching_priority, Some(1));
        assert_eq!(a[1].source, MappingSource::Constant("Engineer".into()));
        assert_eq!((a[1].apply, a[1].default.as_deref()), (Apply::OnCreate, Some("Staff")));
        assert_eq!(a[2].source_text(), r#"Join(" ", [givenName], [surname])"#);
        assert!(set.groups.is_none());
    }

    #[test]
    fn semantic_problems_are_located_in_the_json() {
        let text = r#"{"synchronizationRules": [{"objectMappings": [
  {"sourceObjectName": "User", "flowTypes": "Add, Update, Delete", "attributeMappings": [
    {"targetAttributeName": "userName", "matchingPriority": 1, "source": {"type": "Attribute", "name": "userPrincipalName"}},
    {"targetAttributeName": "title", "source": {"type": "Attribute", "name": "jobTtle"}},
    {"targetAttributeName": "displayName", "source": {"type": "Lookup", "name": "x"}}
  ],
  "scope": {"groups": [{"clauses": [
    {"operatorName": "STARTS_WITH", "sourceOperandName": "mail", "targetOperand": {"values": ["a"]}},
    {"operatorName": "Greater_Than", "sourceOperandName": "department", "targetOperand": {"values": ["ten"]}}
  ]}]}},
  {"sourceObjectName": "User", "name": "Second users", "attributeMappings": []}
]}]}"#;
        let (set, diags) = import(text);
        assert!(set.is_none());
        let found: Vec<String> =
            diags.iter().map(|d| format!("{} {}", d.position().unwrap_or_default(), d.message)).collect();
        assert_eq!(
            found,
            [
                "schema.json:4:78 unknown source attribute `jobTtle`",
                "schema.json:5:63 unknown source type \"Lookup\"",
                "schema.json:8:22 unknown scoping operator \"STARTS_WITH\"",
                "schema.json:9:59 `Greater_Than` needs an integer value, found \"ten\"",
                "schema.json:11:40 a second user object mapping was ignored",
            ]
        );
    }

    #[test]
    fn json_syntax_errors_have_positions() {
        let (_, diags) = import("{\n  \"synchronizationRules\": [\n    {,}\n  ]\n}");
        assert_eq!(diags.len(), 1);
        assert_eq!(diags[0].position().as_deref(), Some("schema.json:3:6"));
    }
}
