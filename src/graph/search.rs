//! `$search` on directory objects, as Graph's advanced queries take it: quoted `"property:text"` clauses
//! joined by `AND` and `OR` (`AND` binds tighter) with parentheses, evaluated against an entity's JSON.
//!
//! ```text
//! search  = or
//! or      = and *( "OR" and )
//! and     = unary *( "AND" unary )
//! unary   = "(" search ")" / clause
//! clause  = DQUOTE property ":" text DQUOTE
//! ```
//!
//! `displayName` and `description` are searched by words: the value and the text are split into words at
//! spaces and symbols, at a lower-case letter followed by a capital, and between letters and digits, and
//! every word of the text must begin a word of the value (`"displayName:ali smi"` finds `Alice Smith`, and
//! `"displayName:drive"` finds `OneDrive`). Any other property matches when its value (or, for a list,
//! one of its values) starts with the text. Both ignore case.

use serde_json::Value as Json;

use super::filter;

/// A parsed `$search`.
#[derive(Debug, Clone, PartialEq)]
pub enum Search {
    /// Both hold.
    And(Box<Search>, Box<Search>),
    /// Either holds.
    Or(Box<Search>, Box<Search>),
    /// `"property:text"`.
    Clause {
        /// The property, as the entity type spells it or as given.
        property: String,
        /// What to look for.
        text: String,
    },
}

/// Parses `text`; `known` says whether a property exists on the entity type.
pub fn parse(text: &str, known: &dyn Fn(&str) -> bool) -> Result<Search, String> {
    let tokens = lex(text)?;
    let mut p = Parser { tokens, pos: 0, known };
    let search = p.or()?;
    match p.tokens.get(p.pos) {
        None => Ok(search),
        Some(t) => Err(format!("{} follows a complete search; join clauses with AND or OR", t.describe())),
    }
}

impl Search {
    /// The properties the search reads.
    pub fn names(&self) -> Vec<String> {
        match self {
            Search::And(a, b) | Search::Or(a, b) => {
                let mut out = a.names();
                out.extend(b.names());
                out
            }
            Search::Clause { property, .. } => vec![property.clone()],
        }
    }

    /// True when `entity` satisfies the search.
    pub fn matches(&self, entity: &Json) -> bool {
        match self {
            Search::And(a, b) => a.matches(entity) && b.matches(entity),
            Search::Or(a, b) => a.matches(entity) || b.matches(entity),
            Search::Clause { property, text } => {
                let values: Vec<&str> = match filter::lookup(entity, std::slice::from_ref(property)) {
                    Some(Json::String(s)) => vec![s.as_str()],
                    Some(Json::Array(items)) => items.iter().filter_map(Json::as_str).collect(),
                    _ => Vec::new(),
                };
                let by_words = ["displayName", "description"].iter().any(|p| p.eq_ignore_ascii_case(property));
                values.into_iter().any(|value| {
                    if by_words {
                        let found = words(value);
                        words(text).iter().all(|w| found.iter().any(|v| v.starts_with(w.as_str())))
                    } else {
                        value.to_lowercase().starts_with(&text.to_lowercase())
                    }
                })
            }
        }
    }
}

/// The lower-cased words of `value`: split at anything not a letter or digit, at a lower-case letter
/// followed by a capital, and where letters and digits meet.
fn words(value: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut previous: Option<char> = None;
    for c in value.chars() {
        if !c.is_alphanumeric() {
            flush(&mut out, &mut current);
            previous = None;
            continue;
        }
        if let Some(p) = previous {
            let case_turn = p.is_lowercase() && c.is_uppercase();
            let kind_turn = p.is_alphabetic() != c.is_alphabetic();
            if case_turn || kind_turn {
                flush(&mut out, &mut current);
            }
        }
        current.extend(c.to_lowercase());
        previous = Some(c);
    }
    flush(&mut out, &mut current);
    out
}

fn flush(out: &mut Vec<String>, current: &mut String) {
    if !current.is_empty() {
        out.push(std::mem::take(current));
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Open,
    Close,
    And,
    Or,
    Clause(String),
}

impl Token {
    fn describe(&self) -> String {
        match self {
            Token::Open => "`(`".into(),
            Token::Close => "`)`".into(),
            Token::And => "`AND`".into(),
            Token::Or => "`OR`".into(),
            Token::Clause(c) => format!("the clause \"{c}\""),
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
            '"' => {
                let mut clause = String::new();
                loop {
                    match chars.next() {
                        None => return Err(format!("the clause starting at position {at} has no closing `\"`")),
                        Some((_, '"')) => break,
                        Some((_, ch)) => clause.push(ch),
                    }
                }
                out.push(Token::Clause(clause));
            }
            _ => {
                let mut word = c.to_string();
                while let Some(&(_, ch)) = chars.peek() {
                    if ch.is_whitespace() || "()\"".contains(ch) {
                        break;
                    }
                    word.push(ch);
                    chars.next();
                }
                out.push(match word.as_str() {
                    "AND" => Token::And,
                    "OR" => Token::Or,
                    _ => {
                        return Err(format!(
                            "`{word}` at position {at} is neither a quoted clause (\"displayName:text\") nor AND or OR"
                        ))
                    }
                });
            }
        }
    }
    if out.is_empty() {
        return Err("the search is empty; write a clause such as \"displayName:text\"".into());
    }
    Ok(out)
}

struct Parser<'a> {
    tokens: Vec<Token>,
    pos: usize,
    known: &'a dyn Fn(&str) -> bool,
}

