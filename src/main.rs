//! The `entrasim` binary: parses the command line and hands it to [`entrasim::app::run`].

use std::process::ExitCode;

use clap::Parser;

/// mimalloc instead of the system allocator: entrasim allocates many short-lived JSON values from several
/// threads, where glibc's per-thread arenas fragment (a 10,000-user benchmark peaked 50% higher) and run
/// slower.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
