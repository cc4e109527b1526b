//! `explain`: how a mapping set treats one source object, step by step like Entra's provision on demand
//! (scope, matching, each attribute's value) and the resulting creation body. A pure value with a JSON
//! form (`--json`) and a text rendering.

use std::fmt::Write as _;

use crate::paint::Paint;
use serde::Serialize;

use super::catalog::ObjectKind;
use super::eval::EvalEnv;
use super::model::{Apply, AttributeMapping, Evaluated, MappingSet, MappingSource, ObjectMapping, Operation};
use super::resource::build_resource;
use super::scope::ScopeVerdict;
use super::target::TargetAttr;
use super::value::SourceObject;

/// Everything `explain` found for one object.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Explanation {
    /// User or group.
    pub kind: ObjectKind,
    /// Scoping filter outcome.
    pub scope: ScopeVerdict,
    /// Matching attributes in precedence order with the filter Entra would send.
    pub matching: Vec<MatchingStep>,
    /// Every attribute mapping's outcome on creation.
    pub attributes: Vec<AttributeOutcome>,
    /// The POST body (references such as `manager` are linked afterwards and not included).
    pub create_body: serde_json::Value,
}

/// One matching attribute.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MatchingStep {
    /// Matching precedence.
    pub priority: u32,
    /// Target attribute.
    pub target: TargetAttr,
    /// The query filter (`userName eq "alice@contoso.com"`), `None` when the source value is null.
    pub filter: Option<String>,
}

/// One attribute mapping's outcome.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AttributeOutcome {
    /// Target attribute.
    pub target: TargetAttr,
    /// The source as written (`[mail]`, an expression, a constant).
    pub source: String,
    /// `flow`, `null`, `ignore`, `not_applied` or `error`.
    pub outcome: &'static str,
    /// The typed value sent (`"[Redact]"` when the expression uses `Redact`).
    pub value: serde_json::Value,
    /// The evaluation error, for `error`.
    pub error: Option<String>,
    /// Remarks: create-only, reference linked later, never steady…
    pub notes: Vec<String>,
}

/// Explains `src` with the user mapping, or the group mapping when `src` looks like a group (it has
/// `members` or `securityEnabled` and no `userPrincipalName`) and a group mapping exists.
pub fn explain(set: &MappingSet, src: &SourceObject, env: &mut EvalEnv) -> Explanation {
    let looks_like_group = !src.has("userPrincipalName") && (src.has("members") || src.has("securityEnabled"));
    match (&set.groups, looks_like_group) {
        (Some(groups), true) => explain_object(groups, src, env),
        _ => explain_object(&set.users, src, env),
    }
}

/// Explains `src` against one object mapping.
pub fn explain_object(om: &ObjectMapping, src: &SourceObject, env: &mut EvalEnv) -> Explanation {
    let mut attributes = Vec::new();
    let mut body_values = Vec::new();
    for m in &om.attributes {
        let (outcome, body_value) = attribute_outcome(m, src, env);
        if let Some(json) = body_value {
            body_values.push((m.target.clone(), json));
        }
        attributes.push(outcome);
    }
    let matching = om
        .matching_attributes()
        .into_iter()
        .map(|m| {
            let value = attributes.iter().find(|a| a.target == m.target).map(|a| &a.value).filter(|v| !v.is_null());
            let filter = value.map(|v| format!("{} eq {v}", m.target));
            MatchingStep { priority: m.matching_priority.unwrap_or_default(), target: m.target.clone(), filter }
        })
        .collect();
    Explanation {
        kind: om.kind,
        scope: om.scope.evaluate(src),
        matching,
        attributes,
        create_body: build_resource(om.kind, &body_values),
    }
}

/// One mapping's outcome on creation, and the typed value it adds to the POST body (references are
/// linked later and add nothing).
fn attribute_outcome(
    m: &AttributeMapping,
    src: &SourceObject,
    env: &mut EvalEnv,
) -> (AttributeOutcome, Option<serde_json::Value>) {
    let mut notes = Vec::new();
    if m.apply == Apply::OnCreate {
        notes.push("only during object creation".to_string());
    }
    if let Some(p) = m.matching_priority {
        notes.push(format!("matching precedence {p}"));
    }
    if m.is_volatile() && m.apply == Apply::Always {
        notes.push("changes on every evaluation: never reaches steady state".to_string());
    }
    if let Some(d) = &m.default {
        notes.push(format!("default if null: \"{d}\""));
    }
    let redacted = matches!(&m.source, MappingSource::Expression(e) if e.ast.calls("Redact"));
    let mut body_value = None;
    let (outcome, value, error) = match m.evaluate_for(src, env, Operation::Create) {
        Ok(Evaluated::Flow(v)) => {
            let json = m.target.scim_value(&v);
            if m.target.is_reference() {
                notes.push("reference: linked by a PATCH after the referenced object is provisioned".to_string());
            } else {
                body_value = Some(json.clone());
            }
            ("flow", if redacted { serde_json::json!("[Redact]") } else { json }, None)
        }
        Ok(Evaluated::Null) => ("null", serde_json::Value::Null, None),
        Ok(Evaluated::Ignore) => ("ignore", serde_json::Value::Null, None),
        Ok(Evaluated::NotApplied) => ("not_applied", serde_json::Value::Null, None),
        Err(e) => ("error", serde_json::Value::Null, Some(e.message)),
    };
    let target = m.target.clone();
    (AttributeOutcome { target, source: m.source_text(), outcome, value, error, notes }, body_value)
}

