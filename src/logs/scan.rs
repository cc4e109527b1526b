//! Byte spans of the values in a JSON text, keyed by a lowercase JSON-pointer-like path (`/value/3/cycleid`),
//! so that diagnostics about a record or one of its fields can point into the file. `serde_json`'s `Value`
//! carries no positions; this scanner is run only on text `serde_json` already accepted, but it never
//! panics on any input (it stops where the text stops making sense).

use std::collections::HashMap;

use crate::diagnostic::Span;

/// Spans of every value up to `max_depth` containers deep.
pub(crate) fn value_spans(text: &str, max_depth: usize) -> HashMap<String, Span> {
    let mut scanner = Scanner { b: text.as_bytes(), i: 0, out: HashMap::new(), max_depth };
    scanner.value(String::new(), 0);
    scanner.out
}

struct Scanner<'a> {
    b: &'a [u8],
    i: usize,
    out: HashMap<String, Span>,
    max_depth: usize,
}

impl Scanner<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\n' | b'\r' | b'\t')) {
            self.i += 1;
        }
    }

    fn value(&mut self, path: String, depth: usize) {
        self.skip_ws();
        let start = self.i;
        match self.peek() {
            None => return,
            Some(b'{') => self.object(&path, depth),
            Some(b'[') => self.array(&path, depth),
            Some(b'"') => {
                self.string();
            }
            Some(_) => {
                while let Some(c) = self.peek() {
                    if matches!(c, b',' | b'}' | b']' | b' ' | b'\n' | b'\r' | b'\t') {
                        break;
                    }
                    self.i += 1;
                }
            }
        }
        if depth <= self.max_depth {
            self.out.insert(path, Span::new(start, self.i));
        }
    }

    fn object(&mut self, path: &str, depth: usize) {
        self.i += 1;
        loop {
            self.skip_ws();
            match self.peek() {
                None => return,
                Some(b'}') => {
                    self.i += 1;
                    return;
                }
                Some(b',') => self.i += 1,
                Some(b'"') => {
                    let key = self.string().to_ascii_lowercase();
                    self.skip_ws();
                    if self.peek() != Some(b':') {
                        return;
                    }
                    self.i += 1;
                    self.value(format!("{path}/{key}"), depth + 1);
                }
                Some(_) => return,
            }
        }
    }

    fn array(&mut self, path: &str, depth: usize) {
        self.i += 1;
        let mut index = 0usize;
        loop {
            self.skip_ws();
            match self.peek() {
                None => return,
                Some(b']') => {
                    self.i += 1;
                    return;
                }
                Some(b',') => self.i += 1,
                Some(_) => {
                    let before = self.i;
                    self.value(format!("{path}/{index}"), depth + 1);
                    index += 1;
                    if self.i == before {
                        return;
                    }
                }
            }
        }
    }

    /// Consumes a string starting at `"` and returns its raw (still escaped) content.
    fn string(&mut self) -> String {
        self.i += 1;
        let start = self.i;
        while let Some(c) = self.peek() {
            match c {
                b'\\' => self.i += 2,
                b'"' => break,
                _ => self.i += 1,
            }
        }
        let end = self.i.min(self.b.len());
        self.i = (self.i + 1).min(self.b.len() + 1);
        String::from_utf8_lossy(self.b.get(start..end).unwrap_or_default()).into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_records_and_their_fields() {
        let text = r#"{"value": [ {"cycleId": "a"}, {"CycleId": 2} ]}"#;
        let spans = value_spans(text, 3);
        let s = spans["/value/1"];
        assert_eq!(&text[s.start..s.end], r#"{"CycleId": 2}"#);
        let f = spans["/value/1/cycleid"];
        assert_eq!(&text[f.start..f.end], "2");
    }

    #[test]
    fn survives_truncated_text() {
        let spans = value_spans(r#"[{"a": "x\"#, 3);
        assert!(spans.len() <= 3);
    }
}
