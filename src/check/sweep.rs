//! The `schema/attributes` sweep (`--schema discover`, like the hosted validator's "Discover schema" mode):
//! every user attribute the endpoint declares in `/Schemas` (the core User schema and the User resource
//! type's extensions) is written on a user of its own with a type-appropriate value and read back, one
//! result per attribute (`schema/attributes/<attribute>`). Values honour the declaration: `canonicalValues`
//! are used when given, every value is unique to the run (so `uniqueness` holds), `caseExact` decides how
//! strings compare, read-only attributes are not written, and write-only or never-returned ones pass once
//! the write is accepted. It sends about four requests per attribute, so it is not part of the default set.

use serde_json::{json, Map, Value as Json};

use super::attr::get_ci;
use super::ctx::{Ctx, Outcome, Stop, USER_URN};
use super::judge::{expect_list, expect_object, expect_status};
use super::model::Problem;
use super::updates::patch;
use crate::engine::dialect::ENTERPRISE_URN;
use crate::scim::client::{Method, Request};

/// One declared attribute to write.
struct Declared {
    /// `title`, or `urn:…:User:department` for extension attributes.
    path: String,
    /// The extension URN holding it, `None` for core attributes.
    urn: Option<String>,
    def: Json,
}

/// Runs the sweep: one recorded check per declared attribute.
pub async fn run(ctx: &mut Ctx) {
    let mark = ctx.mark();
    let declared = match discover(ctx).await {
        Ok(list) => list,
        Err(stop) => {
            ctx.finish("schema", "attributes", mark, Err(stop)).await;
            return;
        }
    };
    for (n, attribute) in declared.iter().enumerate() {
        let mark = if n == 0 { mark } else { ctx.mark() };
        let outcome = write_and_read(ctx, attribute).await;
        ctx.finish("schema/attributes", &attribute.path, mark, outcome).await;
    }
}

async fn discover(ctx: &mut Ctx) -> Result<Vec<Declared>, Stop> {
    let mut urns = vec![USER_URN.to_string()];
    let types = ctx.send(Request::new(Method::Get, "/ResourceTypes")).await?;
    let extensions: Vec<String> = expect_list(&types)
        .ok()
        .and_then(|list| {
            let user = list.into_iter().find(|t| get_ci(t, "schema").and_then(Json::as_str) == Some(USER_URN))?;
            let ext = get_ci(&user, "schemaExtensions")?.as_array()?.clone();
            Some(ext.iter().filter_map(|e| get_ci(e, "schema").and_then(Json::as_str).map(str::to_string)).collect())
        })
        .unwrap_or_else(|| vec![ENTERPRISE_URN.to_string()]);
    urns.extend(extensions);
    let ex = ctx.send(Request::new(Method::Get, "/Schemas")).await?;
    let schemas = expect_list(&ex)?;
    let mut declared = Vec::new();
    for urn in &urns {
        let schema = schemas
            .iter()
            .find(|s| get_ci(s, "id").and_then(Json::as_str).is_some_and(|i| i.eq_ignore_ascii_case(urn)));
        let Some(attributes) = schema.and_then(|s| get_ci(s, "attributes")).and_then(Json::as_array) else { continue };
        for def in attributes {
            let Some(name) = get_ci(def, "name").and_then(Json::as_str) else { continue };
            let core = urn == USER_URN;
            declared.push(Declared {
                path: if core { name.to_string() } else { format!("{urn}:{name}") },
                urn: (!core).then(|| urn.clone()),
                def: def.clone(),
            });
        }
    }
    if declared.is_empty() {
        return Err(Stop::Fail(Problem::error(
            "schema_missing",
            format!("{} declares no attribute of the User schema", ex.request_line()),
            "serve the User schema (and its extensions) in /Schemas",
            Some(&ex),
        )));
    }
    Ok(declared)
}

fn text<'a>(def: &'a Json, key: &str) -> &'a str {
    get_ci(def, key).and_then(Json::as_str).unwrap_or_default()
}

/// A value for `def` unique to `token`, or `None` when the attribute cannot be written meaningfully.
fn value_for(def: &Json, token: &str) -> Option<Json> {
    let name = text(def, "name");
    let canonical = get_ci(def, "canonicalValues").and_then(Json::as_array).and_then(|c| c.first()).cloned();
    let one = match text(def, "type").to_ascii_lowercase().as_str() {
        "complex" => {
            let mut obj = Map::new();
            for sub in get_ci(def, "subAttributes").and_then(Json::as_array).into_iter().flatten() {
                let mutability = text(sub, "mutability");
                if mutability.eq_ignore_ascii_case("readOnly") || text(sub, "type").eq_ignore_ascii_case("reference") {
                    continue;
                }
                let sub_name = text(sub, "name");
                let value = match sub_name {
                    "type" if get_ci(sub, "canonicalValues").is_none() => json!("work"),
                    "value" if name.eq_ignore_ascii_case("emails") => json!(format!("{token}@example.com")),
                    _ => value_for(sub, token)?,
                };
                obj.insert(sub_name.to_string(), value);
            }
            (!obj.is_empty()).then_some(Json::Object(obj))?
        }
        _ if canonical.is_some() => canonical?,
        "boolean" => json!(true),
        "integer" => json!(42),
        "decimal" => json!(1.5),
        "datetime" => json!("2026-01-02T03:04:05Z"),
        "binary" => json!("AAEC"),
        "reference" => json!(format!("https://example.com/{token}")),
        _ => match name {
            "preferredLanguage" | "locale" => json!("en-US"),
            "timezone" => json!("America/Los_Angeles"),
            "userName" => json!(format!("{token}@example.com")),
            _ => json!(format!("{name}-{token}")),
        },
    };
    let multi = get_ci(def, "multiValued").and_then(Json::as_bool).unwrap_or(false);
    Some(if multi { json!([one]) } else { one })
}

