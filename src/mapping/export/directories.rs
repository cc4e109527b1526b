//! The `directories` part of an exported schema: the definitions of the source and target attributes the
//! mappings use. The importer reads only the target attributes' `caseExact` ("Exact case?"); the rest makes
//! the document what Graph clients expect (types, multi-valued, references).

use serde_json::{json, Value as Json};

use super::{target_object_name, SOURCE_DIRECTORY, TARGET_DIRECTORY};
use crate::mapping::catalog::ObjectKind;
use crate::mapping::model::{MappingSet, MappingSource, ObjectMapping};
use crate::mapping::target::ScimType;

/// The source directory's definition: the Entra attributes the mappings and scoping filters read.
pub(super) fn source_directory(set: &MappingSet) -> Json {
    let objects: Vec<Json> = object_mappings(set)
        .map(|om| {
            let attributes: Vec<Json> = source_attributes(om)
                .into_iter()
                .map(|name| {
                    let (ty, multivalued) = source_type(name);
                    attribute_definition(name, ty, false, multivalued, false, referenced_objects(ty, multivalued))
                })
                .collect();
            object_definition(om.kind.as_str(), attributes)
        })
        .collect();
    json!({"id": "AzureActiveDirectory", "name": SOURCE_DIRECTORY, "readOnly": true, "objects": objects})
}

/// The target directory's definition: every target attribute once, with "Exact case?" as `caseExact`.
pub(super) fn target_directory(set: &MappingSet) -> Json {
    let objects: Vec<Json> = object_mappings(set)
        .map(|om| {
            let mut seen: Vec<String> = Vec::new();
            let mut attributes = Vec::new();
            for m in &om.attributes {
                let name = m.target.to_string();
                if seen.iter().any(|s| s.eq_ignore_ascii_case(&name)) {
                    continue;
                }
                let ty = match m.target.scim_type() {
                    ScimType::Boolean => "Boolean",
                    ScimType::Integer => "Integer",
                    ScimType::DateTime => "DateTime",
                    ScimType::Reference => "Reference",
                    ScimType::String | ScimType::Complex => "String",
                };
                let multivalued = m.target.is_multi_valued() && !m.target.is_filtered();
                let referenced = referenced_objects(ty, multivalued);
                let required = match om.kind {
                    ObjectKind::User => name == "userName",
                    ObjectKind::Group => name == "displayName",
                };
                attributes.push(attribute_definition(&name, ty, m.case_exact, multivalued, required, referenced));
                seen.push(name);
            }
            object_definition(target_object_name(om.kind), attributes)
        })
        .collect();
    json!({"id": TARGET_DIRECTORY, "name": TARGET_DIRECTORY, "readOnly": false, "objects": objects})
}

fn object_mappings(set: &MappingSet) -> impl Iterator<Item = &ObjectMapping> {
    std::iter::once(&set.users).chain(set.groups.as_ref())
}

/// What a reference points at: a manager is a user, members are users and groups.
fn referenced_objects(ty: &str, multivalued: bool) -> &'static [&'static str] {
    match (ty, multivalued) {
        ("Reference", false) => &["User"],
        ("Reference", true) => &["User", "Group"],
        _ => &[],
    }
}

fn object_definition(name: &str, attributes: Vec<Json>) -> Json {
    json!({"name": name, "attributes": attributes, "metadata": [], "supportedApis": []})
}

fn attribute_definition(
    name: &str,
    ty: &str,
    case_exact: bool,
    multivalued: bool,
    required: bool,
    referenced: &[&str],
) -> Json {
    let referenced: Vec<Json> =
        referenced.iter().map(|o| json!({"referencedObjectName": o, "referencedProperty": null})).collect();
    json!({
        "name": name,
        "type": ty,
        "caseExact": case_exact,
        "multivalued": multivalued,
        "required": required,
        "mutability": "ReadWrite",
        "anchor": false,
        "flowNullValues": false,
        "apiExpressions": [],
        "metadata": [],
        "referencedObjects": referenced,
    })
}

/// Source attributes an object mapping reads (direct sources, attributes inside expressions, scoping
/// clauses), each once, in order of first use.
fn source_attributes(om: &ObjectMapping) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    for m in &om.attributes {
        let names: Vec<&str> = match &m.source {
            MappingSource::Direct(name) => vec![name.as_str()],
            MappingSource::Expression(e) => e.ast.attributes(),
            MappingSource::Constant(_) | MappingSource::None => vec![],
        };
        out.extend(names);
    }
    out.extend(om.scope.filters.iter().flat_map(|f| f.clauses.iter().map(|c| c.attribute.as_str())));
    let mut unique: Vec<&str> = Vec::new();
    for name in out {
        if !unique.iter().any(|u| u.eq_ignore_ascii_case(name)) {
            unique.push(name);
        }
    }
    unique
}

/// Graph's type of an Entra source attribute and whether it is multi-valued.
fn source_type(name: &str) -> (&'static str, bool) {
    match name.to_ascii_lowercase().as_str() {
        "accountenabled" | "issoftdeleted" | "showinaddresslist" | "securityenabled" | "mailenabled" => {
            ("Boolean", false)
        }
        "manager" => ("Reference", false),
        "members" => ("Reference", true),
        "approleassignments" | "proxyaddresses" | "othermails" | "businessphones" => ("String", true),
        "createddatetime" | "employeehiredate" | "employeeleavedatetime" => ("DateTime", false),
        _ => ("String", false),
    }
}
