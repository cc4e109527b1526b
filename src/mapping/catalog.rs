//! Static knowledge the checker needs: every expression function with its parameters, the source
//! attributes of Entra users and groups, and the enumeration identifiers expressions may use.

/// One expression function: its name (case-sensitive) and parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FunctionSig {
    /// Name as Entra spells it.
    pub name: &'static str,
    /// Named parameters in order (the portal's names; for variadic functions the repeated parameter is
    /// the last one).
    pub params: &'static [&'static str],
    /// Minimum number of arguments (including omitted ones written as empty positions).
    pub min: usize,
    /// Maximum number of arguments; `None` = unbounded.
    pub max: Option<usize>,
    /// True for functions only in the Graph catalogue, not in the portal list.
    pub graph_only: bool,
}

const fn sig(name: &'static str, params: &'static [&'static str], min: usize, max: Option<usize>) -> FunctionSig {
    FunctionSig { name, params, min, max, graph_only: false }
}

const fn graph(name: &'static str, params: &'static [&'static str], min: usize, max: Option<usize>) -> FunctionSig {
    FunctionSig { name, params, min, max, graph_only: true }
}

/// Every function entrasim evaluates: the 44 of the portal list (ENTRA.md 5.3) plus the Graph extras.
pub const FUNCTIONS: &[FunctionSig] = &[
    sig("Append", &["source", "suffix"], 2, Some(2)),
    sig("AppRoleAssignmentsComplex", &["source"], 1, Some(1)),
    sig("AssertiveAppRoleAssignmentsComplex", &["source"], 1, Some(1)),
    sig("BitAnd", &["value1", "value2"], 2, Some(2)),
    sig("CBool", &["expression"], 1, Some(1)),
    sig("CDate", &["expression"], 1, Some(1)),
    sig("Coalesce", &["source"], 1, None),
    sig("ConvertToBase64", &["source"], 1, Some(1)),
    sig("ConvertToUTF8Hex", &["source"], 1, Some(1)),
    sig("Count", &["attribute"], 1, Some(1)),
    sig("CStr", &["value"], 1, Some(1)),
    sig("DateAdd", &["interval", "value", "dateTime"], 3, Some(3)),
    sig("DateDiff", &["interval", "date1", "date2"], 3, Some(3)),
    sig("DateFromNum", &["value"], 1, Some(1)),
    sig("FormatDateTime", &["source", "dateTimeStyles", "inputFormat", "outputFormat"], 3, Some(4)),
    sig("Guid", &[], 0, Some(0)),
    sig("IgnoreFlowIfNullOrEmpty", &["expression"], 1, Some(1)),
    sig("IIF", &["condition", "valueIfTrue", "valueIfFalse"], 3, Some(3)),
    sig("InStr", &["value1", "value2", "start", "compareType"], 2, Some(4)),
    sig("IsNull", &["expression"], 1, Some(1)),
    sig("IsNullOrEmpty", &["expression"], 1, Some(1)),
    sig("IsPresent", &["expression"], 1, Some(1)),
    sig("IsString", &["expression"], 1, Some(1)),
    sig("Item", &["attribute", "index"], 2, Some(2)),
    sig("Join", &["separator", "source"], 2, None),
    sig("Left", &["String", "NumChars"], 2, Some(2)),
    sig("Mid", &["source", "start", "length"], 3, Some(3)),
    sig("NormalizeDiacritics", &["source"], 1, Some(1)),
    sig("Not", &["source"], 1, Some(1)),
    sig("Now", &[], 0, Some(0)),
    sig("NumFromDate", &["value"], 1, Some(1)),
    sig("PCase", &["source", "wordSeparators"], 1, Some(2)),
    sig(
        "RandomString",
        &[
            "Length",
            "MinimumNumbers",
            "MinimumSpecialCharacters",
            "MinimumCapital",
            "MinimumLowerCase",
            "CharactersToAvoid",
        ],
        5,
        Some(6),
    ),
    sig("Redact", &["source"], 1, Some(1)),
    sig("RemoveDuplicates", &["attribute"], 1, Some(1)),
    sig(
        "Replace",
        &[
            "source",
            "oldValue",
            "regexPattern",
            "regexGroupName",
            "replacementValue",
            "replacementAttributeName",
            "template",
        ],
        3,
        Some(7),
    ),
    sig("SelectUniqueValue", &["uniqueValueRule"], 2, None),
    sig("SingleAppRoleAssignment", &["source"], 1, Some(1)),
    sig("Split", &["source", "delimiter"], 2, Some(2)),
    sig("StripSpaces", &["source"], 1, Some(1)),
    sig("Switch", &["source", "defaultValue", "key", "value"], 4, None),
    sig("ToLower", &["source", "culture"], 1, Some(2)),
    sig("ToUpper", &["source", "culture"], 1, Some(2)),
    sig("Word", &["String", "WordNumber", "Delimiters"], 3, Some(3)),
    graph("AppRoleAssignments", &["source"], 1, Some(1)),
    graph("DefaultDomain", &[], 0, Some(0)),
    graph("IsNothing", &["source"], 1, Some(1)),
    graph("Prepend", &["prefix", "source"], 2, Some(2)),
];

/// The signature of `name` (exact, case-sensitive).
pub fn function(name: &str) -> Option<&'static FunctionSig> {
    FUNCTIONS.iter().find(|f| f.name == name)
}

/// Alternative parameter names used by the Graph `synchronizationSchema` function catalogue, mapped to the
/// position of the portal parameter (for importing Graph function trees).
pub fn graph_param_position(function: &str, key: &str) -> Option<usize> {
    let alias = match (function, key.to_ascii_lowercase().as_str()) {
        ("Replace", "find") => Some(1),
        ("Replace", "regularexpression") => Some(2),
        ("Replace", "regularexpressiongroupname") => Some(3),
        ("Replace", "replacement") => Some(4),
        ("Replace", "replacementpropertyname") => Some(5),
        _ => None,
    };
    alias.or_else(|| {
        let sig = self::function(function)?;
        let fixed = if sig.max.is_none() { sig.params.len().saturating_sub(1) } else { sig.params.len() };
        let fixed = if function == "Switch" { 2 } else { fixed };
        sig.params[..fixed.min(sig.params.len())].iter().position(|p| p.eq_ignore_ascii_case(key))
    })
}

/// Source attributes of Entra users available to provisioning mappings (`extension_*` names are also
/// accepted, see [`is_known_attribute`]).
pub const USER_ATTRIBUTES: &[&str] = &[
    "accountEnabled",
    "ageGroup",
    "appRoleAssignments",
    "city",
    "companyName",
    "consentProvidedForMinor",
    "country",
    "createdDateTime",
    "creationType",
    "department",
    "displayName",
    "employeeHireDate",
    "employeeId",
    "employeeLeaveDateTime",
    "employeeOrgData.costCenter",
    "employeeOrgData.division",
    "employeeType",
    "extensionAttribute1",
    "extensionAttribute2",
    "extensionAttribute3",
    "extensionAttribute4",
    "extensionAttribute5",
    "extensionAttribute6",
    "extensionAttribute7",
    "extensionAttribute8",
    "extensionAttribute9",
    "extensionAttribute10",
    "extensionAttribute11",
    "extensionAttribute12",
    "extensionAttribute13",
    "extensionAttribute14",
    "extensionAttribute15",
    "facsimileTelephoneNumber",
    "givenName",
    "immutableId",
    "IsSoftDeleted",
    "jobTitle",
    "legalAgeGroupClassification",
    "mail",
    "mailNickname",
    "manager",
    "mobile",
    "objectId",
    "onPremisesDistinguishedName",
    "onPremisesDomainName",
    "onPremisesSamAccountName",
    "onPremisesSecurityIdentifier",
    "onPremisesUserPrincipalName",
    "otherMails",
    "passwordProfile.password",
    "physicalDeliveryOfficeName",
    "postalCode",
    "preferredDataLocation",
    "preferredLanguage",
    "proxyAddresses",
    "showInAddressList",
    "state",
    "streetAddress",
    "surname",
    "telephoneNumber",
    "usageLocation",
    "userPrincipalName",
    "userType",
    "onPremisesImmutableId",
    "passwordPolicies",
    "signInSessionsValidFromDateTime",
    "sipProxyAddress",
];

/// Source attributes of Entra groups available to provisioning mappings.
pub const GROUP_ATTRIBUTES: &[&str] = &[
    "appRoleAssignments",
    "description",
    "displayName",
    "IsSoftDeleted",
    "mail",
    "mailEnabled",
    "mailNickname",
    "members",
    "objectId",
    "onPremisesSamAccountName",
    "onPremisesSecurityIdentifier",
    "proxyAddresses",
    "securityEnabled",
    "groupTypes",
    "visibility",
];

/// Source attributes that are multi-valued (not usable in scoping filters).
pub const MULTI_VALUED: &[&str] = &["appRoleAssignments", "members", "otherMails", "proxyAddresses"];

/// Source attributes that scoping filters cannot use (ENTRA.md 4.3), besides multi-valued ones.
pub const UNSCOPABLE: &[&str] =
    &["manager", "userType", "employeeHireDate", "employeeLeaveDateTime", "createdDateTime", "members"];

/// Which kind of Entra object a mapping reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum ObjectKind {
    /// Users (`/Users`).
    User,
    /// Groups (`/Groups`).
    Group,
}

