//! `entrasim run`: discover scenarios (the bundled suite when none are named), check every scenario and
//! mapping before anything is sent, run each against the target while printing an Entra-like
//! provisioning log, compare or record snapshots, then print the summary and write the reports.
//!
//! ```text
//! paths ─discover─▶ partition ─load+check all─▶ (exit 3 on any error, nothing sent)
//!       ─▶ per scenario: engine::run_scenario ─▶ live log lines ─▶ snapshot compare/accept
//!       ─▶ report::Report ─▶ terminal summary, --report-junit, --report-json
//! ```

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use colored::Colorize;

use crate::app::{self, Context};
use crate::cli::{DialectArg, RunArgs, TargetArgs};
use crate::cmd::{outputs, reportconv};
use crate::diagnostic::Diagnostic;
use crate::engine::result::{Event, JobState, LogStatus, Outcome};
use crate::engine::{self, Dialect, RunOptions, ScenarioResult, Target};
use crate::error::Error;
use crate::mapping::{self, MappingSet};
use crate::report;
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
        dialect: args.dialect.map(dialect),
        timeout: Duration::from_secs(args.target.timeout.max(1)),
        steady: args.steady,
        wire: args.wire.wire.clone(),
        ..RunOptions::default()
    };
    let secrets: Vec<String> = target_secret(&target).into_iter().collect();
    let target_name = target_display(&args.target);

    let rt = app::runtime()?;
    let mut suites = Vec::new();
    let mut drifted = 0usize;
    for p in &prepared {
        let started = Instant::now();
        print_header(p);
        let result = rt.block_on(run_one(p, target.clone(), &options, ctx, args.verbose))?;
        print_status(&result);
        let mut suite = reportconv::scenario_suite(&p.path.display().to_string(), &result, started.elapsed());
        if let Some(dir) = &args.snapshots {
            let transcript = snapshot::transcript::render(&result, None, &secrets);
            if let Some(finding) = outputs::compare_snapshot(dir, &p.path, &transcript, args.accept, ctx)? {
                drifted += 1;
                suite.cases.push(finding);
            }
        }
        suites.push(suite);
    }
    let report = report::Report { command: "run".into(), target: target_name, suites };
    print!("{}", report::terminal::render(&report));
    if args.accept {
        println!(
            "recorded {} snapshot(s) in {}",
            prepared.len(),
            args.snapshots.as_deref().unwrap_or(Path::new("")).display()
        );
    } else if drifted > 0 {
        println!("{drifted} snapshot(s) drifted; re-run with --accept to record the new behaviour");
    }
    outputs::write_reports(&report, &args.reports)?;
    Ok(report.exit_code())
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

fn dialect(d: DialectArg) -> Dialect {
    match d {
        DialectArg::Legacy => Dialect::Legacy,
        DialectArg::Compliant => Dialect::Compliant,
    }
}

async fn run_one(
    p: &Prepared,
    target: Target,
    options: &RunOptions,
    ctx: &Context,
    verbose: bool,
) -> Result<ScenarioResult, Error> {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let options = RunOptions { events: Some(tx), ..options.clone() };
    let objects = p.scenario.directory.user_count() + p.scenario.directory.group_count();
    let printer = tokio::spawn({
        let ctx = *ctx;
        async move {
            let mut log = LivePrinter::new(ctx, objects, verbose);
            while let Some(event) = rx.recv().await {
                log.event(&event);
            }
            log.finish();
        }
    });
    let name = p.path.display().to_string();
    let result = engine::run_scenario(&p.scenario, &name, &p.mapping, target, &options).await;
    drop(options);
    let _ = printer.await;
    result.map_err(|e| match e.exit_code() {
        crate::exit::INVALID => Error::Invalid(vec![Diagnostic::error(format!("{}: {e}", p.path.display()))]),
        _ => Error::Target(format!("{}: {e}", p.path.display())),
    })
}

fn print_header(p: &Prepared) {
    let description =
        if p.scenario.description.is_empty() { String::new() } else { format!(" — {}", p.scenario.description) };
    println!("{}{}", p.path.display().to_string().bold(), description.dimmed());
}

