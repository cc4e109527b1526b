//! What a run or check outputs: the reporters its flags ask for (the terminal always, then
//! `--report-junit`, `--report-json`, `--report-html`), and stored transcripts for `run --snapshots`.

use std::path::{Path, PathBuf};

use similar::{ChangeTag, TextDiff};

use crate::app::Context;
use crate::cli::ReportArgs;
use crate::error::Error;
use crate::report::html::Drift;
use crate::report::reporter::write_file;
use crate::report::terminal::{self, Printer};
use crate::report::{html, json, junit, Case, Finding, Outcome, ReportError, Reporters, Severity};

/// The terminal at `verbosity` (progress bars when `progress`), then each report file the flags name.
/// `secrets` never show in what they write.
pub fn reporters(args: &ReportArgs, ctx: &Context, verbosity: u8, progress: bool, secrets: &[String]) -> Reporters {
    let opts = terminal::Options { paint: ctx.paint(), verbosity };
    let mut all = Reporters::new();
    all.push(Printer::new(std::io::stdout(), opts, progress).with_secrets(secrets));
    if let Some(path) = &args.report_junit {
        all.push(junit::Exporter::new(path.clone()));
    }
    if let Some(path) = &args.report_json {
        all.push(json::Exporter::new(path.clone()));
    }
    if let Some(path) = &args.report_html {
        all.push(html::Exporter::new(path.clone(), secrets));
    }
    all
}

/// A reporter's failure as the command's error.
pub fn report_error(e: ReportError) -> Error {
    match e {
        ReportError::Io { context, source } => Error::Io { context, source },
        other => Error::Other(other.to_string()),
    }
}

/// The stored snapshot file of a scenario: its path with separators flattened, under `dir`.
pub fn snapshot_path(dir: &Path, scenario: &Path) -> PathBuf {
    let flat: String = scenario
        .with_extension("")
        .components()
        .filter_map(|c| match c {
            std::path::Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("__");
    dir.join(format!("{flat}.transcript"))
}

/// Compares a transcript with the stored one (or records it with `accept`). Drift becomes a failed case
/// carrying a unified diff, with both texts for the HTML report's side-by-side view; a missing snapshot
/// is recorded and reported as new.
pub fn compare_snapshot(
    dir: &Path,
    scenario: &Path,
    transcript: &str,
    accept: bool,
) -> Result<Option<(Case, Drift)>, Error> {
    let path = snapshot_path(dir, scenario);
    let stored = std::fs::read_to_string(&path).ok();
    if accept || stored.is_none() {
        write_file(&path, transcript).map_err(report_error)?;
        if !accept {
            println!("  new snapshot recorded: {}", path.display());
        }
        return Ok(None);
    }
    let stored = stored.unwrap_or_default();
    if stored == transcript {
        return Ok(None);
    }
    // The diff is shown once, under the scenario's status line, from the finding's message.
    let case = Case {
        name: "snapshot".into(),
        outcome: Outcome::Fail,
        detail: format!("differs from {}", path.display()),
        findings: vec![Finding {
            severity: Severity::Error,
            kind: "snapshot_drift".into(),
            message: render_diff(&stored, transcript),
            hint: Some("if the new behaviour is intended, re-run with --accept".into()),
            evidence: None,
        }],
        duration_ms: 0,
    };
    Ok(Some((case, Drift { path: path.display().to_string(), stored, new: transcript.to_string() })))
}

/// A unified diff of stored → new, plain: the terminal colours its lines when it shows the finding, and
/// the JSON, JUnit and HTML reports carry it as text.
pub fn render_diff(old: &str, new: &str) -> String {
    let diff = TextDiff::from_lines(old, new);
    let mut out = String::new();
    for group in diff.grouped_ops(2) {
        out.push_str("@@");
        out.push('\n');
        for op in group {
            for change in diff.iter_changes(&op) {
                let (sign, line) = (change.tag(), change.to_string_lossy());
                let text = match sign {
                    ChangeTag::Delete => format!("-{line}"),
                    ChangeTag::Insert => format!("+{line}"),
                    ChangeTag::Equal => format!(" {line}"),
                };
                out.push_str(&text);
                if !text.ends_with('\n') {
                    out.push('\n');
                }
            }
        }
    }
    out
}
