//! Hand-written recursive-descent parser for mapping expressions, with source positions and error
//! recovery: a bad argument is reported and skipped up to the next `,` or `)`, so one pass reports
//! every syntax error. The grammar is in the module docs of [`crate::mapping`].

use crate::diagnostic::Span;

use super::ast::{CmpOp, Expr, ExprKind};
use super::source::ExprError;

/// Entra rejects expressions longer than this many characters (ENTRA.md 5.2).
pub const MAX_EXPRESSION_CHARS: usize = 10_000;

/// Deeper nesting is rejected (keeps the recursive parser and evaluator far from the stack limit).
pub const MAX_NESTING: usize = 64;

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Attr(String),
    Str(String),
    Int(i64),
    Hex(i64),
    Ident(String),
    LParen,
    RParen,
    Comma,
    Cmp(CmpOp),
    Bad(char),
    Eof,
}

impl Tok {
    fn describe(&self) -> String {
        match self {
            Tok::Attr(a) => format!("`[{a}]`"),
            Tok::Str(_) => "a string".to_string(),
            Tok::Int(i) => format!("`{i}`"),
            Tok::Hex(i) => format!("`&H{i:X}`"),
            Tok::Ident(i) => format!("`{i}`"),
            Tok::LParen => "`(`".to_string(),
            Tok::RParen => "`)`".to_string(),
            Tok::Comma => "`,`".to_string(),
            Tok::Cmp(op) => format!("`{}`", op.as_str()),
            Tok::Bad(c) => format!("`{c}`"),
            Tok::Eof => "the end of the expression".to_string(),
        }
    }
}

/// Parses `text` into an expression. Returns the tree (absent when nothing usable was found) and every
/// syntax error; the tree is only trustworthy when the error list is empty.
pub fn parse_expression(text: &str) -> (Option<Expr>, Vec<ExprError>) {
    let mut errors = Vec::new();
    let chars = text.chars().count();
    if chars > MAX_EXPRESSION_CHARS {
        errors.push(ExprError::new(
            Span::new(0, text.len()),
            format!("expression is {chars} characters long; Entra allows at most {MAX_EXPRESSION_CHARS}"),
        ));
    }
    let tokens = lex(text, &mut errors);
    let mut p = Parser { tokens, pos: 0, errors, depth: 0, end: text.len() };
    if p.peek() == &Tok::Eof {
        p.errors
            .push(ExprError::new(Span::new(0, text.len()), "empty expression").with_label("expected an expression"));
        return (None, p.errors);
    }
    let expr = p.expression();
    if p.peek() != &Tok::Eof {
        let span = p.span();
        let found = p.peek().describe();
        p.errors.push(
            ExprError::new(span, format!("unexpected {found} after the end of the expression"))
                .with_label("expected nothing more here"),
        );
    }
    (expr, p.errors)
}

fn lex(text: &str, errors: &mut Vec<ExprError>) -> Vec<(Tok, Span)> {
    let mut lexer = Lexer { text, pos: 0, errors };
    let mut out = Vec::new();
    while let Some(c) = lexer.peek() {
        let start = lexer.pos;
        if c.is_whitespace() {
            lexer.bump();
            continue;
        }
        let tok = lexer.token(c);
        out.push((tok, Span::new(start, lexer.pos)));
    }
    out
}

/// Turns expression text into tokens; problems (unterminated strings, bad numbers) are pushed to
/// `errors` and lexing goes on.
struct Lexer<'t, 'e> {
    text: &'t str,
    pos: usize,
    errors: &'e mut Vec<ExprError>,
}

impl Lexer<'_, '_> {
    fn peek(&self) -> Option<char> {
        self.text[self.pos..].chars().next()
    }

