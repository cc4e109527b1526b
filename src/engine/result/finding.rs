//! Findings: what the endpoint did differently from what Entra expects, as data (STYLE C2.1).

use serde::Serialize;

use super::{ErrorCode, ObjectRef, RequestRef};
use crate::scim::client::Exchange;

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// The endpoint does not work with Entra (or an expectation failed).
    Error,
    /// Works, but something is off.
    Warning,
}

/// What a finding is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum FindingKind {
    /// The endpoint violates what Entra requires (wrong status, missing `id`, not a `ListResponse`).
    NonCompliance,
    /// A response Entra cannot parse.
    Incompatible,
    /// An object operation failed (escrowed and retried).
    ObjectFailure,
    /// The endpoint does not reach steady state.
    NotSteady,
    /// The endpoint's view of group membership differs from Entra's connector data store.
    MembershipDrift,
    /// A scenario expectation did not hold.
    Expectation,
    /// The job was quarantined.
    Quarantine,
    /// No HTTP answer: the request timed out or its connection failed or broke. Never an HTTP status.
    Transport,
    /// The target's state around the scenario (not Entra traffic): a leftover from an earlier run, a
    /// `[target]` seed or a `target_edit` the endpoint refused, an object cleanup could not delete. What
    /// follows such a finding does not test what the scenario says.
    Setup,
    /// Against a `--target`: an object from an earlier run holds a value the scenario uses, so the scenario
    /// did not start (unless `--clean`).
    Leftover,
    /// Against a `--target`: an object the scenario created or seeded could not be deleted after its last
    /// step.
    Cleanup,
}

/// A compatibility finding.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    /// What it is about.
    pub kind: FindingKind,
    /// Error or warning.
    pub severity: Severity,
    /// Entra's code, when one applies.
    pub code: Option<ErrorCode>,
    /// One line, lowercase, naming the request.
    pub message: String,
    /// The object concerned.
    pub object: Option<ObjectRef>,
    /// The request concerned.
    pub request: Option<RequestRef>,
}

impl Finding {
    /// An error finding.
    pub fn error(kind: FindingKind, message: impl Into<String>) -> Self {
        Finding { kind, severity: Severity::Error, code: None, message: message.into(), object: None, request: None }
    }

    /// A warning finding.
    pub fn warning(kind: FindingKind, message: impl Into<String>) -> Self {
        Finding { severity: Severity::Warning, ..Finding::error(kind, message) }
    }

    /// Sets the code.
    pub fn with_code(mut self, code: ErrorCode) -> Self {
        self.code = Some(code);
        self
    }

    /// Sets the object.
    pub fn with_object(mut self, object: ObjectRef) -> Self {
        self.object = Some(object);
        self
    }

    /// Sets the request.
    pub fn with_request(mut self, exchange: &Exchange) -> Self {
        self.request = Some(RequestRef::of(exchange));
        self
    }

    /// Sets the request from a reference.
    pub fn with_request_ref(mut self, request: RequestRef) -> Self {
        self.request = Some(request);
        self
    }

    /// True for error severity.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// The usual fix, chosen by what caused the finding (ENTRA.md 3.3, 6.3, 8): a transport failure by
    /// whether it timed out, an object's failure by its Entra code, anything else by its code or kind.
    pub fn hint(&self) -> Option<&'static str> {
        use ErrorCode as C;
        match (self.kind, self.code) {
            (FindingKind::Transport, Some(C::Timeout)) => Some(hint::TIMEOUT),
            (FindingKind::Transport, _) => Some(hint::CONNECTION),
            (FindingKind::Setup, _) => Some(hint::SETUP),
            (FindingKind::Leftover, _) => Some(hint::LEFTOVER),
            (FindingKind::Cleanup, _) => Some(hint::CLEANUP),
            (FindingKind::Expectation | FindingKind::Quarantine, _) => None,
            (FindingKind::ObjectFailure, Some(C::InternalServerError | C::Timeout | C::WebExceptionProtocolError)) => {
                Some(hint::ESCROW)
            }
            (kind, code) => code.and_then(hint::by_code).or_else(|| hint::by_kind(kind)),
        }
    }
}

/// The hint texts, one per cause.
pub mod hint {
    use super::{ErrorCode, FindingKind};

