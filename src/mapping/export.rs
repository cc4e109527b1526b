//! Export of a [`MappingSet`] as Microsoft Graph `synchronizationSchema` JSON, the shape
//! `GET /servicePrincipals/{id}/synchronization/jobs/{jobId}/schema` returns: the reverse of
//! [`super::import_schema`], so a simulated tenant can serve the schema of any mapping in use (preset,
//! mapping TOML or imported schema).
//!
//! ```text
//! MappingSet ──▶ synchronizationRules[0].objectMappings[]   User → enterprise:2.0:User, Group → core:2.0:Group
//!            │     attributeMappings[]: source tree (Attribute / Constant / Function + parameters),
//!            │     flowType, flowBehavior, matchingPriority, defaultValue; scope.groups[].clauses[]
//!            └─▶ directories[]: the source and target attributes the mappings use ("Exact case?" = caseExact)
//! ```
//!
//! # Round trip
//!
//! `import_schema(export_schema(set))` gives `set` back, except for what Graph cannot tell apart:
//!
//! - an expression that is only an attribute or a constant (`expression = '[mail]'`) is exported as an
//!   `Attribute` / `Constant` source, as Graph stores it, and comes back as a Direct / Constant mapping
//!   (same value on every object);
//! - an empty default value (`default = ""`) is no default value (the importer drops empty ones, as Graph's
//!   `defaultValue` is empty for "no default");
//! - matching precedence 0 means "not a matching attribute" in Graph;
//! - "Exact case?" is a property of the target attribute's definition in `directories`, so two mappings
//!   writing the same target attribute share the first one's value.
//!
//! What a [`MappingSet`] does not hold is not exported: a disabled group mapping's attributes (an empty
//! disabled group mapping is written instead), `exportMissingReferences` (always `false`), category and
//! input filter groups, other object types, a mapping file's `description`.
//!
//! The `expression` text of a function source is the mapping's text as written, and it is what the
//! importer reads. The `parameters` tree beside it follows Graph's conventions (one `{key, value}` per
//! written argument, keyed by the parameter's name, repeated for variadic parameters; numbers and
//! `vbTextCompare`-style identifiers as `Constant` strings, omitted arguments left out); a function whose
//! arguments hold a comparison (`IIF([a] = "x", …)`), which the tree cannot express, gets an empty
//! `parameters` list, and readers fall back on its `expression`.

mod directories;

use serde_json::{json, Value as Json};

use directories::{source_directory, target_directory};

use super::ast::{quote, Expr, ExprKind};
use super::catalog::{self, ObjectKind};
use super::model::{Apply, AttributeMapping, FlowBehavior, MappingSet, MappingSource, ObjectMapping, TargetActions};
use super::resource::CORE_GROUP;
use super::scope::ScopingFilters;
use super::target::ENTERPRISE_USER;

/// The source directory's name in every Entra provisioning schema.
pub const SOURCE_DIRECTORY: &str = "Azure Active Directory";
/// The target directory's name in the schema of a custom SCIM app (both the `scim` and the legacy
/// `customappsso` job).
pub const TARGET_DIRECTORY: &str = "customappsso";
/// The id of the exported schema (the job template of a custom SCIM app).
const SCHEMA_ID: &str = "scim";
/// The name of the one synchronization rule of a provisioning job that writes to an app.
const RULE_NAME: &str = "USER_OUTBOUND_USER";

/// The Graph `synchronizationSchema` JSON of `set`, with its one synchronization rule (user and group object
/// mappings) and the `directories` definitions its attribute mappings use. `version` is `Hash:` and eight
/// hex digits of the content, so it changes exactly when the mappings do.
pub fn export_schema(set: &MappingSet) -> Json {
    let groups = set.groups.as_ref().map(|g| object_mapping(g, true));
    let groups = groups.unwrap_or_else(|| object_mapping(&ObjectMapping::new(ObjectKind::Group), false));
    let rules = json!([{
        "id": RULE_NAME,
        "name": RULE_NAME,
        "editable": true,
        "priority": 1,
        "sourceDirectoryName": SOURCE_DIRECTORY,
        "targetDirectoryName": TARGET_DIRECTORY,
        "metadata": [],
        "objectMappings": [object_mapping(&set.users, true), groups],
    }]);
    let directories = json!([source_directory(set), target_directory(set)]);
    let version = format!("Hash:{:08X}", fnv1a(&[&rules, &directories]));
    json!({
        "id": SCHEMA_ID,
        "version": version,
        "directories": directories,
        "synchronizationRules": rules,
    })
}

/// The Graph name of the target object a mapping of `kind` writes.
pub fn target_object_name(kind: ObjectKind) -> &'static str {
    match kind {
        ObjectKind::User => ENTERPRISE_USER,
        ObjectKind::Group => CORE_GROUP,
    }
}

fn object_mapping(om: &ObjectMapping, enabled: bool) -> Json {
    json!({
        "enabled": enabled,
        "flowTypes": flow_types(om.actions),
        "name": format!("Provision Microsoft Entra ID {}s", om.kind.as_str()),
        "sourceObjectName": om.kind.as_str(),
        "targetObjectName": target_object_name(om.kind),
        "metadata": [],
        "attributeMappings": om.attributes.iter().map(attribute_mapping).collect::<Vec<_>>(),
        "scope": scope(&om.scope),
    })
}

