//! Checks that concern a whole object mapping rather than one expression: matching attributes and their
//! precedence, duplicate targets, expressions on reference attributes, and mappings that can never reach
//! steady state. Shared by the TOML format and the Graph schema import.

use crate::diagnostic::Severity;

use super::ast::{Expr, ExprKind};
use super::catalog::ObjectKind;
use super::model::{Apply, AttributeMapping, MappingSource, ObjectMapping};
use super::target::ScimType;

/// A problem with an object mapping; `attribute` is the index of the attribute mapping concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleProblem {
    /// Error or warning.
    pub severity: Severity,
    /// The attribute mapping concerned (`None` = the object mapping as a whole).
    pub attribute: Option<usize>,
    /// One lowercase line.
    pub message: String,
    /// Caret label.
    pub label: String,
}

fn problem(severity: Severity, attribute: Option<usize>, message: String, label: &str) -> RuleProblem {
    RuleProblem { severity, attribute, message, label: label.to_string() }
}

/// Every rule problem of `om`.
pub fn check_object_mapping(om: &ObjectMapping) -> Vec<RuleProblem> {
    let mut out = Vec::new();
    if om.matching_attributes().is_empty() {
        out.push(problem(
            Severity::Error,
            None,
            format!("the {} mapping has no matching attribute", om.kind.as_str().to_lowercase()),
            "set `matching = 1` on the attribute used to find existing objects (e.g. `userName`)",
        ));
    }
    for (i, m) in om.attributes.iter().enumerate() {
        let earlier = &om.attributes[..i];
        if earlier.iter().any(|o| o.target == m.target) {
            out.push(problem(
                Severity::Error,
                Some(i),
                format!("duplicate mapping for target `{}`", m.target),
                "mapped twice",
            ));
        }
        if let Some(p) = m.matching_priority.filter(|p| earlier.iter().any(|o| o.matching_priority == Some(*p))) {
            let message = format!("matching precedence {p} is used twice");
            out.push(problem(Severity::Error, Some(i), message, "precedences must differ"));
        }
        out.extend(check_attribute(om.kind, m).into_iter().map(|(severity, message, label)| RuleProblem {
            severity,
            attribute: Some(i),
            message,
            label: label.to_string(),
        }));
    }
    out
}

/// Problems of one attribute mapping on its own.
fn check_attribute(kind: ObjectKind, m: &AttributeMapping) -> Vec<(Severity, String, String)> {
    let mut out = Vec::new();
    let target = m.target.to_string();
    if let Some((part, suggestion)) = m.target.unknown_part() {
        let label = suggestion.map_or_else(
            || "not an RFC 7643 attribute: custom attributes belong in an extension URN".to_string(),
            |s| format!("did you mean `{s}`?"),
        );
        out.push((Severity::Warning, format!("unknown SCIM attribute `{part}`"), label));
    }
    let unique = matches!(&m.source, MappingSource::Expression(e) if e.ast.calls("SelectUniqueValue"));
    if unique && m.matching_priority.is_some() {
        let label = "Entra does not allow SelectUniqueValue on matching attributes".to_string();
        out.push((Severity::Error, format!("`SelectUniqueValue` on matching attribute `{target}`"), label));
    }
    if unique && m.apply != Apply::OnCreate {
        let label = "set `apply = \"on_create\"`".to_string();
        out.push((Severity::Warning, format!("`SelectUniqueValue` mapping `{target}` applies always"), label));
    }
    if m.target.is_reference() && !matches!(m.source, MappingSource::Direct(_) | MappingSource::None) {
        let label = "Entra resolves references only for direct mappings of `manager`/`members`".to_string();
        out.push((Severity::Warning, format!("reference attribute `{target}` is not mapped directly"), label));
    }
    if m.is_volatile() && m.apply == Apply::Always {
        let label = "Now()/Guid()/RandomString() never reach steady state; use `apply = \"on_create\"`".to_string();
        out.push((Severity::Warning, format!("`{target}` changes on every evaluation"), label));
    }
    if m.target.scim_type() == ScimType::Boolean {
        if let Some(bad) = literal_outputs(m).into_iter().find(|v| !is_boolean_text(v)) {
            let label =
                "Entra sends booleans from \"True\"/\"False\" (any case); other text is sent as a string".to_string();
            out.push((Severity::Warning, format!("boolean attribute `{target}` can receive \"{bad}\""), label));
        }
    }
    let members_from_members = matches!(&m.source, MappingSource::Direct(a) if a.eq_ignore_ascii_case("members"));
    if kind == ObjectKind::Group && m.target.attribute == "members" && !members_from_members {
        let label = "membership is provisioned from Entra's own member list".to_string();
        out.push((Severity::Warning, "group `members` is not mapped from `members`".to_string(), label));
    }
    out
}

