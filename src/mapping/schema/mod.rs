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

use super::catalog::ObjectKind;
use super::model::{MappingSet, ObjectMapping, TargetActions};
use super::rules;

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

mod attribute;
mod filters;
#[cfg(test)]
mod tests;

use attribute::attribute_mapping;
use filters::scope;
