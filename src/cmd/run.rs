//! `entrasim run`: discover scenarios (the bundled suite when none are named), check every scenario and
//! mapping before anything is sent, run each against the target, compare or record snapshots, print a
//! status line per scenario (with its failing steps, or at `-v`/`-vv` its whole provisioning log), then
//! the summary, and write the reports.
//!
//! ```text
//! paths ─discover─▶ partition ─load+check all─▶ (exit 3 on any error, nothing sent)
//!       ─▶ per scenario: engine::run_scenario ─events─▶ live (progress bar, SLOW lines)
//!                        ─▶ snapshot compare/accept ─▶ status line + log::render
//!       ─▶ report::Report ─▶ terminal summary, --report-junit, --report-json, --report-html
//! ```

mod live;
pub(crate) mod log;

use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use colored::Colorize;

use crate::app::{self, Context};
use crate::cli::{IsolationArgs, RunArgs, TargetArgs};
use crate::cmd::{htmlconv, outputs, reportconv};
use crate::diagnostic::Diagnostic;
use crate::engine::isolation::IsolationOptions;
use crate::engine::{self, RunOptions, ScenarioResult, Target};
use crate::error::Error;
use crate::mapping::{self, MappingSet};
use crate::report::{self, paint::Paint, terminal};
use crate::scenario::{self, Scenario};
use crate::scim::client::{Auth, Secret};
use crate::scim::oauth::OAuthConfig;
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
    let target = resolve_target(&args.target)?;
    let paths = discover(&args.scenarios)?;
    let paths = match &args.partition {
        Some(spec) => app::partition(paths, spec)?,
        None => paths,
    };
    let prepared = prepare(&paths)?;
    let (ca_cert, insecure) = tls_options(&args.target)?;
    let options = RunOptions {
        ca_cert,
        insecure,
        dialect: args.dialect,
        timeout: Duration::from_secs(args.target.timeout.max(1)),
        steady: args.steady,
        isolation: isolation_options(&args.isolation, &target),
        wire: args.wire.wire.clone(),
        ..RunOptions::default()
    };
    let secrets: Vec<String> = target_secret(&target).into_iter().collect();
    let target_name = target_display(&args.target);

    let rt = app::runtime()?;
    let interrupted = rt.block_on(async { interrupt_on_ctrl_c() });
    let options = RunOptions { cancel: Some(interrupted.clone()), ..options };
    let opts = terminal::Options { paint: Paint::new(ctx.color), verbosity: args.verbose };
    let progress = ctx.stdout_is_terminal && std::io::stderr().is_terminal();
    let mut against = if args.target.target.is_some() { target_name.clone() } else { "the embedded endpoint".into() };
    if let Some(part) = &args.partition {
        against.push_str(&format!(" (part {part})"));
    }
    print!("{}", terminal::starting(prepared.len(), &against, opts.paint));
    let run_started = Instant::now();
    let mut suites = Vec::new();
    let mut extras = Vec::new();
    let mut drifted = 0usize;
    for p in &prepared {
        if *interrupted.borrow() {
            break;
        }
        let started = Instant::now();
        let result = rt.block_on(run_one(p, target.clone(), &options, progress, opts.paint))?;
        let mut suite = reportconv::scenario_suite(&p.path.display().to_string(), &result, started.elapsed());
        let mut extra = if args.reports.report_html.is_some() {
            htmlconv::scenario_extras(&result, &secrets)
        } else {
            Default::default()
        };
        if let Some(dir) = &args.snapshots {
            let transcript = snapshot::render_with(&result, None, &secrets, p.scenario.snapshot);
            if let Some((finding, drift)) = outputs::compare_snapshot(dir, &p.path, &transcript, args.accept, ctx)? {
                drifted += 1;
                suite.cases.push(finding);
                extra.drift = Some(drift);
            }
        }
        extras.push(extra);
        print!("{}{}", terminal::status_line(&suite, opts.paint), log::render(&result, &suite, &opts, &secrets));
        print_isolation(&result, opts.paint);
        suites.push(suite);
    }
    let report = report::Report { command: "run".into(), target: target_name, suites };
    print!("{}", terminal::summary(&report, Some(run_started.elapsed()), opts.paint));
    if args.accept {
        println!(
            "recorded {} snapshot(s) in {}",
            prepared.len(),
            args.snapshots.as_deref().unwrap_or(Path::new("")).display()
        );
    } else if drifted > 0 {
        println!("{drifted} snapshot(s) drifted; re-run with --accept to record the new behaviour");
    }
    outputs::write_reports(&report, &extras, &args.reports)?;
    if *interrupted.borrow() {
        let not_run = prepared.len() - report.suites.len();
        println!("interrupted: {not_run} scenario(s) not run");
        return Ok(crate::exit::RUNTIME);
    }
    Ok(report.exit_code())
}

