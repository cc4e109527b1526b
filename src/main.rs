//! The `entrasim` binary: parses the command line and hands it to [`entrasim::app::run`].

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = entrasim::cli::Cli::parse();
    match entrasim::app::run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            eprintln!("{}", err.render());
            ExitCode::from(err.exit_code())
        }
    }
}
