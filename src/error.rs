//! The top-level error of a command: why entrasim could not do its job (as opposed to findings about the
//! endpoint, which are data in the run result). Each variant maps to exactly one exit code.

use crate::diagnostic::{self, Diagnostic};
use crate::exit;

/// Why a command could not do its job.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Input files (scenarios, mappings, logs, schemas) did not parse or check; nothing was sent.
    #[error("invalid input")]
    Invalid(Vec<Diagnostic>),
    /// The target could not be used: unreachable, authentication refused, protocol failure.
    #[error("{0}")]
    Target(String),
    /// Reading or writing a file failed.
    #[error("{context}: {source}")]
    Io {
        /// What entrasim was doing, naming the file.
        context: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// Anything else that stopped the command (a runtime failure with its context).
    #[error("{0}")]
    Other(String),
}

impl Error {
    /// The process exit code for this error.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Invalid(_) => exit::INVALID,
            Error::Target(_) | Error::Io { .. } | Error::Other(_) => exit::RUNTIME,
        }
    }

    /// The message for stderr (diagnostics rendered with carets, coloured when `color`).
    pub fn render(&self, color: bool) -> String {
        match self {
            Error::Invalid(diagnostics) => {
                let errors = diagnostics.iter().filter(|d| d.is_error()).count();
                let mut out = diagnostic::render_all(diagnostics, color);
                out.push_str(&format!(
                    "\nerror: aborting because of {errors} error{}",
                    if errors == 1 { "" } else { "s" }
                ));
                out
            }
            other => format!("error: {other}"),
        }
    }

    /// An I/O error with the file it concerns.
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io { context: context.into(), source }
    }
}
