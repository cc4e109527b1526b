//! What isolation did around one scenario against a `--target`: leftovers found and cleaned, what was
//! deleted or kept after the last step, and what could not be deleted (reported by
//! [`crate::engine::isolation`]).

use serde::Serialize;

use super::ObjectKind;

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
