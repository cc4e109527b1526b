//! `replay`: turns provisioning-log records (and, when given, the app's `synchronizationSchema`) into a
//! scenario that replays the same cycles and actions.
//!
//! ```text
//! records ─ group by cycle (time order) ─ per object: import details, modified properties (inverted
//!   through Direct mappings), scoping verdicts, first action ─▶ plan { directory before cycle 1,
//!   pre-existing target objects, changes before each cycle, expected counts, notes } ─▶ scenario TOML
//! ```
//!
//! With a schema, the emitted scenario says `mapping = "<copy of the schema>"`; without one it uses the
//! `entra-default` preset and inverts through that preset's mappings.

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

/// Options for [`build`].
#[derive(Debug, Clone)]
pub struct ReplayOptions<'a> {
    /// File name of the schema copy written next to the emitted scenario (default `schema.json`).
    pub schema_copy_name: String,
    /// The format the records came from, for the header comment.
    pub format: Option<LogFormat>,
    /// Applied to the schema copy so it carries the same pseudonyms as the (already anonymised) records.
    pub anonymizer: Option<&'a Anonymizer>,
    /// The scenario's `description`; default: derived from the logs.
    pub description: Option<String>,
}

impl Default for ReplayOptions<'_> {
    fn default() -> Self {
        ReplayOptions { schema_copy_name: "schema.json".to_string(), format: None, anonymizer: None, description: None }
    }
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
    /// The schema file is not a synchronization schema.
    #[error("{}", .0.message)]
    Schema(Box<Diagnostic>),
}

impl ReplayError {
    /// The located diagnostic, for schema errors.
    pub fn diagnostic(&self) -> Option<&Diagnostic> {
        match self {
            ReplayError::Schema(d) => Some(d),
            _ => None,
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
            let file = SourceFile::new(path.display().to_string(), text.as_str());
            let view = schema::read(&file).map_err(ReplayError::Schema)?;
            let contents = options.anonymizer.map_or(text.clone(), |a| a.scrub(&text));
            (view, Some((options.schema_copy_name.clone(), contents)))
        }
        None => (schema::SchemaView::entra_default(), None),
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
    let actions = view.user_flow_types.as_deref().map(flow_actions);
    let header = emit::Header {
        description: &description,
        mapping: &mapping,
        source: options.format.map_or("provisioning logs", LogFormat::describe),
        records: records.len(),
        actions,
    };
    let scenario_toml = emit::emit(&plan, &header);
    Ok(Replay { scenario_toml, notes: plan.notes, schema_copy })
}

/// `Add, Update, Delete` → `["create", "update", "delete"]`.
fn flow_actions(flow: &str) -> Vec<&'static str> {
    let lower = flow.to_ascii_lowercase();
    [("add", "create"), ("update", "update"), ("delete", "delete")]
        .iter()
        .filter(|(f, _)| lower.split(',').any(|p| p.trim() == *f))
        .map(|(_, a)| *a)
        .collect()
}
