//! Terminal styling decided by a value, not a global: a [`Paint`] made with colour off returns text
//! unchanged, so a renderer gives the same words either way and tests read the plain form without
//! touching process-wide state. `app` decides colour once per stream (`--color`, `NO_COLOR`, terminals)
//! and every renderer (diagnostics, reports, `logs`, `mapping explain`) takes the decision as a value.
//!
//! A leaf module: it imports nothing, so any module may use it.

use std::fmt::Display;

/// Wraps text in ANSI styles when colour is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paint {
    color: bool,
}

impl Paint {
    /// A painter that colours when `color` is true.
    pub fn new(color: bool) -> Self {
        Paint { color }
    }

    /// Plain text, whatever the settings (for tests and files).
    pub fn plain() -> Self {
        Paint { color: false }
    }

    /// Whether this painter colours.
    pub fn is_color(self) -> bool {
        self.color
    }

    fn wrap(self, codes: &str, text: impl Display) -> String {
        if self.color {
            format!("\x1b[{codes}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }

    /// Bold green: passed.
    pub fn pass(self, text: impl Display) -> String {
        self.wrap("1;32", text)
    }

    /// Bold red: failed.
    pub fn fail(self, text: impl Display) -> String {
        self.wrap("1;31", text)
    }

    /// Red.
    pub fn red(self, text: impl Display) -> String {
        self.wrap("31", text)
    }

    /// Green.
    pub fn green(self, text: impl Display) -> String {
        self.wrap("32", text)
    }

    /// Yellow: warnings and skips.
    pub fn yellow(self, text: impl Display) -> String {
        self.wrap("33", text)
    }

    /// Bold yellow: warning labels of diagnostics.
    pub fn bold_yellow(self, text: impl Display) -> String {
        self.wrap("1;33", text)
    }

    /// Bold blue: a diagnostic's frame (`-->`, gutters, line numbers).
    pub fn bold_blue(self, text: impl Display) -> String {
        self.wrap("1;34", text)
    }

    /// Cyan: hints.
    pub fn cyan(self, text: impl Display) -> String {
        self.wrap("36", text)
    }

    /// Bold.
    pub fn bold(self, text: impl Display) -> String {
        self.wrap("1", text)
    }

    /// Dimmed: secondary information.
    pub fn dim(self, text: impl Display) -> String {
        self.wrap("2", text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_paint_leaves_text_alone_and_colour_wraps_it() {
        assert_eq!(Paint::plain().fail("FAIL"), "FAIL");
        assert_eq!(Paint::new(true).fail("FAIL"), "\x1b[1;31mFAIL\x1b[0m");
    }
}
