//! The `steady-state` check: create a user the way Entra would with the chosen mapping (every user mapping
//! evaluated for a create against a realistic synthetic source user, the POST body built by
//! [`mapping::build_resource`]), read it back, and report every mapped attribute whose returned value
//! differs from what was sent, compared as Entra compares (`engine::diff::values_equal`, honouring each
//! mapping's "exact case"). Entra re-sends each difference in every cycle, forever (ENTRA.md 3.3).
//!
//! Reference attributes (`manager`) are linked by a PATCH after the create and have their own check
//! (`users/<dialect>/manager`), so they are not part of the round trip.

use serde_json::Value as Json;

use super::ctx::{Ctx, Outcome, Stop};
use super::judge::{expect_object, expect_status, status_text};
use super::model::Problem;
use crate::directory;
use crate::engine::{diff, steady as engine_steady, Dialect};
use crate::mapping::{self, EvalEnv, Evaluated, MappingSet, ObjectKind, Operation, SourceObject, TargetAttr, Value};
use crate::scim::client::{Method, Request};

/// One mapped attribute of the user the check creates.
#[derive(Debug, Clone, PartialEq)]
pub struct MappedValue {
    /// The SCIM target.
    pub target: TargetAttr,
    /// The typed value Entra sends for it on POST.
    pub value: Json,
    /// The mapping's "exact case" flag.
    pub case_exact: bool,
}

/// A realistic source user (from the synthetic tenant generator) whose unique attributes carry `name`.
pub fn source_user(name: &str) -> SourceObject {
    let tenant = directory::generate(2, 0, 7);
    let mut user = tenant.users().nth(1).map(|(id, _)| tenant.source_object(id)).unwrap_or_default();
    let mail = format!("{name}@example.com");
    for (attr, value) in [
        ("userPrincipalName", Value::Str(mail.clone())),
        ("mail", Value::Str(mail)),
        ("mailNickname", Value::Str(name.to_string())),
        ("displayName", Value::Str(format!("Steady {name}"))),
        ("objectId", Value::Str(uuid::Uuid::new_v4().to_string())),
        ("employeeId", Value::Str(format!("E-{name}"))),
        ("IsSoftDeleted", Value::Bool(false)),
        ("accountEnabled", Value::Bool(true)),
    ] {
        user.set(attr, value);
    }
    user.remove("manager");
    user
}

/// The non-reference user attributes `set` provisions on create for `src`, typed as Entra sends them.
pub fn mapped_values(set: &MappingSet, src: &SourceObject) -> Vec<MappedValue> {
    let mut env = EvalEnv::system();
    set.users
        .attributes
        .iter()
        .filter(|m| !m.target.is_reference())
        .filter_map(|m| match m.evaluate_for(src, &mut env, Operation::Create) {
            Ok(Evaluated::Flow(v)) => {
                Some(MappedValue { target: m.target.clone(), value: m.target.scim_value(&v), case_exact: m.case_exact })
            }
            _ => None,
        })
        .filter(|m| !m.value.is_null())
        .collect()
}

/// `steady-state/<mapping name>`.
pub async fn run(ctx: &mut Ctx, name: &str, set: &MappingSet) {
    let mark = ctx.mark();
    let outcome = round_trip(ctx, set).await;
    ctx.finish("steady-state", name, mark, outcome).await;
}

async fn round_trip(ctx: &mut Ctx, set: &MappingSet) -> Outcome {
    let name = ctx.unique("steady");
    let values = mapped_values(set, &source_user(&name));
    let pairs: Vec<(TargetAttr, Json)> = values.iter().map(|m| (m.target.clone(), m.value.clone())).collect();
    let body = mapping::build_resource(ObjectKind::User, &pairs);
    let ex = ctx.send(Request::new(Method::Post, "/Users").body(body)).await?;
    let Some(id) = ctx.register(&ex, "Users", &name) else {
        return Err(Stop::Skip(format!("could not create the user: POST /Users answered {}", status_text(&ex))));
    };
    let get = ctx.send(Request::new(Method::Get, format!("/Users/{id}")).verification()).await?;
    expect_status(&get, &[200], "get_status", "serve GET /Users/{id}")?;
    let resource = expect_object(&get)?.clone();
    let mut differing = 0;
    for mapped in &values {
        let returned = mapped.target.lookup(&resource);
        if returned.is_some_and(|r| diff::values_equal(&mapped.value, r, mapped.case_exact)) {
            continue;
        }
        differing += 1;
        let path = mapped.target.to_string();
        let cause = engine_steady::likely_cause(Dialect::Legacy, &path, &mapped.value, returned, mapped.case_exact);
        let shown = returned.map_or_else(|| "nothing".to_string(), Json::to_string);
        ctx.note(Problem::error(
            "not_steady",
            format!("`{path}`: POST sent {}, {} returned {shown}: {cause}", mapped.value, get.request_line()),
            format!("store `{path}` exactly as sent and return it on GET; Entra re-sends it every cycle"),
            Some(&get),
        ));
    }
    if differing > 0 {
        return Ok(format!("{differing} of {} mapped attributes differ after the round trip", values.len()));
    }
    Ok(format!("all {} mapped attributes returned as sent", values.len()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn preset(name: &str) -> MappingSet {
        mapping::load(name, std::path::Path::new(".")).expect("preset loads").set
    }

    #[test]
    fn entra_default_maps_a_full_user_without_the_manager() {
        let values = mapped_values(&preset("entra-default"), &source_user("entrasim-t-steady1"));
        let paths: Vec<String> = values.iter().map(|m| m.target.to_string()).collect();
        for expected in ["userName", "active", "title", "emails[type eq \"work\"].value", "name.familyName"] {
            assert!(paths.iter().any(|p| p == expected), "{expected} missing from {paths:?}");
        }
        assert!(!paths.iter().any(|p| p.ends_with(":manager")), "{paths:?}");
        let user_name = values.iter().find(|m| m.target.to_string() == "userName").unwrap();
        assert_eq!(user_name.value, json!("entrasim-t-steady1@example.com"));
        let active = values.iter().find(|m| m.target.to_string() == "active").unwrap();
        assert_eq!(active.value, json!(true));
    }

    #[test]
    fn unleash_maps_fewer_attributes() {
        let unleash = mapped_values(&preset("unleash"), &source_user("n"));
        let default = mapped_values(&preset("entra-default"), &source_user("n"));
        assert!(!unleash.is_empty() && unleash.len() < default.len());
    }
}