    fn peek_second(&self) -> Option<char> {
        self.text[self.pos..].chars().nth(1)
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn error(&mut self, start: usize, message: &str, label: Option<&str>) {
        let mut e = ExprError::new(Span::new(start, self.pos), message);
        if let Some(label) = label {
            e = e.with_label(label);
        }
        self.errors.push(e);
    }

    fn token(&mut self, c: char) -> Tok {
        match c {
            '[' => self.attribute(),
            '"' => self.string(),
            '&' if matches!(self.peek_second(), Some('H' | 'h')) => self.hex(),
            c if c.is_ascii_digit() || (c == '-' && self.peek_second().is_some_and(|d| d.is_ascii_digit())) => {
                self.number()
            }
            c if c.is_alphabetic() || c == '_' => self.identifier(),
            _ => {
                self.bump();
                match (c, self.peek()) {
                    ('(', _) => Tok::LParen,
                    (')', _) => Tok::RParen,
                    (',', _) => Tok::Comma,
                    ('=', _) => Tok::Cmp(CmpOp::Eq),
                    ('<' | '>', Some('=')) | ('<', Some('>')) => {
                        let second = self.bump();
                        match (c, second) {
                            ('<', Some('>')) => Tok::Cmp(CmpOp::Ne),
                            ('<', _) => Tok::Cmp(CmpOp::Le),
                            _ => Tok::Cmp(CmpOp::Ge),
                        }
                    }
                    ('<', _) => Tok::Cmp(CmpOp::Lt),
                    ('>', _) => Tok::Cmp(CmpOp::Gt),
                    _ => Tok::Bad(c),
                }
            }
        }
    }

    /// `[name]`: everything up to the closing bracket.
    fn attribute(&mut self) -> Tok {
        let start = self.pos;
        self.bump();
        let name_start = self.pos;
        let close = self.text[self.pos..].find(']');
        let name = match close {
            Some(i) => {
                let name = self.text[name_start..name_start + i].to_string();
                self.pos = name_start + i + 1;
                name
            }
            None => {
                self.pos = self.text.len();
                let name = self.text[name_start..].to_string();
                self.error(start, "unterminated attribute name", Some("expected `]` to close `[`"));
                return Tok::Attr(name);
            }
        };
        if name.trim().is_empty() {
            self.error(start, "empty attribute name `[]`", None);
        }
        Tok::Attr(name)
    }

    /// `"text"` with Entra's escapes `\"` and `\\`; any other backslash is kept, so regex patterns such
    /// as `\d` survive unescaped.
    fn string(&mut self) -> Tok {
        let start = self.pos;
        self.bump();
        let mut s = String::new();
        loop {
            match self.bump() {
                Some('"') => return Tok::Str(s),
                Some('\\') => match self.peek() {
                    Some(n @ ('"' | '\\')) => {
                        s.push(n);
                        self.bump();
                    }
                    _ => s.push('\\'),
                },
                Some(c) => s.push(c),
                None => {
                    self.error(start, "unterminated string", Some("expected `\"` to close the string"));
                    return Tok::Str(s);
                }
            }
        }
    }

    /// `&H` followed by hex digits.
    fn hex(&mut self) -> Tok {
        let start = self.pos;
        self.pos += 2;
        let digits_len = self.text[self.pos..].bytes().take_while(u8::is_ascii_hexdigit).count();
        let digits = &self.text[self.pos..self.pos + digits_len];
        self.pos += digits_len;
        match i64::from_str_radix(digits, 16) {
            Ok(v) => Tok::Hex(v),
            Err(_) => {
                let msg = if digits.is_empty() { "expected hex digits after `&H`" } else { "hex number too large" };
                self.error(start, msg, None);
                Tok::Hex(0)
            }
        }
    }

    /// `[-]digits`.
    fn number(&mut self) -> Tok {
        let start = self.pos;
        self.pos += 1;
        self.pos += self.text[self.pos..].bytes().take_while(u8::is_ascii_digit).count();
        match self.text[start..self.pos].parse::<i64>() {
            Ok(v) => Tok::Int(v),
            Err(_) => {
                self.error(start, "number too large", None);
                Tok::Int(0)
            }
        }
    }

    /// A function name or an enumeration identifier.
    fn identifier(&mut self) -> Tok {
        let start = self.pos;
        self.bump();
        while self.peek().is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '.') {
            self.bump();
        }
        Tok::Ident(self.text[start..self.pos].to_string())
    }
}

struct Parser {
    tokens: Vec<(Tok, Span)>,
    pos: usize,
    errors: Vec<ExprError>,
    depth: usize,
    end: usize,
}

impl Parser {
    fn peek(&self) -> &Tok {
        self.tokens.get(self.pos).map_or(&Tok::Eof, |(t, _)| t)
    }

    fn span(&self) -> Span {
        self.tokens.get(self.pos).map_or(Span::new(self.end, self.end), |(_, s)| *s)
    }

