//! The one table of SCIM attribute definitions (RFC 7643 §3.1 common attributes, §4.1 User, §4.2 Group,
//! §4.3 enterprise User extension). Everything that depends on an attribute's characteristics reads it from
//! here: filter case-sensitivity (`caseExact`), PATCH add-vs-replace (`multiValued`), string-boolean coercion
//! (`type`), mutability errors, `returned` rules and the `/Schemas` discovery documents.
//!
//! Lookups are case-insensitive (RFC 7643 §2.1). An unqualified name is looked up in the core schema first and
//! then in the enterprise extension, because Entra addresses the manager as `manager[value eq "…"]` without
//! the URN (ENTRA.md 2.3).

use serde_json::{json, Map, Value};

use crate::scim::model;

/// An attribute's data type (RFC 7643 §2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttrType {
    /// `string`
    String,
    /// `boolean`
    Boolean,
    /// `decimal`
    Decimal,
    /// `integer`
    Integer,
    /// `dateTime`
    DateTime,
    /// `binary`
    Binary,
    /// `reference`
    Reference,
    /// `complex`
    Complex,
}

/// When an attribute may be written (RFC 7643 §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mutability {
    /// Never written by clients.
    ReadOnly,
    /// Written freely.
    ReadWrite,
    /// Written once, on creation.
    Immutable,
    /// Written, never returned.
    WriteOnly,
}

/// When an attribute is returned (RFC 7643 §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Returned {
    /// Always, even if excluded.
    Always,
    /// Never.
    Never,
    /// By default, unless excluded.
    Default,
    /// Only when asked for with `attributes`.
    Request,
}

/// Uniqueness of an attribute's values (RFC 7643 §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Uniqueness {
    /// No uniqueness.
    None,
    /// Unique within this service provider.
    Server,
    /// Globally unique.
    Global,
}

/// One attribute definition.
#[derive(Debug, Clone, Copy)]
pub struct AttrDef {
    /// Attribute name as the RFC spells it.
    pub name: &'static str,
    /// Data type.
    pub kind: AttrType,
    /// Multi-valued (a JSON array).
    pub multi_valued: bool,
    /// Required on create.
    pub required: bool,
    /// String comparison is case-sensitive.
    pub case_exact: bool,
    /// Mutability.
    pub mutability: Mutability,
    /// Returned rule.
    pub returned: Returned,
    /// Uniqueness.
    pub uniqueness: Uniqueness,
    /// Sub-attributes of a complex attribute.
    pub sub_attributes: &'static [AttrDef],
}

impl AttrDef {
    const fn new(name: &'static str, kind: AttrType) -> Self {
        AttrDef {
            name,
            kind,
            multi_valued: false,
            required: false,
            case_exact: false,
            mutability: Mutability::ReadWrite,
            returned: Returned::Default,
            uniqueness: Uniqueness::None,
            sub_attributes: &[],
        }
    }
    const fn multi(mut self) -> Self {
        self.multi_valued = true;
        self
    }
    const fn required(mut self) -> Self {
        self.required = true;
        self
    }
    const fn exact(mut self) -> Self {
        self.case_exact = true;
        self
    }
    const fn mutability(mut self, m: Mutability) -> Self {
        self.mutability = m;
        self
    }
    const fn returned(mut self, r: Returned) -> Self {
        self.returned = r;
        self
    }
    const fn unique(mut self) -> Self {
        self.uniqueness = Uniqueness::Server;
        self
    }
    const fn subs(mut self, subs: &'static [AttrDef]) -> Self {
        self.sub_attributes = subs;
        self
    }

    /// The sub-attribute called `name` (case-insensitive).
    pub fn sub(&self, name: &str) -> Option<&'static AttrDef> {
        self.sub_attributes.iter().find(|a| a.name.eq_ignore_ascii_case(name))
    }
}

/// A schema: its URN and its attributes.
#[derive(Debug)]
pub struct SchemaDef {
    /// The schema URN.
    pub id: &'static str,
    /// Human-readable name.
    pub name: &'static str,
    /// Human-readable description.
    pub description: &'static str,
    /// The attributes (without the common `id`, `externalId`, `meta`).
    pub attributes: &'static [AttrDef],
}