/// Whether everything sent is in what came back (strings compared as `case_exact` says).
fn holds(sent: &Json, got: &Json, case_exact: bool) -> bool {
    match (sent, got) {
        (Json::String(a), Json::String(b)) => {
            let instant = |s: &str| chrono::DateTime::parse_from_rfc3339(s).ok();
            a == b || (!case_exact && a.eq_ignore_ascii_case(b)) || instant(a).is_some_and(|t| Some(t) == instant(b))
        }
        (Json::Number(a), Json::Number(b)) => a.as_f64() == b.as_f64(),
        (Json::Bool(a), Json::String(b)) => b.eq_ignore_ascii_case(&a.to_string()),
        (Json::Object(a), Json::Object(_)) => {
            a.iter().all(|(k, v)| get_ci(got, k).is_some_and(|g| holds(v, g, case_exact)))
        }
        (Json::Array(a), Json::Array(b)) => a.iter().all(|s| b.iter().any(|g| holds(s, g, case_exact))),
        _ => sent == got,
    }
}

async fn write_and_read(ctx: &mut Ctx, attribute: &Declared) -> Outcome {
    let def = &attribute.def;
    if text(def, "mutability").eq_ignore_ascii_case("readOnly") {
        return Err(Stop::Skip("read-only: the endpoint sets it".into()));
    }
    if text(def, "name").eq_ignore_ascii_case("manager") {
        return Err(Stop::Skip("a reference to another user: `users/<dialect>/manager` checks it".into()));
    }
    let (id, _) = ctx.setup_user("swept").await?;
    let token = ctx.unique("v");
    let Some(value) = value_for(def, &token) else {
        return Err(Stop::Skip("no writable sub-attribute".into()));
    };
    let op = json!({"op": "replace", "path": attribute.path, "value": value});
    let ex = patch(ctx, &id, vec![op]).await?;
    let returned = text(def, "returned");
    if text(def, "mutability").eq_ignore_ascii_case("writeOnly") || returned.eq_ignore_ascii_case("never") {
        return Ok(format!("{} → {} (never returned, not read back)", ex.request_line(), ex.status.unwrap_or(0)));
    }
    let get = ctx.send(Request::new(Method::Get, format!("/Users/{id}")).verification()).await?;
    expect_status(&get, &[200], "get_status", "serve GET /Users/{id} after a PATCH")?;
    let user = expect_object(&get)?.clone();
    let holder = match &attribute.urn {
        Some(urn) => get_ci(&user, urn).cloned().unwrap_or(Json::Null),
        None => user,
    };
    let got = get_ci(&holder, text(def, "name"));
    let case_exact = get_ci(def, "caseExact").and_then(Json::as_bool).unwrap_or(false);
    if !got.is_some_and(|g| holds(&value, g, case_exact)) {
        return Err(Stop::Fail(Problem::error(
            "not_stored",
            format!(
                "after {}, {} returned `{}` = {}, sent {value}",
                ex.request_line(),
                get.request_line(),
                attribute.path,
                got.map_or_else(|| "nothing".to_string(), Json::to_string)
            ),
            "store every attribute /Schemas declares as writable and return it as sent",
            Some(&get),
        )));
    }
    Ok(format!("{} → {}; read back", ex.request_line(), ex.status.unwrap_or(0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_follow_the_declaration() {
        let emails = json!({"name": "emails", "type": "complex", "multiValued": true, "subAttributes": [
            {"name": "value", "type": "string"}, {"name": "type", "type": "string"},
            {"name": "primary", "type": "boolean"}, {"name": "display", "type": "string", "mutability": "readOnly"}
        ]});
        let v = value_for(&emails, "t1").unwrap();
        assert_eq!(v, json!([{"value": "t1@example.com", "type": "work", "primary": true}]));
        let kind = json!({"name": "userType", "type": "string", "canonicalValues": ["Employee", "Contractor"]});
        assert_eq!(value_for(&kind, "t1"), Some(json!("Employee")));
        assert_eq!(value_for(&json!({"name": "n", "type": "integer"}), "t"), Some(json!(42)));
    }

    #[test]
    fn read_back_compares_as_declared() {
        assert!(holds(&json!("Abc"), &json!("abc"), false));
        assert!(!holds(&json!("Abc"), &json!("abc"), true));
        assert!(holds(&json!("2026-01-02T03:04:05Z"), &json!("2026-01-02T03:04:05.000Z"), true));
        assert!(holds(
            &json!([{"value": "a", "type": "work"}]),
            &json!([{"value": "a", "type": "work", "primary": false}]),
            false
        ));
        assert!(!holds(&json!([{"value": "a"}]), &json!([{"value": "b"}]), false));
    }
}
