//! Errors of the embedded endpoint: [`ServerError`] for starting it, and the SCIM error answers handlers
//! return ([`ApiError`], rendered as RFC 7644 §3.12 bodies).

use std::net::SocketAddr;

use crate::scim::filter::FilterError;
use crate::scim::model::{ScimError, ScimType};
use crate::scim::patch::PatchError;
use crate::scim::path::PathError;

/// Why the embedded endpoint could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServerError {
    /// The listening socket could not be bound.
    #[error("cannot listen on {addr}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// A switch value is out of range.
    #[error("invalid switch: {0}")]
    InvalidSwitch(String),
}

/// An error answer: status, optional `scimType`, detail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ApiError {
    pub status: u16,
    pub scim_type: Option<ScimType>,
    pub detail: String,
}

impl ApiError {
    pub fn new(status: u16, scim_type: Option<ScimType>, detail: impl Into<String>) -> Self {
        ApiError { status, scim_type, detail: detail.into() }
    }

    pub fn bad(scim_type: ScimType, detail: impl Into<String>) -> Self {
        ApiError::new(400, Some(scim_type), detail)
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        ApiError::new(404, None, detail)
    }

    pub fn conflict(detail: impl Into<String>) -> Self {
        ApiError::new(409, Some(ScimType::Uniqueness), detail)
    }

    pub fn body(&self) -> ScimError {
        ScimError::new(self.status, self.scim_type, self.detail.clone())
    }
}

impl From<PatchError> for ApiError {
    fn from(e: PatchError) -> Self {
        ApiError::bad(e.kind, e.to_string())
    }
}

impl From<PathError> for ApiError {
    fn from(e: PathError) -> Self {
        ApiError::bad(e.kind, e.message)
    }
}

impl ApiError {
    pub fn filter(text: &str, e: &FilterError) -> Self {
        ApiError::bad(ScimType::InvalidFilter, format!("invalid filter `{text}`: {e}"))
    }
}
