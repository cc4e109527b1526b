//! Parse + check of one expression text in one step, turning every problem into a located
//! [`Diagnostic`]; and single-expression evaluation for `entrasim eval`.

use crate::diagnostic::{Diagnostic, Severity};

use super::catalog::ObjectKind;
use super::check::check_expression;
use super::eval::{evaluate, EvalEnv};
use super::model::Expression;
use super::parse::parse_expression;
use super::source::ExprSource;
use super::value::{SourceObject, Value};

/// Parses and checks `text` (an expression for objects of `kind`) whose text sits at `at`. Pushes every
/// syntax and check problem to `diags`; returns the expression when there is no error (warnings allowed).
pub fn compile_expression(
    text: &str,
    kind: ObjectKind,
    at: &ExprSource,
    diags: &mut Vec<Diagnostic>,
) -> Option<Expression> {
    let (ast, syntax) = parse_expression(text);
    let had_syntax_errors = !syntax.is_empty();
    diags.extend(syntax.iter().map(|e| at.diagnostic(e)));
    let ast = ast.filter(|_| !had_syntax_errors)?;
    let problems = check_expression(&ast, kind);
    let has_error = problems.iter().any(|p| p.severity == Severity::Error);
    diags.extend(problems.iter().map(|e| at.diagnostic(e)));
    (!has_error).then(|| Expression { text: text.to_string(), ast })
}

/// Parses, checks and evaluates one expression typed by the user, as a user mapping would; diagnostics
/// point into a source named `<expression>`. `IgnoreFlowIfNullOrEmpty` dropping the value gives `Null`.
pub fn eval_expression_text(text: &str, src: &SourceObject, env: &mut EvalEnv) -> Result<Value, Vec<Diagnostic>> {
    let at = ExprSource::standalone("<expression>", text);
    let mut diags = Vec::new();
    let expr = compile_expression(text, ObjectKind::User, &at, &mut diags).ok_or_else(|| diags.clone())?;
    evaluate(&expr.ast, src, env).map_err(|e| {
        let mut all: Vec<Diagnostic> = diags.into_iter().filter(Diagnostic::is_error).collect();
        all.push(Diagnostic::error(e.message.clone()).at(&at.file, at.map(e.span)));
        all
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::render_all;

    #[test]
    fn eval_reports_all_errors_with_carets() {
        let err = eval_expression_text(
            r#"Joinn(" ", [mailNickame], Mid([givenName], 1))"#,
            &SourceObject::new(),
            &mut EvalEnv::deterministic(1),
        )
        .unwrap_err();
        insta::assert_snapshot!(render_all(&err, false), @r#"
        error: unknown function `Joinn`
         --> <expression>:1:1
          |
        1 | Joinn(" ", [mailNickame], Mid([givenName], 1))
          | ^^^^^ did you mean `Join`?

        error: unknown attribute `[mailNickame]`
         --> <expression>:1:12
          |
        1 | Joinn(" ", [mailNickame], Mid([givenName], 1))
          |            ^^^^^^^^^^^^^ did you mean `[mailNickname]`?

        error: `Mid` takes 3 arguments, found 2
         --> <expression>:1:27
          |
        1 | Joinn(" ", [mailNickame], Mid([givenName], 1))
          |                           ^^^^^^^^^^^^^^^^^^^ Mid(source, start, length)
        "#);
    }

    #[test]
    fn eval_errors_point_at_the_failing_call() {
        let err = eval_expression_text(
            r#"Join("-", Mid("abc", 0, 1))"#,
            &SourceObject::new(),
            &mut EvalEnv::deterministic(1),
        )
        .unwrap_err();
        assert_eq!(err.len(), 1);
        assert_eq!(err[0].position().as_deref(), Some("<expression>:1:11"));
        let ok = eval_expression_text(r#"Join(" ", "a", "b")"#, &SourceObject::new(), &mut EvalEnv::deterministic(1));
        assert_eq!(ok, Ok("a b".into()));
    }
}
