//! `entrasim mapping check|explain|export` and `entrasim expr`: the mapping layer for a person at a terminal.

use std::io::Write as _;
use std::path::Path;

use crate::app::Context;
use crate::cli::{ExprArgs, MappingCommand};
use crate::diagnostic::{self, Diagnostic};
use crate::error::Error;
use crate::exit;
use crate::mapping::{self, EvalEnv, SourceObject, Value};

/// `mapping check`, `mapping explain` and `mapping export`.
pub fn run(command: MappingCommand, ctx: &Context) -> Result<u8, Error> {
    match command {
        MappingCommand::Check { file } => check(&file, ctx),
        MappingCommand::Explain { file, user, json } => explain(&file, &user, json, ctx),
        MappingCommand::Export { spec, out } => export(&spec, out.as_deref(), ctx),
    }
}

/// The schema JSON on stdout or in `out`; the mapping's warnings on stderr.
fn export(spec: &str, out: Option<&Path>, ctx: &Context) -> Result<u8, Error> {
    let loaded = mapping::load(spec, Path::new(".")).map_err(Error::Invalid)?;
    for warning in &loaded.warnings {
        eprintln!("{}", warning.render(ctx.stderr_color));
    }
    let mut json =
        serde_json::to_string_pretty(&mapping::export_schema(&loaded.set)).expect("invariant: JSON values serialise");
    json.push('\n');
    match out {
        Some(path) => {
            std::fs::write(path, json).map_err(|e| Error::io(format!("cannot write `{}`", path.display()), e))?
        }
        None => print!("{json}"),
    }
    Ok(exit::OK)
}

fn check(spec: &str, ctx: &Context) -> Result<u8, Error> {
    let diagnostics = mapping::check(spec, Path::new("."));
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = diagnostics.len() - errors;
    if !diagnostics.is_empty() {
        eprintln!("{}", diagnostic::render_all(&diagnostics, ctx.stderr_color));
    }
    let mut out = std::io::stdout().lock();
    if errors > 0 {
        let _ = writeln!(out, "{spec}: {errors} error(s), {warnings} warning(s)");
        return Ok(exit::INVALID);
    }
    let _ =
        writeln!(out, "{spec}: ok{}", if warnings > 0 { format!(" ({warnings} warning(s))") } else { String::new() });
    Ok(exit::OK)
}

fn explain(spec: &str, user: &Path, json: bool, ctx: &Context) -> Result<u8, Error> {
    let loaded = mapping::load(spec, Path::new(".")).map_err(Error::Invalid)?;
    let mut source = read_user(user)?;
    if !source.has("IsSoftDeleted") {
        // Entra computes IsSoftDeleted; for a lone user file, only `accountEnabled` can say it (ENTRA.md 4.5).
        let disabled = matches!(source.get("accountEnabled"), Value::Bool(false))
            || source.get("accountEnabled").to_text().is_some_and(|t| t.eq_ignore_ascii_case("false"));
        source.set("IsSoftDeleted", Value::Bool(disabled));
    }
    let mut env = EvalEnv::deterministic(0);
    let explanation = mapping::explain(&loaded.set, &source, &mut env);
    let text = if json {
        serde_json::to_string_pretty(&explanation).expect("invariant: explanations serialise")
    } else {
        explanation.render(ctx.color)
    };
    for warning in &loaded.warnings {
        eprintln!("{}", warning.render(ctx.stderr_color));
    }
    println!("{text}");
    Ok(exit::OK)
}

/// `entrasim expr`: the value on the last stdout line (a JSON string, or `null`); exit 3 on a parse error.
pub fn expr(args: ExprArgs, _ctx: &Context) -> Result<u8, Error> {
    let source = match &args.user {
        Some(path) => read_user(path)?,
        None => parse_sets(&args.set)?,
    };
    let mut env = EvalEnv::deterministic(0);
    match mapping::eval_expression_text(&args.expression, &source, &mut env) {
        Ok(value) => {
            println!("{}", render_value(&value));
            Ok(exit::OK)
        }
        Err(diagnostics) => Err(Error::Invalid(diagnostics)),
    }
}

/// Expression results as JSON: strings quoted, `null` for no value, multi-values as arrays.
fn render_value(value: &Value) -> String {
    match value {
        Value::Null => "null".to_string(),
        Value::Bool(_) | Value::Int(_) => serde_json::Value::String(value.to_text().unwrap_or_default()).to_string(),
        other => other.to_json().to_string(),
    }
}

fn parse_sets(sets: &[String]) -> Result<SourceObject, Error> {
    let mut source = SourceObject::new();
    let mut problems = Vec::new();
    for set in sets {
        match set.split_once('=') {
            Some((name, value)) if !name.trim().is_empty() => source.set(name.trim(), Value::from(value)),
            _ => problems.push(Diagnostic::error(format!("`--set {set}` is not NAME=VALUE"))),
        }
    }
    if problems.is_empty() {
        Ok(source)
    } else {
        Err(Error::Invalid(problems))
    }
}

fn read_user(path: &Path) -> Result<SourceObject, Error> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(format!("reading `{}`", path.display()), e))?;
    let file = diagnostic::SourceFile::new(path.display().to_string(), text.as_str());
    match serde_json::from_str::<serde_json::Value>(&text) {
        Ok(json) if json.is_object() => Ok(SourceObject::from_json(&json)),
        Ok(_) => Err(Error::Invalid(vec![Diagnostic::error("expected a JSON object of Entra user attributes")
            .at(&file, diagnostic::Span::new(0, text.len().min(1)))])),
        Err(e) => {
            let offset = line_col_to_offset(&text, e.line(), e.column());
            Err(Error::Invalid(vec![
                Diagnostic::error(format!("invalid JSON: {e}")).at(&file, diagnostic::Span::new(offset, offset + 1))
            ]))
        }
    }
}

fn line_col_to_offset(text: &str, line: usize, col: usize) -> usize {
    let start: usize = text.split_inclusive('\n').take(line.saturating_sub(1)).map(str::len).sum();
    (start + col.saturating_sub(1)).min(text.len())
}
