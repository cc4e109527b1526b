//! Subcommand dispatch and the few decisions every command shares: colour, the async runtime, the bearer
//! token, and CI partitioning. Each subcommand lives in `cmd/`; only this module and `cmd/` print.
//!
//! Colour is decided here once per stream and handed on as a value ([`Context`], [`Paint`]): no renderer
//! reads a process-wide switch.

use std::io::IsTerminal;
use std::path::PathBuf;

use crate::cli::{Cli, Color, Command, RunArgs, TargetArgs};
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

/// A multi-threaded tokio runtime for one command.
pub fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::io("starting the async runtime", e))
}

/// The bearer token from `--token`, `--token-env VAR`, or `ENTRASIM_TOKEN`, in that order.
pub fn resolve_token(args: &TargetArgs) -> Result<Option<String>, Error> {
    if let Some(token) = &args.token {
        return Ok(Some(token.clone()));
    }
    if let Some(var) = &args.token_env {
        return match std::env::var(var) {
            Ok(v) if !v.is_empty() => Ok(Some(v)),
            _ => Err(Error::Other(format!("--token-env names `{var}`, but that environment variable is not set"))),
        };
    }
    Ok(std::env::var("ENTRASIM_TOKEN").ok().filter(|v| !v.is_empty()))
}

/// Keeps part `K` of `N` (1-based) of `paths`, which must already be in a stable order: the i-th path
/// goes to part `i mod N + 1`, so every path lands in exactly one part whatever N is.
pub fn partition(paths: Vec<PathBuf>, spec: &str) -> Result<Vec<PathBuf>, Error> {
    let parsed = spec
        .split_once('/')
        .and_then(|(k, n)| Some((k.trim().parse::<usize>().ok()?, n.trim().parse::<usize>().ok()?)));
    let (k, n) = match parsed {
        Some((k, n)) if n >= 1 && (1..=n).contains(&k) => (k, n),
        _ => return Err(Error::Other(format!("--partition expects K/N with 1 <= K <= N, got `{spec}`"))),
    };
    Ok(paths.into_iter().enumerate().filter(|(i, _)| i % n == k - 1).map(|(_, p)| p).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partitions_cover_every_path_once() {
        let paths: Vec<PathBuf> = (0..7).map(|i| PathBuf::from(format!("s{i}.toml"))).collect();
        let mut all: Vec<PathBuf> =
            (1..=3).flat_map(|k| partition(paths.clone(), &format!("{k}/3")).unwrap()).collect();
        all.sort();
        assert_eq!(all, paths);
        assert_eq!(partition(paths.clone(), "1/3").unwrap().len(), 3);
    }

    #[test]
    fn partition_rejects_nonsense() {
        for bad in ["0/3", "4/3", "x", "1/0", "2"] {
            assert!(partition(vec![], bad).is_err(), "{bad}");
        }
    }
}
