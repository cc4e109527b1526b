//! One renderer for every error that points into a file the user wrote (scenario, mapping, schema JSON,
//! expression). A [`Diagnostic`] carries a message, an optional [`Span`] into a [`SourceFile`], a label
//! under the carets and an optional help line; [`Diagnostic::render`] prints it in the shape below,
//! plain or coloured from the same text, so snapshot tests use the plain form.
//!
//! ```text
//! error: unknown attribute `[mailNickame]`
//!   --> scenarios/users/create.toml:14:22
//!    |
//! 14 | displayName = "Join(\" \", [mailNickame])"
//!    |                      ^^^^^^^^^^^^^ did you mean `[mailNickname]`?
//! ```

use std::fmt::Write as _;
use std::ops::Range;
use std::sync::Arc;

use crate::paint::Paint;

/// A byte range into a source text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Span {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

impl Span {
    /// A span from `start` to `end` (byte offsets).
    pub fn new(start: usize, end: usize) -> Self {
        Span { start, end: end.max(start) }
    }

    /// The span moved right by `offset` bytes: turns a span inside an embedded text (an expression inside
    /// a TOML string) into a span of the enclosing file.
    pub fn shifted(self, offset: usize) -> Self {
        Span::new(self.start + offset, self.end + offset)
    }
}

impl From<Range<usize>> for Span {
    fn from(r: Range<usize>) -> Self {
        Span::new(r.start, r.end)
    }
}

/// A named text that diagnostics point into. Cheap to clone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile {
    /// Display name: a path as the user gave it, or a pseudo-name such as `<expression>`.
    pub name: Arc<str>,
    /// The whole text.
    pub text: Arc<str>,
}

impl SourceFile {
    /// A source file from a name and its text.
    pub fn new(name: impl Into<Arc<str>>, text: impl Into<Arc<str>>) -> Self {
        SourceFile { name: name.into(), text: text.into() }
    }

    /// 1-based line and column (in characters) of a byte offset; offsets past the end clamp to the end.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = floor_char_boundary(&self.text, offset.min(self.text.len()));
        let before = &self.text[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        (line, before[line_start..].chars().count() + 1)
    }

    fn line_text(&self, line: usize) -> &str {
        self.text.lines().nth(line - 1).unwrap_or("")
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// How bad a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// Something is wrong and the input cannot be used.
    Error,
    /// The input can be used but something is probably not what the user meant (or is not supported).
    Warning,
}

/// A message about a place in a source file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// One line, lowercase, no trailing period; names things in backticks.
    pub message: String,
    /// Where the problem is, when it has a place.
    pub location: Option<(SourceFile, Span)>,
    /// Text printed after the carets.
    pub label: Option<String>,
    /// A `help:` line below the snippet.
    pub help: Option<String>,
}

impl Diagnostic {
    /// An error with no location yet.
    pub fn error(message: impl Into<String>) -> Self {
        Diagnostic { severity: Severity::Error, message: message.into(), location: None, label: None, help: None }
    }

    /// A warning with no location yet.
    pub fn warning(message: impl Into<String>) -> Self {
        Diagnostic { severity: Severity::Warning, ..Diagnostic::error(message) }
    }

    /// Points the diagnostic at `span` in `file`.
    pub fn at(mut self, file: &SourceFile, span: Span) -> Self {
        self.location = Some((file.clone(), span));
        self
    }

    /// Sets the text printed after the carets.
    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    /// Sets the `help:` line.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// True for errors.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// `file:line:col` of the start of the span, when there is one.
    pub fn position(&self) -> Option<String> {
        self.location.as_ref().map(|(file, span)| {
            let (line, col) = file.line_col(span.start);
            format!("{}:{line}:{col}", file.name)
        })
    }