impl Explanation {
    /// Human-readable text; `color` adds ANSI styles.
    pub fn render(&self, color: bool) -> String {
        let paint = Paint::new(color);
        let head = |s: &str| paint.bold(s);
        let mark = |ok: bool| if ok { paint.green("pass") } else { paint.red("fail") };
        let mut out = String::new();
        let _ = writeln!(out, "{} {}", head("object:"), self.kind.as_str());
        let verdict = if self.scope.in_scope { "in scope" } else { "out of scope" };
        let _ = writeln!(
            out,
            "{} {verdict}{}",
            head("scope:"),
            if self.scope.clauses.is_empty() { " (no scoping filters)" } else { "" }
        );
        for c in &self.scope.clauses {
            let _ = writeln!(out, "  [{}] {}: {} {} {:?}", mark(c.passed), c.title, c.attribute, c.operator, c.value);
        }
        let _ = writeln!(out, "{}", head("matching:"));
        for m in &self.matching {
            let _ = writeln!(
                out,
                "  {}. {}",
                m.priority,
                m.filter.as_deref().unwrap_or(&format!("{} (no value: not matchable)", m.target))
            );
        }
        let _ = writeln!(out, "{}", head("attributes (on create):"));
        for a in &self.attributes {
            let result = match a.outcome {
                "flow" => format!("= {}", a.value),
                "null" => "null: not provisioned".to_string(),
                "ignore" => "dropped by IgnoreFlowIfNullOrEmpty".to_string(),
                "not_applied" => "not applied".to_string(),
                _ => format!("error: {}", a.error.as_deref().unwrap_or("")),
            };
            let _ = writeln!(out, "  {} {result}", a.target);
            let notes = if a.notes.is_empty() { String::new() } else { format!("  ({})", a.notes.join("; ")) };
            let _ = writeln!(out, "      <- {}{notes}", a.source);
        }
        let _ = writeln!(out, "{}", head("create body (POST):"));
        let body = serde_json::to_string_pretty(&self.create_body).unwrap_or_default();
        let _ = writeln!(out, "{body}");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::SourceFile;
    use crate::mapping::toml_format::parse_mapping_toml;

    const MAPPING: &str = r#"
[users]
[[users.attributes]]
target = "userName"
source = "userPrincipalName"
matching = 1
[[users.attributes]]
target = "externalId"
expression = 'Redact([employeeId])'
matching = 2
[[users.attributes]]
target = "title"
expression = 'IIF([jobTitle] = "CEO", "Chief", [jobTitle])'
[[users.attributes]]
target = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"
expression = 'IgnoreFlowIfNullOrEmpty([department])'
[[users.attributes]]
target = "nickName"
expression = 'Guid()'
apply = "on_create"
[[users.attributes]]
target = "locale"
default = "en-US"
[[users.scope]]
title = "Sales"
clauses = [{ attribute = "city", operator = "EQUALS", value = "Oslo" }, { attribute = "country", operator = "IS NOT NULL" }]
"#;

    #[test]
    fn renders_every_outcome() {
        let (set, diags) = parse_mapping_toml(&SourceFile::new("m.toml", MAPPING));
        assert!(diags.is_empty(), "{diags:?}");
        let src = SourceObject::from_json(&serde_json::json!({
            "userPrincipalName": "bob@contoso.com", "employeeId": "42", "city": "Oslo"
        }));
        let x = explain(&set.expect("valid"), &src, &mut EvalEnv::deterministic(9));
        assert!(!x.scope.in_scope);
        assert_eq!(x.create_body["externalId"], serde_json::json!("42"), "the body carries the real value");
        insta::assert_snapshot!(x.render(false), @r#"
        object: User
        scope: out of scope
          [pass] Sales: city EQUALS "Oslo"
          [fail] Sales: country IS NOT NULL ""
        matching:
          1. userName eq "bob@contoso.com"
          2. externalId eq "[Redact]"
        attributes (on create):
          userName = "bob@contoso.com"
              <- [userPrincipalName]  (matching precedence 1)
          externalId = "[Redact]"
              <- Redact([employeeId])  (matching precedence 2)
          title error: `IIF` condition reads `[jobTitle]`, which is null or empty; Entra fails the condition check
              <- IIF([jobTitle] = "CEO", "Chief", [jobTitle])
          urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department dropped by IgnoreFlowIfNullOrEmpty
              <- IgnoreFlowIfNullOrEmpty([department])
          nickName = "8748d904-c6f3-4792-bc70-50e842a6754c"
              <- Guid()  (only during object creation)
          locale = "en-US"
              <- None  (default if null: "en-US")
        create body (POST):
        {
          "schemas": [
            "urn:ietf:params:scim:schemas:core:2.0:User"
          ],
          "userName": "bob@contoso.com",
          "externalId": "42",
          "nickName": "8748d904-c6f3-4792-bc70-50e842a6754c",
          "locale": "en-US",
          "meta": {
            "resourceType": "User"
          },
          "roles": []
        }
        "#);
    }
}
