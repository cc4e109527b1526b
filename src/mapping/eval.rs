//! Evaluates a checked expression against a source object.
//!
//! `IIF`, `Switch`, `Coalesce`, `SelectUniqueValue` and `IgnoreFlowIfNullOrEmpty` are evaluated lazily
//! here; every other function receives its evaluated arguments (omitted arguments as `Null`) in
//! [`super::functions`]. Non-deterministic inputs (`Now()`, `Guid()`, `RandomString()`) come from the
//! [`EvalEnv`], so tests and snapshots are reproducible.

use std::fmt;

use chrono::{DateTime, Utc};
use rand::rngs::StdRng;
use rand::SeedableRng;

use crate::diagnostic::Span;

use super::ast::{CmpOp, Expr, ExprKind};
use super::catalog;
use super::functions;
use super::value::{SourceObject, Value};

/// An expression could not be evaluated for this object (Entra logs such objects as failed).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct EvalError {
    /// The node that failed, relative to the expression text.
    pub span: Span,
    /// One lowercase line naming the function and the problem.
    pub message: String,
}

impl EvalError {
    /// An error at `span`.
    pub fn new(span: Span, message: impl Into<String>) -> Self {
        EvalError { span, message: message.into() }
    }
}

/// Answers "is this value still free in the target?" for `SelectUniqueValue`.
pub type UniquenessOracle = Box<dyn FnMut(&str) -> bool + Send>;

/// Where `Now()`, `Guid()`, `RandomString()` and `DefaultDomain()` get their values.
pub struct EvalEnv {
    clock: Option<DateTime<Utc>>,
    /// Seeded on first use: most evaluations never draw a random number, and seeding costs more than
    /// evaluating a plain attribute.
    rng: Option<StdRng>,
    /// The seed of `rng`; `None` seeds it from the OS.
    seed: Option<u64>,
    /// The tenant's default verified domain returned by `DefaultDomain()`.
    pub default_domain: std::borrow::Cow<'static, str>,
    unique: Option<UniquenessOracle>,
    pub(crate) ignore_flow: bool,
}

impl fmt::Debug for EvalEnv {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EvalEnv")
            .field("clock", &self.clock)
            .field("default_domain", &self.default_domain)
            .field("uniqueness_oracle", &self.unique.is_some())
            .finish_non_exhaustive()
    }
}

/// The fixed instant a deterministic environment reports as `Now()`: 2026-01-01T00:00:00Z.
pub fn fixed_now() -> DateTime<Utc> {
    // 2026-01-01T00:00:00Z as a Unix timestamp: every evaluation builds an environment, and a calendar
    // conversion per evaluation showed up in profiles.
    DateTime::<Utc>::from_timestamp(1_767_225_600, 0).unwrap_or(DateTime::<Utc>::MIN_UTC)
}

impl EvalEnv {
    /// A reproducible environment: the clock is frozen at [`fixed_now`] and GUIDs and random strings
    /// come from a generator seeded with `seed`.
    pub fn deterministic(seed: u64) -> Self {
        EvalEnv {
            clock: Some(fixed_now()),
            rng: None,
            seed: Some(seed),
            default_domain: "contoso.onmicrosoft.com".into(),
            unique: None,
            ignore_flow: false,
        }
    }

    /// The real clock and an OS-seeded generator.
    pub fn system() -> Self {
        EvalEnv { clock: None, seed: None, ..EvalEnv::deterministic(0) }
    }

    /// Freezes the clock at `now`.
    pub fn with_clock(mut self, now: DateTime<Utc>) -> Self {
        self.clock = Some(now);
        self
    }

    /// Lets `SelectUniqueValue` ask the target whether a candidate value is free; without an oracle it
    /// returns the first rule that produces a value.
    pub fn set_uniqueness_oracle(&mut self, oracle: UniquenessOracle) {
        self.unique = Some(oracle);
    }

