//! The `entrasim` binary: parses the command line and hands it to [`entrasim::app::run`].

use std::process::ExitCode;

use clap::Parser;

/// mimalloc instead of the system allocator: entrasim allocates many short-lived JSON values from several
/// threads, where glibc's per-thread arenas fragment (a 10,000-user benchmark peaked 50% higher) and run
/// slower.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    keep_to_small_pages();
    let cli = entrasim::cli::Cli::parse();
    match entrasim::app::run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            eprintln!("{}", err.render());
            ExitCode::from(err.exit_code())
        }
    }
}

/// Asks the kernel not to back entrasim's heap with transparent huge pages. mimalloc advises huge pages for
/// its arenas; entrasim's heap is many small, short-lived objects, where 2 MiB pages only round resident
/// memory up and are zeroed whole on each fault (a 100,000-user benchmark peaked about 20 MiB lower without
/// them, at the same CPU time). Best effort: on a kernel without the switch nothing changes.
fn keep_to_small_pages() {
    #[cfg(target_os = "linux")]
    // SAFETY: PR_SET_THP_DISABLE takes plain integers and only sets a flag on this process.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}
