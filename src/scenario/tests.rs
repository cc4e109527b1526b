//! Format tests: every step kind parses, every error class renders with its position.

use std::path::{Path, PathBuf};

use super::*;
use crate::diagnostic::render_all;

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/scenarios").join(rel)
}

fn parse(text: &str) -> Result<Loaded, Vec<crate::diagnostic::Diagnostic>> {
    parse_str("test.toml", text, Path::new("."))
}

fn errors(text: &str) -> String {
    match parse(text) {
        Ok(loaded) => panic!("expected errors, got a scenario with {} steps", loaded.scenario.steps.len()),
        Err(diags) => render_all(&diags, false),
    }
}

#[test]
fn joiner_mover_leaver_fixture_loads() {
    let loaded =
        load(&fixture("valid/joiner_mover_leaver.toml")).unwrap_or_else(|d| panic!("{}", render_all(&d, false)));
    let s = &loaded.scenario;
    assert!(loaded.warnings.is_empty());
    assert_eq!(s.steps.len(), 10);
    assert_eq!(s.directory.user_count(), 2);
    let labels: Vec<String> = s.steps.iter().map(Step::label).collect();
    insta::assert_debug_snapshot!(labels);
}

#[test]
fn every_mistake_is_reported_with_its_position() {
    let text = std::fs::read_to_string(fixture("invalid/many_mistakes.toml")).unwrap();
    insta::assert_snapshot!(errors(&text));
}
