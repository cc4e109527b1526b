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
#[error("{message} at byte {offset}")]
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
    let mut p = Parser::new(text, 0);
    let f = p.filter()?;
    p.skip_ws();
    if p.pos < p.b.len() {
        return Err(p.err(p.pos, format!("unexpected `{}`", p.rest_word())));
    }
    Ok(f)
}

/// A recursive-descent parser over filter text, shared with [`crate::scim::path`].
pub(crate) struct Parser<'a> {
    src: &'a str,
    b: &'a [u8],
    /// Current byte offset.
    pub(crate) pos: usize,
    depth: usize,
    in_brackets: bool,
}

fn is_name_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'$')
}

fn is_path_byte(c: u8) -> bool {
    is_name_byte(c) || matches!(c, b':' | b'.')
}

impl<'a> Parser<'a> {
    pub(crate) fn new(src: &'a str, pos: usize) -> Self {
        Parser { src, b: src.as_bytes(), pos, depth: 0, in_brackets: false }
    }

    fn err(&self, offset: usize, message: impl Into<String>) -> FilterError {
        FilterError { offset, message: message.into() }
    }

    fn rest_word(&self) -> String {
        self.src.get(self.pos..).unwrap_or("").chars().take(12).collect()
    }

    fn skip_ws(&mut self) {
        while self.pos < self.b.len() && self.b[self.pos].is_ascii_whitespace() {
            self.pos += 1;
        }
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    /// Consumes keyword `kw` (case-insensitive) if it is next and followed by a word boundary.
    fn keyword(&mut self, kw: &str) -> bool {
        let end = self.pos + kw.len();
        let Some(word) = self.b.get(self.pos..end) else { return false };
        if !word.eq_ignore_ascii_case(kw.as_bytes()) || self.b.get(end).is_some_and(|&c| is_path_byte(c)) {
            return false;
        }
        self.pos = end;
        true
    }

    /// `filter` production (an `or` chain).
    pub(crate) fn filter(&mut self) -> Result<Filter, FilterError> {
        let mut left = self.and()?;
        loop {
            let save = self.pos;
            self.skip_ws();
            if self.keyword("or") {
                let right = self.and()?;
                left = Filter::Or(Box::new(left), Box::new(right));
            } else {
                self.pos = save;
                return Ok(left);
            }
        }
    }

    fn and(&mut self) -> Result<Filter, FilterError> {
        let mut left = self.unary()?;
        loop {
            let save = self.pos;
            self.skip_ws();
            if self.keyword("and") {
                let right = self.unary()?;
                left = Filter::And(Box::new(left), Box::new(right));
            } else {
                self.pos = save;
                return Ok(left);
            }
        }
    }

    fn unary(&mut self) -> Result<Filter, FilterError> {
        self.skip_ws();
        if self.depth >= MAX_DEPTH {
            return Err(self.err(self.pos, format!("filter nested deeper than {MAX_DEPTH} levels")));
        }
        self.depth += 1;
        let result = self.unary_inner();
        self.depth -= 1;
        result
    }

    fn unary_inner(&mut self) -> Result<Filter, FilterError> {
        if self.peek() == Some(b'(') {
            return self.group();
        }
        let save = self.pos;
        if self.keyword("not") {
            self.skip_ws();
            if self.peek() == Some(b'(') {
                return Ok(Filter::Not(Box::new(self.group()?)));
            }
            // `not` used as an attribute name, e.g. `not pr`: fall through to an attribute expression.
            if self.peek().is_some_and(is_name_byte) && !self.next_word_is_operator() {
                return Ok(Filter::Not(Box::new(self.unary()?)));
            }
            self.pos = save;
        }
        self.attr_exp()
    }

    fn next_word_is_operator(&self) -> bool {
        let rest = &self.b[self.pos..];
        let n = rest.iter().take_while(|c| c.is_ascii_alphabetic()).count();
        let word = std::str::from_utf8(&rest[..n]).unwrap_or("");
        (word.eq_ignore_ascii_case("pr") || CompareOp::parse(word).is_some())
            && rest.get(n).map_or(true, |c| !is_path_byte(*c))
    }

    fn group(&mut self) -> Result<Filter, FilterError> {
        let open = self.pos;
        self.pos += 1;
        let f = self.filter()?;
        self.skip_ws();
        if self.peek() != Some(b')') {
            return Err(self.err(self.pos, format!("expected `)` to close the `(` at byte {open}")));
        }
        self.pos += 1;
        Ok(f)
    }

    /// Reads `[urn:]name[.sub]`.
    pub(crate) fn attr_ref(&mut self) -> Result<AttrRef, FilterError> {
        let start = self.pos;
        while self.peek().is_some_and(is_path_byte) {
            self.pos += 1;
        }
        let text = &self.src[start..self.pos];
        if text.is_empty() {
            let found = self.src[start..].chars().next().map_or("end of input".to_string(), |c| format!("`{c}`"));
            return Err(self.err(start, format!("expected an attribute name, found {found}")));
        }
        split_attr(text, start)
    }

    fn attr_exp(&mut self) -> Result<Filter, FilterError> {
        let attr = self.attr_ref()?;
        if self.peek() == Some(b'[') {
            let open = self.pos;
            if self.in_brackets {
                return Err(self.err(open, "value filters cannot be nested"));
            }
            let inner = self.bracket()?;
            let then = if self.peek() == Some(b'.') {
                self.pos += 1;
                let sub_start = self.pos;
                let sub = self.attr_ref()?;
                if sub.urn.is_some() || sub.sub.is_some() {
                    return Err(self.err(sub_start, "expected a sub-attribute name after `].`"));
                }
                Some(Box::new(self.comparison(sub)?))
            } else {
                None
            };
            return Ok(Filter::ValuePath { attr, filter: Box::new(inner), then });
        }
        self.comparison(attr)
    }

    /// Parses `[filter]` starting at `[`; leaves `pos` after `]`.
    pub(crate) fn bracket(&mut self) -> Result<Filter, FilterError> {
        let open = self.pos;
        self.pos += 1;
        self.in_brackets = true;
        let inner = self.filter();
        self.in_brackets = false;
        let inner = inner?;
        self.skip_ws();
        if self.peek() != Some(b']') {
            return Err(self.err(self.pos, format!("expected `]` to close the `[` at byte {open}")));
        }
        self.pos += 1;
        Ok(inner)
    }

    fn comparison(&mut self, attr: AttrRef) -> Result<Filter, FilterError> {
        let before = self.pos;
        self.skip_ws();
        if self.pos == before {
            let msg = match self.peek() {
                None => "expected an operator (eq, ne, co, sw, ew, gt, ge, lt, le, pr) after the attribute".into(),
                Some(_) => format!("unexpected `{}` after attribute `{attr}`", self.rest_word()),
            };
            return Err(self.err(self.pos, msg));
        }
        let op_start = self.pos;
        while self.peek().is_some_and(|c| c.is_ascii_alphabetic()) {
            self.pos += 1;
        }
        let word = &self.src[op_start..self.pos];
        if word.eq_ignore_ascii_case("pr") {
            return Ok(Filter::Present { attr });
        }
        let Some(op) = CompareOp::parse(word) else {
            let shown = if word.is_empty() { self.rest_word() } else { word.to_string() };
            return Err(self.err(
                op_start,
                format!("unknown operator `{shown}` (expected eq, ne, co, sw, ew, gt, ge, lt, le or pr)"),
            ));
        };
        let before_value = self.pos;
        self.skip_ws();
        if self.pos == before_value {
            return Err(self.err(self.pos, format!("expected a space and a value after `{word}`")));
        }
        let value = self.value()?;
        Ok(Filter::Compare { attr, op, value })
    }

    fn value(&mut self) -> Result<Literal, FilterError> {
        let start = self.pos;
        if self.peek() == Some(b'"') {
            let mut i = self.pos + 1;
            while i < self.b.len() && self.b[i] != b'"' {
                i += if self.b[i] == b'\\' { 2 } else { 1 };
            }
            if i >= self.b.len() {
                return Err(self.err(start, "unterminated string"));
            }
            let s: String = serde_json::from_str(&self.src[start..=i])
                .map_err(|e| self.err(start, format!("invalid string: {e}")))?;
            self.pos = i + 1;
            return Ok(Literal::Str(s));
        }
        while self.peek().is_some_and(|c| !c.is_ascii_whitespace() && c != b')' && c != b']') {
            self.pos += 1;
        }
        let word = &self.src[start..self.pos];
        if word.is_empty() {
            return Err(self.err(start, "expected a value"));
        }
        Ok(match word {
            w if w.eq_ignore_ascii_case("true") => Literal::Bool(true),
            w if w.eq_ignore_ascii_case("false") => Literal::Bool(false),
            w if w.eq_ignore_ascii_case("null") => Literal::Null,
            w => match serde_json::from_str::<Number>(w) {
                Ok(n) => Literal::Num(n),
                // Entra's doc example `externalId eq jyoung`: an unquoted word is a string.
                Err(_) => Literal::Str(w.to_string()),
            },
        })
    }
}

/// Splits `[urn:]name[.sub]` text that starts at byte `start` of the whole input.
pub(crate) fn split_attr(text: &str, start: usize) -> Result<AttrRef, FilterError> {
    let (urn, rest, rest_start) = match text.rfind(':') {
        Some(i) => (Some(&text[..i]), &text[i + 1..], start + i + 1),
        None => (None, text, start),
    };
    if let Some(u) = urn {
        if !u.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("urn:")) {
            return Err(FilterError { offset: start, message: format!("`{u}` is not a schema URN") });
        }
    }
    let mut parts = rest.splitn(3, '.');
    let name = parts.next().unwrap_or("");
    let sub = parts.next();
    if parts.next().is_some() {
        return Err(FilterError {
            offset: start,
            message: format!("attribute path `{text}` has more than one sub-attribute"),
        });
    }
    check_name(name, rest_start)?;
    if let Some(sub) = sub {
        check_name(sub, rest_start + name.len() + 1)?;
    }
    Ok(AttrRef { urn: urn.map(str::to_string), name: name.to_string(), sub: sub.map(str::to_string) })
}

