//! The `OData` `$filter` subset Graph clients use on directory objects and provisioning logs, parsed into a
//! [`Filter`] and evaluated against an entity's JSON.
//!
//! ```text
//! filter     = or
//! or         = and *( "or" and )
//! and        = unary *( "and" unary )
//! unary      = "not" unary / "(" filter ")" / "startswith(" path "," literal ")" / path op literal
//! op         = "eq" / "ne" / "gt" / "ge" / "lt" / "le"
//! path       = name *( "/" name )                      ; provisioningStatusInfo/status
//! literal    = 'text' ('' escapes a quote) / true / false / null / number / date-time / GUID
//! ```
//!
//! Text compares case-insensitively (as Graph does on directory properties); `gt`/`ge`/`lt`/`le` compare
//! timestamps as instants, numbers as numbers and anything else as text. Property names are checked
//! against the entity type while parsing, so a typo is a 400 naming it, not an empty result.

use chrono::{DateTime, Utc};
use serde_json::Value as Json;

/// A parsed `$filter`.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    /// Both hold.
    And(Box<Filter>, Box<Filter>),
    /// Either holds.
    Or(Box<Filter>, Box<Filter>),
    /// Does not hold.
    Not(Box<Filter>),
    /// `path op literal`.
    Compare(Vec<String>, Op, Json),
    /// `startswith(path, 'text')`.
    StartsWith(Vec<String>, String),
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `eq`.
    Eq,
    /// `ne`.
    Ne,
    /// `gt`.
    Gt,
    /// `ge`.
    Ge,
    /// `lt`.
    Lt,
    /// `le`.
    Le,
}

/// Parses `text`; `known` says whether a top-level property name exists on the entity type.
pub fn parse(text: &str, known: &dyn Fn(&str) -> bool) -> Result<Filter, String> {
    let tokens = lex(text)?;
    let mut p = Parser { tokens, pos: 0, known };
    let filter = p.or()?;
    match p.tokens.get(p.pos) {
        None => Ok(filter),
        Some(t) => Err(format!("unexpected `{}` after a complete expression", t.text())),
    }
}

impl Filter {
    /// The top-level properties the filter reads.
    pub fn names(&self) -> Vec<String> {
        let mut out = Vec::new();
        self.collect_names(&mut out);
        out
    }

    fn collect_names(&self, out: &mut Vec<String>) {
        match self {
            Filter::And(a, b) | Filter::Or(a, b) => {
                a.collect_names(out);
                b.collect_names(out);
            }
            Filter::Not(f) => f.collect_names(out),
            Filter::Compare(path, _, _) | Filter::StartsWith(path, _) => out.push(path[0].clone()),
        }
    }

    /// True when `entity` satisfies the filter.
    pub fn matches(&self, entity: &Json) -> bool {
        match self {
            Filter::And(a, b) => a.matches(entity) && b.matches(entity),
            Filter::Or(a, b) => a.matches(entity) || b.matches(entity),
            Filter::Not(f) => !f.matches(entity),
            Filter::StartsWith(path, prefix) => match lookup(entity, path) {
                Some(Json::String(s)) => s.to_lowercase().starts_with(&prefix.to_lowercase()),
                Some(Json::Array(items)) => items
                    .iter()
                    .any(|i| i.as_str().is_some_and(|s| s.to_lowercase().starts_with(&prefix.to_lowercase()))),
                _ => false,
            },
            Filter::Compare(path, op, literal) => {
                let value = lookup(entity, path).unwrap_or(&Json::Null);
                let ordering = match value {
                    Json::Array(items) if *op == Op::Eq => {
                        return items.iter().any(|i| compare(i, literal) == Some(std::cmp::Ordering::Equal))
                    }
                    v => compare(v, literal),
                };
                match op {
                    Op::Eq => ordering == Some(std::cmp::Ordering::Equal),
                    Op::Ne => ordering != Some(std::cmp::Ordering::Equal),
                    Op::Gt => ordering == Some(std::cmp::Ordering::Greater),
                    Op::Ge => ordering.is_some_and(|o| o != std::cmp::Ordering::Less),
                    Op::Lt => ordering == Some(std::cmp::Ordering::Less),
                    Op::Le => ordering.is_some_and(|o| o != std::cmp::Ordering::Greater),
                }
            }
        }
    }
}

/// The value at `path` (property names matched without regard to case).
pub(super) fn lookup<'a>(entity: &'a Json, path: &[String]) -> Option<&'a Json> {
    path.iter().try_fold(entity, |v, name| {
        let map = v.as_object()?;
        map.get(name).or_else(|| map.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v))
    })
}

