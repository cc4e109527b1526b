//! `entrasim serve`: the embedded reference endpoint for people and for other tools' tests.
//! The first stdout line is `listening on URL` so scripts can read the port.

use std::io::Write as _;
use std::net::SocketAddr;

use crate::app::Context;
use crate::cli::ServeArgs;
use crate::error::Error;
use crate::exit;
use crate::server::{self, ServerConfig};

/// Serves until Ctrl-C.
pub fn run(args: ServeArgs, _ctx: &Context) -> Result<u8, Error> {
    let addr: SocketAddr = args
        .addr
        .parse()
        .map_err(|_| Error::Other(format!("--addr expects HOST:PORT with an IP address, got `{}`", args.addr)))?;
    let generated = args.token.is_none();
    let config = ServerConfig {
        addr,
        token: args.token,
        switches: args.switches,
        max_body_bytes: args.max_body_bytes,
        ..ServerConfig::default()
    };
    // One thread: the store serialises requests anyway, and on a multi-threaded runtime each request paid for
    // wake-ups between threads (docs/ARCHITECTURE.md, "Where the endpoint's CPU goes").
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::io("starting the async runtime", e))?;
    runtime.block_on(async move {
        let handle = server::start(config).await.map_err(|e| Error::Other(e.to_string()))?;
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "listening on {}", handle.url());
        if generated {
            // Printed once, on request of nobody else: the operator needs it to call the endpoint.
            let _ = writeln!(out, "token: {}", handle.token());
        }
        let _ = out.flush();
        drop(out);
        tokio::signal::ctrl_c().await.map_err(|e| Error::io("waiting for Ctrl-C", e))?;
        handle.shutdown().await;
        Ok(exit::OK)
    })
}
