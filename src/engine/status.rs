//! Where the job's status ([`JobStatus`]) is published: the runner updates it on a [`StatusBoard`] whenever
//! it changes (a cycle starts, makes progress, ends; the job is paused, started or restarted), so anyone
//! can read it while a cycle runs without touching the engine.

use std::sync::Arc;

use tokio::sync::watch;

use crate::engine::result::JobStatus;

/// Where the job's status is published; cheap to clone; readers never block the job.
#[derive(Debug, Clone)]
pub struct StatusBoard {
    sender: Arc<watch::Sender<JobStatus>>,
}

impl Default for StatusBoard {
    fn default() -> Self {
        StatusBoard { sender: Arc::new(watch::Sender::new(JobStatus::default())) }
    }
}

impl StatusBoard {
    /// The status now.
    pub fn get(&self) -> JobStatus {
        self.sender.borrow().clone()
    }

    /// A receiver that sees every change (`changed().await`).
    pub fn watch(&self) -> watch::Receiver<JobStatus> {
        self.sender.subscribe()
    }

    /// Changes the status in place; readers are told only when `f` says something changed.
    pub fn update(&self, f: impl FnOnce(&mut JobStatus) -> bool) {
        self.sender.send_if_modified(f);
    }
}

/// What an admin does about a quarantine reason (DOC S9, S27).
pub fn what_to_do(reason: &str) -> &'static str {
    match reason {
        "TooManyDeletes" => {
            "review the pending deletions; allow them and restart the job, or raise the accidental-deletion threshold"
        }
        "EncounteredQuarantineException" => {
            "fix the credentials or the endpoint's error (see the provisioning logs), run Test Connection, then restart"
        }
        _ => "fix the failing objects (see the provisioning logs); the job leaves quarantine when they succeed, or restart it",
    }
}
