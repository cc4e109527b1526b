//! One module per subcommand: each turns parsed arguments into library calls, prints the result and
//! returns the exit code.

pub mod check;
pub mod completions;
pub mod logs;
pub mod mapping;
pub mod outputs;
pub mod provision;
pub mod reportconv;
pub mod run;
pub mod serve;

use crate::app::Context;
use crate::cli::Command;
use crate::error::Error;

/// Runs one subcommand.
pub fn dispatch(command: Command, ctx: &Context) -> Result<u8, Error> {
    match command {
        Command::Completions(args) => completions::run(&args),
        Command::Run(args) => run::run(args, ctx),
        Command::Provision(args) => provision::run(args, ctx),
        Command::Validate(args) => run::validate(args),
        Command::Check(args) => check::run(args, ctx),
        Command::Logs(command) => logs::run(command, ctx),
        Command::Replay(args) => logs::replay(args, ctx),
        Command::Serve(args) => serve::run(args, ctx),
        Command::Mapping(command) => mapping::run(command, ctx),
        Command::Expr(args) => mapping::expr(args, ctx),
        other => Err(Error::Other(format!("`{}` is not available in this build yet", command_name(&other)))),
    }
}

fn command_name(command: &Command) -> &'static str {
    match command {
        Command::Run(_) => "run",
        Command::Provision(_) => "provision",
        Command::Validate(_) => "validate",
        Command::Check(_) => "check",
        Command::Serve(_) => "serve",
        Command::Mapping(_) => "mapping",
        Command::Expr(_) => "expr",
        Command::Replay(_) => "replay",
        Command::Logs(_) => "logs",
        Command::Bench(_) => "bench",
        Command::Completions(_) => "completions",
    }
}
