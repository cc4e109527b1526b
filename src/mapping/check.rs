//! Static checks of a parsed expression: known functions (case-sensitive) and their arity, `Switch`
//! key/value pairs, known source attributes and identifiers, and where comparisons and
//! `SelectUniqueValue` may appear. Every problem is reported with a span and, where one exists, a
//! "did you mean" suggestion.

use crate::diagnostic::{did_you_mean, Span};

use super::ast::{Expr, ExprKind};
use super::catalog::{self, FunctionSig, ObjectKind, FUNCTIONS};
use super::source::ExprError;

/// Checks `expr` as the whole expression of a mapping reading objects of `kind`.
pub fn check_expression(expr: &Expr, kind: ObjectKind) -> Vec<ExprError> {
    let mut out = Vec::new();
    check_node(expr, kind, Position::Top, &mut out);
    out
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Position {
    Top,
    Condition,
    Nested,
}

fn check_node(expr: &Expr, kind: ObjectKind, pos: Position, out: &mut Vec<ExprError>) {
    match &expr.kind {
        ExprKind::Attribute(name) => check_attribute(name, expr.span, kind, out),
        ExprKind::Ident(name) => check_identifier(name, expr.span, out),
        ExprKind::Compare { lhs, rhs, op } => {
            if pos != Position::Condition {
                out.push(
                    ExprError::new(expr.span, format!("comparison `{}` outside a condition", op.as_str()))
                        .with_label("comparisons are only allowed as the first argument of `IIF` or `CBool`"),
                );
            }
            check_node(lhs, kind, Position::Nested, out);
            check_node(rhs, kind, Position::Nested, out);
        }
        ExprKind::Call { name, name_span, args } => {
            check_call(name, *name_span, expr.span, args, pos, out);
            for (i, arg) in args.iter().enumerate() {
                if let Some(arg) = arg {
                    let is_condition = i == 0 && (name == "IIF" || name == "CBool");
                    check_node(arg, kind, if is_condition { Position::Condition } else { Position::Nested }, out);
                }
            }
        }
        ExprKind::Str(_) | ExprKind::Int(_) | ExprKind::Hex(_) => {}
    }
}

fn check_attribute(name: &str, span: Span, kind: ObjectKind, out: &mut Vec<ExprError>) {
    if name.trim().is_empty() || catalog::is_known_attribute(kind, name) {
        return;
    }
    let mut e = ExprError::new(span, format!("unknown attribute `[{name}]`"));
    if let Some(s) = did_you_mean(name, kind.attributes().iter().copied()) {
        e = e.with_label(format!("did you mean `[{s}]`?"));
    } else {
        e = e
            .with_label(format!("not a source attribute of Entra {}s", kind.as_str().to_lowercase()))
            .with_help("directory extension attributes are written `[extension_<appId>_<name>]`".to_string());
    }
    out.push(e);
}

fn check_identifier(name: &str, span: Span, out: &mut Vec<ExprError>) {
    let known = catalog::IDENTIFIERS.iter().map(|(n, _)| *n).chain(catalog::BOOL_IDENTIFIERS.iter().map(|(n, _)| *n));
    if known.clone().any(|n| n == name) {
        return;
    }
    let mut e = ExprError::new(span, format!("unknown identifier `{name}`"));
    e = match did_you_mean(name, known) {
        Some(s) => e.with_label(format!("did you mean `{s}`?")),
        None => e.with_label("strings need double quotes; a function call needs `(`"),
    };
    out.push(e);
}

fn check_call(name: &str, name_span: Span, span: Span, args: &[Option<Expr>], pos: Position, out: &mut Vec<ExprError>) {
    let Some(sig) = catalog::function(name) else {
        out.push(unknown_function(name, name_span));
        return;
    };
    check_arity(sig, span, args, out);
    if name == "SelectUniqueValue" && pos != Position::Top {
        out.push(
            ExprError::new(name_span, "`SelectUniqueValue` must be the whole expression")
                .with_label("it cannot be nested inside another function"),
        );
    }
    if name == "IgnoreFlowIfNullOrEmpty" && pos != Position::Top {
        out.push(
            ExprError::warning(name_span, "`IgnoreFlowIfNullOrEmpty` only has an effect as the whole expression")
                .with_label("nested here, it returns null instead of dropping the attribute"),
        );
    }
    if name == "Switch" {
        if let Some(Some(Expr { kind: ExprKind::Call { name: inner, name_span, .. }, .. })) = args.first() {
            if matches!(inner.as_str(), "IsPresent" | "IsNull" | "IsNullOrEmpty") {
                out.push(
                    ExprError::warning(*name_span, format!("`{inner}` as the source of `Switch`"))
                        .with_label("Entra documents this as unsupported; use `\"\"` as a key to match empty values"),
                );
            }
        }
    }
}

fn unknown_function(name: &str, name_span: Span) -> ExprError {
    let e = ExprError::new(name_span, format!("unknown function `{name}`"));
    if let Some(exact) = FUNCTIONS.iter().find(|f| f.name.eq_ignore_ascii_case(name)) {
        e.with_label(format!("function names are case-sensitive: did you mean `{}`?", exact.name))
    } else if let Some(s) = did_you_mean(name, FUNCTIONS.iter().map(|f| f.name)) {
        e.with_label(format!("did you mean `{s}`?"))
    } else {
        e
    }
}

/// Argument count, `Switch` pairs, and required arguments left empty.
fn check_arity(sig: &FunctionSig, span: Span, args: &[Option<Expr>], out: &mut Vec<ExprError>) {
    let (name, n) = (sig.name, args.len());
    let arity = match (sig.min, sig.max) {
        (min, Some(max)) if min == max => format!("{min} argument{}", if min == 1 { "" } else { "s" }),
        (min, Some(max)) => format!("{min} to {max} arguments"),
        (min, None) => format!("at least {min} arguments"),
    };
    if n < sig.min || sig.max.is_some_and(|max| n > max) {
        out.push(
            ExprError::new(span, format!("`{name}` takes {arity}, found {n}"))
                .with_label(format!("{name}({})", sig.params.join(", "))),
        );
    } else if name == "Switch" && n % 2 != 0 {
        out.push(
            ExprError::new(
                span,
                format!("`Switch` needs key/value pairs after the default value, found {n} arguments"),
            )
            .with_label("the last key has no value")
            .with_help(
                "Switch(source, defaultValue, key1, value1, key2, value2, ...) always has an even number of arguments",
            ),
        );
    }
    // Which leading arguments may not be left empty: optional parameters are written as empty positions.
    let required = match name {
        "IIF" | "Mid" | "Word" | "Left" | "DateAdd" | "DateDiff" | "BitAnd" | "Item" | "Split" => n,
        "Switch" | "Replace" | "FormatDateTime" | "InStr" | "Join" => 1,
        "RandomString" => n.min(5),
        _ => n.min(sig.min),
    };
    for (i, arg) in args.iter().enumerate().take(required) {
        if arg.is_none() {
            let param = sig.params.get(i).copied().unwrap_or("argument");
            out.push(ExprError::new(span, format!("`{name}` needs a value for `{param}` (argument {})", i + 1)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mapping::parse::parse_expression;

    fn errors(text: &str) -> Vec<String> {
        let (expr, syntax) = parse_expression(text);
        assert!(syntax.is_empty(), "{syntax:?}");
        check_expression(&expr.expect("parsed"), ObjectKind::User)
            .into_iter()
            .map(|e| format!("{} | {}", e.message, e.label.unwrap_or_default()))
            .collect()
    }

    #[test]
    fn accepts_the_documented_default_expressions() {
        assert!(errors(r#"Switch([IsSoftDeleted], , "False", "True", "True", "False")"#).is_empty());
        assert!(errors(r#"Join(" ", [givenName], [surname])"#).is_empty());
        assert!(errors(r#"IIF([country]="USA",[country],[department])"#).is_empty());
        assert!(errors(r#"InStr("repEated","e",3,vbBinaryCompare)"#).is_empty());
    }

    #[test]
    fn unknown_function_suggests_the_right_case() {
        assert_eq!(
            errors(r#"join(" ", [givenName])"#),
            ["unknown function `join` | function names are case-sensitive: did you mean `Join`?"]
        );
        assert_eq!(errors(r#"Joinn(" ", [givenName])"#), ["unknown function `Joinn` | did you mean `Join`?"]);
    }

    #[test]
    fn unknown_attribute_suggests_a_close_name() {
        assert_eq!(
            errors("ToLower([mailNickame])"),
            ["unknown attribute `[mailNickame]` | did you mean `[mailNickname]`?"]
        );
        assert!(errors("ToLower([extension_abc_costCenter])").is_empty());
    }

    #[test]
    fn arity_and_switch_pairs_are_checked() {
        assert_eq!(errors("Mid([givenName], 1)"), ["`Mid` takes 3 arguments, found 2 | Mid(source, start, length)"]);
        let e = errors(r#"Switch([state], "x", "NSW", "A", "QLD")"#);
        assert!(e[0].starts_with("`Switch` needs key/value pairs"), "{e:?}");
        assert!(errors("Guid(1)")[0].starts_with("`Guid` takes 0 arguments"));
    }

    #[test]
    fn comparisons_and_select_unique_value_have_places() {
        assert!(errors(r#"Join(" ", [a] = "b")"#).iter().any(|e| e.starts_with("comparison `=` outside a condition")));
        assert!(errors(r#"ToLower(SelectUniqueValue([mail], [userPrincipalName]))"#)
            .iter()
            .any(|e| e.starts_with("`SelectUniqueValue` must be the whole expression")));
        assert_eq!(
            errors("InStr([mail], \"a\", 1, vbTextCompar)"),
            ["unknown identifier `vbTextCompar` | did you mean `vbTextCompare`?"]
        );
    }
}