impl SchemaDef {
    /// The attribute called `name` (case-insensitive).
    pub fn attr(&self, name: &str) -> Option<&'static AttrDef> {
        self.attributes.iter().find(|a| a.name.eq_ignore_ascii_case(name))
    }
}

const fn s(name: &'static str) -> AttrDef {
    AttrDef::new(name, AttrType::String)
}
const fn b(name: &'static str) -> AttrDef {
    AttrDef::new(name, AttrType::Boolean)
}
const fn r(name: &'static str) -> AttrDef {
    AttrDef::new(name, AttrType::Reference)
}
const fn c(name: &'static str, subs: &'static [AttrDef]) -> AttrDef {
    AttrDef::new(name, AttrType::Complex).subs(subs)
}

const TYPED: &[AttrDef] = &[s("value"), s("display"), s("type"), b("primary")];
const PHOTOS: &[AttrDef] = &[r("value"), s("display"), s("type"), b("primary")];
const ADDRESS: &[AttrDef] = &[
    s("formatted"),
    s("streetAddress"),
    s("locality"),
    s("region"),
    s("postalCode"),
    s("country"),
    s("type"),
    b("primary"),
];
const NAME: &[AttrDef] =
    &[s("formatted"), s("familyName"), s("givenName"), s("middleName"), s("honorificPrefix"), s("honorificSuffix")];
const GROUPS: &[AttrDef] = &[
    s("value").mutability(Mutability::ReadOnly),
    r("$ref").mutability(Mutability::ReadOnly),
    s("display").mutability(Mutability::ReadOnly),
    s("type").mutability(Mutability::ReadOnly),
];
const CERTS: &[AttrDef] = &[AttrDef::new("value", AttrType::Binary), s("display"), s("type"), b("primary")];
const META: &[AttrDef] = &[
    s("resourceType").exact().mutability(Mutability::ReadOnly),
    AttrDef::new("created", AttrType::DateTime).mutability(Mutability::ReadOnly),
    AttrDef::new("lastModified", AttrType::DateTime).mutability(Mutability::ReadOnly),
    r("location").exact().mutability(Mutability::ReadOnly),
    s("version").exact().mutability(Mutability::ReadOnly),
];

/// The common attributes of every resource (RFC 7643 §3.1).
pub const COMMON: &[AttrDef] = &[
    s("id").exact().mutability(Mutability::ReadOnly).returned(Returned::Always).unique(),
    s("externalId").exact(),
    c("meta", META).mutability(Mutability::ReadOnly),
];

/// The core User schema (RFC 7643 §4.1).
pub static USER: SchemaDef = SchemaDef {
    id: model::USER_SCHEMA,
    name: "User",
    description: "User Account",
    attributes: &[
        s("userName").required().unique(),
        c("name", NAME),
        s("displayName"),
        s("nickName"),
        r("profileUrl"),
        s("title"),
        s("userType"),
        s("preferredLanguage"),
        s("locale"),
        s("timezone"),
        b("active"),
        s("password").mutability(Mutability::WriteOnly).returned(Returned::Never),
        c("emails", TYPED).multi(),
        c("phoneNumbers", TYPED).multi(),
        c("ims", TYPED).multi(),
        c("photos", PHOTOS).multi(),
        c("addresses", ADDRESS).multi(),
        c("groups", GROUPS).multi().mutability(Mutability::ReadOnly),
        c("entitlements", TYPED).multi(),
        c("roles", TYPED).multi(),
        c("x509Certificates", CERTS).multi(),
    ],
};

/// The core Group schema (RFC 7643 §4.2).
pub static GROUP: SchemaDef = SchemaDef {
    id: model::GROUP_SCHEMA,
    name: "Group",
    description: "Group",
    attributes: &[
        s("displayName").required().unique(),
        c(
            "members",
            &[
                s("value").mutability(Mutability::Immutable),
                r("$ref").mutability(Mutability::Immutable),
                s("display"),
                s("type").mutability(Mutability::Immutable),
            ],
        )
        .multi(),
    ],
};

