//! The `schema/discovery` check (the Logic App's `Schema_Discoverability_Test`, ENTRA.md 1.10 and 7.2):
//! `GET /Schemas` and `GET /ResourceTypes` must declare every target attribute of the mapping in use. A
//! target such as `emails[type eq "work"].value` is covered by the `emails` attribute with its `value`
//! sub-attribute; `urn:…:enterprise:2.0:User:department` by the `department` attribute of the enterprise
//! schema. Names compare case-insensitively. With group provisioning on, the core Group schema must be
//! there too (the Logic App fails every group test without it).

use serde_json::Value as Json;

use super::attr::get_ci;
use super::ctx::{Ctx, Outcome, Stop, USER_URN};
use super::judge::expect_list;
use super::model::Problem;
use crate::engine::dialect::GROUP_URN;
use crate::mapping::{MappingSet, TargetAttr};
use crate::scim::client::{Exchange, Method, Request};

/// `schema/discovery`.
pub async fn run(ctx: &mut Ctx, mapping: &MappingSet, groups: bool) {
    let mark = ctx.mark();
    let outcome = discover(ctx, mapping, groups).await;
    ctx.finish("schema", "discovery", mark, outcome).await;
}

async fn discover(ctx: &mut Ctx, mapping: &MappingSet, groups: bool) -> Outcome {
    let hint = "serve `GET /Schemas` as a ListResponse of schema documents (required for gallery onboarding)";
    let ex = ctx.send(Request::new(Method::Get, "/Schemas")).await?;
    let schemas = expect_list(&ex).map_err(|stop| with_hint(stop, hint))?;
    let mut wanted: Vec<(&str, &TargetAttr)> = mapping.users.attributes.iter().map(|m| (USER_URN, &m.target)).collect();
    if groups {
        wanted.extend(mapping.groups.iter().flat_map(|g| g.attributes.iter()).map(|m| (GROUP_URN, &m.target)));
    }
    let mut missing: Vec<String> = wanted
        .iter()
        .filter(|(core, target)| !declared(&schemas, target.schema.as_deref().unwrap_or(core), target))
        .map(|(_, target)| format!("`{target}`"))
        .collect();
    missing.dedup();
    if groups && find_schema(&schemas, GROUP_URN).is_none() {
        return Err(Stop::Fail(Problem::error(
            "schema_missing",
            format!("{} does not list the core Group schema `{GROUP_URN}`", ex.request_line()),
            "declare the Group schema: Microsoft's validation fails every group test without it",
            Some(&ex),
        )));
    }
    if !missing.is_empty() {
        return Err(Stop::Fail(Problem::error(
            "attribute_not_discoverable",
            format!(
                "{} does not declare {} of the mapping's target attributes: {}",
                ex.request_line(),
                missing.len(),
                missing.join(", ")
            ),
            "declare every attribute Entra writes (with its sub-attributes) in the schema documents of /Schemas",
            Some(&ex),
        )));
    }
    let ex = ctx.send(Request::new(Method::Get, "/ResourceTypes")).await?;
    let types = expect_list(&ex).map_err(|stop| with_hint(stop, "serve `GET /ResourceTypes` as a ListResponse"))?;
    let needs_enterprise = wanted.iter().any(|(_, t)| t.is_enterprise());
    resource_type(&ex, &types, "/Users", USER_URN, needs_enterprise.then_some(crate::engine::dialect::ENTERPRISE_URN))?;
    if groups {
        resource_type(&ex, &types, "/Groups", GROUP_URN, None)?;
    }
    Ok(format!(
        "/Schemas declares all {} target attributes; /ResourceTypes lists {}",
        wanted.len(),
        if groups { "User and Group" } else { "User" }
    ))
}

fn with_hint(stop: Stop, hint: &str) -> Stop {
    match stop {
        Stop::Fail(mut p) => {
            p.hint = Some(hint.to_string());
            Stop::Fail(p)
        }
        other => other,
    }
}

fn find_schema<'a>(schemas: &'a [Json], urn: &str) -> Option<&'a Json> {
    schemas.iter().find(|s| get_ci(s, "id").and_then(Json::as_str).is_some_and(|id| id.eq_ignore_ascii_case(urn)))
}

fn named<'a>(attributes: Option<&'a Json>, name: &str) -> Option<&'a Json> {
    attributes?
        .as_array()?
        .iter()
        .find(|a| get_ci(a, "name").and_then(Json::as_str).is_some_and(|n| n.eq_ignore_ascii_case(name)))
}

/// Whether schema `urn` declares the target's attribute (and its sub-attribute, when it names one).
fn declared(schemas: &[Json], urn: &str, target: &TargetAttr) -> bool {
    // RFC 7643 §3.1: `id`, `externalId` and `meta` are common to every resource, not part of any schema.
    if target.schema.is_none() && ["id", "externalId", "meta"].iter().any(|c| c.eq_ignore_ascii_case(&target.attribute))
    {
        return true;
    }
    let Some(schema) = find_schema(schemas, urn) else { return false };
    let Some(attribute) = named(get_ci(schema, "attributes"), &target.attribute) else { return false };
    match &target.sub_attribute {
        None => true,
        // A multi-valued attribute of simple values has no sub-attributes: its `value` is the element itself.
        Some(sub) => {
            named(get_ci(attribute, "subAttributes"), sub).is_some()
                || (sub.eq_ignore_ascii_case("value") && get_ci(attribute, "subAttributes").is_none())
        }
    }
}

/// The resource type served at `endpoint` must name `schema` (and `extension` among its extensions).
fn resource_type(
    ex: &Exchange,
    types: &[Json],
    endpoint: &str,
    schema: &str,
    extension: Option<&str>,
) -> Result<(), Stop> {
    let eq = |v: Option<&Json>, s: &str| v.and_then(Json::as_str).is_some_and(|x| x.eq_ignore_ascii_case(s));
    let found = types.iter().find(|t| eq(get_ci(t, "endpoint"), endpoint) && eq(get_ci(t, "schema"), schema));
    let extended = |t: &Json| {
        extension.is_none_or(|urn| {
            get_ci(t, "schemaExtensions")
                .and_then(Json::as_array)
                .is_some_and(|list| list.iter().any(|e| eq(get_ci(e, "schema"), urn)))
        })
    };
    match found {
        Some(t) if extended(t) => Ok(()),
        _ => Err(Stop::Fail(Problem::error(
            "resource_type_missing",
            format!(
                "{} has no resource type at `{endpoint}` with schema `{schema}`{}",
                ex.request_line(),
                extension.map(|e| format!(" and extension `{e}`")).unwrap_or_default()
            ),
            "list each resource type with its endpoint, core schema and schema extensions",
            Some(ex),
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn filtered_and_extension_targets_are_flattened_case_insensitively() {
        let schemas = vec![
            json!({"id": USER_URN, "attributes": [
                {"name": "Emails", "subAttributes": [{"name": "value"}, {"name": "type"}]},
                {"name": "userName"}
            ]}),
            json!({"id": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", "attributes": [{"name": "department"}]}),
        ];
        let t = |s: &str| TargetAttr::parse(s).unwrap();
        assert!(declared(&schemas, USER_URN, &t("emails[type eq \"work\"].value")));
        assert!(declared(&schemas, USER_URN, &t("USERNAME")));
        assert!(!declared(&schemas, USER_URN, &t("title")));
        assert!(!declared(&schemas, USER_URN, &t("emails[type eq \"work\"].display")));
        let dept = t("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department");
        assert!(declared(&schemas, dept.schema.as_deref().unwrap(), &dept));
    }
}
