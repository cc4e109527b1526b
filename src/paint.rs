//! Terminal styling decided by a value, not a global: a [`Paint`] made with colour off returns text
//! unchanged, so a renderer gives the same words either way and tests read the plain form without
//! touching process-wide state. `app` decides colour once per stream (`--color`, `NO_COLOR`, terminals)
//! and every renderer (diagnostics, reports, `logs`, `mapping explain`) takes the decision as a value.
//!
//! A leaf module: it imports nothing of the crate, so any module may use it. The escape codes come from
//! the `colored` crate; its own process-wide switch is kept on, so the decision is this value's alone.

use std::fmt::Display;

use colored::{ColoredString, Colorize};

/// Wraps text in ANSI styles when colour is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paint {
    color: bool,
}

impl Paint {
    /// A painter that colours when `color` is true.
    pub fn new(color: bool) -> Self {
        if color {
            // `colored` would otherwise decide again from the environment (a pipe, `NO_COLOR`); here the
            // caller decided, so its switch stays on and a plain painter never reaches it.
            colored::control::set_override(true);
        }
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

    fn wrap(self, style: fn(ColoredString) -> ColoredString, text: impl Display) -> String {
        if self.color {
            style(text.to_string().normal()).to_string()
        } else {
            text.to_string()
        }
    }

    /// Bold green: passed.
    pub fn pass(self, text: impl Display) -> String {
        self.wrap(|t| t.green().bold(), text)
    }

    /// Bold red: failed.
    pub fn fail(self, text: impl Display) -> String {
        self.wrap(|t| t.red().bold(), text)
    }

    /// Red.
    pub fn red(self, text: impl Display) -> String {
        self.wrap(|t| t.red(), text)
    }

    /// Green.
    pub fn green(self, text: impl Display) -> String {
        self.wrap(|t| t.green(), text)
    }

    /// Yellow: warnings and skips.
    pub fn yellow(self, text: impl Display) -> String {
        self.wrap(|t| t.yellow(), text)
    }

    /// Bold yellow: warning labels of diagnostics.
    pub fn bold_yellow(self, text: impl Display) -> String {
        self.wrap(|t| t.yellow().bold(), text)
    }

    /// Bold blue: a diagnostic's frame (`-->`, gutters, line numbers).
    pub fn bold_blue(self, text: impl Display) -> String {
        self.wrap(|t| t.blue().bold(), text)
    }

    /// Cyan: hints.
    pub fn cyan(self, text: impl Display) -> String {
        self.wrap(|t| t.cyan(), text)
    }

    /// Bold.
    pub fn bold(self, text: impl Display) -> String {
        self.wrap(|t| t.bold(), text)
    }

    /// Dimmed: secondary information.
    pub fn dim(self, text: impl Display) -> String {
        self.wrap(|t| t.dimmed(), text)
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