    /// A request got no answer within the timeout.
    pub const TIMEOUT: &str =
        "answer every request within the timeout (`--timeout`, 30 s by default): Entra gives up on a request that takes longer";
    /// A connection failed, or broke before the answer was complete.
    pub const CONNECTION: &str =
        "accept HTTPS connections (TLS 1.2 or later) and keep each one open until the answer is complete";
    /// A setup request of the scenario was refused.
    pub const SETUP: &str =
        "the scenario's own setup request was refused, so later steps do not test what they say: fix the request or the endpoint's state";
    /// An object from an earlier run is in the way.
    pub const LEFTOVER: &str = "an earlier run left this object in the target: delete it, run with --clean to delete leftovers first, or with --unique-names to run beside them";
    /// An object the scenario created could not be deleted.
    pub const CLEANUP: &str = "delete the object by hand before the next run (it would be a leftover), and answer DELETE /Users/{id} and /Groups/{id} with 204";
    /// An object failed on a 5xx, a timeout or a broken answer: escrowed.
    pub const ESCROW: &str = "Entra escrows the object and retries it (next cycle, or 6 h, 12 h, 24 h with back-off); make the endpoint answer reliably";
    /// 409.
    pub const CONFLICT: &str =
        "a matching object already exists under another matching value: fix the values or the matching attribute";
    /// 429 that persists.
    pub const THROTTLED: &str = "allow at least 25 requests per second per tenant, and send Retry-After with 429";
    /// 401 or 403.
    pub const CREDENTIALS: &str =
        "accept the bearer token Entra sends (a long-lived secret token or OAuth client credentials)";
    /// 404 on a linked object.
    pub const ANCHOR: &str =
        "the linked object disappeared from the target; never hard-delete users Entra manages, or restart provisioning";
    /// Several target objects matched.
    pub const DUPLICATES: &str = "the matching attribute must be unique in the target";
    /// `members` returned despite `excludedAttributes=members`.
    pub const MEMBERS_EXCLUDED: &str =
        "honour excludedAttributes=members and return exactly one resource per matching query";
    /// An answer Entra cannot deserialise.
    pub const INCOMPATIBLE: &str =
        "return SCIM JSON Entra can parse (manager as {\"value\": id}, id on every resource, application/scim+json)";
    /// 400.
    pub const BAD_REQUEST: &str =
        "accept Entra's request shapes: capitalised ops, string booleans, filtered paths, dotted path-less keys";
    /// 405 or 501.
    pub const METHOD: &str = "support GET, POST, PATCH and DELETE on /Users and /Groups";
    /// Writes that never stop.
    pub const NOT_STEADY: &str =
        "store every attribute exactly as sent and return it on GET, in the place Entra sent it";
    /// Membership that differs from what Entra wrote.
    pub const MEMBERSHIP: &str =
        "Entra never reads members back: apply member PATCHes exactly, and never drop members on your side";
    /// An answer RFC 7644 does not allow.
    pub const NON_COMPLIANT: &str =
        "answer as RFC 7644 says: 200 with an empty ListResponse for no match, 201 for create, id on every resource";

    /// Every hint, for tests that show each one is produced.
    pub const ALL: [&str; 18] = [
        TIMEOUT,
        CONNECTION,
        SETUP,
        LEFTOVER,
        CLEANUP,
        ESCROW,
        CONFLICT,
        THROTTLED,
        CREDENTIALS,
        ANCHOR,
        DUPLICATES,
        MEMBERS_EXCLUDED,
        INCOMPATIBLE,
        BAD_REQUEST,
        METHOD,
        NOT_STEADY,
        MEMBERSHIP,
        NON_COMPLIANT,
    ];

    pub(super) fn by_code(code: ErrorCode) -> Option<&'static str> {
        use ErrorCode as C;
        Some(match code {
            C::EntryConflict => CONFLICT,
            C::TooManyRequests => THROTTLED,
            C::Unauthorized | C::InsufficientRights => CREDENTIALS,
            C::InvalidAnchor => ANCHOR,
            C::DuplicateTargetEntries => DUPLICATES,
            C::SystemForCrossDomainIdentityManagementMultipleEntriesInResponse => MEMBERS_EXCLUDED,
            C::SystemForCrossDomainIdentityManagementServiceIncompatible => INCOMPATIBLE,
            C::SystemForCrossDomainIdentityManagementBadRequest => BAD_REQUEST,
            C::MethodNotAllowed | C::NotImplemented => METHOD,
            _ => return None,
        })
    }

    pub(super) fn by_kind(kind: FindingKind) -> Option<&'static str> {
        match kind {
            FindingKind::NotSteady => Some(NOT_STEADY),
            FindingKind::MembershipDrift => Some(MEMBERSHIP),
            FindingKind::NonCompliance => Some(NON_COMPLIANT),
            _ => None,
        }
    }
}
