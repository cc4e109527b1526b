//! The provisioning log's vocabulary (ENTRA.md 6.3): what was done to an object, how it went, Entra's
//! error and reason codes, and the requests and attribute changes behind each entry.

use serde::{Deserialize, Serialize};

use crate::scim::client::Exchange;

/// Provisioning-log action (ENTRA.md 6.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum LogAction {
    /// Object created.
    Create,
    /// Object updated.
    Update,
    /// User disabled.
    Disable,
    /// User re-enabled (logged by Entra as an update).
    Enable,
    /// Object deleted.
    Delete,
    /// Nothing to do, or not allowed.
    Skip,
    /// A disable/delete held back by the accidental-deletion threshold.
    StagedDelete,
    /// Anything else.
    Other,
}

/// Provisioning-log status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LogStatus {
    /// Done.
    Success,
    /// The endpoint refused or broke.
    Failure,
    /// Not done on purpose.
    Skipped,
    /// Done, with a caveat.
    Warning,
}

/// Entra's error and reason codes (ENTRA.md 6.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum ErrorCode {
    /// Uniqueness conflict (409).
    EntryConflict,
    /// 429.
    TooManyRequests,
    /// 5xx.
    InternalServerError,
    /// 401.
    Unauthorized,
    /// 403.
    InsufficientRights,
    /// 405.
    MethodNotAllowed,
    /// 422.
    UnprocessableEntity,
    /// 501.
    NotImplemented,
    /// Protocol error without a better code.
    WebExceptionProtocolError,
    /// The linked target object is gone (404 on its id).
    InvalidAnchor,
    /// No HTTP answer in time.
    Timeout,
    /// More than one target object matched.
    DuplicateTargetEntries,
    /// More than one source object has the same matching value.
    DuplicateSourceEntries,
    /// The source object lacks every matching attribute.
    ImportSkipped,
    /// Out of scope, or already in sync.
    EntrySynchronizationSkipped,
    /// Several resources where one was expected.
    SystemForCrossDomainIdentityManagementMultipleEntriesInResponse,
    /// The response could not be deserialised.
    SystemForCrossDomainIdentityManagementServiceIncompatible,
    /// 400 from the endpoint.
    SystemForCrossDomainIdentityManagementBadRequest,
    /// Held back by the accidental-deletion threshold.
    StagedAction,
}

/// Source object kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ObjectKind {
    /// A user.
    User,
    /// A group.
    Group,
}

/// A source object as reports name it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectRef {
    /// User or group.
    pub kind: ObjectKind,
    /// The scenario alias (`alice`).
    pub alias: String,
    /// The source `objectId`.
    pub source_id: String,
    /// The target `id`, once known.
    pub target_id: Option<String>,
}

/// A request a report can point at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestRef {
    /// Index in the transcript.
    pub index: usize,
    /// `METHOD /path?query`.
    pub line: String,
    /// HTTP status, `None` on a transport failure.
    pub status: Option<u16>,
}

impl RequestRef {
    /// A reference to an exchange.
    pub fn of(exchange: &Exchange) -> Self {
        RequestRef { index: exchange.index, line: exchange.request_line(), status: exchange.status }
    }
}

/// One attribute change as the provisioning log's "Modified Properties" shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModifiedProperty {
    /// Target attribute path.
    pub name: String,
    /// Value in the target before (none when absent).
    pub old: Option<serde_json::Value>,
    /// Value exported.
    pub new: Option<serde_json::Value>,
}

/// One provisioning-log entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProvisioningEvent {
    /// The object.
    pub object: ObjectRef,
    /// What was done.
    pub action: LogAction,
    /// How it went.
    pub status: LogStatus,
    /// Error or reason code.
    pub code: Option<ErrorCode>,
    /// One line explaining the status.
    pub message: String,
    /// Attributes exported (or attempted).
    pub modified: Vec<ModifiedProperty>,
    /// Requests sent for this object.
    pub requests: Vec<RequestRef>,
}