    /// Renders the diagnostic; `color` adds ANSI styles to the same text.
    pub fn render(&self, color: bool) -> String {
        let paint = Paint::new(color);
        let style = |s: &str| match self.severity {
            Severity::Error => paint.fail(s),
            Severity::Warning => paint.bold_yellow(s),
        };
        let word = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let mut out = String::new();
        let _ = writeln!(out, "{}: {}", style(word), paint.bold(&self.message));
        if let Some((file, span)) = &self.location {
            let (line, col) = file.line_col(span.start);
            let (end_line, end_col) = file.line_col(span.end);
            let gutter = line.to_string().len();
            let pad = " ".repeat(gutter);
            let blue = |s: &str| paint.bold_blue(s);
            let _ = writeln!(out, "{pad}{} {}:{line}:{col}", blue("-->"), file.name);
            let _ = writeln!(out, "{pad} {}", blue("|"));
            let full = file.line_text(line);
            let width = if end_line == line {
                end_col.saturating_sub(col).max(1)
            } else {
                full.chars().count().saturating_sub(col - 1).max(1)
            };
            // A very long line (minified JSON) is shown as a window around the span.
            let (text, col, width) = window(full, col, width);
            let _ = writeln!(out, "{} {} {text}", blue(&line.to_string()), blue("|"));
            let carets = "^".repeat(width);
            let label = self.label.as_deref().map(|l| format!(" {l}")).unwrap_or_default();
            let _ = writeln!(out, "{pad} {} {}{}", blue("|"), " ".repeat(col - 1), style(&format!("{carets}{label}")));
        } else if let Some(label) = &self.label {
            let _ = writeln!(out, "  = {label}");
        }
        if let Some(help) = &self.help {
            let _ = writeln!(out, "  = help: {help}");
        }
        out
    }
}

/// Characters of context shown on each side of a span on a long line.
const WINDOW: usize = 60;

/// The part of `line` around `col` (1-based) and `width` characters, with `…` where text was cut, and the
/// column and width of the span inside that part.
fn window(line: &str, col: usize, width: usize) -> (String, usize, usize) {
    let chars: Vec<char> = line.chars().collect();
    if chars.len() <= 2 * WINDOW + width.min(WINDOW) {
        return (line.to_string(), col, width);
    }
    let width = width.min(WINDOW);
    let start = (col - 1).saturating_sub(WINDOW);
    let end = (col - 1 + width + WINDOW).min(chars.len());
    let mut text = String::new();
    if start > 0 {
        text.push('…');
    }
    text.extend(&chars[start..end]);
    if end < chars.len() {
        text.push('…');
    }
    let shift = usize::from(start > 0);
    (text, col - start + shift, width)
}

/// Renders many diagnostics, separated by blank lines.
pub fn render_all(diagnostics: &[Diagnostic], color: bool) -> String {
    diagnostics.iter().map(|d| d.render(color)).collect::<Vec<_>>().join("\n")
}

/// The closest candidate to `input` (case-insensitive Jaro-Winkler similarity ≥ 0.8), for "did you mean" hints.
pub fn did_you_mean<'a>(input: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let input = input.to_lowercase();
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(&input, &c.to_lowercase()), c))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_carets_under_the_span() {
        let file = SourceFile::new("m.toml", "a = 1\ndisplayName = \"Join(\\\" \\\", [mailNickame])\"\n");
        let start = file.text.find("[mail").unwrap();
        let d = Diagnostic::error("unknown attribute `[mailNickame]`")
            .at(&file, Span::new(start, start + 13))
            .with_label("did you mean `[mailNickname]`?");
        insta::assert_snapshot!(d.render(false), @r#"
        error: unknown attribute `[mailNickame]`
         --> m.toml:2:28
          |
        2 | displayName = "Join(\" \", [mailNickame])"
          |                            ^^^^^^^^^^^^^ did you mean `[mailNickname]`?
        "#);
    }

    #[test]
    fn line_col_counts_characters_not_bytes() {
        let file = SourceFile::new("x", "é = 1\nab");
        assert_eq!(file.line_col(0), (1, 1));
        assert_eq!(file.line_col(2), (1, 2));
        assert_eq!(file.line_col(8), (2, 2));
        assert_eq!(file.line_col(1000), (2, 3));
    }

    #[test]
    fn long_lines_show_a_window_around_the_span() {
        let line = format!("{}BAD{}", "x".repeat(500), "y".repeat(500));
        let file = SourceFile::new("min.json", line.as_str());
        let d = Diagnostic::error("bad").at(&file, Span::new(500, 503));
        let text = d.render(false);
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[3].chars().count() < 200, "{text}");
        let at = |l: &str, pat: &str| l.find(pat).map(|b| l[..b].chars().count());
        assert_eq!(at(lines[3], "BAD"), at(lines[4], "^"), "{text}");
    }

    #[test]
    fn suggests_close_names_only() {
        assert_eq!(did_you_mean("Joinn", ["Join", "Switch"]), Some("Join"));
        assert_eq!(did_you_mean("zzz", ["Join", "Switch"]), None);
    }
}