    fn bump(&mut self) -> (Tok, Span) {
        let tok = self.tokens.get(self.pos).cloned().unwrap_or((Tok::Eof, Span::new(self.end, self.end)));
        self.pos += 1;
        tok
    }

    /// `expression = term [ cmp_op term ]`
    fn expression(&mut self) -> Option<Expr> {
        let lhs = self.term()?;
        if let Tok::Cmp(op) = self.peek().clone() {
            self.bump();
            let rhs = self.term()?;
            let span = Span::new(lhs.span.start, rhs.span.end);
            return Some(Expr::new(ExprKind::Compare { op, lhs: Box::new(lhs), rhs: Box::new(rhs) }, span));
        }
        Some(lhs)
    }

    /// `term = attribute | string | integer | hex | call | identifier`
    fn term(&mut self) -> Option<Expr> {
        let span = self.span();
        let kind = match self.peek().clone() {
            Tok::Attr(a) => ExprKind::Attribute(a),
            Tok::Str(s) => ExprKind::Str(s),
            Tok::Int(i) => ExprKind::Int(i),
            Tok::Hex(i) => ExprKind::Hex(i),
            Tok::Ident(name) => {
                self.bump();
                if self.peek() == &Tok::LParen {
                    return self.call(name, span);
                }
                return Some(Expr::new(ExprKind::Ident(name), span));
            }
            other => {
                let label = match other {
                    Tok::Bad('\'') => "strings use double quotes".to_string(),
                    _ => "expected an attribute, a string, a number or a function call".to_string(),
                };
                self.errors.push(
                    ExprError::new(span, format!("expected an expression, found {}", other.describe()))
                        .with_label(label),
                );
                if !matches!(other, Tok::Comma | Tok::RParen | Tok::Eof) {
                    self.bump();
                }
                return None;
            }
        };
        self.bump();
        Some(Expr::new(kind, span))
    }

    /// `call = name "(" [ argument { "," argument } ] ")"`, `argument = [ expression ]`
    fn call(&mut self, name: String, name_span: Span) -> Option<Expr> {
        let open = self.bump().1;
        self.depth += 1;
        if self.depth > MAX_NESTING {
            self.errors.push(ExprError::new(
                Span::new(name_span.start, open.end),
                format!("expression nests deeper than {MAX_NESTING} calls"),
            ));
            self.depth -= 1;
            self.skip_to_close();
            return None;
        }
        let mut args = Vec::new();
        let end;
        if self.peek() == &Tok::RParen {
            end = self.bump().1.end;
        } else {
            loop {
                if matches!(self.peek(), Tok::Comma | Tok::RParen) {
                    args.push(None);
                } else {
                    args.push(self.expression());
                }
                match self.peek() {
                    Tok::Comma => {
                        self.bump();
                    }
                    Tok::RParen => {
                        end = self.bump().1.end;
                        break;
                    }
                    Tok::Eof => {
                        self.errors.push(
                            ExprError::new(
                                Span::new(name_span.start, open.end),
                                format!("expected `)` to close `{name}(`"),
                            )
                            .with_label("this call is never closed"),
                        );
                        end = self.end;
                        break;
                    }
                    other => {
                        let found = other.describe();
                        let span = self.span();
                        self.errors.push(
                            ExprError::new(
                                span,
                                format!("expected `,` or `)` in the arguments of `{name}`, found {found}"),
                            )
                            .with_label("expected `,` or `)`"),
                        );
                        self.skip_to_separator();
                    }
                }
            }
        }
        self.depth -= 1;
        Some(Expr::new(ExprKind::Call { name, name_span, args }, Span::new(name_span.start, end)))
    }

    /// Skips tokens up to the next `,` or `)` at this nesting level (error recovery).
    fn skip_to_separator(&mut self) {
        let mut depth = 0usize;
        loop {
            match self.peek() {
                Tok::Eof => return,
                Tok::LParen => depth += 1,
                Tok::RParen | Tok::Comma if depth == 0 => return,
                Tok::RParen => depth -= 1,
                _ => {}
            }
            self.bump();
        }
    }

