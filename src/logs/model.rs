//! The one model every log format is read into: a [`LogRecord`] per provisioning event (Graph
//! `provisioningObjectSummary`). Field names follow Graph v1.0; `docs/provisioning-logs.md` lists where
//! each field comes from in each format.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::Serialize;

/// Which file format the records were read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum LogFormat {
    /// Microsoft Graph `GET /auditLogs/provisioning` (`{"value": [...]}` pages, or a bare array of them).
    GraphJson,
    /// The Entra admin center "Download" → JSON file (a bare array; beta-style `action`/`statusInfo`).
    AdminCenterJson,
    /// The Entra admin center "Download" → CSV files (main file plus steps and modified-properties files).
    AdminCenterCsv,
}

impl LogFormat {
    /// Human name used in notes and diagnostics.
    pub fn describe(self) -> &'static str {
        match self {
            LogFormat::GraphJson => "Microsoft Graph JSON",
            LogFormat::AdminCenterJson => "admin center JSON download",
            LogFormat::AdminCenterCsv => "admin center CSV download",
        }
    }
}

/// One provisioning event: what Entra did (or tried to do) to one object in one cycle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LogRecord {
    /// Unique id of the log entry.
    pub id: String,
    /// When the event happened (UTC).
    #[serde(serialize_with = "serialize_time")]
    pub activity_date_time: DateTime<Utc>,
    /// The cycle (job iteration) the event belongs to.
    pub cycle_id: String,
    /// Unique id of this change within the cycle; joins the CSV files.
    pub change_id: String,
    /// The provisioning job (`scim.<tenant>.<id>` for SCIM apps).
    pub job_id: String,
    /// The action that was taken or attempted.
    pub action: Action,
    /// The outcome.
    pub status: Status,
    /// Error code and reason, for failures (and some skips and warnings).
    pub error: Option<ErrorInfo>,
    /// The source (Entra) object.
    pub source: Identity,
    /// The target (SCIM app) object.
    pub target: Identity,
    /// Target attributes that were (or would have been) written: old value at the target, new value.
    pub modified_properties: Vec<ModifiedProperty>,
    /// The steps Entra took: import, scoping, matching, processing, reference resolution, export.
    pub steps: Vec<Step>,
    /// How long the event took, when logged.
    pub duration_ms: Option<u64>,
    /// Display name of the source system (usually "Azure Active Directory").
    pub source_system: Option<String>,
    /// Display name of the target system (the app).
    pub target_system: Option<String>,
    /// Entra tenant id.
    pub tenant_id: Option<String>,
}

impl LogRecord {
    /// The step of the given type, if logged.
    pub fn step(&self, step_type: StepType) -> Option<&Step> {
        self.steps.iter().find(|s| s.step_type == step_type)
    }

    /// The error code, when there is one.
    pub fn error_code(&self) -> Option<&str> {
        self.error.as_ref().map(|e| e.code.as_str()).filter(|c| !c.is_empty())
    }

    /// True for user objects (identity type `User`, case-insensitive; also the default when unknown).
    pub fn is_user(&self) -> bool {
        !self.source.identity_type.eq_ignore_ascii_case("group")
    }
}

/// What the provisioning service did. Graph `provisioningAction`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub enum Action {
    /// Created an object in the target.
    Create,
    /// Updated attributes of a target object.
    Update,
    /// Deleted a target object.
    Delete,
    /// Disabled (soft-deleted) a target object (`active = false`).
    Disable,
    /// A delete or disable held back by accidental-deletion prevention.
    StagedDelete,
    /// Anything else, e.g. no change needed or out of scope.
    Other,
}

impl Action {
    /// Reads Graph v1.0 values (`create`), portal values (`Create`), beta event names (`EntryExportAdd`)
    /// and spaced forms (`Staged Delete`); anything unrecognised is [`Action::Other`].
    pub fn parse(text: &str) -> Action {
        let key: String = text.chars().filter(|c| c.is_ascii_alphanumeric()).collect::<String>().to_ascii_lowercase();
        match key.as_str() {
            "create" | "add" | "entryexportadd" | "createuser" | "creategroup" => Action::Create,
            "update" | "entryexportupdate" | "updateuser" | "updategroup" => Action::Update,
            "delete" | "entryexportdelete" | "deleteuser" | "deletegroup" => Action::Delete,
            "disable" | "entryexportupdatesoftdelete" | "softdelete" => Action::Disable,
            "stageddelete" | "stagedaction" => Action::StagedDelete,
            _ => Action::Other,
        }
    }

