//! Reading a log file from disk: format detection and, for CSV downloads, finding the companion files.

use std::fs;
use std::path::{Path, PathBuf};

use super::model::{LogFormat, LogRecord};
use super::parse_csv::{self, CsvFiles};
use super::parse_json;
use crate::diagnostic::{Diagnostic, SourceFile};

/// Records read from a log file, with the detected format and any warnings.
#[derive(Debug, Clone)]
pub struct ReadLog {
    /// The detected format.
    pub format: LogFormat,
    /// The records, in file order.
    pub records: Vec<LogRecord>,
    /// Non-fatal problems (e.g. a CSV download without its steps file).
    pub warnings: Vec<Diagnostic>,
}

/// Reads a provisioning log file in any supported format. For a CSV download, pass the main
/// `ProvisioningLogs…csv`; `…_ProvisioningSteps…` and `…_ModifiedProperties…` files next to it are joined in.
pub fn read(path: &Path) -> Result<Vec<LogRecord>, Vec<Diagnostic>> {
    read_detailed(path).map(|r| r.records)
}

/// Reads several log files (e.g. Graph pages saved one per file, or exports of consecutive days) into one
/// list. Records logged twice (same `id`, or same change id when ids are absent) are kept once. Every
/// file's diagnostics are reported.
pub fn read_all(paths: &[PathBuf]) -> Result<Vec<LogRecord>, Vec<Diagnostic>> {
    let mut records = Vec::new();
    let mut errors = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for path in paths {
        match read(path) {
            Ok(rs) => {
                for r in rs {
                    let key = if r.id.is_empty() { format!("change:{}", r.change_id) } else { r.id.clone() };
                    if seen.insert(key) {
                        records.push(r);
                    }
                }
            }
            Err(d) => errors.extend(d),
        }
    }
    if errors.is_empty() {
        Ok(records)
    } else {
        Err(errors)
    }
}

/// Like [`read`], also returning the detected format and warnings.
pub fn read_detailed(path: &Path) -> Result<ReadLog, Vec<Diagnostic>> {
    let main = load(path)?;
    if !looks_like_csv(path, &main.text) {
        return parse_json::parse(&main).map(|(format, records)| ReadLog { format, records, warnings: Vec::new() });
    }
    let mut warnings = Vec::new();
    let mut companion = |kind: &str, needle: &str| -> Result<Option<SourceFile>, Vec<Diagnostic>> {
        match find_companion(path, needle) {
            Some(p) => load(&p).map(Some),
            None => {
                warnings.push(Diagnostic::warning(format!(
                    "no `ProvisioningLogs_{kind}` CSV next to `{}`; records have no {}",
                    path.display(),
                    if needle == "provisioningsteps" { "steps" } else { "modified properties" }
                )));
                Ok(None)
            }
        }
    };
    let steps = companion("ProvisioningSteps", "provisioningsteps")?;
    let properties = companion("ModifiedProperties", "modifiedproperties")?;
    let records = parse_csv::parse(&CsvFiles { main: &main, steps: steps.as_ref(), properties: properties.as_ref() })?;
    Ok(ReadLog { format: LogFormat::AdminCenterCsv, records, warnings })
}

/// Parses log text already in memory (JSON formats, or a CSV main file without companions).
pub fn parse_str(name: &str, text: &str) -> Result<ReadLog, Vec<Diagnostic>> {
    let file = SourceFile::new(name, text);
    if looks_like_csv(Path::new(name), text) {
        let records = parse_csv::parse(&CsvFiles { main: &file, steps: None, properties: None })?;
        Ok(ReadLog { format: LogFormat::AdminCenterCsv, records, warnings: Vec::new() })
    } else {
        parse_json::parse(&file).map(|(format, records)| ReadLog { format, records, warnings: Vec::new() })
    }
}

/// Parses a CSV download from its three texts (`(name, text)` pairs); companions are optional.
pub fn parse_csv_download(
    main: (&str, &str),
    steps: Option<(&str, &str)>,
    properties: Option<(&str, &str)>,
) -> Result<Vec<LogRecord>, Vec<Diagnostic>> {
    let main = SourceFile::new(main.0, main.1);
    let steps = steps.map(|(n, t)| SourceFile::new(n, t));
    let properties = properties.map(|(n, t)| SourceFile::new(n, t));
    parse_csv::parse(&CsvFiles { main: &main, steps: steps.as_ref(), properties: properties.as_ref() })
}

fn load(path: &Path) -> Result<SourceFile, Vec<Diagnostic>> {
    let bytes =
        fs::read(path).map_err(|e| vec![Diagnostic::error(format!("cannot read `{}`: {e}", path.display()))])?;
    let text = String::from_utf8(bytes).map_err(|e| {
        vec![Diagnostic::error(format!(
            "`{}` is not UTF-8 text (byte {})",
            path.display(),
            e.utf8_error().valid_up_to()
        ))
        .with_help("export the logs again as JSON or CSV")]
    })?;
    Ok(SourceFile::new(path.display().to_string(), text))
}

fn looks_like_csv(path: &Path, text: &str) -> bool {
    let first = text.trim_start_matches('\u{feff}').trim_start().chars().next();
    match first {
        Some('{' | '[') => false,
        Some(_) => true,
        None => path.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv")),
    }
}

/// `…/ProvisioningLogs_2026.csv` → `…/ProvisioningLogs_ProvisioningSteps_2026.csv` when it exists, else the
/// only CSV in the same folder whose name contains `needle` (lowercase, letters only).
fn find_companion(main: &Path, needle: &str) -> Option<PathBuf> {
    let dir = main.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let main_name = main.file_name()?.to_string_lossy().to_string();
    let candidates: Vec<PathBuf> = fs::read_dir(dir)
        .ok()?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv")))
        .filter(|p| {
            let name = p.file_name().map(|n| parse_csv::normalize(&n.to_string_lossy())).unwrap_or_default();
            name.contains(needle)
        })
        .collect();
    let lower = main_name.to_ascii_lowercase();
    if let Some(at) = lower.find("provisioninglogs") {
        let suffix = &main_name[at + "provisioninglogs".len()..];
        let wanted = parse_csv::normalize(&format!("{}provisioninglogs{needle}{suffix}", &main_name[..at]));
        if let Some(p) = candidates
            .iter()
            .find(|p| p.file_name().is_some_and(|n| parse_csv::normalize(&n.to_string_lossy()) == wanted))
        {
            return Some(p.clone());
        }
    }
    match candidates.as_slice() {
        [only] => Some(only.clone()),
        _ => None,
    }
}
