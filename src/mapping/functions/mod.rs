//! The eagerly evaluated expression functions (everything except the lazy ones in
//! [`super::eval`]): each receives its evaluated arguments, omitted arguments as `Null`.
//!
//! Conventions shared by all functions, following Entra where it documents them (ENTRA.md 5.3) and
//! `docs/mapping-notes.md` where it does not:
//! - a `Null` source gives `Null` (the attribute does not flow) unless the function documents another
//!   result (`Left`/`Word` give `""`, `Count` gives 0, `Is*` give booleans);
//! - string functions applied to a multi-valued source transform each element;
//! - bad arguments (a non-number where a number is needed, an unparsable date, an invalid regex) are
//!   evaluation errors naming the function and the parameter.

mod dates;
mod dotnet_regex;
mod netfmt;
mod roles;
mod text;

use crate::diagnostic::Span;

use super::eval::{EvalEnv, EvalError};
use super::value::Value;

pub use dates::{entra_text as entra_date_text, parse_any as parse_date};
pub use dotnet_regex::dotnet_regex;
pub use netfmt::{format_datetime, parse_datetime_exact};
pub use roles::ROLE_TYPE;

/// Calls the eager function `name` with evaluated `args`.
pub(crate) fn call(name: &str, args: Vec<Value>, span: Span, env: &mut EvalEnv) -> Result<Value, EvalError> {
    let cx = Cx { name, span };
    let a = |i: usize| args.get(i).cloned().unwrap_or(Value::Null);
    match name {
        "Append" => text::append(&a(0), &a(1)),
        "Prepend" => text::append_before(&a(0), &a(1)),
        "BitAnd" => Ok(Value::Int(cx.int(&a(0), "value1")? & cx.int(&a(1), "value2")?)),
        "CStr" => Ok(a(0).to_text().map_or(Value::Null, Value::Str)),
        "ConvertToBase64" => Ok(text::map_text(&a(0), text::base64_utf16)),
        "ConvertToUTF8Hex" => Ok(text::map_text(&a(0), text::utf8_hex)),
        "Count" => Ok(Value::Int(match a(0) {
            Value::Null => 0,
            Value::Multi(items) => items.len() as i64,
            _ => 1,
        })),
        "IsNull" | "IsNothing" => Ok(Value::Bool(a(0).is_null())),
        "IsNullOrEmpty" => Ok(Value::Bool(a(0).is_null_or_empty())),
        "IsPresent" => Ok(Value::Bool(!a(0).is_null_or_empty())),
        "IsString" => Ok(Value::Bool(matches!(a(0), Value::Str(_)))),
        "Item" => text::item(&cx, &a(0), &a(1)),
        "Join" => Ok(text::join(&a(0), &args[1.min(args.len())..])),
        "Left" => text::left(&cx, &a(0), &a(1)),
        "Mid" => text::mid(&cx, &a(0), &a(1), &a(2)),
        "NormalizeDiacritics" => Ok(text::map_text(&a(0), text::normalize_diacritics)),
        "Not" => Ok(Value::Bool(
            !matches!(a(0), Value::Bool(true))
                && !a(0).to_text().is_some_and(|t| t.trim().eq_ignore_ascii_case("true")),
        )),
        "PCase" => Ok(text::pcase(&a(0), &a(1))),
        "Redact" => Ok(a(0)),
        "RemoveDuplicates" => Ok(text::remove_duplicates(a(0))),
        "Replace" => text::replace(&cx, &args),
        "Split" => Ok(text::split(&a(0), &a(1))),
        "StripSpaces" => Ok(text::map_text(&a(0), |s| s.replace(' ', ""))),
        "ToLower" => Ok(text::change_case(&a(0), &a(1), false)),
        "ToUpper" => Ok(text::change_case(&a(0), &a(1), true)),
        "Word" => text::word(&cx, &a(0), &a(1), &a(2)),
        "InStr" => text::instr(&cx, &a(0), &a(1), &a(2), &a(3)),
        "CDate" => dates::cdate(&cx, &a(0)),
        "DateAdd" => dates::date_add(&cx, &a(0), &a(1), &a(2)),
        "DateDiff" => dates::date_diff(&cx, &a(0), &a(1), &a(2)),
        "DateFromNum" => dates::date_from_num(&cx, &a(0)),
        "NumFromDate" => dates::num_from_date(&cx, &a(0)),
        "FormatDateTime" => dates::format_date_time(&cx, &args),
        "Now" => Ok(Value::Str(dates::entra_text(env.now()))),
        "Guid" => Ok(Value::Str(env.guid())),
        "DefaultDomain" => Ok(Value::Str(env.default_domain.to_string())),
        "RandomString" => roles::random_string(&cx, &args, env),
        "SingleAppRoleAssignment" => Ok(roles::single(&a(0))),
        "AppRoleAssignments" => Ok(roles::values(&a(0))),
        "AppRoleAssignmentsComplex" | "AssertiveAppRoleAssignmentsComplex" => Ok(roles::complex(&a(0))),
        other => Err(EvalError::new(span, format!("unknown function `{other}`"))),
    }
}