fn is_boolean_text(v: &str) -> bool {
    v.trim().eq_ignore_ascii_case("true") || v.trim().eq_ignore_ascii_case("false") || v.is_empty()
}

/// String constants a mapping can produce: the constant itself, or the literal results of `Switch` and
/// `IIF` (nested ones included).
fn literal_outputs(m: &AttributeMapping) -> Vec<&str> {
    fn outputs<'a>(e: &'a Expr, out: &mut Vec<&'a str>) {
        match &e.kind {
            ExprKind::Str(s) => out.push(s),
            ExprKind::Call { name, args, .. } if name == "Switch" || name == "IIF" => {
                let results: Vec<usize> = if name == "IIF" {
                    vec![1, 2]
                } else {
                    std::iter::once(1).chain((3..args.len()).step_by(2)).collect()
                };
                for i in results {
                    if let Some(Some(arg)) = args.get(i) {
                        outputs(arg, out);
                    }
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    match &m.source {
        MappingSource::Constant(c) => out.push(c.as_str()),
        MappingSource::Expression(e) => outputs(&e.ast, &mut out),
        _ => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mapping::model::Expression;
    use crate::mapping::parse::parse_expression;
    use crate::mapping::target::TargetAttr;

    fn mapping(target: &str, expression: &str) -> AttributeMapping {
        let (ast, _) = parse_expression(expression);
        AttributeMapping {
            source: MappingSource::Expression(Expression { text: expression.into(), ast: ast.expect("parsed") }),
            ..AttributeMapping::direct("x", TargetAttr::parse(target).expect("valid"))
        }
    }

    fn messages(om: &ObjectMapping) -> Vec<String> {
        check_object_mapping(om).into_iter().map(|p| p.message).collect()
    }

    #[test]
    fn select_unique_value_rules() {
        let mut om = ObjectMapping::new(ObjectKind::User);
        let mut m = mapping("userName", "SelectUniqueValue([mail], [userPrincipalName])");
        m.matching_priority = Some(1);
        om.attributes.push(m);
        assert_eq!(
            messages(&om),
            [
                "`SelectUniqueValue` on matching attribute `userName`",
                "`SelectUniqueValue` mapping `userName` applies always"
            ]
        );
    }

    #[test]
    fn boolean_targets_get_boolean_text() {
        let mut om = ObjectMapping::new(ObjectKind::User);
        let mut id = AttributeMapping::direct("userPrincipalName", TargetAttr::parse("userName").expect("valid"));
        id.matching_priority = Some(1);
        om.attributes = vec![id, mapping("active", r#"Switch([IsSoftDeleted], , "False", "Yes", "True", "No")"#)];
        assert_eq!(messages(&om), ["boolean attribute `active` can receive \"Yes\""]);
        om.attributes[1] = mapping("active", r#"Switch([IsSoftDeleted], , "false", "true", "true", "false")"#);
        assert!(messages(&om).is_empty());
    }

    #[test]
    fn group_members_come_from_members() {
        let mut om = ObjectMapping::new(ObjectKind::Group);
        let mut name = AttributeMapping::direct("displayName", TargetAttr::parse("displayName").expect("valid"));
        name.matching_priority = Some(1);
        om.attributes = vec![name, AttributeMapping::direct("owners", TargetAttr::parse("members").expect("valid"))];
        assert_eq!(messages(&om), ["group `members` is not mapped from `members`"]);
    }
}
