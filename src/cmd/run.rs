//! `entrasim run`: discover scenarios (the bundled suite when none are named), check every scenario and
//! mapping before anything is sent, run each against the target, compare or record snapshots, print a
//! status line per scenario (with its failing steps, or at `-v`/`-vv` its whole provisioning log), then
//! the summary, and write the reports.
//!
//! ```text
//! paths ─discover─▶ partition ─load+check all─▶ (exit 3 on any error, nothing sent)
//!       ─▶ per scenario: engine::run_scenario ─events─▶ reporters (progress bar, SLOW lines)
//!                        ─▶ reportconv::scenario_suite ─▶ snapshot compare/accept
//!                        ─▶ reporters: status line + -v log, HTML extras
//!       ─▶ report::Report ─▶ reporters: terminal summary, --report-junit, --report-json, --report-html
//! ```

use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::app::Context;
use crate::cli::{IsolationArgs, RunArgs};
use crate::cmd::outputs::{self, report_error};
use crate::cmd::reportconv;
use crate::cmd::{self, partition, target};
use crate::diagnostic::Diagnostic;
use crate::engine::isolation::IsolationOptions;
use crate::engine::{self, RunOptions, ScenarioResult, Target};
use crate::error::Error;
use crate::mapping::{self, MappingSet};
use crate::report::reporter::STILL_RUNNING_EVERY;
use crate::report::{self, Finished, Reporter, Reporters, Start};
use crate::scenario::{self, Scenario};
use crate::snapshot;

/// A scenario that passed validation, with its mapping.
pub struct Prepared {
    /// The path as discovered.
    pub path: PathBuf,
    /// The validated scenario.
    pub scenario: Scenario,
    /// Its mapping.
    pub mapping: MappingSet,
}

/// Runs the scenarios.
pub fn run(args: RunArgs, ctx: &Context) -> Result<u8, Error> {
    let target = target::resolve_target(&args.target)?;
    let paths = discover(&args.scenarios)?;
    let paths = match &args.partition {
        Some(spec) => partition::partition(paths, spec)?,
        None => paths,
    };
    let prepared = prepare(&paths, ctx)?;
    let (ca_cert, insecure) = target::tls_options(&args.target, ctx)?;
    let options = RunOptions {
        ca_cert,
        insecure,
        dialect: args.dialect,
        timeout: Duration::from_secs(args.target.timeout.max(1)),
        steady: args.steady,
        isolation: isolation_options(&args.isolation, &target, ctx),
        wire: args.wire.wire.clone(),
        ..RunOptions::default()
    };
    let secrets: Vec<String> = target::target_secret(&target).into_iter().collect();
    let target_name = target::target_display(&args.target);

    let rt = cmd::runtime()?;
    let interrupted = rt.block_on(async { interrupt_on_ctrl_c() });
    let options = RunOptions { cancel: Some(interrupted.clone()), ..options };
    let progress = ctx.stdout_is_terminal && std::io::stderr().is_terminal();
    let mut reporters = outputs::reporters(&args.reports, ctx, args.verbose, progress, &secrets);
    let mut against = if args.target.target.is_some() { target_name.clone() } else { "the embedded endpoint".into() };
    if let Some(part) = &args.partition {
        against.push_str(&format!(" (part {part})"));
    }
    reporters.start(&Start { suites: prepared.len(), against: &against }).map_err(report_error)?;
    let run_started = Instant::now();
    let mut suites = Vec::new();
    let mut drifted = 0usize;
    for p in &prepared {
        if *interrupted.borrow() {
            break;
        }
        let started = Instant::now();
        let result;
        (result, reporters) = rt.block_on(run_one(p, target.clone(), &options, reporters))?;
        let mut suite = reportconv::scenario_suite(&p.path.display().to_string(), &result, started.elapsed());
        let mut drift = None;
        if let Some(dir) = &args.snapshots {
            let transcript = snapshot::render_with(&result, None, &secrets, p.scenario.snapshot);
            if let Some((finding, drifted_from)) = outputs::compare_snapshot(dir, &p.path, &transcript, args.accept)? {
                drifted += 1;
                suite.cases.push(finding);
                drift = Some(drifted_from);
            }
        }
        let finished = Finished { suite: &suite, scenario: Some(&result), drift: drift.as_ref() };
        reporters.suite(&finished).map_err(report_error)?;
        suites.push(suite);
    }
    let report = report::Report { command: "run".into(), target: target_name, suites };
    // The terminal's summary comes first; the snapshot notes follow it, also when a report file failed.
    let reported = reporters.finish(&report, Some(run_started.elapsed()));
    if args.accept {
        println!(
            "recorded {} snapshot(s) in {}",
            prepared.len(),
            args.snapshots.as_deref().unwrap_or(Path::new("")).display()
        );
    } else if drifted > 0 {
        println!("{drifted} snapshot(s) drifted; re-run with --accept to record the new behaviour");
    }
    reported.map_err(report_error)?;
    if *interrupted.borrow() {
        let not_run = prepared.len() - report.suites.len();
        println!("interrupted: {not_run} scenario(s) not run");
        return Ok(crate::exit::RUNTIME);
    }
    Ok(report.exit_code())
}

