//! Isolation of a scenario run against an endpoint entrasim did not start (`--target`): every scenario
//! starts from a known state and leaves none behind, so results do not depend on what ran before.
//!
//! ```text
//! before the first step (setup client, not Entra traffic):
//!   values::scenario_keys ─▶ setup::find (GET ?filter=… per value) ─▶ leftovers?
//!       ─▶ stop, exit 4, nothing written        (default)
//!       ─▶ delete them, list them, go on         (--clean)
//!   setup::seed: POST each `[target]` seed; a failure stops the scenario naming the seed
//! the steps (engine::run)
//! after the last step, also after a failure, an abort or Ctrl-C:
//!   cleanup::delete_created: DELETE by id every seeded, linked or created object (groups first),
//!   then look the scenario's values up again and delete what is still there; `--keep` leaves it all.
//!   What could not be deleted is listed and the run exits 4.
//! ```
//!
//! `--unique-names` ([`tag`]) appends a run tag to every name-like value, so parallel runs never share
//! an object; transcripts remove the tag. Everything here goes through the setup client: none of it
//! shows in the Entra transcript or in snapshots.

mod cleanup;
mod find;
mod setup;
pub mod tag;
pub mod values;

pub use crate::engine::result::{IsolationReport, TargetObject, Undeletable};
pub use cleanup::cleanup;
pub use setup::{before_steps, Prepared};
pub use tag::{RunTag, TaggingMapper};

/// What the isolation flags ask for.
#[derive(Debug, Clone, Default)]
pub struct IsolationOptions {
    /// `--clean`: delete leftovers before the first step instead of stopping.
    pub clean: bool,
    /// `--keep`: leave what the scenario created in the target after its last step.
    pub keep: bool,
    /// `--unique-names`: the tag appended to every name-like value.
    pub run_tag: Option<RunTag>,
    /// No leftover check and no cleanup even against a `--target` (tests that script every answer of
    /// a mock endpoint; seeds are still created).
    pub off: bool,
}

/// Runs `work` unless `cancel` turns true first; `None` when cancelled (the work is dropped).
pub async fn unless_cancelled<F: std::future::Future>(
    cancel: Option<&mut tokio::sync::watch::Receiver<bool>>,
    work: F,
) -> Option<F::Output> {
    let Some(cancel) = cancel else { return Some(work.await) };
    if *cancel.borrow() {
        return None;
    }
    let cancelled = async {
        // A sender gone without cancelling never cancels.
        if cancel.wait_for(|c| *c).await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    tokio::select! {
        biased;
        out = work => Some(out),
        () = cancelled => None,
    }
}