/// How `value` compares with `literal`: `None` when they are not comparable (null against a value, mixed kinds).
pub(super) fn compare(value: &Json, literal: &Json) -> Option<std::cmp::Ordering> {
    match (value, literal) {
        (Json::Null, Json::Null) => Some(std::cmp::Ordering::Equal),
        (Json::Null, _) | (_, Json::Null) => None,
        (Json::Bool(a), Json::Bool(b)) => Some(a.cmp(b)),
        (Json::Number(a), Json::Number(b)) => a.as_f64()?.partial_cmp(&b.as_f64()?),
        (Json::String(a), Json::String(b)) => {
            if let (Some(x), Some(y)) = (time(a), time(b)) {
                return Some(x.cmp(&y));
            }
            Some(a.to_lowercase().cmp(&b.to_lowercase()))
        }
        (Json::String(a), Json::Bool(b)) => {
            Some(a.eq_ignore_ascii_case(&b.to_string()).then_some(std::cmp::Ordering::Equal)?)
        }
        _ => None,
    }
}

fn time(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text).ok().map(|t| t.with_timezone(&Utc))
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Open,
    Close,
    Comma,
    Slash,
    Quoted(String),
    Word(String),
}

impl Token {
    fn text(&self) -> String {
        match self {
            Token::Open => "(".into(),
            Token::Close => ")".into(),
            Token::Comma => ",".into(),
            Token::Slash => "/".into(),
            Token::Quoted(s) => format!("'{s}'"),
            Token::Word(w) => w.clone(),
        }
    }
}

fn lex(text: &str) -> Result<Vec<Token>, String> {
    let mut out = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        match c {
            c if c.is_whitespace() => {}
            '(' => out.push(Token::Open),
            ')' => out.push(Token::Close),
            ',' => out.push(Token::Comma),
            '/' => out.push(Token::Slash),
            '\'' => {
                let mut s = String::new();
                loop {
                    match chars.next() {
                        None => return Err(format!("the text starting at position {at} has no closing quote")),
                        Some((_, '\'')) if chars.peek().map(|p| p.1) == Some('\'') => {
                            chars.next();
                            s.push('\'');
                        }
                        Some((_, '\'')) => break,
                        Some((_, ch)) => s.push(ch),
                    }
                }
                out.push(Token::Quoted(s));
            }
            c if c.is_alphanumeric() || "_.:-+@$".contains(c) => {
                let mut w = c.to_string();
                while let Some(&(_, ch)) = chars.peek() {
                    if ch.is_alphanumeric() || "_.:-+@$".contains(ch) {
                        w.push(ch);
                        chars.next();
                    } else {
                        break;
                    }
                }
                out.push(Token::Word(w));
            }
            other => return Err(format!("unexpected `{other}` at position {at}")),
        }
    }
    Ok(out)
}

struct Parser<'a> {
    tokens: Vec<Token>,
    pos: usize,
    known: &'a dyn Fn(&str) -> bool,
}

