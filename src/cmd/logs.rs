//! `entrasim logs summarize` and `entrasim replay`: a customer's Entra provisioning logs, summarised or
//! turned into a runnable scenario (optionally anonymised, optionally run at once).

use std::path::{Path, PathBuf};

use crate::app::Context;
use crate::cli::{LogsCommand, ReplayArgs, RunArgs};
use crate::cmd::run;
use crate::diagnostic;
use crate::error::Error;
use crate::exit;
use crate::logs::{self, replay, Anonymizer};

/// `entrasim logs …`.
pub fn run(command: LogsCommand, ctx: &Context) -> Result<u8, Error> {
    match command {
        LogsCommand::Summarize { logs, json } => {
            let read = logs::read_detailed(&logs).map_err(Error::Invalid)?;
            warn(&read.warnings, ctx);
            let summary = logs::summarize(&read.records);
            if json {
                println!("{}", serde_json::to_string_pretty(&summary).expect("invariant: summaries serialise"));
            } else {
                print!("{}", summary.render(ctx.color));
            }
            Ok(exit::OK)
        }
    }
}

/// `entrasim replay`.
pub fn replay(args: ReplayArgs, ctx: &Context) -> Result<u8, Error> {
    let read = logs::read_detailed(&args.logs).map_err(Error::Invalid)?;
    warn(&read.warnings, ctx);
    let anonymizer = args.anonymize.then(|| Anonymizer::new(&anonymize_key()));
    let records = match &anonymizer {
        Some(a) => {
            let mut a = a.clone();
            let records = a.anonymize_records(&read.records);
            (records, Some(a))
        }
        None => (read.records.clone(), None),
    };
    let (records, anonymizer) = records;
    let options =
        replay::ReplayOptions { format: Some(read.format), anonymizer: anonymizer.as_ref(), ..Default::default() };
    let built = replay::build(&records, args.schema.as_deref(), &options).map_err(|e| match e.diagnostics() {
        [] => Error::Other(e.to_string()),
        diagnostics => Error::Invalid(diagnostics.to_vec()),
    })?;
    for note in &built.notes {
        eprintln!("note: {note}");
    }
    let out = match &args.emit_scenario {
        Some(path) => path.clone(),
        None if args.run => std::env::temp_dir().join(format!("entrasim-replay-{}.toml", std::process::id())),
        None => {
            print!("{}", built.scenario_toml);
            return Ok(exit::OK);
        }
    };
    write(&out, &built.scenario_toml)?;
    if let Some((name, contents)) = &built.schema_copy {
        write(&out.parent().unwrap_or(Path::new(".")).join(name), contents)?;
    }
    eprintln!("wrote {}", out.display());
    if !args.run {
        return Ok(exit::OK);
    }
    let run_args = RunArgs { scenarios: vec![out], target: args.target, ..RunArgs::default() };
    run::run(run_args, ctx)
}

/// The pseudonym key: `ENTRASIM_ANONYMIZE_KEY` for pseudonyms that stay the same across runs, otherwise a
/// fresh random key (consistent within one run: the logs and the emitted scenario agree).
fn anonymize_key() -> Vec<u8> {
    match std::env::var("ENTRASIM_ANONYMIZE_KEY") {
        Ok(key) if !key.is_empty() => key.into_bytes(),
        _ => uuid::Uuid::new_v4().as_bytes().to_vec(),
    }
}

fn warn(warnings: &[diagnostic::Diagnostic], ctx: &Context) {
    if !warnings.is_empty() {
        eprintln!("{}", diagnostic::render_all(warnings, ctx.stderr_color));
    }
}

fn write(path: &PathBuf, text: &str) -> Result<(), Error> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent).map_err(|e| Error::io(format!("creating `{}`", parent.display()), e))?;
    }
    std::fs::write(path, text).map_err(|e| Error::io(format!("writing `{}`", path.display()), e))
}