    /// The Graph v1.0 spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::Delete => "delete",
            Action::Disable => "disable",
            Action::StagedDelete => "stagedDelete",
            Action::Other => "other",
        }
    }

    /// All actions, in display order.
    pub const ALL: [Action; 6] =
        [Action::Create, Action::Update, Action::Disable, Action::Delete, Action::StagedDelete, Action::Other];
}

/// The outcome of an event or a step. Graph `provisioningResult`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub enum Status {
    /// Done.
    Success,
    /// Failed; the object is escrowed and retried in a later cycle.
    Failure,
    /// Nothing to do (out of scope, already in sync, missing matching attribute).
    Skipped,
    /// Done with a warning.
    Warning,
}

impl Status {
    /// Reads `success`/`Success`/`SUCCESS` etc.; `None` for anything else.
    pub fn parse(text: &str) -> Option<Status> {
        match text.trim().to_ascii_lowercase().as_str() {
            "success" | "succeeded" => Some(Status::Success),
            "failure" | "failed" => Some(Status::Failure),
            "skipped" => Some(Status::Skipped),
            "warning" => Some(Status::Warning),
            _ => None,
        }
    }

    /// The Graph spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Success => "success",
            Status::Failure => "failure",
            Status::Skipped => "skipped",
            Status::Warning => "warning",
        }
    }

    /// All statuses, in display order.
    pub const ALL: [Status; 4] = [Status::Success, Status::Failure, Status::Skipped, Status::Warning];
}

/// Error details of a failed event. Graph `provisioningErrorInfo`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorInfo {
    /// Error code, e.g. `SystemForCrossDomainIdentityManagementBadRequest` (some apps prefix their name).
    pub code: String,
    /// What happened, in Entra's words (often quotes the endpoint's response).
    pub reason: Option<String>,
    /// `failure`, `nonServiceFailure` or `success`.
    pub category: Option<String>,
    /// Entra's suggested resolution.
    pub recommended_action: Option<String>,
    /// More text, when logged.
    pub additional_details: Option<String>,
}

/// A source or target object. Graph `provisionedIdentity`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Identity {
    /// Object id (source: Entra `objectId`; target: the SCIM `id`), possibly empty.
    pub id: String,
    /// Display name, possibly empty.
    pub display_name: String,
    /// `User`, `Group`, …
    pub identity_type: String,
    /// Extra key/value details, in logged order.
    pub details: Vec<(String, String)>,
}

impl Identity {
    /// The detail named `key` (case-insensitive).
    pub fn detail(&self, key: &str) -> Option<&str> {
        detail(&self.details, key)
    }
}

/// One attribute written to the target. Graph `modifiedProperty`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ModifiedProperty {
    /// Target attribute name as Entra prints it (`userName`, `emails[type eq "work"].value`, …).
    pub name: String,
    /// Value at the target before the change; `None` when there was none (creates).
    pub old_value: Option<String>,
    /// Value Entra wrote (the mapped source value).
    pub new_value: Option<String>,
}

/// Kind of step. Graph `provisioningStepType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub enum StepType {
    /// Read the object from the source.
    Import,
    /// Decide whether the object is in scope.
    Scoping,
    /// Look the object up in the target.
    Matching,
    /// Decide what to do.
    Processing,
    /// Resolve references (manager, members).
    ReferenceResolution,
    /// Write to the target.
    Export,
    /// Unrecognised.
    Other,
}

impl StepType {
    /// Reads any capitalisation of the Graph values.
    pub fn parse(text: &str) -> StepType {
        match text.trim().to_ascii_lowercase().as_str() {
            "import" => StepType::Import,
            "scoping" => StepType::Scoping,
            "matching" => StepType::Matching,
            "processing" => StepType::Processing,
            "referenceresolution" | "reference resolution" => StepType::ReferenceResolution,
            "export" => StepType::Export,
            _ => StepType::Other,
        }
    }