/// Graph's `objectFlowTypes` flags: `Add, Update, Delete`, or `None`.
fn flow_types(actions: TargetActions) -> String {
    let names = [(actions.create, "Add"), (actions.update, "Update"), (actions.delete, "Delete")];
    let on: Vec<&str> = names.iter().filter(|(on, _)| *on).map(|(_, n)| *n).collect();
    if on.is_empty() {
        "None".to_string()
    } else {
        on.join(", ")
    }
}

fn attribute_mapping(m: &AttributeMapping) -> Json {
    let flow_type = match m.apply {
        Apply::Always => "Always",
        Apply::OnCreate => "ObjectAddOnly",
        Apply::MultiValueAddOnly => "MultiValueAddOnly",
        Apply::ValueAddOnly => "ValueAddOnly",
        Apply::AttributeAddOnly => "AttributeAddOnly",
    };
    let flow_behavior = match m.flow_behavior {
        FlowBehavior::FlowWhenChanged => "FlowWhenChanged",
        FlowBehavior::FlowAlways => "FlowAlways",
    };
    json!({
        "defaultValue": m.default,
        "exportMissingReferences": false,
        "flowBehavior": flow_behavior,
        "flowType": flow_type,
        "matchingPriority": m.matching_priority.unwrap_or(0),
        "targetAttributeName": m.target.to_string(),
        "source": source(&m.source),
    })
}

fn source(s: &MappingSource) -> Json {
    match s {
        MappingSource::Direct(name) => attribute_source(name),
        MappingSource::Constant(value) => constant_source(value, &quote(value)),
        MappingSource::Expression(e) => match &e.ast.kind {
            ExprKind::Call { name, args, .. } => {
                let parameters = parameters(name, args).unwrap_or_default();
                function_source(name, &e.text, parameters)
            }
            _ => node(&e.ast).unwrap_or(Json::Null),
        },
        MappingSource::None => Json::Null,
    }
}

fn attribute_source(name: &str) -> Json {
    json!({"expression": format!("[{name}]"), "name": name, "parameters": [], "type": "Attribute"})
}

fn constant_source(value: &str, expression: &str) -> Json {
    json!({"expression": expression, "name": value, "parameters": [], "type": "Constant"})
}

fn function_source(name: &str, expression: &str, parameters: Vec<Json>) -> Json {
    json!({"expression": expression, "name": name, "parameters": parameters, "type": "Function"})
}

/// One node of the `parameters` tree; `None` when the node (or one below it) is a comparison.
fn node(e: &Expr) -> Option<Json> {
    Some(match &e.kind {
        ExprKind::Attribute(name) => attribute_source(name),
        ExprKind::Str(s) => constant_source(s, &quote(s)),
        ExprKind::Int(_) | ExprKind::Hex(_) | ExprKind::Ident(_) => {
            let text = e.to_string();
            constant_source(&text, &text)
        }
        ExprKind::Call { name, args, .. } => function_source(name, &e.to_string(), parameters(name, args)?),
        ExprKind::Compare { .. } => return None,
    })
}

fn parameters(function: &str, args: &[Option<Expr>]) -> Option<Vec<Json>> {
    let mut out = Vec::new();
    for (i, arg) in args.iter().enumerate() {
        if let Some(arg) = arg {
            out.push(json!({"key": parameter_key(function, i), "value": node(arg)?}));
        }
    }
    Some(out)
}

/// The Graph parameter name of argument `i` of `function` (what [`catalog::graph_param_position`] reads
/// back): the portal's parameter names, Graph's own names for `Replace`, and the repeated last parameter
/// of a variadic function (`Join`'s `source`, `Switch`'s alternating `key` / `value`).
fn parameter_key(function: &str, i: usize) -> &'static str {
    const REPLACE: &[&str] = &[
        "source",
        "find",
        "RegularExpression",
        "RegularExpressionGroupName",
        "replacement",
        "ReplacementPropertyName",
        "template",
    ];
    if function == "Replace" {
        return REPLACE.get(i).copied().unwrap_or("template");
    }
    if function == "Switch" && i >= 2 {
        return if i % 2 == 0 { "key" } else { "value" };
    }
    match catalog::function(function).map(|f| f.params) {
        Some(params) if !params.is_empty() => params[i.min(params.len() - 1)],
        _ => "source",
    }
}

fn scope(scope: &ScopingFilters) -> Json {
    if scope.filters.is_empty() {
        return Json::Null;
    }
    let groups: Vec<Json> = scope
        .filters
        .iter()
        .map(|f| {
            let clauses: Vec<Json> = f
                .clauses
                .iter()
                .map(|c| {
                    let values = if c.operator.is_unary() && c.value.is_empty() { vec![] } else { vec![&c.value] };
                    json!({
                        "operatorName": c.operator.name(),
                        "sourceOperandName": c.attribute,
                        "targetOperand": {"values": values},
                    })
                })
                .collect();
            json!({"name": f.title, "clauses": clauses})
        })
        .collect();
    json!({"categoryFilterGroups": [], "groups": groups, "inputFilterGroups": []})
}

/// FNV-1a (32 bits) of the compact JSON of `parts`: a stable content hash for `version`.
fn fnv1a(parts: &[&Json]) -> u32 {
    let mut hash: u32 = 0x811c_9dc5;
    for part in parts {
        for byte in part.to_string().bytes() {
            hash ^= u32::from(byte);
            hash = hash.wrapping_mul(0x0100_0193);
        }
    }
    hash
}

#[cfg(test)]
mod tests;
