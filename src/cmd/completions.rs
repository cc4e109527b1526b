//! `entrasim completions SHELL`: prints a completion script generated from the clap definition.

use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs};
use crate::error::Error;
use crate::exit;

/// Prints the completion script for the chosen shell.
pub fn run(args: &CompletionsArgs) -> Result<u8, Error> {
    clap_complete::generate(args.shell, &mut Cli::command(), "entrasim", &mut std::io::stdout());
    Ok(exit::OK)
}