/// The isolation flags as engine options; `--unique-names` draws this run's tag. `--clean` and `--keep`
/// without a `--target` get a warning: each scenario's embedded endpoint starts empty and ends with it.
pub fn isolation_options(args: &IsolationArgs, target: &Target) -> IsolationOptions {
    if matches!(target, Target::Embedded) && (args.clean || args.keep) {
        eprintln!(
            "{} --clean and --keep act on a --target only: each scenario's embedded endpoint starts empty and stops with it",
            "warning:".yellow().bold()
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

/// What isolation did against a `--target` besides its findings (leftovers and objects that could not
/// be deleted are findings, shown with the others): what `--clean` deleted and what `--keep` left.
fn print_isolation(result: &ScenarioResult, paint: Paint) {
    let Some(report) = &result.isolation else { return };
    for (label, objects) in [("--clean deleted:", &report.cleaned), ("--keep left:", &report.kept)] {
        for object in objects {
            println!("      {} {}", paint.yellow(label), object.describe());
        }
    }
}

/// `entrasim validate`: load and check every scenario and its mapping; nothing is sent.
pub fn validate(args: crate::cli::ValidateArgs) -> Result<u8, Error> {
    let paths = discover(&args.scenarios)?;
    let prepared = prepare(&paths)?;
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
pub fn prepare(paths: &[PathBuf]) -> Result<Vec<Prepared>, Error> {
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
        eprintln!("{}", crate::diagnostic::render_all(&diagnostics, app::stderr_color()));
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

/// The engine target from `--target` and the token or OAuth flags.
pub fn resolve_target(args: &TargetArgs) -> Result<Target, Error> {
    // Checked even without --target: a flag naming an unset variable is a mistake worth saying.
    let token = app::resolve_token(args)?;
    let Some(url) = &args.target else { return Ok(Target::Embedded) };
    let auth = match &args.oauth_token_url {
        Some(token_url) => {
            let var = args.client_secret_env.clone().unwrap_or_else(|| "ENTRASIM_CLIENT_SECRET".into());
            let secret = std::env::var(&var).ok().filter(|v| !v.is_empty()).ok_or_else(|| {
                Error::Other(format!("the OAuth client secret is read from `{var}`, which is not set"))
            })?;
            Auth::OAuth(OAuthConfig {
                token_url: token_url.clone(),
                client_id: args.client_id.clone().unwrap_or_default(),
                client_secret: Secret::new(secret),
                scope: args.scope.clone(),
            })
        }
        None => token.map_or(Auth::None, |t| Auth::Bearer(Secret::new(t))),
    };
    Ok(Target::Url { url: url.clone(), auth })
}

/// `--ca-cert` and `--insecure` as run options (the certificate read now, so a bad path fails early).
pub fn tls_options(args: &TargetArgs) -> Result<(Option<Vec<u8>>, bool), Error> {
    let ca = match &args.ca_cert {
        Some(path) => Some(std::fs::read(path).map_err(|e| Error::io(format!("reading `{}`", path.display()), e))?),
        None => None,
    };
    if args.insecure {
        eprintln!(
            "{} --insecure: TLS certificates are not checked; anyone on the path can read and change this traffic",
            "warning:".yellow().bold()
        );
    }
    Ok((ca, args.insecure))
}

fn target_secret(target: &Target) -> Option<String> {
    match target {
        Target::Url { auth: Auth::Bearer(secret), .. } => Some(secret.expose().to_string()),
        Target::Url { auth: Auth::OAuth(o), .. } => Some(o.client_secret.expose().to_string()),
        _ => None,
    }
}

/// How reports name the target: the URL as given (never a token), or `embedded`.
pub fn target_display(args: &TargetArgs) -> String {
    args.target.clone().unwrap_or_else(|| "embedded".into())
}

/// Runs one scenario while `live` follows its events (a progress bar when `progress`, SLOW lines).
async fn run_one(
    p: &Prepared,
    target: Target,
    options: &RunOptions,
    progress: bool,
    paint: Paint,
) -> Result<ScenarioResult, Error> {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let options = RunOptions { events: Some(tx), ..options.clone() };
    let name = p.path.display().to_string();
    let printer = tokio::spawn({
        let name = name.clone();
        async move {
            let mut live = live::Live::new(progress, paint, &name);
            let started = tokio::time::Instant::now();
            let mut slow = tokio::time::interval_at(started + live::SLOW_PERIOD, live::SLOW_PERIOD);
            loop {
                tokio::select! {
                    event = rx.recv() => match event {
                        Some(event) => live.event(&event),
                        None => break,
                    },
                    _ = slow.tick() => live.slow(started.elapsed()),
                }
            }
            live.finish();
        }
    });
    let result = engine::run_scenario(&p.scenario, &name, &p.mapping, target, &options).await;
    drop(options);
    let _ = printer.await;
    result.map_err(|e| match e.exit_code() {
        crate::exit::INVALID => Error::Invalid(vec![Diagnostic::error(format!("{}: {e}", p.path.display()))]),
        _ => Error::Target(format!("{}: {e}", p.path.display())),
    })
}
