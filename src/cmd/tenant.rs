//! `entrasim tenant`: starts the live simulated tenant and prints, on its first lines, what a client needs
//! (Graph's base URL, the token endpoint, the client id and secret, the job), then one line per cycle and
//! on-demand request until Ctrl-C.

use std::io::Write as _;
use std::net::SocketAddr;

use crate::app::Context;
use crate::cli::TenantArgs;
use crate::cmd::{self, target};
use crate::engine::result::Event;
use crate::engine::{self, RunOptions};
use crate::error::Error;
use crate::exit;
use crate::scim::client::Secret;
use crate::tenant::{self, TenantConfig};

/// Runs the tenant until Ctrl-C.
pub fn run(args: TenantArgs, ctx: &Context) -> Result<u8, Error> {
    let addr: SocketAddr = args
        .addr
        .parse()
        .map_err(|_| Error::Other(format!("--addr expects HOST:PORT with an IP address, got `{}`", args.addr)))?;
    if !(args.speed.is_finite() && args.speed > 0.0) {
        return Err(Error::Other(format!("--speed must be a positive number, got {}", args.speed)));
    }
    let target = target::resolve_target(&args.target)?;
    let mut config = match &args.scenario {
        Some(path) => {
            let prepared = crate::cmd::run::prepare(std::slice::from_ref(path), ctx)?;
            let Some(p) = prepared.into_iter().next() else {
                return Err(Error::Other(format!("`{}` holds no scenario", path.display())));
            };
            let switches = engine::switches(&p.scenario).map_err(|e| Error::Other(e.to_string()))?;
            let mut config = TenantConfig::new(p.mapping);
            config.name = p.path.file_stem().map_or("entrasim".into(), |s| s.to_string_lossy().into_owned());
            config.settings = engine::scenario_settings(&p.scenario, &RunOptions::default(), false);
            config.directory = p.scenario.directory;
            config.switches = switches;
            config
        }
        None => {
            let loaded = crate::mapping::load("entra-default", std::path::Path::new(".")).map_err(Error::Invalid)?;
            TenantConfig::new(loaded.set)
        }
    };
    config.addr = addr;
    config.speed = args.speed;
    config.clock_paused = args.paused_clock;
    config.target = target;
    config.connection.timeout = std::time::Duration::from_secs(args.target.timeout);
    config.connection.dialect = args.dialect;
    if let Some(var) = &args.app_secret_env {
        let secret = std::env::var(var)
            .ok()
            .filter(|v| !v.is_empty())
            .ok_or_else(|| Error::Other(format!("--app-secret-env names `{var}`, which is not set")))?;
        config.client_secret = Some(Secret::new(secret));
    }
    config.state_dir = args.state.clone();
    cmd::runtime()?.block_on(async move {
        let handle = tenant::start(config).await.map_err(|e| Error::Other(e.to_string()))?;
        let mut events = handle.subscribe();
        print_banner(&handle);
        loop {
            tokio::select! {
                signal = tokio::signal::ctrl_c() => {
                    signal.map_err(|e| Error::io("waiting for Ctrl-C", e))?;
                    break;
                }
                event = events.recv() => match event {
                    Some(event) => print_event(&event),
                    None => break,
                },
            }
        }
        handle.shutdown().await;
        Ok(exit::OK)
    })
}

fn print_banner(handle: &tenant::TenantHandle) {
    let credentials = handle.credentials();
    let identity = handle.identity();
    let target = handle.target();
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "graph:            {}/v1.0 (and /beta)", handle.url());
    let _ = writeln!(out, "token endpoint:   {}", handle.token_url());
    let _ = writeln!(out, "client id:        {}", credentials.client_id);
    if credentials.generated {
        // Printed once, for the operator who started the tenant: nothing else can get a token without it.
        let _ = writeln!(out, "client secret:    {}", credentials.client_secret.expose());
    } else if credentials.client_secret.expose().is_empty() {
        let _ = writeln!(out, "client secret:    (as shown when the tenant's --state was created)");
    } else {
        let _ = writeln!(out, "client secret:    (from --app-secret-env)");
    }
    let _ = writeln!(out, "tenant id:        {}", identity.tenant_id);
    let _ = writeln!(out, "service principal: {}", identity.service_principal_id);
    let _ = writeln!(out, "job:              {}", identity.job_id);
    let what = if target.embedded { " (embedded)" } else { "" };
    let _ = writeln!(out, "target:           {}{what} [{}]", target.url, target.dialect);
    let _ = out.flush();
}

fn print_event(event: &Event) {
    let line = match event {
        Event::CycleFinished { cycle, counts } => format!("cycle {cycle}: {}", counts.changes().join(", ")),
        Event::Quarantine { text } => format!("quarantined: {text}"),
        Event::OnDemand { result } => {
            format!("on demand: {} {:?} {:?}", result.object.alias, result.action, result.status)
        }
        _ => return,
    };
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}