    /// The Graph spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            StepType::Import => "import",
            StepType::Scoping => "scoping",
            StepType::Matching => "matching",
            StepType::Processing => "processing",
            StepType::ReferenceResolution => "referenceResolution",
            StepType::Export => "export",
            StepType::Other => "other",
        }
    }
}

/// One step of an event. Graph `provisioningStep`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Step {
    /// Step name, e.g. `EntryImportAdd`, `EntrySynchronizationScoping`, `EntryExportUpdate`.
    pub name: String,
    /// Kind of step.
    pub step_type: StepType,
    /// Outcome of the step (`None` when not logged).
    pub status: Option<Status>,
    /// What happened, in Entra's words.
    pub description: String,
    /// Key/value details (import: source attributes; scoping: verdicts; export: `ReportableIdentifier`).
    pub details: Vec<(String, String)>,
}

impl Step {
    /// The detail named `key` (case-insensitive).
    pub fn detail(&self, key: &str) -> Option<&str> {
        detail(&self.details, key)
    }
}

fn detail<'a>(details: &'a [(String, String)], key: &str) -> Option<&'a str> {
    details.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v.as_str())
}

/// Graph's camelCase spelling of an error category (`NonServiceFailure` → `nonServiceFailure`).
pub(crate) fn normalize_category(text: &str) -> String {
    let mut chars = text.trim().chars();
    chars.next().map(|c| c.to_ascii_lowercase().to_string() + chars.as_str()).unwrap_or_default()
}

/// Serialises a timestamp as RFC 3339 (chrono's serde feature is not enabled in this crate).
pub(crate) fn serialize_time<S: serde::Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
}

/// Parses the timestamps found in exports: RFC 3339 (`2026-11-20T08:00:05Z`, with or without fractions or
/// offset), `2026-11-20 08:00:05` (UTC), the US portal form `11/20/2026, 8:00:05 AM` (UTC) and day-first
/// forms (`20/11/2026 08:00:05`, `20.11.2026 08:00:05`) when the US reading is impossible.
pub fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    // US forms first (the portal's default); day-first forms only match when the US reading is impossible.
    const NAIVE: [&str; 11] = [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%m/%d/%Y, %I:%M:%S %p",
        "%m/%d/%Y %I:%M:%S %p",
        "%m/%d/%Y, %H:%M:%S",
        "%m/%d/%Y %H:%M:%S",
        "%d/%m/%Y, %H:%M:%S",
        "%d/%m/%Y %H:%M:%S",
        "%d.%m.%Y %H:%M:%S",
        "%d.%m.%Y, %H:%M:%S",
        "%Y/%m/%d %H:%M:%S",
    ];
    NAIVE.iter().find_map(|f| NaiveDateTime::parse_from_str(text, f).ok()).map(|t| t.and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_parse_from_every_spelling() {
        assert_eq!(Action::parse("create"), Action::Create);
        assert_eq!(Action::parse("Create"), Action::Create);
        assert_eq!(Action::parse("EntryExportAdd"), Action::Create);
        assert_eq!(Action::parse("EntryExportUpdateSoftDelete"), Action::Disable);
        assert_eq!(Action::parse("Staged Delete"), Action::StagedDelete);
        assert_eq!(Action::parse("stageddelete"), Action::StagedDelete);
        assert_eq!(Action::parse("unknownFutureValue"), Action::Other);
    }

    #[test]
    fn times_parse_in_portal_and_graph_forms() {
        let a = parse_time("2026-11-20T08:00:05Z");
        assert!(a.is_some());
        assert_eq!(parse_time("2026-11-20T08:00:05.0000000Z"), a);
        assert_eq!(parse_time("11/20/2026, 8:00:05 AM"), a);
        assert_eq!(parse_time("2026-11-20 08:00:05"), a);
        assert_eq!(parse_time("20/11/2026 08:00:05"), a);
        assert_eq!(parse_time("20.11.2026 08:00:05"), a);
        assert_eq!(parse_time("yesterday"), None);
    }
}