fn check_name(name: &str, offset: usize) -> Result<(), FilterError> {
    let ok =
        name.bytes().next().is_some_and(|c| c.is_ascii_alphabetic() || c == b'$') && name.bytes().all(is_name_byte);
    if ok {
        Ok(())
    } else if name.is_empty() {
        Err(FilterError { offset, message: "expected an attribute name".into() })
    } else {
        Err(FilterError { offset, message: format!("`{name}` is not a valid attribute name") })
    }
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
mod tests {
    use super::*;
    use serde_json::json;

    fn user() -> Value {
        json!({
            "schemas": [model::USER_SCHEMA, model::ENTERPRISE_USER_SCHEMA],
            "id": "2819c223",
            "externalId": "AbC",
            "userName": "Alice@Contoso.com",
            "name": {"familyName": "Doe", "givenName": "Alice"},
            "active": true,
            "emails": [{"type": "work", "value": "alice@contoso.com", "primary": true},
                       {"type": "home", "value": "a@home.example"}],
            "roles": [{"primary": "True", "value": "Admin"}],
            "meta": {"created": "2020-01-02T03:04:05Z", "version": "W/\"1\""},
            model::ENTERPRISE_USER_SCHEMA: {"employeeNumber": "42", "manager": {"value": "m1"}},
        })
    }

    fn m(text: &str) -> bool {
        parse(text).unwrap_or_else(|e| panic!("{text}: {e}")).matches(&user())
    }

    #[test]
    fn equality_and_case_rules() {
        assert!(m(r#"userName eq "alice@contoso.com""#));
        assert!(m(r#"USERNAME EQ "ALICE@CONTOSO.COM""#));
        assert!(m(r#"externalId eq "AbC""#));
        assert!(!m(r#"externalId eq "abc""#), "externalId is caseExact");
        assert!(!m(r#"id eq "2819C223""#), "id is caseExact");
        let f = parse(r#"userName eq "alice@contoso.com""#).expect("parses");
        assert!(!f.matches_with(&user(), EvalOptions { case_exact: true }));
    }

    #[test]
    fn unquoted_values_are_strings() {
        assert!(m("externalId eq AbC"));
        assert_eq!(
            parse("externalId eq jyoung").expect("parses"),
            Filter::Compare {
                attr: AttrRef::new("externalId"),
                op: CompareOp::Eq,
                value: Literal::Str("jyoung".into())
            }
        );
        assert!(m("(externalId eq AbC)"));
    }

    #[test]
    fn operators() {
        assert!(m(r#"userName sw "alice""#));
        assert!(m(r#"userName ew ".COM""#));
        assert!(m(r#"userName co "contoso""#));
        assert!(m(r#"userName ne "bob""#));
        assert!(m("title ne \"x\""), "absent attribute is not equal");
        assert!(m("name.familyName pr"));
        assert!(!m("title pr"));
        assert!(m("active eq true"));
        assert!(!m("active eq false"));
        assert!(m(r#"meta.created gt "2015-01-01T00:00:00Z""#));
        assert!(m(r#"meta.created lt "2020-01-02T03:04:06+00:00""#));
        assert!(m("title eq null"));
        assert!(m(r#"userName gt "a" and userName lt "b""#));
    }

    #[test]
    fn logic_and_grouping() {
        assert!(m(r#"userName eq "x" or name.givenName eq "alice""#));
        assert!(m(r#"not (userName eq "x")"#));
        assert!(!m(r#"not (userName eq "alice@contoso.com")"#));
        assert!(m(r#"(userName eq "x" or active eq true) and externalId eq "AbC""#));
        assert!(!m(r#"userName eq "x" or active eq true and externalId eq "nope""#));
    }

    #[test]
    fn value_paths() {
        assert!(m(r#"emails[type eq "work"].value eq "alice@contoso.com""#));
        assert!(!m(r#"emails[type eq "home"].value eq "alice@contoso.com""#));
        assert!(m(r#"emails[type eq "work" and primary eq true]"#));
        assert!(m(r#"emails[type eq "WORK" and value co "contoso"]"#));
        assert!(m(r#"roles[primary eq "True"].value eq "Admin""#));
        assert!(m(r#"roles[primary eq true]"#));
        assert!(m(r#"emails.value eq "a@home.example""#));
        assert!(m(r#"emails eq "a@home.example""#));
    }

    #[test]
    fn urn_qualified_attributes() {
        assert!(m(r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "42""#));
        assert!(m(r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "m1""#));
        assert!(m(r#"urn:ietf:params:scim:schemas:core:2.0:User:userName eq "alice@contoso.com""#));
        assert!(m(r#"manager eq "m1""#));
    }

    #[test]
    fn errors_carry_offsets() {
        let cases = [
            ("userName eq", 11, "expected a space and a value"),
            ("userName foo \"x\"", 9, "unknown operator `foo`"),
            ("(userName eq \"x\"", 16, "expected `)`"),
            ("userName eq \"x", 12, "unterminated string"),
            ("emails[type eq \"work\"", 21, "expected `]`"),
            ("userName eq \"x\" xx", 16, "unexpected `xx`"),
            ("", 0, "expected an attribute name"),
            ("1abc eq \"x\"", 0, "not a valid attribute name"),
            ("emails[type[value eq \"x\"] eq \"y\"]", 11, "cannot be nested"),
        ];
        for (text, offset, msg) in cases {
            let e = parse(text).expect_err(text);
            assert_eq!(e.offset, offset, "{text}: {e}");
            assert!(e.message.contains(msg), "{text}: {e}");
        }
    }

    #[test]
    fn depth_is_bounded() {
        let deep = format!("{}userName eq \"x\"{}", "(".repeat(500), ")".repeat(500));
        assert!(parse(&deep).expect_err("too deep").message.contains("nested deeper"));
        let nots = "not (".repeat(500);
        assert!(parse(&nots).is_err());
    }

    #[test]
    fn display_round_trips() {
        for text in [
            r#"userName eq "a\"b""#,
            r#"emails[type eq "work" and primary eq true].value eq "x""#,
            r#"(a eq 1 or b eq 2) and not (c pr)"#,
            r#"a eq 1 or b eq 2 and c eq 3"#,
            r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq null"#,
        ] {
            let f = parse(text).expect("parses");
            assert_eq!(parse(&f.to_string()).expect("reparses"), f, "{text} -> {f}");
        }
        assert_eq!(parse("x eq jyoung").expect("parses").to_string(), r#"x eq "jyoung""#);
    }

    mod prop {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]
            #[test]
            fn parse_never_panics(s in "\\PC{0,60}") {
                if let Ok(f) = parse(&s) {
                    let _ = f.matches(&user());
                    let again = parse(&f.to_string());
                    prop_assert_eq!(again.ok(), Some(f));
                }
            }

            #[test]
            fn parse_never_panics_on_filterish(s in "[a-zA-Z.:\\[\\]()\" ]{0,40}( eq | and | or | pr|not )[a-z\"0-9 ()\\[\\]]{0,20}") {
                if let Ok(f) = parse(&s) {
                    let _ = f.matches(&user());
                    prop_assert_eq!(parse(&f.to_string()).ok(), Some(f));
                }
            }
        }
    }
}
