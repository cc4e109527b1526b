//! Provisioning-log error codes: what each means and the usual fix (ENTRA.md 6.3, paraphrased).
//! Gallery apps prefix some codes with their name (`ContosoEntryConflict`), so lookups match on the suffix.

use serde::Serialize;

/// How Entra treats a failed object with this code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Retry {
    /// Escrowed and retried in a later cycle (about 40 minutes); usually clears by itself.
    Transient,
    /// Escrowed and retried, but fails again until someone fixes data, configuration or the endpoint.
    NeedsFix,
    /// Not a failure of the target: the object was skipped.
    Skip,
}

/// Meaning and fix of one error code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ErrorCodeInfo {
    /// The code as Entra logs it (without an app prefix).
    pub code: &'static str,
    /// HTTP status the endpoint typically returned, when the code comes from one.
    pub http: Option<u16>,
    /// What it means.
    pub meaning: &'static str,
    /// The usual fix.
    pub fix: &'static str,
    /// How Entra retries it.
    pub retry: Retry,
}

const fn info(
    code: &'static str,
    http: Option<u16>,
    meaning: &'static str,
    fix: &'static str,
    retry: Retry,
) -> ErrorCodeInfo {
    ErrorCodeInfo { code, http, meaning, fix, retry }
}

use Retry::{NeedsFix, Skip, Transient};

/// The known codes.
pub const CODES: &[ErrorCodeInfo] = &[
    info("EntryConflict", Some(409), "the target already holds an object with the same unique value", "correct the conflicting values, or make the matching attribute find the existing object so Entra links it instead of creating", NeedsFix),
    info("Conflict", Some(409), "uniqueness conflict at the target", "correct the conflicting values or the matching configuration", NeedsFix),
    info("TooManyRequests", Some(429), "the target throttled the request", "nothing to do: retried automatically; the endpoint should sustain 25 requests per second", Transient),
    info("InternalServerError", Some(500), "the target returned a 5xx error", "nothing to do if transient (retried in about 40 minutes); otherwise fix the endpoint", Transient),
    info("InsufficientRights", Some(403), "authenticated but not authorised for the operation", "grant the provisioning credential the rights the app requires", NeedsFix),
    info("MethodNotAllowed", Some(405), "the target does not allow this method on this resource", "support the method (e.g. PATCH) or fix the tenant URL", NeedsFix),
    info("NotPermitted", Some(403), "the target refused the operation", "check the app's permissions for the provisioning credential", NeedsFix),
    info("Unauthorized", Some(401), "the target rejected the credentials", "renew the secret token in the Admin Credentials and Test Connection", NeedsFix),
    info("UnprocessableEntity", Some(422), "the target returned an unexpected response", "check the app configuration and the endpoint's validation rules", NeedsFix),
    info("WebExceptionProtocolError", None, "HTTP protocol error talking to the target", "nothing to do if transient (retried in about 40 minutes)", Transient),
    info("InvalidAnchor", Some(404), "an object Entra created or matched earlier no longer exists at the target", "restore the object, or restart provisioning so objects are matched again", NeedsFix),
    info("NotImplemented", Some(501), "the target returned 501", "implement the operation at the endpoint or remove the mapping that needs it", NeedsFix),
    info("MandatoryFieldsMissing", None, "required values are missing", "fill the missing source attributes or map them", NeedsFix),
    info("MissingValues", None, "required values are missing", "fill the missing source attributes or map them", NeedsFix),
    info("SchemaAttributeNotFound", None, "a mapped attribute does not exist in the target", "fix the target attribute list or remove the mapping", NeedsFix),
    info("InternalError", None, "internal error in the Entra provisioning service", "nothing to do: retried in about 40 minutes", Transient),
    info("InvalidDomain", None, "a value contains a domain the target does not accept", "update the value or allow the domain in the target", NeedsFix),
    info("Timeout", None, "the target took too long to respond", "nothing to do if transient (retried in about 40 minutes); speed up the endpoint", Transient),
    info("LicenseLimitExceeded", None, "the target has no licence left for the user", "buy licences or narrow the assignment", NeedsFix),
    info("DuplicateTargetEntries", None, "more than one target object matched", "remove the duplicate at the target or change the matching attribute", NeedsFix),
    info("DuplicateSourceEntries", None, "more than one source object has the same matching value", "remove the duplicate in Entra or change the matching attribute", NeedsFix),
    info("ImportSkipped", None, "the source object has no value for the matching attribute", "give the object a value for the matching attribute", Skip),
    info("EntrySynchronizationSkipped", None, "skipped: out of scope, or already in sync", "nothing to do unless the object should be in scope", Skip),
    info("SystemForCrossDomainIdentityManagementMultipleEntriesInResponse", None, "a GET returned several resources where one was expected", "make filters return at most one match (and honour excludedAttributes)", NeedsFix),
    info("SystemForCrossDomainIdentityManagementServiceIncompatible", None, "Entra could not parse the endpoint's response", "return SCIM-shaped JSON bodies with the right content type", NeedsFix),
    info("SystemForCrossDomainIdentityManagementBadRequest", Some(400), "the endpoint rejected the request with 400", "read the reason: usually a PATCH form or value the endpoint does not accept (see ENTRA.md 8)", NeedsFix),
    info("SchemaPropertyCanOnlyAcceptValue", None, "a multi-valued source went into a single-valued target attribute", "map a single-valued source or remove the mapping", NeedsFix),
];

/// The entry for `code`: exact (case-insensitive) first, then the longest known code it ends with.
pub fn lookup(code: &str) -> Option<&'static ErrorCodeInfo> {
    let lower = code.to_ascii_lowercase();
    CODES
        .iter()
        .find(|c| c.code.eq_ignore_ascii_case(code))
        .or_else(|| CODES.iter().filter(|c| lower.ends_with(&c.code.to_ascii_lowercase())).max_by_key(|c| c.code.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn app_prefixed_codes_find_their_entry() {
        assert_eq!(lookup("ContosoEntryConflict").map(|c| c.code), Some("EntryConflict"));
        assert_eq!(lookup("timeout").map(|c| c.retry), Some(Retry::Transient));
        assert_eq!(lookup("SystemForCrossDomainIdentityManagementBadRequest").and_then(|c| c.http), Some(400));
        assert!(lookup("SomethingElse").is_none());
    }
}
