//! `replay`: turns provisioning-log records (and, when given, the app's `synchronizationSchema`) into a
//! scenario that replays the same cycles and actions.
//!
//! ```text
//! records ─ group by cycle (time order) ─ per object: import details, modified properties (inverted
//!   through Direct mappings), scoping verdicts, first action ─▶ plan { directory before cycle 1,
//!   pre-existing target objects, changes before each cycle, expected counts, notes } ─▶ scenario TOML
//! ```
//!
//! With a schema (a Graph `synchronizationSchema` JSON, or a mapping TOML), the emitted scenario says
//! `mapping = "<copy of it>"`; without one it uses the `entra-default` preset. Either way the mapping is
//! loaded with `mapping::load`, so replay inverts exactly the mappings the engine will apply.

mod emit;
mod plan;
mod schema;
mod scope;

use std::fs;
use std::path::{Path, PathBuf};

use thiserror::Error;

use super::anonymize::Anonymizer;
use super::model::{LogFormat, LogRecord};
use crate::diagnostic::{Diagnostic, SourceFile};
use crate::mapping;

/// Options for [`build`].
#[derive(Debug, Clone, Default)]
pub struct ReplayOptions<'a> {
    /// File name of the schema copy written next to the emitted scenario (default: the schema's own name).
    pub schema_copy_name: Option<String>,
    /// The format the records came from, for the header comment.
    pub format: Option<LogFormat>,
    /// Applied to the schema copy so it carries the same pseudonyms as the (already anonymised) records.
    pub anonymizer: Option<&'a Anonymizer>,
    /// The scenario's `description`; default: derived from the logs.
    pub description: Option<String>,
}

/// The emitted scenario and what goes with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replay {
    /// The scenario file's text.
    pub scenario_toml: String,
    /// What the logs did not carry and how the replay filled or skipped it (also in the TOML as comments).
    pub notes: Vec<String>,
    /// The schema copy to write next to the scenario: (file name, contents). `None` without a schema.
    pub schema_copy: Option<(String, String)>,
}

/// Why a replay could not be built.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ReplayError {
    /// No records to replay.
    #[error("no provisioning log records to replay")]
    NoRecords,
    /// The schema file could not be read.
    #[error("cannot read schema `{path}`")]
    SchemaIo {
        /// The path given.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The schema (or mapping TOML) does not load; the diagnostics are located in it.
    #[error("the mapping in `{path}` does not load")]
    Mapping {
        /// The path given.
        path: PathBuf,
        /// What `mapping::load` reported.
        diagnostics: Vec<Diagnostic>,
    },
}

impl ReplayError {
    /// The located diagnostics, for mapping errors.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        match self {
            ReplayError::Mapping { diagnostics, .. } => diagnostics,
            _ => &[],
        }
    }
}

/// Builds a scenario replaying `records`, with the customer's mapping from `schema` when given.
pub fn build(records: &[LogRecord], schema: Option<&Path>, options: &ReplayOptions<'_>) -> Result<Replay, ReplayError> {
    if records.is_empty() {
        return Err(ReplayError::NoRecords);
    }
    let (view, schema_copy) = match schema {
        Some(path) => {
            let text = fs::read_to_string(path)
                .map_err(|source| ReplayError::SchemaIo { path: path.to_path_buf(), source })?;
            let loaded = mapping::load_source(&SourceFile::new(path.display().to_string(), text.as_str()))
                .map_err(|diagnostics| ReplayError::Mapping { path: path.to_path_buf(), diagnostics })?;
            let contents = options.anonymizer.map_or(text.clone(), |a| a.scrub_schema(&text));
            let name = options.schema_copy_name.clone().unwrap_or_else(|| {
                path.file_name().map_or_else(|| "schema.json".to_string(), |n| n.to_string_lossy().into_owned())
            });
            (schema::SchemaView::from_set(&loaded.set), Some((name, contents)))
        }
        None => (schema::SchemaView::preset(), None),
    };
    let mut plan = plan::plan(records, &view, schema.is_some());
    if schema.is_none() {
        plan.notes.insert(
            0,
            "no synchronization schema given: the mapping is the `entra-default` preset, which may differ from the customer's".to_string(),
        );
    }
    let jobs: Vec<&str> = {
        let mut j: Vec<&str> = records.iter().map(|r| r.job_id.as_str()).filter(|j| !j.is_empty()).collect();
        j.sort_unstable();
        j.dedup();
        j
    };
    let description = options.description.clone().unwrap_or_else(|| match jobs.as_slice() {
        [one] => format!("replay of provisioning job {one}"),
        _ => "replay of Entra provisioning logs".to_string(),
    });
    let mapping = schema_copy.as_ref().map_or("entra-default".to_string(), |(name, _)| name.clone());
    let header = emit::Header {
        description: &description,
        mapping: &mapping,
        source: options.format.map_or("provisioning logs", LogFormat::describe),
        records: records.len(),
    };
    let scenario_toml = emit::emit(&plan, &header);
    Ok(Replay { scenario_toml, notes: plan.notes, schema_copy })
}
