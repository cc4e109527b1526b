//! The terminal as a [`Reporter`]: the opening line of a run, a progress bar and `SLOW` lines while a
//! scenario runs, a status line per finished suite with its details (by verbosity), and the summary.

use std::io::Write;
use std::time::Duration;

use crate::engine::result::{Event, ScenarioResult};
use crate::paint::Paint;
use crate::report::reporter::{Finished, ReportError, Reporter, Start};
use crate::report::Report;

use super::live::Live;
use super::{log, starting, status_line, suite_details, summary, Options};

/// Writes what a run or check shows on the terminal to `out` (stdout for the CLI).
pub struct Printer<W> {
    out: W,
    opts: Options,
    /// Progress bars may be drawn (stdout and stderr are terminals).
    progress: bool,
    /// Never shown in `-vv` exchanges.
    secrets: Vec<String>,
    live: Option<Live>,
}

impl<W: Write> Printer<W> {
    /// A printer at `opts`'s colour and verbosity; `progress` allows progress bars (on stderr).
    pub fn new(out: W, opts: Options, progress: bool) -> Self {
        Printer { out, opts, progress, secrets: Vec::new(), live: None }
    }

    /// Hides `secrets` in the exchanges shown at `-vv`.
    pub fn with_secrets(mut self, secrets: &[String]) -> Self {
        self.secrets = secrets.to_vec();
        self
    }

    /// The output, for tests.
    pub fn into_inner(self) -> W {
        self.out
    }

    fn write(&mut self, text: &str) -> Result<(), ReportError> {
        self.out
            .write_all(text.as_bytes())
            .and_then(|()| self.out.flush())
            .map_err(|source| ReportError::Io { context: "writing to the terminal".into(), source })
    }
}

impl<W: Write> Reporter for Printer<W> {
    fn start(&mut self, start: &Start<'_>) -> Result<(), ReportError> {
        self.write(&starting(start.suites, start.against, self.opts.paint))
    }

    fn suite_started(&mut self, name: &str) {
        self.live = Some(Live::new(self.progress, self.opts.paint, name));
    }

    fn event(&mut self, event: &Event) {
        if let Some(live) = &mut self.live {
            live.event(event);
        }
    }

    fn still_running(&mut self, elapsed: Duration) {
        let Printer { out, live, .. } = self;
        if let Some(live) = live {
            // A line that cannot be written is not worth stopping the run for.
            live.slow(elapsed, |line| {
                let _ = writeln!(out, "{line}").and_then(|()| out.flush());
            });
        }
    }

    fn suite(&mut self, finished: &Finished<'_>) -> Result<(), ReportError> {
        if let Some(mut live) = self.live.take() {
            live.finish();
        }
        let suite = finished.suite;
        let mut text = status_line(suite, self.opts.paint);
        match finished.scenario {
            Some(result) => {
                text.push_str(&log::render(result, suite, &self.opts, &self.secrets));
                text.push_str(&isolation(result, self.opts.paint));
            }
            None => text.push_str(&suite_details(suite, &self.opts)),
        }
        self.write(&text)
    }

    fn finish(&mut self, report: &Report, elapsed: Option<Duration>) -> Result<(), ReportError> {
        self.write(&summary(report, elapsed, self.opts.paint))
    }
}

/// What isolation did against a `--target` besides its findings (leftovers and objects that could not
/// be deleted are findings, shown with the others): what `--clean` deleted and what `--keep` left.
fn isolation(result: &ScenarioResult, paint: Paint) -> String {
    let Some(report) = &result.isolation else { return String::new() };
    let mut out = String::new();
    for (label, objects) in [("--clean deleted:", &report.cleaned), ("--keep left:", &report.kept)] {
        for object in objects {
            out.push_str(&format!("      {} {}\n", paint.yellow(label), object.describe()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::model::sample;

    #[test]
    fn a_check_prints_as_the_terminal_render_does() {
        let report = sample::report();
        let opts = Options { paint: Paint::plain(), verbosity: 1 };
        let mut printer = Printer::new(Vec::new(), opts, false);
        for suite in &report.suites {
            printer.suite(&Finished { suite, scenario: None, drift: None }).unwrap();
        }
        printer.finish(&report, Some(Duration::from_millis(36))).unwrap();
        let printed = String::from_utf8(printer.into_inner()).unwrap();
        assert_eq!(printed, super::super::render(&report, Some(Duration::from_millis(36)), &opts));
    }

    #[test]
    fn a_run_opens_with_its_plan_and_ignores_events_it_has_no_use_for() {
        let mut printer = Printer::new(Vec::new(), Options::plain(), false);
        printer.start(&Start { suites: 2, against: "the embedded endpoint" }).unwrap();
        printer.suite_started("s.toml");
        printer.event(&Event::StepStarted { index: 1, label: "initial cycle".into() });
        printer.event(&Event::Progress { cycle: 1, done: 5, total: 5000 });
        let kind = crate::engine::result::CycleKind::Initial;
        printer.event(&Event::CycleStarted { cycle: 1, kind, at: "2026-12-07T09:00:00Z".into() });
        printer.event(&Event::Quarantine { text: "EncounteredQuarantineException: …".into() });
        printer.still_running(Duration::from_secs(60));
        let printed = String::from_utf8(printer.into_inner()).unwrap();
        assert_eq!(
            printed,
            "    Starting 2 scenarios against the embedded endpoint\n        SLOW [> 60.000s]           s.toml — step 1: initial cycle\n"
        );
    }
}