/// The portal's "Current Status" for the scenario.
fn print_status(result: &ScenarioResult) {
    let s = &result.summary;
    let mut parts = vec![format!("{} user(s) and {} group(s) provisioned", s.users_provisioned, s.groups_provisioned)];
    parts.push(if s.initial_cycle_complete { "initial cycle complete" } else { "no initial cycle" }.into());
    parts.push(match (&s.quarantine, s.job) {
        (Some(reason), JobState::Disabled) => {
            format!("disabled after four weeks quarantined ({reason})").red().to_string()
        }
        (Some(reason), _) => format!("quarantined ({reason})").red().to_string(),
        (None, _) => "not quarantined".into(),
    });
    let escrows = format!(
        "{} escrow(s) outstanding, {} escrow retries, {} given up, {} 429 retries",
        s.escrows_outstanding, s.escrow_retries, s.given_up, s.retries_429
    );
    parts.push(if s.escrows_outstanding > 0 { escrows.yellow().to_string() } else { escrows });
    if let Some(steady) = s.steady_state {
        parts.push(if steady { "steady state reached".green().to_string() } else { "not steady".red().to_string() });
    }
    if let Some(abort) = &result.aborted {
        parts.push(format!("stopped: {}", abort.message).red().to_string());
    }
    println!("  {} {}\n", "status:".dimmed(), parts.join(" · "));
}

/// Prints engine events as provisioning-log lines, or a progress bar on a terminal for big cycles.
struct LivePrinter {
    ctx: Context,
    verbose: bool,
    bar: Option<indicatif::ProgressBar>,
    objects: usize,
    in_step: usize,
}

/// More objects than this in a cycle get a progress bar (on a terminal) instead of one line each.
const PROGRESS_THRESHOLD: usize = 100;

impl LivePrinter {
    fn new(ctx: Context, objects: usize, verbose: bool) -> Self {
        LivePrinter { ctx, verbose, bar: None, objects, in_step: 0 }
    }

    fn event(&mut self, event: &Event) {
        match event {
            Event::StepStarted { index, label } => {
                self.in_step = 0;
                if self.objects > PROGRESS_THRESHOLD && self.ctx.stdout_is_terminal {
                    let bar = indicatif::ProgressBar::new(self.objects as u64);
                    bar.set_style(
                        indicatif::ProgressStyle::with_template("  {msg} [{bar:30}] {pos}/{len} objects {per_sec}")
                            .expect("invariant: the template is valid")
                            .progress_chars("=> "),
                    );
                    bar.set_message(format!("step {index}: {label}"));
                    self.bar = Some(bar);
                } else {
                    println!("  {} {}", format!("step {index}:").dimmed(), label);
                }
            }
            Event::Object { cycle, event } => {
                self.in_step += 1;
                if let Some(bar) = &self.bar {
                    bar.inc(1);
                    return;
                }
                if self.objects > PROGRESS_THRESHOLD && !self.verbose && event.status == LogStatus::Success {
                    // Large cycles without a terminal: failures and skips only, so CI logs stay readable.
                    return;
                }
                let status = match event.status {
                    LogStatus::Success => "Success".green(),
                    LogStatus::Failure => "Failure".red().bold(),
                    LogStatus::Skipped => "Skipped".yellow(),
                    LogStatus::Warning => "Warning".yellow().bold(),
                };
                let code = event.code.map(|c| format!(" {c:?}")).unwrap_or_default();
                let message = if event.message.is_empty() { String::new() } else { format!(" — {}", event.message) };
                println!(
                    "    cycle {cycle}  {:<6} {:<22} {:<12} {status}{code}{message}",
                    format!("{:?}", event.object.kind).to_lowercase(),
                    event.object.alias,
                    format!("{:?}", event.action),
                );
            }
            Event::StepFinished { outcome, .. } => {
                if let Some(bar) = self.bar.take() {
                    bar.finish_and_clear();
                    println!("  {} objects processed", self.in_step);
                }
                if *outcome == Outcome::Failed {
                    println!("    {}", "step failed".red());
                }
            }
        }
        let _ = std::io::stdout().flush();
    }

    fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}