    /// The current time (frozen or real).
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.unwrap_or_else(Utc::now)
    }

    /// The random generator behind `Guid()` and `RandomString()`.
    pub fn rng(&mut self) -> &mut StdRng {
        let seed = self.seed;
        self.rng.get_or_insert_with(|| seed.map_or_else(StdRng::from_os_rng, StdRng::seed_from_u64))
    }

    /// A new GUID from the environment's generator (lowercase, hyphenated).
    pub fn guid(&mut self) -> String {
        let bytes: [u8; 16] = rand::Rng::random(self.rng());
        uuid::Builder::from_random_bytes(bytes).into_uuid().to_string()
    }

    /// True when the last evaluation hit `IgnoreFlowIfNullOrEmpty` with a null or empty value.
    pub fn flow_ignored(&self) -> bool {
        self.ignore_flow
    }
}

/// Evaluates `expr` for `src`. Call [`EvalEnv::flow_ignored`] afterwards to learn whether
/// `IgnoreFlowIfNullOrEmpty` asked to drop the attribute.
pub fn evaluate(expr: &Expr, src: &SourceObject, env: &mut EvalEnv) -> Result<Value, EvalError> {
    env.ignore_flow = false;
    eval(expr, src, env)
}

pub(crate) fn eval(expr: &Expr, src: &SourceObject, env: &mut EvalEnv) -> Result<Value, EvalError> {
    match &expr.kind {
        ExprKind::Attribute(name) => Ok(attribute(src, name)),
        ExprKind::Str(s) => Ok(Value::Str(s.clone())),
        ExprKind::Int(i) | ExprKind::Hex(i) => Ok(Value::Int(*i)),
        ExprKind::Ident(name) => Ok(identifier(name)),
        ExprKind::Compare { .. } => condition(expr, src, env, "CBool").map(Value::Bool),
        ExprKind::Call { name, args, .. } => call(name, args, expr.span, src, env),
    }
}

/// A source attribute as expressions see it. `IsSoftDeleted` is computed by Entra for every object, so
/// when the source object does not carry it, it is `false` (not null): otherwise the default `active`
/// mapping (`Switch([IsSoftDeleted], , "False", "True", ...)`) would silently send nothing.
pub(crate) fn attribute(src: &SourceObject, name: &str) -> Value {
    match src.get(name) {
        Value::Null if name.eq_ignore_ascii_case("IsSoftDeleted") => Value::Bool(false),
        v => v.clone(),
    }
}

fn identifier(name: &str) -> Value {
    if let Some((_, v)) = catalog::IDENTIFIERS.iter().find(|(n, _)| *n == name) {
        return Value::Int(*v);
    }
    if let Some((_, b)) = catalog::BOOL_IDENTIFIERS.iter().find(|(n, _)| *n == name) {
        return Value::Bool(*b);
    }
    Value::Str(name.to_string())
}

fn arg(args: &[Option<Expr>], i: usize, src: &SourceObject, env: &mut EvalEnv) -> Result<Value, EvalError> {
    match args.get(i) {
        Some(Some(e)) => eval(e, src, env),
        _ => Ok(Value::Null),
    }
}

fn call(
    name: &str,
    args: &[Option<Expr>],
    span: Span,
    src: &SourceObject,
    env: &mut EvalEnv,
) -> Result<Value, EvalError> {
    match name {
        "IIF" => {
            let cond =
                args.first().and_then(Option::as_ref).ok_or_else(|| EvalError::new(span, "`IIF` needs a condition"))?;
            let pick = if condition(cond, src, env, "IIF")? { 1 } else { 2 };
            arg(args, pick, src, env)
        }
        "CBool" => match args.first().and_then(Option::as_ref) {
            Some(cond) => condition(cond, src, env, "CBool").map(Value::Bool),
            None => Ok(Value::Bool(false)),
        },
        "Switch" => switch(args, span, src, env),
        "Coalesce" => {
            for i in 0..args.len() {
                let v = arg(args, i, src, env)?;
                if !v.is_null() {
                    return Ok(v);
                }
            }
            Ok(Value::Null)
        }
        "SelectUniqueValue" => select_unique_value(args, span, src, env),
        "IgnoreFlowIfNullOrEmpty" => {
            let v = arg(args, 0, src, env)?;
            if v.is_null_or_empty() {
                env.ignore_flow = true;
                return Ok(Value::Null);
            }
            Ok(v)
        }
        _ => {
            let mut values = Vec::with_capacity(args.len());
            for i in 0..args.len() {
                values.push(arg(args, i, src, env)?);
            }
            functions::call(name, values, span, env)
        }
    }
}

