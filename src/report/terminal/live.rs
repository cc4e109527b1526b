//! What the terminal shows while a scenario is still running, from the engine's [`Event`]s: a progress
//! bar over a long cycle's users (only when stdout and stderr are terminals; drawn on stderr and cleared
//! when the step ends), and a `SLOW` line each time the run says the scenario is still going
//! ([`crate::report::reporter::STILL_RUNNING_EVERY`]), naming the step it is in, so a CI log shows where a
//! hanging endpoint holds the run. Everything else is printed once the scenario has finished (see `log`).

use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

use crate::engine::result::Event;
use crate::paint::Paint;

/// Cycles over more users than this get a progress bar.
const PROGRESS_THRESHOLD: usize = 100;

/// Follows one scenario's events.
pub(super) struct Live {
    /// Draw progress bars (a terminal on both streams).
    progress: bool,
    paint: Paint,
    scenario: String,
    step: String,
    bar: Option<(u32, ProgressBar)>,
}

impl Live {
    /// A follower of the scenario named `scenario`; `progress` allows bars.
    pub fn new(progress: bool, paint: Paint, scenario: &str) -> Self {
        Live { progress, paint, scenario: scenario.to_string(), step: String::new(), bar: None }
    }

    /// Takes one engine event; events it has no use for (and variants added later) are ignored.
    pub fn event(&mut self, event: &Event) {
        match event {
            Event::StepStarted { index, label } => self.step = format!("step {index}: {label}"),
            Event::Progress { cycle, done, total } if self.progress && *total > PROGRESS_THRESHOLD => {
                self.advance(*cycle, *done, *total);
            }
            Event::StepFinished { .. } => self.clear(),
            _ => {}
        }
    }

    fn advance(&mut self, cycle: u32, done: usize, total: usize) {
        if self.bar.as_ref().is_some_and(|(c, _)| *c != cycle) {
            self.clear();
        }
        let (_, bar) = self.bar.get_or_insert_with(|| {
            let template = if self.paint.is_color() {
                "{prefix:>12.green.bold} [{elapsed_precise}] [{bar:25.cyan/blue}] {pos}/{len} users {wide_msg}"
            } else {
                "{prefix:>12} [{elapsed_precise}] [{bar:25}] {pos}/{len} users {wide_msg}"
            };
            let bar = ProgressBar::new(total as u64).with_style(
                ProgressStyle::with_template(template).expect("invariant: the template is valid").progress_chars("=> "),
            );
            bar.set_prefix("Running");
            bar.set_message(format!("{} — {} (cycle {cycle})", self.scenario, self.step));
            (cycle, bar)
        });
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    }

    fn clear(&mut self) {
        if let Some((_, bar)) = self.bar.take() {
            bar.finish_and_clear();
        }
    }

    /// The scenario has run for `elapsed` and is not done yet: its `SLOW` line goes to `print`, with the
    /// progress bar (if any) out of the way meanwhile.
    pub fn slow(&self, elapsed: Duration, print: impl FnOnce(&str)) {
        let line = slow_line(&self.scenario, &self.step, elapsed, self.paint);
        match &self.bar {
            Some((_, bar)) => bar.suspend(|| print(&line)),
            None => print(&line),
        }
    }

    /// Removes whatever is still drawn.
    pub fn finish(&mut self) {
        self.clear();
    }
}

/// `        SLOW [>  60.000s]           scenarios/x.toml — step 3: initial cycle`
fn slow_line(scenario: &str, step: &str, elapsed: Duration, paint: Paint) -> String {
    let at = if step.is_empty() { String::new() } else { format!(" — {step}") };
    format!(
        "{} {} {:<9} {scenario}{at}",
        paint.yellow(format!("{:>12}", "SLOW")),
        paint.dim(format!("[>{:>7.3}s]", elapsed.as_secs_f64())),
        ""
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slow_scenario_names_its_step() {
        let line = slow_line("scenarios/a.toml", "step 3: initial cycle", Duration::from_secs(60), Paint::plain());
        assert_eq!(line, "        SLOW [> 60.000s]           scenarios/a.toml — step 3: initial cycle");
    }

    #[test]
    fn a_long_cycle_gets_a_bar_until_its_step_ends() {
        let mut live = Live::new(true, Paint::plain(), "s.toml");
        live.event(&Event::StepStarted { index: 2, label: "initial cycle".into() });
        live.event(&Event::Progress { cycle: 1, done: 10, total: 50 });
        assert!(live.bar.is_none(), "a short cycle needs no bar");
        live.event(&Event::Progress { cycle: 1, done: 10, total: 5000 });
        assert_eq!(live.bar.as_ref().map(|(c, b)| (*c, b.position())), Some((1, 10)));
        live.event(&Event::Progress { cycle: 2, done: 3, total: 5000 });
        assert_eq!(live.bar.as_ref().map(|(c, b)| (*c, b.position())), Some((2, 3)), "a new pass, a new bar");
        live.event(&Event::StepFinished { index: 2, outcome: crate::engine::result::Outcome::Passed });
        assert!(live.bar.is_none());
    }

    #[test]
    fn no_bar_is_drawn_without_a_terminal() {
        let mut live = Live::new(false, Paint::plain(), "s.toml");
        live.event(&Event::Progress { cycle: 1, done: 10, total: 5000 });
        assert!(live.bar.is_none());
    }
}
