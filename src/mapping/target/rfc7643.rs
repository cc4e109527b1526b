//! The RFC 7643 schema table a mapping's target paths are checked against: the core User and Group attributes
//! and the enterprise User extension, each with its sub-attributes and their SCIM types.

use serde::Serialize;

/// SCIM attribute types (RFC 7643 section 2.3) as far as mappings need them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub enum ScimType {
    /// A string.
    String,
    /// A JSON boolean.
    Boolean,
    /// A JSON integer.
    Integer,
    /// A date-time string.
    DateTime,
    /// A reference to another resource (sent as the referenced resource's `id`).
    Reference,
    /// A complex attribute.
    Complex,
}

/// (attribute, sub-attributes with types, type of the attribute itself, multi-valued)
pub(super) type SchemaRow = (&'static str, &'static [(&'static str, ScimType)], ScimType, bool);

const MULTI_SUBS: &[(&str, ScimType)] = &[
    ("value", ScimType::String),
    ("display", ScimType::String),
    ("type", ScimType::String),
    ("primary", ScimType::Boolean),
];
const ADDRESS_SUBS: &[(&str, ScimType)] = &[
    ("formatted", ScimType::String),
    ("streetAddress", ScimType::String),
    ("locality", ScimType::String),
    ("region", ScimType::String),
    ("postalCode", ScimType::String),
    ("country", ScimType::String),
    ("type", ScimType::String),
    ("primary", ScimType::Boolean),
];
const NAME_SUBS: &[(&str, ScimType)] = &[
    ("formatted", ScimType::String),
    ("familyName", ScimType::String),
    ("givenName", ScimType::String),
    ("middleName", ScimType::String),
    ("honorificPrefix", ScimType::String),
    ("honorificSuffix", ScimType::String),
];
const MANAGER_SUBS: &[(&str, ScimType)] =
    &[("value", ScimType::Reference), ("$ref", ScimType::Reference), ("displayName", ScimType::String)];

/// RFC 7643 core User and Group attributes.
pub(super) const CORE: &[SchemaRow] = &[
    ("id", &[], ScimType::String, false),
    ("externalId", &[], ScimType::String, false),
    ("userName", &[], ScimType::String, false),
    ("name", NAME_SUBS, ScimType::Complex, false),
    ("displayName", &[], ScimType::String, false),
    ("nickName", &[], ScimType::String, false),
    ("profileUrl", &[], ScimType::Reference, false),
    ("title", &[], ScimType::String, false),
    ("userType", &[], ScimType::String, false),
    ("preferredLanguage", &[], ScimType::String, false),
    ("locale", &[], ScimType::String, false),
    ("timezone", &[], ScimType::String, false),
    ("active", &[], ScimType::Boolean, false),
    ("password", &[], ScimType::String, false),
    ("emails", MULTI_SUBS, ScimType::Complex, true),
    ("phoneNumbers", MULTI_SUBS, ScimType::Complex, true),
    ("ims", MULTI_SUBS, ScimType::Complex, true),
    ("photos", MULTI_SUBS, ScimType::Complex, true),
    ("addresses", ADDRESS_SUBS, ScimType::Complex, true),
    ("groups", MULTI_SUBS, ScimType::Complex, true),
    ("entitlements", MULTI_SUBS, ScimType::Complex, true),
    ("roles", MULTI_SUBS, ScimType::Complex, true),
    ("x509Certificates", MULTI_SUBS, ScimType::Complex, true),
    ("members", MULTI_SUBS, ScimType::Reference, true),
];

/// RFC 7643 enterprise User extension attributes.
pub(super) const ENTERPRISE: &[SchemaRow] = &[
    ("employeeNumber", &[], ScimType::String, false),
    ("costCenter", &[], ScimType::String, false),
    ("organization", &[], ScimType::String, false),
    ("division", &[], ScimType::String, false),
    ("department", &[], ScimType::String, false),
    ("manager", MANAGER_SUBS, ScimType::Reference, false),
];
