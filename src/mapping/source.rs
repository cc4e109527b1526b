//! Errors located in an expression's text, and where that text lives in the file the user wrote.
//!
//! An expression may be typed on the command line (`<expression>`), sit inside a TOML string or inside a
//! Graph schema JSON. [`ExprSource`] maps byte offsets inside the expression to byte offsets of the
//! enclosing file so every [`Diagnostic`] points at the right `line:col`.

use crate::diagnostic::{Diagnostic, Severity, SourceFile, Span};

/// A problem found in an expression (syntax or check), with a span relative to the expression text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExprError {
    /// Error or warning.
    pub severity: Severity,
    /// Where, relative to the start of the expression.
    pub span: Span,
    /// One lowercase line.
    pub message: String,
    /// Text after the carets (often a "did you mean").
    pub label: Option<String>,
    /// A `help:` line.
    pub help: Option<String>,
}

impl ExprError {
    /// An error at `span`.
    pub fn new(span: Span, message: impl Into<String>) -> Self {
        ExprError { severity: Severity::Error, span, message: message.into(), label: None, help: None }
    }

    /// A warning at `span`.
    pub fn warning(span: Span, message: impl Into<String>) -> Self {
        ExprError { severity: Severity::Warning, ..ExprError::new(span, message) }
    }

    /// Sets the caret label.
    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    /// Sets the help line.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Offsets {
    /// Expression byte `i` is file byte `base + i`.
    Linear(usize),
    /// Expression byte `i` is file byte `table[i]` (strings with escapes).
    Table(Vec<usize>),
}

/// Where an expression's text sits inside a source file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExprSource {
    /// The enclosing file.
    pub file: SourceFile,
    offsets: Offsets,
}

impl ExprSource {
    /// An expression that is the whole file (e.g. `<expression>` from the command line).
    pub fn standalone(name: &str, text: &str) -> Self {
        ExprSource { file: SourceFile::new(name, text), offsets: Offsets::Linear(0) }
    }

    /// An expression copied verbatim from `file` starting at byte `base` (TOML literal strings).
    pub fn linear(file: &SourceFile, base: usize) -> Self {
        ExprSource { file: file.clone(), offsets: Offsets::Linear(base) }
    }

    /// An expression decoded from an escaped string (TOML basic string or JSON string) whose raw text
    /// starts at byte `raw_start` of `file`. Escapes are walked so offsets after them stay exact; if the
    /// raw text cannot be matched to `decoded`, offsets fall back to the string's start.
    pub fn escaped(file: &SourceFile, raw_start: usize, decoded: &str) -> Self {
        let offsets = escape_table(&file.text[raw_start.min(file.text.len())..], decoded)
            .map(|t| Offsets::Table(t.into_iter().map(|o| o + raw_start).collect()))
            .unwrap_or(Offsets::Linear(raw_start));
        ExprSource { file: file.clone(), offsets }
    }

    /// The span of the file that corresponds to `span` of the expression.
    pub fn map(&self, span: Span) -> Span {
        match &self.offsets {
            Offsets::Linear(base) => span.shifted(*base),
            Offsets::Table(t) => {
                let at = |i: usize| t.get(i).or(t.last()).copied().unwrap_or(0);
                Span::new(at(span.start), at(span.end))
            }
        }
    }

    /// The error as a located [`Diagnostic`].
    pub fn diagnostic(&self, e: &ExprError) -> Diagnostic {
        let mut d = match e.severity {
            Severity::Error => Diagnostic::error(e.message.clone()),
            Severity::Warning => Diagnostic::warning(e.message.clone()),
        }
        .at(&self.file, self.map(e.span));
        d.label = e.label.clone();
        d.help = e.help.clone();
        d
    }
}

/// For each byte of `decoded`, the offset in `raw` of the text that produced it (plus one entry for the
/// end). `None` when `raw` does not decode to `decoded` with TOML/JSON escapes.
fn escape_table(raw: &str, decoded: &str) -> Option<Vec<usize>> {
    let mut table = Vec::with_capacity(decoded.len() + 1);
    let mut raw_iter = raw.char_indices().peekable();
    for d in decoded.chars() {
        let (pos, r) = raw_iter.next()?;
        if r == '\\' {
            let (_, e) = raw_iter.next()?;
            let extra = match e {
                'u' => 4,
                'U' => 8,
                'x' => 2,
                _ => 0,
            };
            for _ in 0..extra {
                raw_iter.next()?;
            }
        } else if r != d {
            return None;
        }
        table.extend(std::iter::repeat_n(pos, d.len_utf8()));
    }
    let end = raw_iter.peek().map_or(raw.len(), |(i, _)| *i);
    table.push(end);
    Some(table)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaped_strings_map_offsets_past_escapes() {
        let text = r#"x = "Join(\" \", [mailNickame])""#;
        let file = SourceFile::new("m.toml", text);
        let raw_start = text.find("Join").unwrap();
        let decoded = r#"Join(" ", [mailNickame])"#;
        let src = ExprSource::escaped(&file, raw_start, decoded);
        let at = decoded.find('[').unwrap();
        let mapped = src.map(Span::new(at, at + 13));
        assert_eq!(&text[mapped.start..mapped.end], "[mailNickame]");
    }

    #[test]
    fn linear_sources_shift() {
        let file = SourceFile::new("m.toml", "x = 'Join(\" \", [a])'");
        let src = ExprSource::linear(&file, 5);
        assert_eq!(src.map(Span::new(0, 4)), Span::new(5, 9));
        let d = src.diagnostic(&ExprError::new(Span::new(0, 4), "boom"));
        assert_eq!(d.position().as_deref(), Some("m.toml:1:6"));
    }
}
