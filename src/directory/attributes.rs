//! The attribute names Entra exposes to provisioning mappings, and how a name written in a scenario is
//! classified (known attribute, directory extension, structural field, computed attribute, unknown).

/// User attributes of the Entra source schema that a scenario may set (canonical spelling). `objectId`,
/// `accountEnabled` and `manager` are structural (see [`classify_user_attribute`]).
pub const USER_ATTRIBUTES: &[&str] = &[
    "ageGroup",
    "appRoleAssignments",
    "city",
    "companyName",
    "consentProvidedForMinor",
    "country",
    "createdDateTime",
    "department",
    "displayName",
    "employeeHireDate",
    "employeeId",
    "employeeLeaveDateTime",
    "employeeOrgData.costCenter",
    "employeeOrgData.division",
    "employeeType",
    "facsimileTelephoneNumber",
    "givenName",
    "immutableId",
    "jobTitle",
    "legalAgeGroupClassification",
    "mail",
    "mailNickname",
    "mobile",
    "onPremisesDistinguishedName",
    "onPremisesDomainName",
    "onPremisesImmutableId",
    "onPremisesSamAccountName",
    "onPremisesSecurityIdentifier",
    "onPremisesUserPrincipalName",
    "otherMails",
    "passwordPolicies",
    "physicalDeliveryOfficeName",
    "postalCode",
    "preferredDataLocation",
    "preferredLanguage",
    "proxyAddresses",
    "showInAddressList",
    "signInSessionsValidFromDateTime",
    "sipProxyAddress",
    "state",
    "streetAddress",
    "surname",
    "telephoneNumber",
    "usageLocation",
    "userPrincipalName",
    "userType",
];

/// Group attributes of the Entra source schema that a scenario may set (canonical spelling).
pub const GROUP_ATTRIBUTES: &[&str] = &[
    "description",
    "displayName",
    "groupTypes",
    "mail",
    "mailEnabled",
    "mailNickname",
    "proxyAddresses",
    "securityEnabled",
    "visibility",
];

/// Attributes Entra computes: a scenario cannot set them.
pub const COMPUTED_ATTRIBUTES: &[&str] = &["IsSoftDeleted"];

/// What an attribute name written in a scenario is.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AttributeName {
    /// A known attribute, in canonical spelling (the scenario may have written it in another case).
    Known(&'static str),
    /// A directory extension: `extension_<appId>_<name>` or `extensionAttribute1`..`extensionAttribute15`.
    Extension(String),
    /// `objectId`, `accountEnabled` or `manager`: held by the directory as fields, not plain attributes.
    Structural(&'static str),
    /// A computed attribute (`IsSoftDeleted`).
    Computed(&'static str),
    /// Not an Entra attribute; with the closest known name, if any.
    Unknown(Option<&'static str>),
}

const USER_STRUCTURAL: &[&str] = &["objectId", "accountEnabled", "manager"];
const GROUP_STRUCTURAL: &[&str] = &["objectId", "members"];

/// Classifies a user attribute name (case-insensitive, like Entra).
pub fn classify_user_attribute(name: &str) -> AttributeName {
    classify(name, USER_ATTRIBUTES, USER_STRUCTURAL)
}

/// Classifies a group attribute name (case-insensitive, like Entra).
pub fn classify_group_attribute(name: &str) -> AttributeName {
    classify(name, GROUP_ATTRIBUTES, GROUP_STRUCTURAL)
}

fn classify(name: &str, known: &'static [&'static str], structural: &'static [&'static str]) -> AttributeName {
    let find = |list: &'static [&'static str]| list.iter().copied().find(|k| k.eq_ignore_ascii_case(name));
    if let Some(k) = find(structural) {
        return AttributeName::Structural(k);
    }
    if let Some(k) = find(COMPUTED_ATTRIBUTES) {
        return AttributeName::Computed(k);
    }
    if let Some(k) = find(known) {
        return AttributeName::Known(k);
    }
    if is_extension(name) {
        return AttributeName::Extension(name.to_string());
    }
    let candidates = known.iter().chain(structural).copied();
    AttributeName::Unknown(crate::diagnostic::did_you_mean(name, candidates))
}

/// `extension_<appId>_<name>` (appId: 32 hex digits, as Graph writes it) or `extensionAttribute1..15`.
pub fn is_extension(name: &str) -> bool {
    if let Some(n) = strip_prefix_ignore_case(name, "extensionAttribute") {
        return n.parse::<u8>().is_ok_and(|n| (1..=15).contains(&n)) && !n.starts_with('0');
    }
    let Some(rest) = strip_prefix_ignore_case(name, "extension_") else { return false };
    let Some((app, attr)) = rest.split_once('_') else { return false };
    app.len() == 32 && app.chars().all(|c| c.is_ascii_hexdigit()) && !attr.is_empty()
}

fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix).then(|| &s[prefix.len()..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_settable_attribute_is_known_to_mapping_expressions() {
        use crate::mapping::{is_known_attribute, ObjectKind};
        for name in USER_ATTRIBUTES {
            assert!(is_known_attribute(ObjectKind::User, name), "mappings reject user attribute `{name}`");
        }
        for name in GROUP_ATTRIBUTES {
            assert!(is_known_attribute(ObjectKind::Group, name), "mappings reject group attribute `{name}`");
        }
    }

    #[test]
    fn classifies_names_like_entra() {
        assert_eq!(classify_user_attribute("givenname"), AttributeName::Known("givenName"));
        assert_eq!(classify_user_attribute("Manager"), AttributeName::Structural("manager"));
        assert_eq!(classify_user_attribute("isSoftDeleted"), AttributeName::Computed("IsSoftDeleted"));
        assert_eq!(classify_user_attribute("givenNmae"), AttributeName::Unknown(Some("givenName")));
        assert_eq!(classify_user_attribute("zzzz"), AttributeName::Unknown(None));
        let ext = "extension_0123456789abcdef0123456789abcdef_costCenter";
        assert_eq!(classify_user_attribute(ext), AttributeName::Extension(ext.to_string()));
        assert_eq!(classify_group_attribute("members"), AttributeName::Structural("members"));
    }

    #[test]
    fn extension_attributes_are_numbered_one_to_fifteen() {
        assert!(is_extension("extensionAttribute1"));
        assert!(is_extension("extensionAttribute15"));
        assert!(!is_extension("extensionAttribute16"));
        assert!(!is_extension("extensionAttribute0"));
        assert!(!is_extension("extensionAttribute01"));
        assert!(!is_extension("extension_123_x"));
    }
}
