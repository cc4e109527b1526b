//! The entry point behind the binary: the colour decision every command shares, and the hand-over to the
//! subcommand in `cmd/`. Only this module and `cmd/` print.
//!
//! Colour is decided here once per stream and handed on as a value ([`Context`], [`Paint`]): no renderer
//! reads a process-wide switch.

use std::io::IsTerminal;

use crate::cli::{Cli, Color, Command, RunArgs};
use crate::cmd;
use crate::error::Error;
use crate::paint::Paint;

/// What every command needs to know about the terminal.
#[derive(Debug, Clone, Copy)]
pub struct Context {
    /// Colour stdout: `--color always`, or `auto` on a terminal with `NO_COLOR` unset.
    pub color: bool,
    /// Colour diagnostics on stderr: as stdout, and only when stderr is a terminal.
    pub stderr_color: bool,
    /// Stdout is a terminal (progress bars only then).
    pub stdout_is_terminal: bool,
}

impl Context {
    /// The painter for stdout.
    pub fn paint(&self) -> Paint {
        Paint::new(self.color)
    }

    /// The painter for stderr (warnings and diagnostics).
    pub fn stderr_paint(&self) -> Paint {
        Paint::new(self.stderr_color)
    }
}

/// A command that could not do its job, with how its message is shown on stderr.
#[derive(Debug)]
pub struct Failure {
    /// Why.
    pub error: Error,
    /// Colour the message.
    pub color: bool,
}

impl Failure {
    /// The message for stderr (diagnostics with carets).
    pub fn render(&self) -> String {
        self.error.render(self.color)
    }

    /// The process exit code.
    pub fn exit_code(&self) -> u8 {
        self.error.exit_code()
    }
}

/// Runs the command the user asked for and returns the exit code (see `exit`).
pub fn run(cli: Cli) -> Result<u8, Failure> {
    let ctx = context(cli.color);
    cmd::dispatch(cli.command.unwrap_or_else(|| Command::Run(RunArgs::default())), &ctx)
        .map_err(|error| Failure { error, color: ctx.stderr_color })
}

/// The colour decisions for this process's streams.
fn context(flag: Color) -> Context {
    let stdout_is_terminal = std::io::stdout().is_terminal();
    let color = match flag {
        Color::Always => true,
        Color::Never => false,
        Color::Auto => stdout_is_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
    };
    Context { color, stderr_color: color && std::io::stderr().is_terminal(), stdout_is_terminal }
}
