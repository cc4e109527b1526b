//! The syntax tree of a mapping expression, and printing it back to canonical text.
//!
//! Every node carries the byte [`Span`] of the text it was parsed from (relative to the start of the
//! expression), so later stages (check, eval) can point at it.

use std::fmt;

use crate::diagnostic::Span;

/// One node of an expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expr {
    /// What the node is.
    pub kind: ExprKind,
    /// Where it was written.
    pub span: Span,
}

/// The kinds of expression nodes.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ExprKind {
    /// `[givenName]`: a source attribute.
    Attribute(String),
    /// `"text"`: a string constant (already unescaped).
    Str(String),
    /// `42`, `-7`: a decimal integer.
    Int(i64),
    /// `&HF7`: a hexadecimal integer (kept apart from decimals so printing is stable).
    Hex(i64),
    /// `vbTextCompare`: an unquoted enumeration identifier.
    Ident(String),
    /// `Name(arg, , arg)`: a function call; `None` is an omitted (empty) argument.
    Call {
        /// Function name as written (names are case-sensitive).
        name: String,
        /// Span of the name alone.
        name_span: Span,
        /// Arguments in order.
        args: Vec<Option<Expr>>,
    },
    /// `[a] = "x"`: a comparison (only meaningful as an `IIF`/`CBool` condition).
    Compare {
        /// The operator.
        op: CmpOp,
        /// Left operand.
        lhs: Box<Expr>,
        /// Right operand.
        rhs: Box<Expr>,
    },
}

/// Comparison operators allowed in conditions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CmpOp {
    /// `=`
    Eq,
    /// `<>`
    Ne,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `<`
    Lt,
    /// `<=`
    Le,
}

impl CmpOp {
    /// The operator as written.
    pub fn as_str(self) -> &'static str {
        match self {
            CmpOp::Eq => "=",
            CmpOp::Ne => "<>",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
        }
    }
}

impl Expr {
    /// A node of `kind` at `span`.
    pub fn new(kind: ExprKind, span: Span) -> Self {
        Expr { kind, span }
    }

    /// Calls `f` on this node and every node below it, parents first.
    pub fn walk<'a>(&'a self, f: &mut dyn FnMut(&'a Expr)) {
        f(self);
        match &self.kind {
            ExprKind::Call { args, .. } => args.iter().flatten().for_each(|a| a.walk(f)),
            ExprKind::Compare { lhs, rhs, .. } => {
                lhs.walk(f);
                rhs.walk(f);
            }
            _ => {}
        }
    }

    /// Names of every source attribute the expression reads, in order of appearance (duplicates kept once).
    pub fn attributes(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        self.walk(&mut |e| {
            if let ExprKind::Attribute(name) = &e.kind {
                if !out.contains(&name.as_str()) {
                    out.push(name);
                }
            }
        });
        out
    }

    /// True when a call to `function` appears anywhere in the expression.
    pub fn calls(&self, function: &str) -> bool {
        let mut found = false;
        self.walk(&mut |e| {
            if matches!(&e.kind, ExprKind::Call { name, .. } if name == function) {
                found = true;
            }
        });
        found
    }
}

/// Writes a string constant with Entra's escaping (`\"` and `\\`).
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

impl fmt::Display for Expr {
    /// Canonical text: `Name(a, b)` with `, ` between arguments and nothing for omitted ones.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ExprKind::Attribute(name) => write!(f, "[{name}]"),
            ExprKind::Str(s) => f.write_str(&quote(s)),
            ExprKind::Int(i) => write!(f, "{i}"),
            ExprKind::Hex(i) => write!(f, "&H{i:X}"),
            ExprKind::Ident(name) => f.write_str(name),
            ExprKind::Call { name, args, .. } => {
                write!(f, "{name}(")?;
                for (i, arg) in args.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    if let Some(arg) = arg {
                        write!(f, "{arg}")?;
                    }
                }
                f.write_str(")")
            }
            ExprKind::Compare { op, lhs, rhs } => write!(f, "{lhs} {} {rhs}", op.as_str()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(kind: ExprKind) -> Expr {
        Expr::new(kind, Span::default())
    }

    #[test]
    fn prints_omitted_arguments_as_gaps() {
        let call = at(ExprKind::Call {
            name: "Replace".into(),
            name_span: Span::default(),
            args: vec![
                Some(at(ExprKind::Attribute("mail".into()))),
                Some(at(ExprKind::Str("@contoso.com".into()))),
                None,
                None,
                Some(at(ExprKind::Str(String::new()))),
                None,
                None,
            ],
        });
        assert_eq!(call.to_string(), r#"Replace([mail], "@contoso.com", , , "", , )"#);
    }

    #[test]
    fn quotes_escape_backslash_and_quote() {
        assert_eq!(quote(r#"a "b" \d"#), r#""a \"b\" \\d""#);
        assert_eq!(at(ExprKind::Hex(0xF7)).to_string(), "&HF7");
    }
}