/// The enterprise User extension (RFC 7643 §4.3).
pub static ENTERPRISE_USER: SchemaDef = SchemaDef {
    id: model::ENTERPRISE_USER_SCHEMA,
    name: "EnterpriseUser",
    description: "Enterprise User",
    attributes: &[
        s("employeeNumber"),
        s("costCenter"),
        s("organization"),
        s("division"),
        s("department"),
        c("manager", &[s("value"), r("$ref"), s("displayName").mutability(Mutability::ReadOnly)]),
    ],
};

/// Every schema this table knows.
pub static ALL: [&SchemaDef; 3] = [&USER, &GROUP, &ENTERPRISE_USER];

/// The schema with this URN (case-insensitive). A URN as the RFC spells it, the common case, is found by
/// exact comparison first: the URNs differ in more than case, so that is the schema the case-insensitive
/// scan finds, without comparing ~50 bytes a letter at a time.
pub fn schema(urn: &str) -> Option<&'static SchemaDef> {
    let all = ALL.iter().copied();
    all.clone().find(|s| s.id == urn).or_else(|| all.into_iter().find(|s| s.id.eq_ignore_ascii_case(urn)))
}

/// Where an attribute lives and its definition, if known.
#[derive(Debug, Clone, Copy)]
pub struct Located {
    /// The extension URN whose object holds the attribute; `None` for the resource's top level.
    pub container: Option<&'static str>,
    /// The definition, when the attribute is known.
    pub def: Option<&'static AttrDef>,
}

/// Locates attribute `name` (optionally URN-qualified) of a resource. Core and common attributes live at the
/// top level; a known extension attribute lives in its extension object; an unqualified name that is not a core
/// attribute but is an enterprise attribute (`manager`) resolves to the enterprise extension.
pub fn locate(urn: Option<&str>, name: &str) -> Located {
    let common = COMMON.iter().find(|a| a.name.eq_ignore_ascii_case(name));
    match urn {
        Some(u) if !is_core(u) => {
            let schema = schema(u);
            Located { container: schema.map(|s| s.id), def: schema.and_then(|s| s.attr(name)) }
        }
        _ => {
            if let Some(def) = common.or_else(|| USER.attr(name)).or_else(|| GROUP.attr(name)) {
                return Located { container: None, def: Some(def) };
            }
            match ENTERPRISE_USER.attr(name) {
                Some(def) if urn.is_none() => Located { container: Some(ENTERPRISE_USER.id), def: Some(def) },
                _ => Located { container: None, def: None },
            }
        }
    }
}

/// True for the core User or Group schema URN (attributes under it live at the top level).
pub fn is_core(urn: &str) -> bool {
    urn.eq_ignore_ascii_case(model::USER_SCHEMA) || urn.eq_ignore_ascii_case(model::GROUP_SCHEMA)
}

/// The definition of `name[.sub]` (optionally URN-qualified).
pub fn find(urn: Option<&str>, name: &str, sub: Option<&str>) -> Option<&'static AttrDef> {
    let def = locate(urn, name).def?;
    match sub {
        Some(sub) => def.sub(sub),
        None => Some(def),
    }
}

/// Whether string comparisons on `name[.sub]` are case-sensitive (unknown attributes: no).
pub fn case_exact(urn: Option<&str>, name: &str, sub: Option<&str>) -> bool {
    find(urn, name, sub).is_some_and(|d| d.case_exact)
}

fn type_name(t: AttrType) -> &'static str {
    match t {
        AttrType::String => "string",
        AttrType::Boolean => "boolean",
        AttrType::Decimal => "decimal",
        AttrType::Integer => "integer",
        AttrType::DateTime => "dateTime",
        AttrType::Binary => "binary",
        AttrType::Reference => "reference",
        AttrType::Complex => "complex",
    }
}

