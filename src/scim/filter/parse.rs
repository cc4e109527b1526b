//! The filter parser: hand-written recursive descent over bytes, one method per grammar rule (see the
//! grammar in the parent module), every error stamped with its byte offset.

use super::{AttrRef, CompareOp, Filter, FilterError, Literal, MAX_DEPTH};
use serde_json::Number;

/// Parses a whole filter: trailing text is an error.
pub(crate) fn parse_all(text: &str) -> Result<Filter, FilterError> {
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
        self.chain("or", Self::and, Filter::Or)
    }

    fn and(&mut self) -> Result<Filter, FilterError> {
        self.chain("and", Self::unary, Filter::And)
    }

    /// A left-associative chain `next (kw next)*`.
    fn chain(
        &mut self,
        kw: &str,
        next: fn(&mut Self) -> Result<Filter, FilterError>,
        join: fn(Box<Filter>, Box<Filter>) -> Filter,
    ) -> Result<Filter, FilterError> {
        let mut left = next(self)?;
        loop {
            let save = self.pos;
            self.skip_ws();
            if !self.keyword(kw) {
                self.pos = save;
                return Ok(left);
            }
            let right = next(self)?;
            left = join(Box::new(left), Box::new(right));
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
            return Err(self.err(self.pos, format!("expected `)` to close the `(` opened at byte {open}")));
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
            return Err(self.err(self.pos, format!("expected `]` to close the `[` opened at byte {open}")));
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
