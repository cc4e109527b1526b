//! Checks that concern a whole object mapping rather than one expression: matching attributes and their
//! precedence, duplicate targets, expressions on reference attributes, and mappings that can never reach
//! steady state. Shared by the TOML format and the Graph schema import.

use crate::diagnostic::Severity;

use super::catalog::ObjectKind;
use super::model::{Apply, MappingSource, ObjectMapping};

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
        let target = m.target.to_string();
        if om.attributes[..i].iter().any(|o| o.target == m.target) {
            out.push(problem(
                Severity::Error,
                Some(i),
                format!("duplicate mapping for target `{target}`"),
                "mapped twice",
            ));
        }
        if let Some(p) = m.matching_priority {
            if om.attributes[..i].iter().any(|o| o.matching_priority == Some(p)) {
                out.push(problem(
                    Severity::Error,
                    Some(i),
                    format!("matching precedence {p} is used twice"),
                    "precedences must differ",
                ));
            }
        }
        if let Some((part, suggestion)) = m.target.unknown_part() {
            let label = suggestion.map_or_else(
                || "not an RFC 7643 attribute: custom attributes belong in an extension URN".to_string(),
                |s| format!("did you mean `{s}`?"),
            );
            out.push(problem(Severity::Warning, Some(i), format!("unknown SCIM attribute `{part}`"), &label));
        }
        let expr = match &m.source {
            MappingSource::Expression(e) => Some(&e.ast),
            _ => None,
        };
        let unique = expr.is_some_and(|e| e.calls("SelectUniqueValue"));
        if unique && m.matching_priority.is_some() {
            out.push(problem(
                Severity::Error,
                Some(i),
                format!("`SelectUniqueValue` on matching attribute `{target}`"),
                "Entra does not allow SelectUniqueValue on matching attributes",
            ));
        }
        if unique && m.apply != Apply::OnCreate {
            out.push(problem(
                Severity::Warning,
                Some(i),
                format!("`SelectUniqueValue` mapping `{target}` applies always"),
                "set `apply = \"on_create\"`",
            ));
        }
        if m.target.is_reference() && !matches!(m.source, MappingSource::Direct(_) | MappingSource::None) {
            out.push(problem(
                Severity::Warning,
                Some(i),
                format!("reference attribute `{target}` is not mapped directly"),
                "Entra resolves references only for direct mappings of `manager`/`members`",
            ));
        }
        if m.is_volatile() && m.apply == Apply::Always {
            out.push(problem(
                Severity::Warning,
                Some(i),
                format!("`{target}` changes on every evaluation"),
                "Now()/Guid()/RandomString() never reach steady state; use `apply = \"on_create\"`",
            ));
        }
        if om.kind == ObjectKind::Group
            && m.target.attribute == "members"
            && !matches!(&m.source, MappingSource::Direct(a) if a.eq_ignore_ascii_case("members"))
        {
            out.push(problem(
                Severity::Warning,
                Some(i),
                "group `members` is not mapped from `members`".to_string(),
                "membership is provisioned from Entra's own member list",
            ));
        }
    }
    out
}