impl ObjectKind {
    /// The known source attributes of this kind.
    pub fn attributes(self) -> &'static [&'static str] {
        match self {
            ObjectKind::User => USER_ATTRIBUTES,
            ObjectKind::Group => GROUP_ATTRIBUTES,
        }
    }

    /// `User` or `Group`.
    pub fn as_str(self) -> &'static str {
        match self {
            ObjectKind::User => "User",
            ObjectKind::Group => "Group",
        }
    }
}

/// True when `name` is a source attribute of `kind`: a known name (case-insensitive) or a directory
/// extension `extension_<appId>_<name>` (whose spelling is the customer's own and is not checked).
pub fn is_known_attribute(kind: ObjectKind, name: &str) -> bool {
    name.starts_with("extension_") || kind.attributes().iter().any(|a| a.eq_ignore_ascii_case(name))
}

/// Unquoted identifiers an expression may use, and their values.
pub const IDENTIFIERS: &[(&str, i64)] = &[("vbBinaryCompare", 0), ("vbTextCompare", 1), ("vbDatabaseCompare", 2)];

/// Boolean identifiers (`True`, `False`) accepted where VBA would accept them.
pub const BOOL_IDENTIFIERS: &[(&str, bool)] = &[("True", true), ("False", false)];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn portal_list_has_44_functions_plus_graph_extras() {
        assert_eq!(FUNCTIONS.iter().filter(|f| !f.graph_only).count(), 44);
        assert_eq!(FUNCTIONS.iter().filter(|f| f.graph_only).count(), 4);
        assert!(function("join").is_none(), "names are case-sensitive");
    }

    #[test]
    fn graph_parameter_keys_map_to_positions() {
        assert_eq!(graph_param_position("Replace", "RegularExpression"), Some(2));
        assert_eq!(graph_param_position("Replace", "template"), Some(6));
        assert_eq!(graph_param_position("Switch", "defaultValue"), Some(1));
        assert_eq!(graph_param_position("Switch", "key"), None);
        assert_eq!(graph_param_position("Join", "separator"), Some(0));
        assert_eq!(graph_param_position("Join", "source"), None);
    }

    #[test]
    fn extension_attributes_are_known() {
        assert!(is_known_attribute(ObjectKind::User, "extension_9d98ed114c4840d298fad781915f27e4_costCenter"));
        assert!(is_known_attribute(ObjectKind::User, "issoftdeleted"));
        assert!(!is_known_attribute(ObjectKind::Group, "givenName"));
    }
}