/// `Switch(source, default, key1, value1, ...)`: case-sensitive string compare; a `""` key matches a
/// null or empty source; only the chosen value is evaluated.
fn switch(args: &[Option<Expr>], span: Span, src: &SourceObject, env: &mut EvalEnv) -> Result<Value, EvalError> {
    if args.len() < 2 || args.len() % 2 != 0 {
        return Err(EvalError::new(span, "`Switch` needs a source, a default and key/value pairs"));
    }
    let source = arg(args, 0, src, env)?;
    let source_text = source.to_text().unwrap_or_default();
    for pair in (2..args.len()).step_by(2) {
        let key = arg(args, pair, src, env)?.to_text().unwrap_or_default();
        // A boolean source compares like .NET `Boolean.Parse` (case-insensitive): this is why both
        // `"False"` keys (Entra's default) and `"false"` keys (Unleash's guide) match `[IsSoftDeleted]`.
        let matched = match source {
            Value::Bool(_) => key.eq_ignore_ascii_case(&source_text),
            _ => key == source_text,
        };
        if matched {
            return arg(args, pair + 1, src, env);
        }
    }
    arg(args, 1, src, env)
}

fn select_unique_value(
    args: &[Option<Expr>],
    span: Span,
    src: &SourceObject,
    env: &mut EvalEnv,
) -> Result<Value, EvalError> {
    let mut tried = Vec::new();
    for i in 0..args.len() {
        let v = arg(args, i, src, env)?;
        let Some(text) = v.to_text().filter(|t| !t.is_empty()) else { continue };
        let free = match env.unique.as_mut() {
            Some(oracle) => oracle(&text),
            None => true,
        };
        if free {
            return Ok(Value::Str(text));
        }
        tried.push(text);
    }
    if tried.is_empty() {
        return Ok(Value::Null);
    }
    Err(EvalError::new(
        span,
        format!("`SelectUniqueValue`: every candidate is already taken in the target ({})", tried.join(", ")),
    ))
}

/// For an expression whose top level is `SelectUniqueValue(...)`: every rule's value in order (empty
/// ones skipped), so a caller that checks uniqueness asynchronously can test them itself. `None` for
/// other expressions.
pub fn select_unique_candidates(
    expr: &Expr,
    src: &SourceObject,
    env: &mut EvalEnv,
) -> Option<Result<Vec<String>, EvalError>> {
    let ExprKind::Call { name, args, .. } = &expr.kind else { return None };
    if name != "SelectUniqueValue" {
        return None;
    }
    let mut out = Vec::new();
    for i in 0..args.len() {
        match arg(args, i, src, env) {
            Ok(v) => out.extend(v.to_text().filter(|t| !t.is_empty())),
            Err(e) => return Some(Err(e)),
        }
    }
    Some(Ok(out))
}

/// Evaluates an `IIF`/`CBool` condition. Entra fails the condition when a source attribute it reads is
/// null or empty (ENTRA.md 5.3), which entrasim reports as an evaluation error of the mapping.
fn condition(cond: &Expr, src: &SourceObject, env: &mut EvalEnv, function: &str) -> Result<bool, EvalError> {
    if function == "IIF" {
        if let Some(missing) = cond.attributes().into_iter().find(|a| attribute(src, a).is_null_or_empty()) {
            return Err(EvalError::new(
                cond.span,
                format!("`IIF` condition reads `[{missing}]`, which is null or empty; Entra fails the condition check"),
            ));
        }
    }
    match &cond.kind {
        ExprKind::Compare { op, lhs, rhs } => {
            let l = eval(lhs, src, env)?;
            let r = eval(rhs, src, env)?;
            Ok(compare(*op, &l, &r))
        }
        _ => Ok(truthy(&eval(cond, src, env)?)),
    }
}

