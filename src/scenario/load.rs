//! Reading scenario files and finding them under directories: the only IO of the `scenario` module.

use std::path::{Path, PathBuf};

use super::model::Scenario;
use super::parse::parse;
use crate::diagnostic::{Diagnostic, SourceFile};

/// A scenario that loaded, with the warnings found on the way.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The validated scenario.
    pub scenario: Scenario,
    /// Warnings (e.g. nested groups, steps that change nothing), in file order.
    pub warnings: Vec<Diagnostic>,
}

/// Why discovery failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DiscoverError {
    /// A path given does not exist.
    #[error("no such file or directory: `{}`", .0.display())]
    NotFound(PathBuf),
    /// A directory could not be read.
    #[error("cannot read `{}`", path.display())]
    Io {
        /// The path.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

/// Loads and validates the scenario at `path`. `Err` holds every diagnostic (errors and warnings), in
/// file order, when there is at least one error.
pub fn load(path: &Path) -> Result<Loaded, Vec<Diagnostic>> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| vec![Diagnostic::error(format!("cannot read `{}`: {e}", path.display()))])?;
    let base_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
    parse_str(&path.display().to_string(), &text, &base_dir)
}

/// Parses and validates scenario text. `name` is what diagnostics print as the file name; `base_dir` is
/// where relative paths (the mapping) resolve.
pub fn parse_str(name: &str, text: &str, base_dir: &Path) -> Result<Loaded, Vec<Diagnostic>> {
    parse(SourceFile::new(name, text), base_dir.to_path_buf())
}

/// The scenario files named by `paths`: a file is taken as is; a directory contributes every `*.toml`
/// below it (hidden entries skipped), sorted by path. Order of `paths` is kept.
pub fn discover(paths: &[PathBuf]) -> Result<Vec<PathBuf>, DiscoverError> {
    let mut out = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut found = Vec::new();
            walk(path, &mut found)?;
            found.sort();
            out.extend(found);
        } else if path.is_file() {
            out.push(path.clone());
        } else {
            return Err(DiscoverError::NotFound(path.clone()));
        }
    }
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), DiscoverError> {
    let io = |source| DiscoverError::Io { path: dir.to_path_buf(), source };
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let path = entry.map_err(io)?.path();
        let hidden = path.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with('.'));
        if hidden {
            continue;
        }
        if path.is_dir() {
            walk(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "toml") {
            out.push(path);
        }
    }
    Ok(())
}
