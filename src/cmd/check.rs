//! `entrasim check`: the conformance checks against a target (the embedded endpoint when none), with
//! the terminal summary and JUnit, JSON and HTML reports.

use std::path::PathBuf;
use std::time::Duration;

use crate::app::Context;
use crate::check::{self, CheckOptions};
use crate::cli::{CheckArgs, CheckDialect};
use crate::cmd::outputs::{self, report_error};
use crate::cmd::reportconv::check_suites;
use crate::cmd::{self, target};
use crate::engine::{Dialect, Target};
use crate::error::Error;
use crate::report::{Finished, ReportError, Reporter};
use crate::scim::client::{Auth, Client, ClientConfig};
use crate::server::{self, ServerConfig};

/// Runs the checks and prints the results.
pub fn run(args: CheckArgs, ctx: &Context) -> Result<u8, Error> {
    let target = target::resolve_target(&args.target)?;
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
    let (ca_cert, insecure) = target::tls_options(&args.target, ctx)?;
    let mut reporters = outputs::reporters(&args.reports, ctx, args.verbose, false, &[]);
    let mut live = LiveSuites::default();
    let result = cmd::runtime()?.block_on(async {
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
        let result = check_live(&client, &options, &mut reporters, &mut live).await;
        let result = result.map_err(|e| match e {
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
    report.target = target::target_display(&args.target);
    live.error.map_or(Ok(()), Err).map_err(report_error)?;
    for suite in report.suites.iter().skip(live.reported) {
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

/// Runs the checks, handing each group's suite to the reporters as soon as the next group starts.
async fn check_live(
    client: &Client,
    options: &CheckOptions,
    reporters: &mut impl Reporter,
    live: &mut LiveSuites,
) -> Result<check::CheckResult, check::CheckError> {
    let (progress, mut checks) = tokio::sync::mpsc::unbounded_channel();
    let run = check::run_live(client, options, progress);
    tokio::pin!(run);
    let result = loop {
        tokio::select! {
            biased;
            Some(check) = checks.recv() => live.push(check, reporters),
            result = &mut run => break result,
        }
    };
    live.while_running = live.reported;
    while let Ok(check) = checks.try_recv() {
        live.push(check, reporters);
    }
    result
}

/// The checks of the group running now, and how many suites the reporters have had. A group's suite is
/// handed on once a check of another group follows it, so the last group waits for the result.
#[derive(Default)]
struct LiveSuites {
    group: Vec<check::Check>,
    reported: usize,
    /// Suites reported before the run's result was there.
    while_running: usize,
    error: Option<ReportError>,
}

impl LiveSuites {
    fn push(&mut self, check: check::Check, reporters: &mut impl Reporter) {
        if self.group.last().is_some_and(|last| last.group != check.group) {
            for suite in check_suites(&std::mem::take(&mut self.group)) {
                if self.error.is_none() {
                    self.error = reporters.suite(&Finished { suite: &suite, scenario: None, drift: None }).err();
                }
                self.reported += 1;
            }
        }
        self.group.push(check);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Report;

    #[derive(Default)]
    struct Recorder(Vec<crate::report::Suite>);

    impl Reporter for Recorder {
        fn suite(&mut self, finished: &Finished<'_>) -> Result<(), ReportError> {
            self.0.push(finished.suite.clone());
            Ok(())
        }
        fn finish(&mut self, _: &Report, _: Option<Duration>) -> Result<(), ReportError> {
            Ok(())
        }
    }

    #[tokio::test]
    async fn each_group_is_reported_while_the_next_runs_and_the_suites_are_the_reports() {
        let handle = server::start(ServerConfig::default()).await.expect("embedded endpoint");
        let auth = Auth::Bearer(crate::scim::client::Secret::new(handle.token()));
        let client = Client::new(ClientConfig::new(handle.url().to_string(), auth)).expect("client");
        let (mut recorder, mut live) = (Recorder::default(), LiveSuites::default());
        let result = check_live(&client, &CheckOptions::default(), &mut recorder, &mut live).await.expect("runs");
        handle.shutdown().await;
        let report = result.to_report();
        assert!(report.suites.len() >= 6, "{:?}", report.suites.iter().map(|s| &s.name).collect::<Vec<_>>());
        // The last group waits for the result; the one before it may too, when its successor's only check
        // came in with the result.
        assert!(live.while_running + 2 >= report.suites.len(), "{} of {}", live.while_running, report.suites.len());
        assert_eq!(recorder.0, report.suites[..live.reported]);
    }
}
