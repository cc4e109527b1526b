//! RFC 7644 §3.4.2.2 filters: [`parse`] (with byte offsets in errors), [`Filter::matches`] against a JSON
//! resource, and `Display` back to canonical filter text. Used by the client (to build matching queries) and
//! by the embedded server (to answer them).
//!
//! Grammar (keywords and attribute names case-insensitive):
//!
//! ```text
//! filter    = and *("or" and)
//! and       = unary *("and" unary)
//! unary     = "not" ["("] filter [")"] / "(" filter ")" / attrExp
//! attrExp   = attrPath "pr" / attrPath compareOp value
//!           / attrPath "[" filter "]" ["." subAttr ("pr" / compareOp value)]
//! attrPath  = [URN ":"] name ["." subAttr]
//! value     = JSON string / true / false / null / number / bare word (Entra's `externalId eq jyoung`)
//! ```
//!
//! String comparisons honour each attribute's `caseExact` from [`crate::scim::schema`]; values that both parse
//! as RFC 3339 timestamps compare as instants; `"True"`/`"False"` strings compare equal to booleans.

use std::cmp::Ordering;
use std::fmt;

use serde_json::{Number, Value};

use crate::scim::{model, schema};

mod parse;

pub(crate) use parse::{split_attr, Parser};

/// The deepest nesting of parentheses/`not` accepted (protects the stack from hostile input).
pub const MAX_DEPTH: usize = 64;

/// An attribute reference: `[urn:]name[.sub]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttrRef {
    /// The schema URN, when qualified.
    pub urn: Option<String>,
    /// The attribute name as written.
    pub name: String,
    /// The sub-attribute, if any.
    pub sub: Option<String>,
}

impl AttrRef {
    /// An unqualified reference to `name`.
    pub fn new(name: impl Into<String>) -> Self {
        AttrRef { urn: None, name: name.into(), sub: None }
    }

    /// Parses `[urn:]name[.sub]`.
    pub fn parse(text: &str) -> Result<Self, FilterError> {
        split_attr(text, 0)
    }
}

impl Filter {
    /// `attr eq "value"` — the query Entra sends to match an object (ENTRA.md 1.2), e.g.
    /// `Filter::eq("userName", "alice@contoso.com")?.to_string()`.
    pub fn eq(attr: &str, value: &str) -> Result<Filter, FilterError> {
        Ok(Filter::Compare { attr: AttrRef::parse(attr)?, op: CompareOp::Eq, value: Literal::Str(value.to_string()) })
    }
}

impl fmt::Display for AttrRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(urn) = &self.urn {
            write!(f, "{urn}:")?;
        }
        f.write_str(&self.name)?;
        if let Some(sub) = &self.sub {
            write!(f, ".{sub}")?;
        }
        Ok(())
    }
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompareOp {
    /// equal
    Eq,
    /// not equal
    Ne,
    /// contains
    Co,
    /// starts with
    Sw,
    /// ends with
    Ew,
    /// greater than
    Gt,
    /// greater than or equal
    Ge,
    /// less than
    Lt,
    /// less than or equal
    Le,
}

impl CompareOp {
    fn parse(word: &str) -> Option<Self> {
        Some(match word.to_ascii_lowercase().as_str() {
            "eq" => CompareOp::Eq,
            "ne" => CompareOp::Ne,
            "co" => CompareOp::Co,
            "sw" => CompareOp::Sw,
            "ew" => CompareOp::Ew,
            "gt" => CompareOp::Gt,
            "ge" => CompareOp::Ge,
            "lt" => CompareOp::Lt,
            "le" => CompareOp::Le,
            _ => return None,
        })
    }

    /// The operator keyword.
    pub fn as_str(self) -> &'static str {
        match self {
            CompareOp::Eq => "eq",
            CompareOp::Ne => "ne",
            CompareOp::Co => "co",
            CompareOp::Sw => "sw",
            CompareOp::Ew => "ew",
            CompareOp::Gt => "gt",
            CompareOp::Ge => "ge",
            CompareOp::Lt => "lt",
            CompareOp::Le => "le",
        }
    }
}

/// A comparison value.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    /// A string (quoted, or a bare word).
    Str(String),
    /// `true` / `false`.
    Bool(bool),
    /// A JSON number.
    Num(Number),
    /// `null`.
    Null,
}

impl fmt::Display for Literal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Literal::Str(s) => write!(f, "{}", Value::String(s.clone())),
            Literal::Bool(b) => write!(f, "{b}"),
            Literal::Num(n) => write!(f, "{n}"),
            Literal::Null => f.write_str("null"),
        }
    }
}

/// A parsed filter.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    /// `attr op value`.
    Compare {
        /// The attribute.
        attr: AttrRef,
        /// The operator.
        op: CompareOp,
        /// The value.
        value: Literal,
    },
    /// `attr pr`.
    Present {
        /// The attribute.
        attr: AttrRef,
    },
    /// `attr[filter]` or `attr[filter].sub op value`: some element of `attr` matches `filter` (and `then`).
    /// Attribute references inside are relative to the element.
    ValuePath {
        /// The multi-valued (or complex) attribute.
        attr: AttrRef,
        /// The element filter.
        filter: Box<Filter>,
        /// The comparison after `].` (a `Compare` or `Present` on a sub-attribute of the element).
        then: Option<Box<Filter>>,
    },
    /// Both.
    And(Box<Filter>, Box<Filter>),
    /// Either.
    Or(Box<Filter>, Box<Filter>),
    /// Negation.
    Not(Box<Filter>),
}

