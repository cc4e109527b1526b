//! One attribute mapping of a schema: its target, flow, matching and default, and its `source` tree
//! (`Attribute`, `Constant`, `Function`) turned into a mapping source or an expression.

use serde_json::Value as Json;

use crate::diagnostic::{Diagnostic, Severity, Span};

use crate::mapping::ast::{Expr, ExprKind};
use crate::mapping::catalog::{self, ObjectKind};
use crate::mapping::check::check_expression;
use crate::mapping::compile::compile_expression;
use crate::mapping::model::{Apply, AttributeMapping, Expression, FlowBehavior, MappingSource};
use crate::mapping::source::ExprSource;
use crate::mapping::target::TargetAttr;

use super::{warn_unknown_keys, Cx};

const ATTRIBUTE_KEYS: &[&str] = &[
    "defaultValue",
    "exportMissingReferences",
    "flowBehavior",
    "flowType",
    "matchingPriority",
    "source",
    "targetAttributeName",
    "@odata.type",
];

pub(super) fn attribute_mapping(cx: &mut Cx, am: &Json, kind: ObjectKind) -> Option<AttributeMapping> {
    let target_text = am.get("targetAttributeName").and_then(Json::as_str).unwrap_or("").to_string();
    let previous = cx.cursor;
    if let Some(span) = cx.find(&target_text) {
        cx.cursor = span.start;
    }
    let target = match TargetAttr::parse(&target_text) {
        Ok(t) => Some(t),
        Err(e) => {
            let at = cx.find(&target_text).map_or(cx.cursor, |s| s.start + 1 + e.offset);
            cx.diags.push(
                Diagnostic::error(format!("invalid target attribute: {}", e.message))
                    .at(&cx.file, Span::new(at, at + 1)),
            );
            None
        }
    };
    // Keys of this mapping may come before its target: search from the previous mapping onwards.
    let here = cx.cursor;
    cx.cursor = previous;
    warn_unknown_keys(cx, am, ATTRIBUTE_KEYS, &format!("the mapping of `{target_text}`"));
    let source = match am.get("source") {
        None | Some(Json::Null) => Some(MappingSource::None),
        Some(src) => mapping_source(cx, src, kind),
    };
    let apply = match am.get("flowType").and_then(Json::as_str).unwrap_or("Always") {
        "Always" => Apply::Always,
        "ObjectAddOnly" => Apply::OnCreate,
        "MultiValueAddOnly" => Apply::MultiValueAddOnly,
        "ValueAddOnly" => Apply::ValueAddOnly,
        "AttributeAddOnly" => Apply::AttributeAddOnly,
        other => {
            cx.diag(Severity::Warning, &format!("unknown flowType \"{other}\" treated as Always"), Some(other), "");
            Apply::Always
        }
    };
    let flow_behavior = match am.get("flowBehavior").and_then(Json::as_str) {
        Some("FlowAlways") => FlowBehavior::FlowAlways,
        _ => FlowBehavior::FlowWhenChanged,
    };
    if am.get("exportMissingReferences").and_then(Json::as_bool) == Some(true) {
        cx.diag(
            Severity::Warning,
            &format!("`exportMissingReferences` on `{target_text}` is not simulated"),
            Some("exportMissingReferences"),
            "ignored",
        );
    }
    let matching_priority =
        am.get("matchingPriority").and_then(Json::as_u64).filter(|p| *p > 0).and_then(|p| u32::try_from(p).ok());
    let default = am.get("defaultValue").and_then(Json::as_str).filter(|d| !d.is_empty()).map(str::to_string);
    cx.cursor = here;
    Some(AttributeMapping {
        target: target?,
        source: source?,
        default,
        apply,
        matching_priority,
        case_exact: false,
        flow_behavior,
    })
}

fn mapping_source(cx: &mut Cx, src: &Json, kind: ObjectKind) -> Option<MappingSource> {
    let ty = src.get("type").and_then(Json::as_str).unwrap_or("");
    let name = src.get("name").and_then(Json::as_str).unwrap_or("").to_string();
    match ty {
        "Attribute" => {
            if !catalog::is_known_attribute(kind, &name) {
                let label = crate::diagnostic::did_you_mean(&name, kind.attributes().iter().copied())
                    .map_or_else(|| "not a source attribute".to_string(), |s| format!("did you mean `{s}`?"));
                cx.diag(Severity::Error, &format!("unknown source attribute `{name}`"), Some(&name), &label);
            }
            Some(MappingSource::Direct(name))
        }
        "Constant" => {
            Some(MappingSource::Constant(src.get("value").and_then(Json::as_str).map_or(name, str::to_string)))
        }
        "Function" => {
            if let Some(text) = src.get("expression").and_then(Json::as_str).filter(|t| !t.trim().is_empty()) {
                let at = match cx.find(text) {
                    Some(span) => ExprSource::escaped(&cx.file, span.start + 1, text),
                    None => ExprSource::linear(&cx.file, cx.cursor),
                };
                return compile_expression(text, kind, &at, &mut cx.diags).map(MappingSource::Expression);
            }
            let ast = tree(cx, src)?;
            let problems = check_expression(&ast, kind);
            for p in &problems {
                cx.diag(p.severity, &p.message, Some(&name), p.label.as_deref().unwrap_or(""));
            }
            if problems.iter().any(|p| p.severity == Severity::Error) {
                return None;
            }
            Some(MappingSource::Expression(Expression { text: ast.to_string(), ast }))
        }
        other => {
            cx.diag(
                Severity::Error,
                &format!("unknown source type \"{other}\""),
                Some(other),
                "expected Attribute, Constant or Function",
            );
            None
        }
    }
}

/// Builds an expression from a Graph source tree (used when the tree has no `expression` text).
fn tree(cx: &mut Cx, src: &Json) -> Option<Expr> {
    let ty = src.get("type").and_then(Json::as_str).unwrap_or("");
    let name = src.get("name").and_then(Json::as_str).unwrap_or("").to_string();
    let kind = match ty {
        "Attribute" => ExprKind::Attribute(name),
        "Constant" => ExprKind::Str(src.get("value").and_then(Json::as_str).map_or(name, str::to_string)),
        "Function" => {
            let mut args: Vec<Option<Expr>> = Vec::new();
            let mut extra = Vec::new();
            for p in src.get("parameters").and_then(Json::as_array).into_iter().flatten() {
                let key = p.get("key").and_then(Json::as_str).unwrap_or("");
                let value = tree(cx, p.get("value").unwrap_or(&Json::Null))?;
                match catalog::graph_param_position(&name, key) {
                    Some(i) => {
                        if args.len() <= i {
                            args.resize(i + 1, None);
                        }
                        args[i] = Some(value);
                    }
                    None => extra.push(Some(value)),
                }
            }
            let fixed = catalog::function(&name).map_or(0, |f| {
                if f.name == "Switch" {
                    2
                } else if f.max.is_none() {
                    f.params.len() - 1
                } else {
                    0
                }
            });
            if args.len() < fixed && !extra.is_empty() {
                args.resize(fixed, None);
            }
            args.extend(extra);
            ExprKind::Call { name, name_span: Span::default(), args }
        }
        other => {
            cx.diag(
                Severity::Error,
                &format!("unknown source type \"{other}\""),
                Some(other),
                "expected Attribute, Constant or Function",
            );
            return None;
        }
    };
    Some(Expr::new(kind, Span::default()))
}