impl Parser<'_> {
    fn peek_word(&self, word: &str) -> bool {
        matches!(self.tokens.get(self.pos), Some(Token::Word(w)) if w.eq_ignore_ascii_case(word))
    }

    fn next(&mut self) -> Option<Token> {
        let t = self.tokens.get(self.pos).cloned();
        self.pos += 1;
        t
    }

    fn expect(&mut self, token: Token, what: &str) -> Result<(), String> {
        match self.next() {
            Some(t) if t == token => Ok(()),
            Some(t) => Err(format!("expected {what}, found `{}`", t.text())),
            None => Err(format!("expected {what} at the end")),
        }
    }

    fn or(&mut self) -> Result<Filter, String> {
        let mut left = self.and()?;
        while self.peek_word("or") {
            self.pos += 1;
            left = Filter::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Filter, String> {
        let mut left = self.unary()?;
        while self.peek_word("and") {
            self.pos += 1;
            left = Filter::And(Box::new(left), Box::new(self.unary()?));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Filter, String> {
        if self.peek_word("not") {
            self.pos += 1;
            return Ok(Filter::Not(Box::new(self.unary()?)));
        }
        if self.tokens.get(self.pos) == Some(&Token::Open) {
            self.pos += 1;
            let inner = self.or()?;
            self.expect(Token::Close, "`)`")?;
            return Ok(inner);
        }
        if self.peek_word("startswith") && self.tokens.get(self.pos + 1) == Some(&Token::Open) {
            self.pos += 2;
            let path = self.path()?;
            self.expect(Token::Comma, "`,` after the property of `startswith`")?;
            let prefix = match self.next() {
                Some(Token::Quoted(s)) => s,
                other => return Err(format!("`startswith` takes a quoted text, found {}", describe(other))),
            };
            self.expect(Token::Close, "`)` to close `startswith(`")?;
            return Ok(Filter::StartsWith(path, prefix));
        }
        let path = self.path()?;
        let op = match self.next() {
            Some(Token::Word(w)) => match w.to_ascii_lowercase().as_str() {
                "eq" => Op::Eq,
                "ne" => Op::Ne,
                "gt" => Op::Gt,
                "ge" => Op::Ge,
                "lt" => Op::Lt,
                "le" => Op::Le,
                _ => return Err(format!("unsupported operator `{w}`: use eq, ne, gt, ge, lt, le or startswith")),
            },
            other => return Err(format!("expected an operator after `{}`, found {}", path.join("/"), describe(other))),
        };
        Ok(Filter::Compare(path, op, self.literal()?))
    }

    fn path(&mut self) -> Result<Vec<String>, String> {
        let mut path = Vec::new();
        loop {
            match self.next() {
                Some(Token::Word(w)) if w.chars().next().is_some_and(|c| c.is_alphabetic()) => path.push(w),
                other => return Err(format!("expected a property name, found {}", describe(other))),
            }
            if self.tokens.get(self.pos) != Some(&Token::Slash) {
                break;
            }
            self.pos += 1;
        }
        if !(self.known)(&path[0]) {
            return Err(format!("Could not find a property named '{}' on this type", path[0]));
        }
        Ok(path)
    }

    fn literal(&mut self) -> Result<Json, String> {
        match self.next() {
            Some(Token::Quoted(s)) => Ok(Json::String(s)),
            Some(Token::Word(w)) => Ok(match w.to_ascii_lowercase().as_str() {
                "true" => Json::Bool(true),
                "false" => Json::Bool(false),
                "null" => Json::Null,
                _ => match serde_json::from_str::<serde_json::Number>(&w) {
                    Ok(n) if !w.contains(':') => Json::Number(n),
                    _ if time(&w).is_some() || uuid::Uuid::parse_str(&w).is_ok() => Json::String(w),
                    _ => return Err(format!("`{w}` is not a literal: quote text as 'text'")),
                },
            }),
            other => Err(format!("expected a value, found {}", describe(other))),
        }
    }
}

fn describe(token: Option<Token>) -> String {
    token.map_or_else(|| "the end".to_string(), |t| format!("`{}`", t.text()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn any(_: &str) -> bool {
        true
    }

    fn holds(filter: &str, entity: &Json) -> bool {
        parse(filter, &any).unwrap_or_else(|e| panic!("{filter}: {e}")).matches(entity)
    }

    #[test]
    fn eq_startswith_and_or_not_on_directory_properties() {
        let alice = json!({"displayName": "Alice Smith", "accountEnabled": true, "proxyAddresses": ["SMTP:a@x.com"]});
        assert!(holds("displayName eq 'alice smith'", &alice));
        assert!(holds("startswith(displayName,'Ali') and accountEnabled eq true", &alice));
        assert!(holds("displayName eq 'Bob' or not (accountEnabled eq false)", &alice));
        assert!(holds("proxyAddresses eq 'smtp:a@x.com'", &alice));
        assert!(holds("mail eq null", &alice));
        assert!(!holds("startswith(displayName,'Bob')", &alice));
        assert!(holds("surname eq 'O''Neil'", &json!({"surname": "O'Neil"})));
    }

    #[test]
    fn dates_compare_as_instants_and_nested_paths_resolve() {
        let log = json!({"activityDateTime": "2026-12-07T10:00:00Z", "provisioningStatusInfo": {"status": "failure"}});
        assert!(holds("activityDateTime ge 2026-12-07T09:00:00Z and activityDateTime le 2026-12-07T10:00:00Z", &log));
        assert!(!holds("activityDateTime gt 2026-12-07T10:00:00+00:00", &log));
        assert!(holds("provisioningStatusInfo/status eq 'failure'", &log));
        let filter =
            parse("cycleId eq 'c' and (not startswith(jobId,'scim') or provisioningStatusInfo/status eq 'x')", &any);
        assert_eq!(filter.unwrap().names(), ["cycleId", "jobId", "provisioningStatusInfo"]);
    }

    #[test]
    fn errors_name_what_is_wrong() {
        let users = |p: &str| p == "displayName";
        assert_eq!(parse("mial eq 'x'", &users).unwrap_err(), "Could not find a property named 'mial' on this type");
        assert_eq!(
            parse("displayName eq 'x", &users).unwrap_err(),
            "the text starting at position 15 has no closing quote"
        );
        assert!(parse("displayName has 'x'", &users).unwrap_err().starts_with("unsupported operator `has`"));
        assert_eq!(parse("displayName eq x", &users).unwrap_err(), "`x` is not a literal: quote text as 'text'");
        assert_eq!(
            parse("startswith(displayName,'a'", &users).unwrap_err(),
            "expected `)` to close `startswith(` at the end"
        );
        assert_eq!(
            parse("displayName eq 'a' 'b'", &users).unwrap_err(),
            "unexpected `'b'` after a complete expression"
        );
    }
}
