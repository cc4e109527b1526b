//! One `[[users.attributes]]` entry: its target, where the value comes from (`source`, `constant` or
//! `expression`), `default`, `apply`, `matching`, `case_exact` and `flow`.

use std::ops::Range;

use toml::de::DeTable;

use crate::diagnostic::{did_you_mean, Diagnostic, Span};

use crate::mapping::catalog::{self, ObjectKind};
use crate::mapping::compile::compile_expression;
use crate::mapping::model::{Apply, AttributeMapping, FlowBehavior, MappingSource};
use crate::mapping::target::TargetAttr;

use super::{Cx, Fields};

const ATTRIBUTE_KEYS: &[&str] =
    &["target", "source", "constant", "expression", "default", "apply", "matching", "case_exact", "flow"];

pub(super) type Str = Option<(String, Range<usize>)>;

pub(super) fn attribute_mapping(
    cx: &mut Cx,
    table: &DeTable<'_>,
    span: Range<usize>,
    kind: ObjectKind,
) -> Option<(AttributeMapping, Range<usize>)> {
    let mut f = Fields::new(table, span.clone());
    let target = f.string(cx, "target");
    let sources = [f.string(cx, "source"), f.string(cx, "constant"), f.string(cx, "expression")];
    let default = f.string(cx, "default").map(|(s, _)| s);
    let apply = f.string(cx, "apply");
    let matching = f.int(cx, "matching");
    let case_exact = f.bool(cx, "case_exact").unwrap_or(false);
    let flow = f.string(cx, "flow");
    f.finish(cx, ATTRIBUTE_KEYS, "an attribute mapping");

    let Some((target_text, target_span)) = target else {
        cx.error(span, "attribute mapping without `target`", "add `target = \"<SCIM attribute>\"`");
        return None;
    };
    let target = match TargetAttr::parse(&target_text) {
        Ok(t) => Some(t),
        Err(e) => {
            let at = cx.string_source(&target_span, &target_text).map(Span::new(e.offset, e.offset + 1));
            cx.push(Diagnostic::error(format!("invalid target attribute: {}", e.message)).at(&cx.file, at));
            None
        }
    };
    if sources.iter().filter(|s| s.is_some()).count() > 1 {
        let message = "an attribute mapping takes only one of `source`, `constant` and `expression`";
        cx.error(span.clone(), message, "mapping with several sources");
    }
    let source = mapping_source(cx, sources, kind);
    let apply = apply.and_then(|(a, s)| parse_apply(cx, &a, s)).unwrap_or(Apply::Always);
    let flow_behavior = parse_flow(cx, flow);
    let matching_priority = match matching {
        Some((p, _)) if p >= 1 && p <= i64::from(u32::MAX) => Some(p as u32),
        Some((_, s)) => {
            cx.error(s, "`matching` is a precedence starting at 1", "1 is tried first");
            None
        }
        None => None,
    };
    let mapping = AttributeMapping {
        target: target?,
        source: source?,
        default,
        apply,
        matching_priority,
        case_exact,
        flow_behavior,
    };
    Some((mapping, target_span))
}

/// The mapping type from whichever of `source`, `constant` and `expression` is given (none = type None).
pub(super) fn mapping_source(
    cx: &mut Cx,
    [direct, constant, expression]: [Str; 3],
    kind: ObjectKind,
) -> Option<MappingSource> {
    if let Some((attr, s)) = direct {
        if !catalog::is_known_attribute(kind, &attr) {
            let label = did_you_mean(&attr, kind.attributes().iter().copied())
                .map_or_else(|| "not a source attribute".to_string(), |s| format!("did you mean `{s}`?"));
            cx.error(s, format!("unknown source attribute `{attr}`"), label);
        }
        return Some(MappingSource::Direct(attr));
    }
    if let Some((c, _)) = constant {
        return Some(MappingSource::Constant(c));
    }
    if let Some((text, s)) = expression {
        let at = cx.string_source(&s, &text);
        return compile_expression(&text, kind, &at, &mut cx.diags).map(MappingSource::Expression);
    }
    Some(MappingSource::None)
}

pub(super) fn parse_flow(cx: &mut Cx, flow: Str) -> FlowBehavior {
    let Some((text, span)) = flow else { return FlowBehavior::FlowWhenChanged };
    match text.to_ascii_lowercase().replace('-', "_").as_str() {
        "when_changed" => FlowBehavior::FlowWhenChanged,
        "always" => FlowBehavior::FlowAlways,
        _ => {
            cx.error(span, "unknown `flow`", "expected \"when_changed\" or \"always\"");
            FlowBehavior::FlowWhenChanged
        }
    }
}

pub(super) fn parse_apply(cx: &mut Cx, text: &str, span: Range<usize>) -> Option<Apply> {
    const NAMES: &[(&str, Apply)] = &[
        ("always", Apply::Always),
        ("on_create", Apply::OnCreate),
        ("multi_value_add_only", Apply::MultiValueAddOnly),
        ("value_add_only", Apply::ValueAddOnly),
        ("attribute_add_only", Apply::AttributeAddOnly),
    ];
    let key = text.to_ascii_lowercase().replace('-', "_");
    if let Some((_, a)) = NAMES.iter().find(|(n, _)| *n == key) {
        return Some(*a);
    }
    let label = did_you_mean(text, NAMES.iter().map(|(n, _)| *n))
        .map_or_else(|| "expected \"always\" or \"on_create\"".to_string(), |s| format!("did you mean `{s}`?"));
    cx.error(span, format!("unknown `apply` value \"{text}\""), label);
    None
}
