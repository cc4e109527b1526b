//! `entrasim check`: the conformance checks against a target (the embedded endpoint when none), with
//! the terminal summary and JUnit, JSON and HTML reports.

use std::path::PathBuf;
use std::time::Duration;

use crate::app::{self, Context};
use crate::check::{self, CheckOptions};
use crate::cli::{CheckArgs, CheckDialect};
use crate::cmd::outputs::{self, report_error};
use crate::cmd::run;
use crate::engine::{Dialect, Target};
use crate::error::Error;
use crate::report::{Finished, Reporter};
use crate::scim::client::{Auth, Client, ClientConfig};
use crate::server::{self, ServerConfig};

/// Runs the checks and prints the results.
pub fn run(args: CheckArgs, ctx: &Context) -> Result<u8, Error> {
    let target = run::resolve_target(&args.target)?;
    let oauth = match &target {
        Target::Url { auth: Auth::OAuth(config), .. } => Some(config.clone()),
        _ => None,
    };
    let options = CheckOptions {
        dialects: match args.dialect {
            CheckDialect::Legacy => vec![Dialect::Legacy],
            CheckDialect::Compliant => vec![Dialect::Compliant],
            CheckDialect::Both => vec![Dialect::Legacy, Dialect::Compliant],
        },
        mapping: match args.schema.as_deref() {
            None | Some("discover") => args.mapping.clone(),
            Some("default") => "entra-default".to_string(),
            Some(file) => file.to_string(),
        },
        attribute_sweep: args.schema.as_deref() == Some("discover"),
        mapping_dir: PathBuf::from("."),
        groups: !args.no_groups,
        run_tag: None,
        oauth,
        match_users: args.match_users.clone(),
        match_groups: args.match_groups.clone(),
        fidelity: crate::fidelity::Fidelity::default().with(&args.wire.wire),
        ..CheckOptions::default()
    };
    if options.attribute_sweep {
        eprintln!("sweeping every attribute /Schemas declares: one user and about four requests per attribute");
    }
    let timeout = Duration::from_secs(args.target.timeout.max(1));
    let started = std::time::Instant::now();
    let (ca_cert, insecure) = run::tls_options(&args.target, ctx)?;
    let result = app::runtime()?.block_on(async move {
        let (url, auth, server) = match target {
            Target::Url { url, auth } => (url, auth, None),
            Target::Embedded => {
                let handle = server::start(ServerConfig::default()).await.map_err(|e| Error::Other(e.to_string()))?;
                let auth = Auth::Bearer(crate::scim::client::Secret::new(handle.token()));
                (handle.url().to_string(), auth, Some(handle))
            }
        };
        let config = ClientConfig { timeout, ca_cert, insecure, ..ClientConfig::new(url, auth) };
        let client = Client::new(config).map_err(|e| Error::Target(e.to_string()))?;
        let result = check::run(&client, &options).await.map_err(|e| match e {
            check::CheckError::Mapping { diagnostics, .. } => Error::Invalid(diagnostics),
            check::CheckError::MatchAttribute { reason } => Error::Other(reason),
            other => Error::Target(other.to_string()),
        })?;
        if let Some(handle) = server {
            handle.shutdown().await;
        }
        Ok::<_, Error>(result)
    })?;
    let mut report = result.to_report();
    report.target = run::target_display(&args.target);
    let mut reporters = outputs::reporters(&args.reports, ctx, args.verbose, false, &[]);
    for suite in &report.suites {
        reporters.suite(&Finished { suite, scenario: None, drift: None }).map_err(report_error)?;
    }
    let reported = reporters.finish(&report, Some(started.elapsed()));
    if !result.left_behind.is_empty() {
        eprintln!(
            "warning: could not delete {} object(s) this run created: {}",
            result.left_behind.len(),
            result.left_behind.join(", ")
        );
    }
    reported.map_err(report_error)?;
    Ok(report.exit_code())
}