/// The isolation flags as engine options; `--unique-names` draws this run's tag. `--clean` and `--keep`
/// without a `--target` get a warning: each scenario's embedded endpoint starts empty and ends with it.
pub fn isolation_options(args: &IsolationArgs, target: &Target, ctx: &Context) -> IsolationOptions {
    if matches!(target, Target::Embedded) && (args.clean || args.keep) {
        eprintln!(
            "{} --clean and --keep act on a --target only: each scenario's embedded endpoint starts empty and stops with it",
            target::warning_label(ctx)
        );
    }
    IsolationOptions {
        clean: args.clean,
        keep: args.keep,
        run_tag: args.unique_names.then(engine::isolation::RunTag::random),
        off: false,
    }
}

/// A flag that turns true at the first Ctrl-C (the current scenario is cancelled and cleaned up); a
/// second Ctrl-C exits at once. Call inside the runtime.
fn interrupt_on_ctrl_c() -> tokio::sync::watch::Receiver<bool> {
    let (tx, rx) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!("interrupted: cancelling the current scenario and cleaning up (Ctrl-C again to quit at once)");
            let _ = tx.send(true);
            if tokio::signal::ctrl_c().await.is_ok() {
                std::process::exit(i32::from(crate::exit::RUNTIME));
            }
        }
    });
    rx
}

/// `entrasim validate`: load and check every scenario and its mapping; nothing is sent.
pub fn validate(args: crate::cli::ValidateArgs, ctx: &Context) -> Result<u8, Error> {
    let paths = discover(&args.scenarios)?;
    let prepared = prepare(&paths, ctx)?;
    for p in &prepared {
        println!("ok  {}", p.path.display());
    }
    println!("{} scenario(s) valid", prepared.len());
    Ok(crate::exit::OK)
}

/// The scenario files to run: the named files and directories, or the bundled suite.
pub fn discover(paths: &[PathBuf]) -> Result<Vec<PathBuf>, Error> {
    let roots = if paths.is_empty() { vec![bundled_dir()] } else { paths.to_vec() };
    scenario::discover(&roots).map_err(|e| Error::Invalid(vec![Diagnostic::error(e.to_string())]))
}

/// `./scenarios` when it exists, else the suite that shipped with this build.
fn bundled_dir() -> PathBuf {
    let local = PathBuf::from("scenarios");
    if local.is_dir() {
        local
    } else {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios")
    }
}

