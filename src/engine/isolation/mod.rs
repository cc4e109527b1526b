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

use serde::Serialize;

use crate::engine::result::ObjectKind;

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

/// An object in the target, as isolation reports it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct TargetObject {
    /// User or group.
    pub kind: ObjectKind,
    /// The target `id`.
    pub id: String,
    /// The value it is known by (`userName "alice@contoso.com"`), when known.
    pub name: Option<String>,
}

impl TargetObject {
    /// `user 7f3a… (userName "alice@contoso.com")`.
    pub fn describe(&self) -> String {
        let kind = match self.kind {
            ObjectKind::User => "user",
            ObjectKind::Group => "group",
        };
        match &self.name {
            Some(name) => format!("{kind} {} ({name})", self.id),
            None => format!("{kind} {}", self.id),
        }
    }

    /// `/Users/{id}` or `/Groups/{id}`.
    pub fn path(&self) -> String {
        match self.kind {
            ObjectKind::User => format!("/Users/{}", self.id),
            ObjectKind::Group => format!("/Groups/{}", self.id),
        }
    }
}

/// An object cleanup could not delete, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Undeletable {
    /// The object.
    pub object: TargetObject,
    /// Why: the status and answer, or that no answer came.
    pub reason: String,
}

/// What isolation did around one scenario (only against a `--target`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct IsolationReport {
    /// Objects found before the first step with a value the scenario will use.
    pub leftovers: Vec<TargetObject>,
    /// Leftovers `--clean` deleted.
    pub cleaned: Vec<TargetObject>,
    /// What the scenario created or seeded, deleted after its last step.
    pub deleted: Vec<TargetObject>,
    /// What the scenario created or seeded, left in place by `--keep`.
    pub kept: Vec<TargetObject>,
    /// Objects that could not be deleted (leftovers under `--clean`, or created ones).
    pub undeletable: Vec<Undeletable>,
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