/// A filter that did not parse: where and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("at byte {offset}: {message}")]
pub struct FilterError {
    /// Byte offset into the filter text.
    pub offset: usize,
    /// What was expected.
    pub message: String,
}

/// Evaluation knobs.
#[derive(Debug, Clone, Copy, Default)]
pub struct EvalOptions {
    /// Compare every string case-sensitively, ignoring the schema's `caseExact` (a misbehaving endpoint).
    pub case_exact: bool,
}

/// Parses a filter.
pub fn parse(text: &str) -> Result<Filter, FilterError> {
    parse::parse_all(text)
}

impl Filter {
    /// Whether the resource matches, with schema case rules.
    pub fn matches(&self, resource: &Value) -> bool {
        self.matches_with(resource, EvalOptions::default())
    }

    /// Whether the resource matches, with explicit options.
    pub fn matches_with(&self, resource: &Value, opts: EvalOptions) -> bool {
        self.eval(resource, None, opts)
    }

    /// Evaluates against `node`; `parent` is the multi-valued attribute whose element `node` is (inside a value
    /// filter), so that `type` reads as `emails.type` for case rules.
    pub(crate) fn eval(&self, node: &Value, parent: Option<&AttrRef>, opts: EvalOptions) -> bool {
        match self {
            Filter::And(a, b) => a.eval(node, parent, opts) && b.eval(node, parent, opts),
            Filter::Or(a, b) => a.eval(node, parent, opts) || b.eval(node, parent, opts),
            Filter::Not(f) => !f.eval(node, parent, opts),
            Filter::Present { attr } => leaves(node, attr, parent).iter().any(|v| !model::is_unassigned(v)),
            Filter::Compare { attr, op, value } => {
                let exact = opts.case_exact || case_exact(attr, parent);
                let found = leaves(node, attr, parent);
                match (op, value) {
                    (CompareOp::Eq, Literal::Null) => found.iter().all(|v| model::is_unassigned(v)),
                    (CompareOp::Ne, Literal::Null) => found.iter().any(|v| !model::is_unassigned(v)),
                    (CompareOp::Ne, _) => !found.iter().any(|v| compare(v, CompareOp::Eq, value, exact)),
                    _ => found.iter().any(|v| compare(v, *op, value, exact)),
                }
            }
            Filter::ValuePath { attr, filter, then } => {
                let Some(v) = lookup(node, attr, parent) else { return false };
                let elems: Vec<&Value> = match v {
                    Value::Array(a) => a.iter().collect(),
                    other => vec![other],
                };
                elems.into_iter().any(|e| {
                    filter.eval(e, Some(attr), opts) && then.as_ref().map_or(true, |t| t.eval(e, Some(attr), opts))
                })
            }
        }
    }

    /// The attribute references this filter compares, with the value-path parent for element attributes.
    pub fn attributes(&self) -> Vec<(Option<&AttrRef>, &AttrRef)> {
        let mut out = Vec::new();
        self.collect_attrs(None, &mut out);
        out
    }

    fn collect_attrs<'a>(&'a self, parent: Option<&'a AttrRef>, out: &mut Vec<(Option<&'a AttrRef>, &'a AttrRef)>) {
        match self {
            Filter::And(a, b) | Filter::Or(a, b) => {
                a.collect_attrs(parent, out);
                b.collect_attrs(parent, out);
            }
            Filter::Not(f) => f.collect_attrs(parent, out),
            Filter::Present { attr } | Filter::Compare { attr, .. } => out.push((parent, attr)),
            Filter::ValuePath { attr, filter, then } => {
                out.push((parent, attr));
                filter.collect_attrs(Some(attr), out);
                if let Some(t) = then {
                    t.collect_attrs(Some(attr), out);
                }
            }
        }
    }
}

fn case_exact(attr: &AttrRef, parent: Option<&AttrRef>) -> bool {
    match parent {
        Some(p) => schema::case_exact(p.urn.as_deref(), &p.name, Some(&attr.name)),
        None => schema::case_exact(attr.urn.as_deref(), &attr.name, attr.sub.as_deref()),
    }
}

/// The value of `attr` (without its sub-attribute) in `node`.
fn lookup<'a>(node: &'a Value, attr: &AttrRef, parent: Option<&AttrRef>) -> Option<&'a Value> {
    let obj = node.as_object()?;
    if parent.is_some() {
        return model::get_ci(obj, &attr.name);
    }
    let loc = schema::locate(attr.urn.as_deref(), &attr.name);
    let container = match (&attr.urn, loc.container) {
        (_, Some(urn)) => model::get_ci(obj, urn)?.as_object()?,
        (Some(urn), None) if !schema::is_core(urn) => model::get_ci(obj, urn)?.as_object()?,
        _ => obj,
    };
    model::get_ci(container, &attr.name)
}