/// Loads and checks every scenario and its mapping; all diagnostics of all files, or the prepared set.
pub fn prepare(paths: &[PathBuf], ctx: &Context) -> Result<Vec<Prepared>, Error> {
    let mut diagnostics = Vec::new();
    let mut prepared = Vec::new();
    for path in paths {
        match scenario::load(path) {
            Ok(loaded) => {
                diagnostics.extend(loaded.warnings);
                let scenario = loaded.scenario;
                if let Some(d) = switch_problem(&scenario) {
                    diagnostics.push(d);
                }
                match mapping::load(&scenario.mapping.spec, &scenario.base_dir) {
                    Ok(m) => {
                        diagnostics.extend(m.warnings);
                        prepared.push(Prepared { path: path.clone(), scenario, mapping: m.set });
                    }
                    Err(errs) => {
                        // Errors about the mapping as a whole (an unknown preset, an unreadable file) point
                        // at the scenario's `mapping` key; errors inside a mapping file keep their place.
                        diagnostics.extend(errs.into_iter().map(|d| match (&d.location, scenario.mapping.span) {
                            (None, Some(span)) => d.at(&scenario.file, span),
                            _ => d,
                        }));
                    }
                }
            }
            Err(errs) => diagnostics.extend(errs),
        }
    }
    if diagnostics.iter().any(Diagnostic::is_error) {
        return Err(Error::Invalid(diagnostics));
    }
    if !diagnostics.is_empty() {
        eprintln!("{}", crate::diagnostic::render_all(&diagnostics, ctx.stderr_color));
    }
    Ok(prepared)
}

/// The `[embedded]` table checked against the embedded endpoint's switches, pointing at the bad key.
fn switch_problem(scenario: &Scenario) -> Option<Diagnostic> {
    let embedded = scenario.embedded.as_ref()?;
    let message = match engine::switches(scenario) {
        Ok(_) => return None,
        Err(e) => e.to_string(),
    };
    let unknown = message.split("unknown field `").nth(1).and_then(|rest| rest.split('`').next());
    let Some(unknown) = unknown else {
        return Some(Diagnostic::error(message).at(&scenario.file, embedded.span));
    };
    let expected: Vec<&str> = message
        .split("expected one of ")
        .nth(1)
        .map(|list| list.split(", ").map(|s| s.trim().trim_matches('`')).collect())
        .unwrap_or_default();
    let mut d = Diagnostic::error(format!("unknown switch `{unknown}` in `[embedded]`"))
        .at(&scenario.file, embedded.span_of_key(unknown));
    d = match crate::diagnostic::did_you_mean(unknown, expected.iter().copied()) {
        Some(close) => d.with_label(format!("did you mean `{close}`?")),
        None => d.with_help("`entrasim serve --help` lists the switches"),
    };
    Some(d)
}

/// Runs one scenario while `reporters` follow its live events (and hears that it is still running every
/// [`STILL_RUNNING_EVERY`]); the reporters come back with the result.
async fn run_one(
    p: &Prepared,
    target: Target,
    options: &RunOptions,
    mut reporters: Reporters,
) -> Result<(ScenarioResult, Reporters), Error> {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let options = RunOptions { events: Some(tx), ..options.clone() };
    let name = p.path.display().to_string();
    reporters.suite_started(&name);
    // On a task of its own, so a busy engine thread does not hold up the progress bar.
    let follower = tokio::spawn(async move {
        let started = tokio::time::Instant::now();
        let mut still_running = tokio::time::interval_at(started + STILL_RUNNING_EVERY, STILL_RUNNING_EVERY);
        loop {
            tokio::select! {
                event = rx.recv() => match event {
                    Some(event) => reporters.event(&event),
                    None => break,
                },
                _ = still_running.tick() => reporters.still_running(started.elapsed()),
            }
        }
        reporters
    });
    let result = engine::run_scenario(&p.scenario, &name, &p.mapping, target, &options).await;
    drop(options);
    let reporters = match follower.await {
        Ok(reporters) => reporters,
        Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
        Err(e) => return Err(Error::Other(format!("following {}: {e}", p.path.display()))),
    };
    let result = result.map_err(|e| match e.exit_code() {
        crate::exit::INVALID => Error::Invalid(vec![Diagnostic::error(format!("{}: {e}", p.path.display()))]),
        _ => Error::Target(format!("{}: {e}", p.path.display())),
    })?;
    Ok((result, reporters))
}