/// The function being evaluated, for error messages.
pub(crate) struct Cx<'a> {
    name: &'a str,
    span: Span,
}

impl Cx<'_> {
    fn err(&self, message: impl std::fmt::Display) -> EvalError {
        EvalError::new(self.span, format!("`{}`: {message}", self.name))
    }

    /// An integer argument: integers, numeric strings and booleans (1/0).
    fn int(&self, v: &Value, param: &str) -> Result<i64, EvalError> {
        match v {
            Value::Int(i) => Ok(*i),
            Value::Bool(b) => Ok(i64::from(*b)),
            Value::Str(s) => {
                s.trim().parse().map_err(|_| self.err(format_args!("`{param}` must be a number, got \"{s}\"")))
            }
            Value::Null => Err(self.err(format_args!("`{param}` is missing"))),
            Value::Multi(_) => Err(self.err(format_args!("`{param}` must be a single number, got several values"))),
        }
    }

    /// An optional integer argument.
    fn opt_int(&self, v: &Value, param: &str) -> Result<Option<i64>, EvalError> {
        if v.is_null() {
            return Ok(None);
        }
        self.int(v, param).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use crate::mapping::catalog::FUNCTIONS;
    use crate::mapping::eval::{evaluate, EvalEnv};
    use crate::mapping::parse::parse_expression;
    use crate::mapping::value::{SourceObject, Value};

    /// Every function with a null source (`[x]` is absent) and with an empty string: the result as
    /// `Value`'s display text, `error` for an evaluation error, `*` for a non-deterministic value.
    const NULL_AND_EMPTY: &[(&str, &str, &str)] = &[
        ("Append([x], \"s\")", "null", "\"s\""),
        ("AppRoleAssignments([x])", "null", "null"),
        ("AppRoleAssignmentsComplex([x])", "null", "null"),
        ("AssertiveAppRoleAssignmentsComplex([x])", "null", "null"),
        ("BitAnd([x], 1)", "error", "error"),
        ("CBool([x])", "false", "false"),
        ("CDate([x])", "null", "error"),
        ("Coalesce([x], [y])", "null", "\"\""),
        ("ConvertToBase64([x])", "null", "\"\""),
        ("ConvertToUTF8Hex([x])", "null", "\"\""),
        ("Count([x])", "0", "1"),
        ("CStr([x])", "null", "\"\""),
        ("DateAdd(\"d\", 1, [x])", "error", "error"),
        ("DateDiff(\"d\", [x], Now())", "error", "error"),
        ("DateFromNum([x])", "null", "error"),
        ("DefaultDomain()", "\"contoso.onmicrosoft.com\"", "\"contoso.onmicrosoft.com\""),
        ("FormatDateTime([x], , \"yyyy\", \"yyyy\")", "null", "error"),
        ("Guid()", "*", "*"),
        ("IgnoreFlowIfNullOrEmpty([x])", "null", "null"),
        ("IIF([x] = \"a\", \"t\", \"f\")", "error", "error"),
        ("InStr([x], \"a\")", "null", "0"),
        ("IsNull([x])", "true", "false"),
        ("IsNothing([x])", "true", "false"),
        ("IsNullOrEmpty([x])", "true", "true"),
        ("IsPresent([x])", "false", "false"),
        ("IsString([x])", "false", "true"),
        ("Item([x], 1)", "null", "\"\""),
        ("Join(\" \", [x], \"a\")", "\"a\"", "\"a\""),
        ("Left([x], 2)", "\"\"", "\"\""),
        ("Mid([x], 1, 2)", "null", "\"\""),
        ("NormalizeDiacritics([x])", "null", "\"\""),
        ("Not([x])", "true", "true"),
        ("Now()", "*", "*"),
        ("NumFromDate([x])", "null", "error"),
        ("PCase([x])", "null", "\"\""),
        ("Prepend(\"p\", [x])", "null", "\"p\""),
        ("RandomString(4, 1, 1, 1, 1)", "*", "*"),
        ("Redact([x])", "null", "\"\""),
        ("RemoveDuplicates([x])", "null", "\"\""),
        ("Replace([x], \"a\", , , \"b\", , )", "null", "\"\""),
        ("SelectUniqueValue([x], [y])", "null", "null"),
        ("SingleAppRoleAssignment([x])", "null", "null"),
        ("Split([x], \",\")", "null", "[\"\"]"),
        ("StripSpaces([x])", "null", "\"\""),
        ("Switch([x], \"d\", \"a\", \"b\")", "\"d\"", "\"d\""),
        ("ToLower([x])", "null", "\"\""),
        ("ToUpper([x])", "null", "\"\""),
        ("Word([x], 1, \" \")", "\"\"", "\"\""),
    ];

    /// Functions given a multi-valued `[m]` = `["Ä b", "c"]`: string functions work element by element,
    /// list functions on the whole list.
    const MULTI: &[(&str, &str)] = &[
        ("Append([m], \"!\")", "[\"Ä b!\",\"c!\"]"),
        ("Prepend(\"!\", [m])", "[\"!Ä b\",\"!c\"]"),
        ("ToLower([m])", "[\"ä b\",\"c\"]"),
        ("ToUpper([m])", "[\"Ä B\",\"C\"]"),
        ("StripSpaces([m])", "[\"Äb\",\"c\"]"),
        ("NormalizeDiacritics([m])", "[\"A b\",\"c\"]"),
        ("PCase([m])", "[\"Ä B\",\"C\"]"),
        ("Mid([m], 1, 1)", "[\"Ä\",\"c\"]"),
        ("Replace([m], \"c\", , , \"d\", , )", "[\"Ä b\",\"d\"]"),
        ("ConvertToUTF8Hex([m])", "[\"C3842062\",\"63\"]"),
        ("Join(\"|\", [m])", "\"Ä b|c\""),
        ("Count([m])", "2"),
        ("Item([m], 2)", "\"c\""),
        ("RemoveDuplicates(Split(\"a,b,a\", \",\"))", "[\"a\",\"b\"]"),
        ("CStr([m])", "\"Ä b,c\""),
        ("IsPresent([m])", "true"),
        ("SingleAppRoleAssignment([m])", "\"Ä b\""),
        ("Left([m], 1)", "[\"Ä\",\"c\"]"),
        ("Word([m], 2, \" \")", "[\"b\",\"\"]"),
    ];

    #[test]
    fn multi_valued_inputs_for_string_and_list_functions() {
        let src: SourceObject = [("m".to_string(), Value::Multi(vec!["Ä b".into(), "c".into()]))].into_iter().collect();
        for (text, expected) in MULTI {
            assert_eq!(&outcome(text, &src), expected, "{text}");
        }
    }

    fn outcome(text: &str, src: &SourceObject) -> String {
        let (expr, errors) = parse_expression(text);
        assert!(errors.is_empty(), "{text}: {errors:?}");
        match evaluate(&expr.expect("parsed"), src, &mut EvalEnv::deterministic(1)) {
            Ok(v) => v.to_string(),
            Err(_) => "error".to_string(),
        }
    }

    #[test]
    fn every_function_has_defined_null_and_empty_behaviour() {
        let empty: SourceObject =
            [("x".to_string(), Value::Str(String::new())), ("y".to_string(), Value::Str(String::new()))]
                .into_iter()
                .collect();
        for (text, on_null, on_empty) in NULL_AND_EMPTY {
            if *on_null != "*" {
                assert_eq!(&outcome(text, &SourceObject::new()), on_null, "{text} with null");
            }
            if *on_empty != "*" {
                assert_eq!(&outcome(text, &empty), on_empty, "{text} with \"\"");
            }
        }
        for f in FUNCTIONS {
            assert!(
                NULL_AND_EMPTY.iter().any(|(t, ..)| t.starts_with(&format!("{}(", f.name))),
                "`{}` has no null/empty case",
                f.name
            );
        }
    }
}
