//! A `[[users.scope]]` scoping filter and its clauses, checked against the source attributes.

use std::ops::Range;

use toml::de::DeTable;

use crate::diagnostic::did_you_mean;

use crate::mapping::catalog::ObjectKind;
use crate::mapping::scope::{ScopeOperator, ScopingClause, ScopingFilter};

use super::{Cx, Fields};

pub(super) fn filter(cx: &mut Cx, table: &DeTable<'_>, span: Range<usize>, kind: ObjectKind) -> Option<ScopingFilter> {
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

pub(super) fn clause(cx: &mut Cx, table: &DeTable<'_>, span: Range<usize>, kind: ObjectKind) -> Option<ScopingClause> {
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
