//! What a snapshot sees: every exchange of every step by default; a compact snapshot (for huge generated
//! tenants) stands for what it leaves out with counts and a hash, so drift there still changes it.

use entrasim::scenario::SnapshotDetail;
use entrasim::scim::client::Body;
use entrasim::snapshot;

use crate::support::run_text_with_preset;

const FORTY_USERS: &str = r#"
description = "forty generated users are created"

[generate]
users = 40
seed = 3

[[steps]]
cycle = "initial"
"#;

/// A run of forty users and the same run with the answer to its 30th exchange changed.
async fn run_and_drift() -> (entrasim::engine::ScenarioResult, entrasim::engine::ScenarioResult) {
    let result = run_text_with_preset(FORTY_USERS, "entra-default").await;
    assert!(result.transcript.len() > 60, "a query and a create per user: {}", result.transcript.len());
    let mut drifted = result.clone();
    let exchange = &mut drifted.transcript[59];
    match &mut exchange.response_body {
        Body::Json { value } => value["displayName"] = "changed by the endpoint".into(),
        other => panic!("exchange 60 has no JSON answer: {other:?}"),
    }
    (result, drifted)
}

#[tokio::test]
async fn a_full_snapshot_shows_every_exchange_so_drift_anywhere_changes_it() {
    let (result, drifted) = run_and_drift().await;
    let full = snapshot::render(&result, None, &[]);
    assert_eq!(full.matches("\n→ ").count(), result.transcript.len(), "every exchange is shown:\n{full}");
    assert!(!full.contains("more exchanges"), "nothing is left out:\n{full}");
    let changed = snapshot::render(&drifted, None, &[]);
    assert_ne!(full, changed);
    assert!(changed.contains("changed by the endpoint"));
}

#[tokio::test]
async fn a_compact_snapshot_hashes_what_it_leaves_out_so_drift_there_still_changes_it() {
    let (result, drifted) = run_and_drift().await;
    let compact = snapshot::render_with(&result, None, &[], SnapshotDetail::Compact);
    assert_eq!(compact.matches("\n→ ").count(), 25, "a compact snapshot shows 25 exchanges per step:\n{compact}");
    let left_out = compact.lines().find(|l| l.contains("more exchanges")).expect("a line stands for the rest");
    let rest = result.transcript.len() - 25;
    assert!(left_out.starts_with(&format!("… {rest} more exchanges: ")), "{left_out}");
    assert!(left_out.contains("sha256 of their redacted text"), "{left_out}");
    assert!(left_out.contains("snapshot = \"full\""), "it says how to see them in full: {left_out}");

    let changed = snapshot::render_with(&drifted, None, &[], SnapshotDetail::Compact);
    assert!(!changed.contains("changed by the endpoint"), "the changed exchange is left out");
    let differing: Vec<(&str, &str)> = compact.lines().zip(changed.lines()).filter(|(a, b)| a != b).collect();
    assert_eq!(differing.len(), 1, "only the hash line differs: {differing:#?}");
    assert!(differing[0].0.contains("more exchanges"), "{differing:#?}");
}

#[test]
fn the_snapshot_key_is_full_or_compact() {
    let scenario = crate::support::parse_scenario("snapshot = \"compact\"\n[[steps]]\ncycle = \"initial\"\n");
    assert_eq!(scenario.snapshot, SnapshotDetail::Compact);
    let scenario = crate::support::parse_scenario("[[steps]]\ncycle = \"initial\"\n");
    assert_eq!(scenario.snapshot, SnapshotDetail::Full);
    let err = entrasim::scenario::parse_str("s.toml", "snapshot = \"compakt\"\n", std::path::Path::new("."))
        .expect_err("an unknown value is an error");
    let text = entrasim::diagnostic::render_all(&err, false);
    assert!(text.contains("unknown snapshot `compakt`") && text.contains("did you mean `compact`?"), "{text}");
    assert!(text.contains("s.toml:1:"), "the error names the file and line: {text}");
}