/// Compares as integers when both sides are integers, else as case-sensitive strings.
pub(crate) fn compare(op: CmpOp, l: &Value, r: &Value) -> bool {
    let lt = l.to_text().unwrap_or_default();
    let rt = r.to_text().unwrap_or_default();
    let ord = match (lt.trim().parse::<i64>(), rt.trim().parse::<i64>()) {
        (Ok(a), Ok(b)) => a.cmp(&b),
        _ => lt.cmp(&rt),
    };
    match op {
        CmpOp::Eq => ord.is_eq(),
        CmpOp::Ne => ord.is_ne(),
        CmpOp::Gt => ord.is_gt(),
        CmpOp::Ge => ord.is_ge(),
        CmpOp::Lt => ord.is_lt(),
        CmpOp::Le => ord.is_le(),
    }
}

/// `CBool` semantics: booleans as themselves, non-zero numbers and `"True"` are true.
pub(crate) fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Int(i) => *i != 0,
        Value::Str(s) => {
            let s = s.trim();
            s.eq_ignore_ascii_case("true") || s.parse::<i64>().is_ok_and(|i| i != 0)
        }
        Value::Multi(items) => items.first().is_some_and(truthy),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mapping::parse::parse_expression;

    pub(crate) fn run(text: &str, src: &SourceObject) -> Result<Value, EvalError> {
        let (expr, errors) = parse_expression(text);
        assert!(errors.is_empty(), "{text}: {errors:?}");
        evaluate(&expr.expect("parsed"), src, &mut EvalEnv::deterministic(7))
    }

    fn user(pairs: &[(&str, Value)]) -> SourceObject {
        pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
    }

    #[test]
    fn switch_maps_is_soft_deleted_to_active() {
        let expr = r#"Switch([IsSoftDeleted], , "False", "True", "True", "False")"#;
        assert_eq!(run(expr, &user(&[("IsSoftDeleted", Value::Bool(false))])), Ok("True".into()));
        assert_eq!(run(expr, &user(&[("IsSoftDeleted", Value::Bool(true))])), Ok("False".into()));
        assert_eq!(run(expr, &user(&[])), Ok("True".into()), "an absent IsSoftDeleted is false");
        let by_state = r#"Switch([state], , "NSW", "Sydney")"#;
        assert_eq!(run(by_state, &user(&[])), Ok(Value::Null), "no key matches null and the default is omitted");
        let lower = r#"Switch([IsSoftDeleted], , "false", "true", "true", "false")"#;
        assert_eq!(run(lower, &user(&[("IsSoftDeleted", Value::Bool(true))])), Ok("false".into()));
        assert_eq!(
            run(lower, &user(&[("IsSoftDeleted", "False".into())])),
            Ok(Value::Null),
            "strings stay case-sensitive"
        );
    }

    #[test]
    fn switch_is_case_sensitive_and_empty_key_matches_null() {
        let expr = r#"Switch([state], "Australia/Sydney", "NSW", "Australia/Sydney","QLD", "Australia/Brisbane", "SA", "Australia/Adelaide")"#;
        assert_eq!(run(expr, &user(&[("state", "QLD".into())])), Ok("Australia/Brisbane".into()));
        assert_eq!(run(expr, &user(&[("state", "qld".into())])), Ok("Australia/Sydney".into()));
        let expr = r#"Switch([country],[country],"","Other")"#;
        assert_eq!(run(expr, &user(&[])), Ok("Other".into()));
        assert_eq!(run(expr, &user(&[("country", "".into())])), Ok("Other".into()));
        assert_eq!(run(expr, &user(&[("country", "NZ".into())])), Ok("NZ".into()));
    }

    #[test]
    fn iif_compares_and_fails_on_null_condition_attributes() {
        let expr = r#"IIF([country]="USA",[country],[department])"#;
        let u = user(&[("country", "USA".into()), ("department", "Sales".into())]);
        assert_eq!(run(expr, &u), Ok("USA".into()));
        let u = user(&[("country", "NZ".into()), ("department", "Sales".into())]);
        assert_eq!(run(expr, &u), Ok("Sales".into()));
        let err = run(expr, &user(&[("department", "Sales".into())])).unwrap_err();
        assert!(err.message.contains("null or empty"), "{err}");
        assert_eq!(
            run(r#"IIF(DateDiff("d", Now(), CDate("2026-01-20")) > 5, "False", "True")"#, &user(&[])),
            Ok("False".into())
        );
        assert_eq!(run("IIF(10 >= 9, \"a\", \"b\")", &user(&[])), Ok("a".into()), "numeric, not string, comparison");
    }

    #[test]
    fn cbool_compares_attributes() {
        let u = user(&[("mail", "a@x".into()), ("userPrincipalName", "a@x".into())]);
        assert_eq!(run("CBool([mail] = [userPrincipalName])", &u), Ok(Value::Bool(true)));
        assert_eq!(run("CBool(0)", &u), Ok(Value::Bool(false)));
        assert_eq!(run("CBool(\"True\")", &u), Ok(Value::Bool(true)));
    }

    #[test]
    fn coalesce_returns_first_non_null() {
        let u = user(&[("userPrincipalName", "John.Doe@contoso.com".into())]);
        assert_eq!(run("Coalesce([mail],[userPrincipalName])", &u), Ok("John.Doe@contoso.com".into()));
        assert_eq!(run(r#"Coalesce([mail], [jobTitle], "")"#, &u), Ok("".into()));
        assert_eq!(run("Coalesce([mail], [jobTitle])", &u), Ok(Value::Null));
    }

    #[test]
    fn ignore_flow_is_observable() {
        let (expr, _) = parse_expression("IgnoreFlowIfNullOrEmpty([department])");
        let expr = expr.expect("parsed");
        let mut env = EvalEnv::deterministic(1);
        assert_eq!(evaluate(&expr, &user(&[]), &mut env), Ok(Value::Null));
        assert!(env.flow_ignored());
        assert_eq!(evaluate(&expr, &user(&[("department", "R&D".into())]), &mut env), Ok("R&D".into()));
        assert!(!env.flow_ignored());
    }

    #[test]
    fn select_unique_value_asks_the_oracle_in_rule_order() {
        let expr = r#"SelectUniqueValue(Join("@", Join(".", [givenName], [surname]), "contoso.com"), Join("@", Join(".", Mid([givenName], 1, 1), [surname]), "contoso.com"))"#;
        let (parsed, _) = parse_expression(expr);
        let parsed = parsed.expect("parsed");
        let u = user(&[("givenName", "John".into()), ("surname", "Smith".into())]);
        let mut env = EvalEnv::deterministic(1);
        assert_eq!(evaluate(&parsed, &u, &mut env), Ok("John.Smith@contoso.com".into()));
        env.set_uniqueness_oracle(Box::new(|v: &str| v != "John.Smith@contoso.com"));
        assert_eq!(evaluate(&parsed, &u, &mut env), Ok("J.Smith@contoso.com".into()));
        env.set_uniqueness_oracle(Box::new(|_: &str| false));
        assert!(evaluate(&parsed, &u, &mut env).unwrap_err().message.contains("already taken"));
    }

    #[test]
    fn environments_and_mappings_can_cross_threads() {
        fn assert_send<T: Send>() {}
        fn assert_send_sync<T: Send + Sync>() {}
        assert_send::<EvalEnv>();
        assert_send_sync::<crate::mapping::MappingSet>();
        assert_send_sync::<crate::mapping::Explanation>();
        let mut env = EvalEnv::system();
        assert!(uuid::Uuid::parse_str(&env.guid()).is_ok());
        assert!((Utc::now() - env.now()).num_seconds().abs() < 60, "the system clock is live");
    }

    #[test]
    fn select_unique_value_candidates_for_async_callers() {
        let (parsed, _) =
            parse_expression(r#"SelectUniqueValue([mail], Join("@", [mailNickname], "contoso.com"), [x])"#);
        let parsed = parsed.expect("parsed");
        let u = user(&[("mailNickname", "jdoe".into())]);
        let got = select_unique_candidates(&parsed, &u, &mut EvalEnv::deterministic(1));
        assert_eq!(got, Some(Ok(vec!["jdoe@contoso.com".to_string()])));
        let (other, _) = parse_expression("[mail]");
        assert_eq!(select_unique_candidates(&other.expect("parsed"), &u, &mut EvalEnv::deterministic(1)), None);
    }

    #[test]
    fn deterministic_env_repeats_guids() {
        let a = EvalEnv::deterministic(3).guid();
        let b = EvalEnv::deterministic(3).guid();
        assert_eq!(a, b);
        assert_eq!(a.len(), 36);
        assert_ne!(a, EvalEnv::deterministic(4).guid());
    }
}
