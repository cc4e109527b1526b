//! The one interface every output of a `run` or `check` implements: the terminal [`Printer`], the JSON,
//! JUnit and HTML exporters, and whatever comes next (the portal). `cmd/` picks reporters from the flags
//! and feeds them all the same calls, in this order:
//!
//! ```text
//! start ─▶ ( suite_started ─▶ event* / still_running* ─▶ suite )* ─▶ finish
//!           live, while a scenario runs ─────────────┘    │            │
//!                     a suite is done: its report model and ┘            └ the whole Report: summary, files
//!                     (for a scenario) the engine's result
//! ```
//!
//! Live events are taken one at a time, whatever channel brought them; a reporter ignores the events it
//! has no use for, including variants added after it was written. Colour and verbosity are values given
//! to the reporters that need them ([`crate::paint::Paint`], [`super::terminal::Options`]).
//!
//! [`Printer`]: super::terminal::Printer

use std::path::Path;
use std::time::Duration;

use crate::engine::result::{Event, ScenarioResult};

use super::html::Drift;
use super::{Report, Suite};

/// How often a run tells its reporters that a suite is still running.
pub const STILL_RUNNING_EVERY: Duration = Duration::from_secs(60);

/// What a run is about to do.
#[derive(Debug, Clone, Copy)]
pub struct Start<'a> {
    /// Suites (scenarios) it will run.
    pub suites: usize,
    /// What it runs against, as shown (`the embedded endpoint`, a URL, with a `--partition` note).
    pub against: &'a str,
}

/// A suite that has finished: its report model and, for a scenario, the engine's result behind it.
#[derive(Debug, Clone, Copy)]
pub struct Finished<'a> {
    /// The suite as every report shows it.
    pub suite: &'a Suite,
    /// The scenario's result (per-step detail, the provisioning log, exchanges); none for a check group.
    pub scenario: Option<&'a ScenarioResult>,
    /// The stored snapshot and the new transcript, when they differ.
    pub drift: Option<&'a Drift>,
}

/// Why a report could not be produced.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReportError {
    /// The renderer failed (a template or serializer error).
    #[error("rendering the {format} report: {message}")]
    Render {
        /// `JUnit`, `HTML`.
        format: &'static str,
        /// What the renderer said.
        message: String,
    },
    /// Writing the output failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being written, naming the file.
        context: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

/// One output of a run or check. Every method but [`Reporter::finish`] does nothing unless a reporter
/// has a use for it.
pub trait Reporter {
    /// The run is about to start.
    fn start(&mut self, _start: &Start<'_>) -> Result<(), ReportError> {
        Ok(())
    }

    /// A suite (scenario) named `name` starts; its live events follow.
    fn suite_started(&mut self, _name: &str) {}

    /// One live event of the running suite, as it happens.
    fn event(&mut self, _event: &Event) {}

    /// The running suite has gone on for `elapsed` without finishing (called every
    /// [`STILL_RUNNING_EVERY`]).
    fn still_running(&mut self, _elapsed: Duration) {}

    /// A suite is done.
    fn suite(&mut self, _finished: &Finished<'_>) -> Result<(), ReportError> {
        Ok(())
    }

    /// The run is over: `report` holds every suite; `elapsed` is its wall time when it was measured.
    fn finish(&mut self, report: &Report, elapsed: Option<Duration>) -> Result<(), ReportError>;
}

/// Several reporters fed the same calls, in the order given.
#[derive(Default)]
pub struct Reporters(Vec<Box<dyn Reporter + Send>>);

impl Reporters {
    /// No reporter yet.
    pub fn new() -> Self {
        Reporters(Vec::new())
    }

    /// Adds a reporter after the others.
    pub fn push(&mut self, reporter: impl Reporter + Send + 'static) {
        self.0.push(Box::new(reporter));
    }
}

impl Reporter for Reporters {
    fn start(&mut self, start: &Start<'_>) -> Result<(), ReportError> {
        self.0.iter_mut().try_for_each(|r| r.start(start))
    }

    fn suite_started(&mut self, name: &str) {
        self.0.iter_mut().for_each(|r| r.suite_started(name));
    }

    fn event(&mut self, event: &Event) {
        self.0.iter_mut().for_each(|r| r.event(event));
    }

    fn still_running(&mut self, elapsed: Duration) {
        self.0.iter_mut().for_each(|r| r.still_running(elapsed));
    }

    fn suite(&mut self, finished: &Finished<'_>) -> Result<(), ReportError> {
        self.0.iter_mut().try_for_each(|r| r.suite(finished))
    }

    /// Finishes every reporter, also after one failed (the others' files are still written); the first
    /// failure is returned.
    fn finish(&mut self, report: &Report, elapsed: Option<Duration>) -> Result<(), ReportError> {
        let mut first = Ok(());
        for r in &mut self.0 {
            let result = r.finish(report, elapsed);
            if first.is_ok() {
                first = result;
            }
        }
        first
    }
}

/// Writes a report file, creating its directory first.
pub fn write_file(path: &Path, text: &str) -> Result<(), ReportError> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .map_err(|source| ReportError::Io { context: format!("creating `{}`", parent.display()), source })?;
    }
    std::fs::write(path, text)
        .map_err(|source| ReportError::Io { context: format!("writing `{}`", path.display()), source })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::model::sample;

    /// Remembers what it was told.
    #[derive(Default)]
    struct Tape(std::sync::Arc<std::sync::Mutex<Vec<String>>>);

    impl Reporter for Tape {
        fn suite_started(&mut self, name: &str) {
            self.0.lock().unwrap().push(format!("started {name}"));
        }
        fn event(&mut self, event: &Event) {
            if let Event::StepStarted { index, .. } = event {
                self.0.lock().unwrap().push(format!("step {index}"));
            }
        }
        fn suite(&mut self, finished: &Finished<'_>) -> Result<(), ReportError> {
            self.0.lock().unwrap().push(format!("done {}", finished.suite.name));
            Ok(())
        }
        fn finish(&mut self, report: &Report, _: Option<Duration>) -> Result<(), ReportError> {
            self.0.lock().unwrap().push(format!("finish {}", report.suites.len()));
            Err(ReportError::Render { format: "tape", message: "full".into() })
        }
    }

    #[test]
    fn every_reporter_gets_every_call_in_order_and_the_first_failure_is_returned() {
        let (a, b) = (Tape::default(), Tape::default());
        let (seen_a, seen_b) = (a.0.clone(), b.0.clone());
        let mut all = Reporters::new();
        all.push(a);
        all.push(b);
        let report = sample::report();
        all.suite_started("s.toml");
        all.event(&Event::StepStarted { index: 1, label: "initial cycle".into() });
        all.event(&Event::Progress { cycle: 1, done: 1, total: 2 });
        all.suite(&Finished { suite: &report.suites[0], scenario: None, drift: None }).unwrap();
        let err = all.finish(&report, None).unwrap_err();
        assert_eq!(err.to_string(), "rendering the tape report: full");
        let finish = format!("finish {}", report.suites.len());
        let expected = ["started s.toml", "step 1", &format!("done {}", report.suites[0].name), &finish];
        assert_eq!(*seen_a.lock().unwrap(), expected);
        assert_eq!(*seen_b.lock().unwrap(), expected, "a failing reporter does not stop the next");
    }

    #[test]
    fn a_report_file_gets_its_directory() {
        let dir = std::env::temp_dir().join(format!("entrasim-write-file-{}", std::process::id()));
        let path = dir.join("nested/out/report.json");
        write_file(&path, "{}").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "{}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