    fn skip_to_close(&mut self) {
        let mut depth = 1usize;
        loop {
            match self.bump().0 {
                Tok::Eof => return,
                Tok::LParen => depth += 1,
                Tok::RParen => {
                    depth -= 1;
                    if depth == 0 {
                        return;
                    }
                }
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(text: &str) -> Expr {
        let (expr, errors) = parse_expression(text);
        assert!(errors.is_empty(), "{text}: {errors:?}");
        expr.expect("parsed")
    }

    #[test]
    fn parses_switch_with_omitted_default() {
        let e = ok(r#"Switch([IsSoftDeleted], , "False", "True", "True", "False")"#);
        let ExprKind::Call { name, args, .. } = &e.kind else { panic!("not a call") };
        assert_eq!(name, "Switch");
        assert_eq!(args.len(), 6);
        assert!(args[1].is_none());
        assert_eq!(args[0].as_ref().map(|a| &a.kind), Some(&ExprKind::Attribute("IsSoftDeleted".into())));
    }

    #[test]
    fn parses_trailing_omitted_arguments() {
        let e = ok(r#"Replace([mail], "@contoso.com", , , "", , )"#);
        let ExprKind::Call { args, .. } = &e.kind else { panic!("not a call") };
        assert_eq!(args.len(), 7);
        assert_eq!(args.iter().filter(|a| a.is_none()).count(), 4);
        assert_eq!(e.to_string(), r#"Replace([mail], "@contoso.com", , , "", , )"#);
    }

    #[test]
    fn unescapes_strings_the_entra_way() {
        let e = ok(r#""Company name: \"Contoso\" \\d \d""#);
        assert_eq!(e.kind, ExprKind::Str(r#"Company name: "Contoso" \d \d"#.into()));
    }

    #[test]
    fn parses_numbers_hex_identifiers_and_comparisons() {
        assert_eq!(ok("BitAnd(&HF, &HF7)").to_string(), "BitAnd(&HF, &HF7)");
        assert_eq!(
            ok(r#"InStr("repEated","e",3,vbBinaryCompare)"#).to_string(),
            r#"InStr("repEated", "e", 3, vbBinaryCompare)"#
        );
        assert_eq!(ok("DateAdd(\"d\", -10, Now())").to_string(), "DateAdd(\"d\", -10, Now())");
        let e = ok(r#"IIF([country]="USA",[country],[department])"#);
        assert_eq!(e.to_string(), r#"IIF([country] = "USA", [country], [department])"#);
    }

    #[test]
    fn spans_point_at_the_source_text() {
        let text = r#"Join(" ", [givenName])"#;
        let e = ok(text);
        let attrs = e.attributes();
        assert_eq!(attrs, vec!["givenName"]);
        let mut spans = Vec::new();
        e.walk(&mut |n| spans.push(&text[n.span.start..n.span.end]));
        assert_eq!(spans, vec![text, r#"" ""#, "[givenName]"]);
    }

    #[test]
    fn recovers_and_reports_several_errors() {
        let (_, errors) = parse_expression(r#"Join(" ", 'x', [a] [b], [c"#);
        let messages: Vec<_> = errors.iter().map(|e| e.message.as_str()).collect();
        assert!(messages.len() >= 3, "{messages:?}");
        assert!(messages.iter().any(|m| m.contains("found `'`")), "{messages:?}");
        assert!(messages.iter().any(|m| m.contains("unterminated attribute")), "{messages:?}");
    }

    #[test]
    fn reports_unclosed_calls_and_trailing_text() {
        let (_, errors) = parse_expression("Join(\" \", [a]");
        assert_eq!(errors[0].message, "expected `)` to close `Join(`");
        assert_eq!(errors[0].span, Span::new(0, 5));
        let (_, errors) = parse_expression("[a] [b]");
        assert_eq!(errors[0].message, "unexpected `[b]` after the end of the expression");
        let (_, errors) = parse_expression("   ");
        assert_eq!(errors[0].message, "empty expression");
    }

    #[test]
    fn rejects_too_long_and_too_deep_input() {
        let long = format!("\"{}\"", "x".repeat(MAX_EXPRESSION_CHARS));
        assert!(parse_expression(&long).1.iter().any(|e| e.message.contains("at most 10000")));
        let deep = format!("{}[a]{}", "F(".repeat(200), ")".repeat(200));
        assert!(parse_expression(&deep).1.iter().any(|e| e.message.contains("nests deeper")));
    }
}
