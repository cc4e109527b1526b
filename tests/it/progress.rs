//! The engine's live progress: a cycle reports its users as it goes (what the terminal progress bar of
//! `entrasim run` follows), one at a time and with requests in flight alike.

use entrasim::engine::result::Event;
use entrasim::engine::{self, RunOptions, Target};

const TENANT: &str = r#"
description = "a generated tenant"

[generate]
users = 300
seed = 5

[[steps]]
cycle = "initial"
"#;

/// Every event of a run of [`TENANT`] with `concurrency` requests in flight.
async fn events(concurrency: usize) -> Vec<Event> {
    let scenario = crate::support::parse_scenario(TENANT);
    let mapping = entrasim::mapping::load("entra-default", std::path::Path::new(".")).unwrap().set;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let options = RunOptions { events: Some(tx), concurrency: Some(concurrency), ..RunOptions::default() };
    let result = engine::run_scenario(&scenario, "progress", &mapping, Target::Embedded, &options).await.unwrap();
    assert!(result.passed(), "{}", crate::support::problems(&result));
    drop(options);
    let mut events = Vec::new();
    while let Some(event) = rx.recv().await {
        events.push(event);
    }
    events
}

fn assert_progress_during_the_cycle(events: &[Event]) {
    let finished = events.iter().position(|e| matches!(e, Event::StepFinished { index: 1, .. })).unwrap();
    let progress: Vec<(usize, usize)> = events[..finished]
        .iter()
        .filter_map(|e| match e {
            Event::Progress { cycle: 1, done, total } => Some((*done, *total)),
            _ => None,
        })
        .collect();
    assert!(progress.len() >= 10, "progress is reported as the cycle goes, not once: {progress:?}");
    assert!(progress.len() <= 201, "at most each half percent: {}", progress.len());
    assert!(progress.windows(2).all(|w| w[0].0 < w[1].0), "done only grows: {progress:?}");
    assert_eq!(progress.last(), Some(&(300, 300)), "the last report is the whole cycle");
    let first_object = events.iter().position(|e| matches!(e, Event::Object { .. })).unwrap();
    let first_progress = events.iter().position(|e| matches!(e, Event::Progress { .. })).unwrap();
    assert!(first_progress < first_object, "progress comes before the cycle's log is handed over");
}

#[tokio::test]
async fn a_cycle_reports_progress_one_user_at_a_time() {
    assert_progress_during_the_cycle(&events(1).await);
}

#[tokio::test]
async fn a_cycle_reports_progress_with_requests_in_flight() {
    assert_progress_during_the_cycle(&events(4).await);
}