fn attr_json(a: &AttrDef) -> Value {
    let mut m = Map::new();
    m.insert("name".into(), json!(a.name));
    m.insert("type".into(), json!(type_name(a.kind)));
    m.insert("multiValued".into(), json!(a.multi_valued));
    m.insert("description".into(), json!(format!("The {} attribute.", a.name)));
    m.insert("required".into(), json!(a.required));
    if a.kind != AttrType::Complex && a.kind != AttrType::Boolean {
        m.insert("caseExact".into(), json!(a.case_exact));
    }
    let mutability = match a.mutability {
        Mutability::ReadOnly => "readOnly",
        Mutability::ReadWrite => "readWrite",
        Mutability::Immutable => "immutable",
        Mutability::WriteOnly => "writeOnly",
    };
    m.insert("mutability".into(), json!(mutability));
    let returned = match a.returned {
        Returned::Always => "always",
        Returned::Never => "never",
        Returned::Default => "default",
        Returned::Request => "request",
    };
    m.insert("returned".into(), json!(returned));
    let uniqueness = match a.uniqueness {
        Uniqueness::None => "none",
        Uniqueness::Server => "server",
        Uniqueness::Global => "global",
    };
    m.insert("uniqueness".into(), json!(uniqueness));
    if a.kind == AttrType::Reference {
        let types =
            if a.name == "$ref" || a.name == "location" { json!(["User", "Group"]) } else { json!(["external"]) };
        m.insert("referenceTypes".into(), types);
    }
    if !a.sub_attributes.is_empty() {
        m.insert("subAttributes".into(), Value::Array(a.sub_attributes.iter().map(attr_json).collect()));
    }
    Value::Object(m)
}

/// The `/Schemas/{urn}` document of a schema (RFC 7643 §7); `location` is the URL of the document.
pub fn to_json(schema: &SchemaDef, location: &str) -> Value {
    json!({
        "schemas": [model::SCHEMA_SCHEMA],
        "id": schema.id,
        "name": schema.name,
        "description": schema.description,
        "attributes": schema.attributes.iter().map(attr_json).collect::<Vec<_>>(),
        "meta": {"resourceType": "Schema", "location": location},
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_exact_follows_rfc_core_schema() {
        assert!(case_exact(None, "externalId", None));
        assert!(case_exact(None, "ID", None));
        assert!(!case_exact(None, "userName", None));
        assert!(!case_exact(None, "emails", Some("value")));
        assert!(!case_exact(None, "displayName", None));
        assert!(case_exact(None, "meta", Some("version")));
    }

    #[test]
    fn unqualified_manager_resolves_to_enterprise_extension() {
        let l = locate(None, "manager");
        assert_eq!(l.container, Some(model::ENTERPRISE_USER_SCHEMA));
        let l = locate(Some(model::USER_SCHEMA), "userName");
        assert_eq!(l.container, None);
        assert!(l.def.is_some_and(|d| d.required));
        let l = locate(Some("urn:ietf:params:scim:schemas:extension:enterprise:2.0:user"), "EMPLOYEENUMBER");
        assert_eq!(l.container, Some(model::ENTERPRISE_USER_SCHEMA));
    }

    #[test]
    fn a_urn_is_found_in_any_case_as_the_scan_finds_it() {
        let scan = |urn: &str| ALL.iter().copied().find(|s| s.id.eq_ignore_ascii_case(urn)).map(|s| s.id);
        for s in ALL {
            let mut mixed = s.id.to_string();
            mixed.replace_range(..1, "U");
            for urn in [s.id.to_string(), s.id.to_lowercase(), s.id.to_uppercase(), mixed] {
                assert_eq!(schema(&urn).map(|s| s.id), Some(s.id), "{urn}");
                assert_eq!(schema(&urn).map(|s| s.id), scan(&urn), "{urn}");
            }
            assert!(schema(&s.id[1..]).is_none());
            assert!(schema(&format!("{}x", s.id)).is_none());
        }
    }

    #[test]
    fn schema_document_lists_attribute_characteristics() {
        let doc = to_json(&USER, "http://x/Schemas/u");
        let user_name = &doc["attributes"][0];
        assert_eq!(user_name["name"], "userName");
        assert_eq!(user_name["uniqueness"], "server");
        assert_eq!(user_name["caseExact"], false);
    }
}
