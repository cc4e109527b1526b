//! Loading a mapping: a preset name, a mapping TOML file or a Graph `synchronizationSchema` JSON file.
//! This is the only file of the module that reads the file system.

use std::path::Path;

use crate::diagnostic::{Diagnostic, SourceFile};

use super::model::MappingSet;
use super::presets;
use super::schema::import_schema;
use super::toml_format::parse_mapping_toml;

/// A loaded mapping set and the warnings found while loading it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loaded {
    /// The mappings.
    pub set: MappingSet,
    /// Warnings (unsupported parts of an imported schema, mappings that never reach steady state, …).
    pub warnings: Vec<Diagnostic>,
}

/// Loads `spec`: a preset name (see [`presets::names`]) or a path (relative to `base_dir`) to a mapping
/// TOML file or a Graph `synchronizationSchema` JSON file (`.json`, or text starting with `{`). On failure
/// returns every diagnostic, errors and warnings, in file order.
pub fn load(spec: &str, base_dir: &Path) -> Result<Loaded, Vec<Diagnostic>> {
    let (set, diags) = parse_spec(spec, base_dir);
    match set {
        Some(set) if !diags.iter().any(Diagnostic::is_error) => Ok(Loaded { set, warnings: diags }),
        _ => Err(diags),
    }
}

/// Every diagnostic for `spec` (the back-end of `entrasim mapping check`); empty means clean.
pub fn check(spec: &str, base_dir: &Path) -> Vec<Diagnostic> {
    parse_spec(spec, base_dir).1
}

/// Parses mapping text that is already in memory; `name` decides the format (`.json` = Graph schema).
pub fn load_source(file: &SourceFile) -> Result<Loaded, Vec<Diagnostic>> {
    let (set, diags) = parse_file(file);
    match set {
        Some(set) if !diags.iter().any(Diagnostic::is_error) => Ok(Loaded { set, warnings: diags }),
        _ => Err(diags),
    }
}

fn parse_spec(spec: &str, base_dir: &Path) -> (Option<MappingSet>, Vec<Diagnostic>) {
    if let Some(file) = presets::source(spec) {
        return parse_file(&file);
    }
    let path = base_dir.join(spec);
    match std::fs::read_to_string(&path) {
        Ok(text) => parse_file(&SourceFile::new(spec, text)),
        Err(e) => {
            let looks_like_preset = !spec.contains(['/', '\\', '.']);
            let mut d = Diagnostic::error(format!("cannot read mapping `{spec}`: {e}"));
            if looks_like_preset {
                let names = presets::names();
                d = match crate::diagnostic::did_you_mean(spec, names.iter().copied()) {
                    Some(s) => d.with_help(format!("did you mean the preset `{s}`?")),
                    None => d.with_help(format!("built-in presets: {}", names.join(", "))),
                };
            }
            (None, vec![d])
        }
    }
}

fn parse_file(file: &SourceFile) -> (Option<MappingSet>, Vec<Diagnostic>) {
    let is_json = file.name.to_ascii_lowercase().ends_with(".json") || file.text.trim_start().starts_with('{');
    if is_json {
        import_schema(file)
    } else {
        parse_mapping_toml(file)
    }
}