impl Parser<'_> {
    fn next(&mut self) -> Option<Token> {
        let t = self.tokens.get(self.pos).cloned();
        self.pos += 1;
        t
    }

    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    fn or(&mut self) -> Result<Search, String> {
        let mut left = self.and()?;
        while self.peek() == Some(&Token::Or) {
            self.pos += 1;
            left = Search::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Search, String> {
        let mut left = self.unary()?;
        while self.peek() == Some(&Token::And) {
            self.pos += 1;
            left = Search::And(Box::new(left), Box::new(self.unary()?));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Search, String> {
        match self.next() {
            Some(Token::Open) => {
                let inner = self.or()?;
                match self.next() {
                    Some(Token::Close) => Ok(inner),
                    Some(t) => Err(format!("expected `)`, found {}", t.describe())),
                    None => Err("expected `)`, found the end".into()),
                }
            }
            Some(Token::Clause(clause)) => {
                let Some((property, text)) = clause.split_once(':') else {
                    return Err(format!("the clause \"{clause}\" names no property; write \"displayName:{clause}\""));
                };
                let property = property.trim();
                if !(self.known)(property) {
                    return Err(format!("Could not find a property named '{property}'"));
                }
                if text.trim().is_empty() {
                    return Err(format!("the clause \"{clause}\" has no text to search for"));
                }
                Ok(Search::Clause { property: property.to_string(), text: text.to_string() })
            }
            Some(t) => Err(format!("expected a quoted clause, found {}", t.describe())),
            None => Err("expected a quoted clause, found the end".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn known(name: &str) -> bool {
        ["displayName", "mail", "description", "otherMails"].iter().any(|p| p.eq_ignore_ascii_case(name))
    }

    fn finds(search: &str, entity: Json) -> bool {
        parse(search, &known).unwrap_or_else(|e| panic!("{search}: {e}")).matches(&entity)
    }

    #[test]
    fn display_names_are_searched_by_the_starts_of_their_words() {
        let alice = json!({"displayName": "Alice Smith-Jones", "mail": "alice.smith@contoso.com"});
        assert!(finds("\"displayName:smi\"", alice.clone()));
        assert!(finds("\"displayName:ali jon\"", alice.clone()));
        assert!(finds("\"displayName:ALICE\"", alice.clone()));
        assert!(!finds("\"displayName:mith\"", alice.clone()), "a word's middle is not its start");
        assert!(!finds("\"displayName:ali bob\"", alice.clone()), "every word must be found");
        assert!(finds("\"displayName:drive\"", json!({"displayName": "OneDrive Admins"})), "camel case splits");
        assert!(finds("\"displayName:2024\"", json!({"displayName": "Interns2024"})), "digits split");
    }

    #[test]
    fn other_properties_match_from_their_start() {
        let alice = json!({"mail": "alice.smith@contoso.com", "otherMails": ["a@fabrikam.com", "x@y.z"]});
        assert!(finds("\"mail:alice.sm\"", alice.clone()));
        assert!(!finds("\"mail:smith\"", alice.clone()));
        assert!(finds("\"otherMails:x@\"", alice.clone()), "any value of a list");
        assert!(!finds("\"mail:alice\"", json!({"mail": null})));
    }

    #[test]
    fn and_binds_tighter_than_or_and_parentheses_group() {
        let e = json!({"displayName": "Alice Smith", "mail": "alice@contoso.com"});
        assert!(finds("\"displayName:bob\" OR \"displayName:ali\" AND \"mail:alice\"", e.clone()));
        assert!(!finds("(\"displayName:bob\" OR \"displayName:ali\") AND \"mail:bob\"", e.clone()));
        assert_eq!(parse("\"displayName:a\" OR \"mail:b\"", &known).unwrap().names(), ["displayName", "mail"]);
    }

    #[test]
    fn mistakes_are_explained() {
        let cases = [
            ("displayName:alice", "is neither a quoted clause"),
            ("\"displayName:alice", "has no closing"),
            ("\"alice\"", "names no property"),
            ("\"dispayName:alice\"", "Could not find a property named 'dispayName'"),
            ("\"displayName:\"", "has no text"),
            ("\"displayName:a\" and \"mail:b\"", "`and` at position 16"),
            ("(\"displayName:a\"", "expected `)`, found the end"),
            ("\"displayName:a\" \"mail:b\"", "the clause \"mail:b\" follows a complete search"),
            ("", "the search is empty"),
        ];
        for (search, message) in cases {
            let got = parse(search, &known).expect_err(search);
            assert!(got.contains(message), "{search}: {got}");
        }
    }
}
