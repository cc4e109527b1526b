//! One module per subcommand: each turns parsed arguments into library calls, prints the result and
//! returns the exit code. What several subcommands share sits beside them: the target and its secret
//! ([`target`]), `--partition` ([`partition`]), report files ([`outputs`]) and the async runtime.

pub mod bench;
pub mod check;
pub mod completions;
pub mod logs;
pub mod mapping;
pub mod outputs;
pub mod partition;
pub mod provision;
pub mod reportconv;
pub mod run;
pub mod serve;
pub mod target;
pub mod tenant;

use crate::app::Context;
use crate::cli::Command;
use crate::error::Error;

/// Runs one subcommand.
pub fn dispatch(command: Command, ctx: &Context) -> Result<u8, Error> {
    match command {
        Command::Completions(args) => completions::run(&args),
        Command::Run(args) => run::run(args, ctx),
        Command::Provision(args) => provision::run(args, ctx),
        Command::Validate(args) => run::validate(args, ctx),
        Command::Check(args) => check::run(args, ctx),
        Command::Bench(args) => bench::run(args, ctx),
        Command::Logs(command) => logs::run(command, ctx),
        Command::Replay(args) => logs::replay(args, ctx),
        Command::Serve(args) => serve::run(args, ctx),
        Command::Tenant(args) => tenant::run(args, ctx),
        Command::Mapping(command) => mapping::run(command, ctx),
        Command::Expr(args) => mapping::expr(args, ctx),
    }
}

/// A multi-threaded tokio runtime for one command.
pub fn runtime() -> Result<tokio::runtime::Runtime, Error> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::io("starting the async runtime", e))
}
