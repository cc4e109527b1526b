//! A schema's `scope`: its filter groups and clauses as scoping filters, and warnings for the scope
//! kinds the simulator does not model.

use serde_json::Value as Json;

use crate::diagnostic::Severity;

use crate::mapping::catalog::ObjectKind;
use crate::mapping::scope::{ScopeOperator, ScopingClause, ScopingFilter, ScopingFilters};

use super::Cx;

pub(super) fn scope(cx: &mut Cx, scope: Option<&Json>, kind: ObjectKind) -> ScopingFilters {
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
