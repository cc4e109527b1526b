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
    /// No HTTP answer.
    Transport,
    /// The target's state around the scenario (not Entra traffic): a leftover from an earlier run, a
    /// `[target]` seed the endpoint refused, an object cleanup could not delete.
    Setup,
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
}