/// The comparable leaf values of `attr`: elements of arrays, the sub-attribute when given, and the `value`
/// sub-attribute of complex values when not (so `members eq "id"` and `manager eq "id"` work).
fn leaves<'a>(node: &'a Value, attr: &AttrRef, parent: Option<&AttrRef>) -> Vec<&'a Value> {
    let Some(v) = lookup(node, attr, parent) else { return Vec::new() };
    let elems: Vec<&Value> = match v {
        Value::Array(a) => a.iter().collect(),
        other => vec![other],
    };
    elems
        .into_iter()
        .filter_map(|e| match (&attr.sub, e) {
            (Some(sub), Value::Object(o)) => model::get_ci(o, sub),
            (Some(_), _) => None,
            (None, Value::Object(o)) => model::get_ci(o, "value"),
            (None, other) => Some(other),
        })
        .collect()
}

fn compare(actual: &Value, op: CompareOp, lit: &Literal, exact: bool) -> bool {
    match (actual, lit) {
        (Value::String(a), Literal::Str(b)) => compare_str(a, op, b, exact),
        (Value::String(a), Literal::Num(n)) => compare_str(a, op, &n.to_string(), exact),
        (Value::String(_), Literal::Bool(b)) | (Value::Bool(_), Literal::Bool(b)) => {
            let a = model::lenient_bool(actual);
            match op {
                CompareOp::Eq => a == Some(*b),
                CompareOp::Ne => a != Some(*b),
                _ => false,
            }
        }
        (Value::Bool(a), Literal::Str(s)) => match (op, model::lenient_bool(&Value::String(s.clone()))) {
            (CompareOp::Eq, Some(b)) => *a == b,
            (CompareOp::Ne, Some(b)) => *a != b,
            _ => false,
        },
        (Value::Number(a), Literal::Num(b)) => match (a.as_f64(), b.as_f64()) {
            (Some(a), Some(b)) => ordering_ok(a.partial_cmp(&b), op),
            _ => false,
        },
        (Value::Number(a), Literal::Str(s)) => match (a.as_f64(), s.trim().parse::<f64>().ok()) {
            (Some(a), Some(b)) => ordering_ok(a.partial_cmp(&b), op),
            _ => false,
        },
        _ => false,
    }
}

fn compare_str(a: &str, op: CompareOp, b: &str, exact: bool) -> bool {
    if let (Ok(x), Ok(y)) = (chrono::DateTime::parse_from_rfc3339(a), chrono::DateTime::parse_from_rfc3339(b)) {
        if !matches!(op, CompareOp::Co | CompareOp::Sw | CompareOp::Ew) {
            return ordering_ok(Some(x.cmp(&y)), op);
        }
    }
    let (a, b) = if exact { (a.to_string(), b.to_string()) } else { (a.to_lowercase(), b.to_lowercase()) };
    match op {
        CompareOp::Co => a.contains(&b),
        CompareOp::Sw => a.starts_with(&b),
        CompareOp::Ew => a.ends_with(&b),
        _ => ordering_ok(Some(a.cmp(&b)), op),
    }
}

fn ordering_ok(o: Option<Ordering>, op: CompareOp) -> bool {
    let Some(o) = o else { return false };
    match op {
        CompareOp::Eq => o == Ordering::Equal,
        CompareOp::Ne => o != Ordering::Equal,
        CompareOp::Gt => o == Ordering::Greater,
        CompareOp::Ge => o != Ordering::Less,
        CompareOp::Lt => o == Ordering::Less,
        CompareOp::Le => o != Ordering::Greater,
        CompareOp::Co | CompareOp::Sw | CompareOp::Ew => false,
    }
}

impl Filter {
    fn precedence(&self) -> u8 {
        match self {
            Filter::Or(..) => 1,
            Filter::And(..) => 2,
            _ => 3,
        }
    }

    fn fmt_child(&self, f: &mut fmt::Formatter<'_>, child: &Filter, min: u8) -> fmt::Result {
        let _ = self;
        if child.precedence() < min {
            write!(f, "({child})")
        } else {
            write!(f, "{child}")
        }
    }
}

impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Filter::Compare { attr, op, value } => write!(f, "{attr} {} {value}", op.as_str()),
            Filter::Present { attr } => write!(f, "{attr} pr"),
            Filter::ValuePath { attr, filter, then } => {
                write!(f, "{attr}[{filter}]")?;
                match then {
                    Some(t) => write!(f, ".{t}"),
                    None => Ok(()),
                }
            }
            // Left-associative chains print flat; a right operand of equal precedence needs parentheses.
            Filter::And(a, b) => {
                self.fmt_child(f, a, 2)?;
                f.write_str(" and ")?;
                self.fmt_child(f, b, 3)
            }
            Filter::Or(a, b) => {
                self.fmt_child(f, a, 1)?;
                f.write_str(" or ")?;
                self.fmt_child(f, b, 2)
            }
            Filter::Not(inner) => write!(f, "not ({inner})"),
        }
    }
}

#[cfg(test)]
mod tests;
