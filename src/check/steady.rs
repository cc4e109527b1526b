//! The `steady-state` check: create a user the way Entra would with a mapping preset (every mapped target
//! attribute set), read it back, and report every mapped attribute whose returned value differs from what
//! was sent. Entra compares its mapped values with what the endpoint returns and re-sends every
//! difference in every cycle, so each difference is a PATCH per user per cycle, forever (ENTRA.md 3.3).
//!
//! The presets' target attributes are the ones of ENTRA.md 5.4 (`entra-default`) and the Unleash setup
//! guide (`unleash`). `manager` is linked by a PATCH after the create and has its own check
//! (`users/<dialect>/manager`), so it is not part of the round trip.

use serde_json::{json, Value as Json};

use super::attr::TargetPath;
use super::ctx::{expect_object, expect_status, Ctx, Outcome, Stop, USER_URN};
use super::model::{CheckError, Problem};
use crate::engine::dialect::ENTERPRISE_URN;
use crate::scim::client::{Method, Request};

/// The presets the steady-state check knows.
pub const PRESETS: [&str; 2] = ["entra-default", "unleash"];

/// The mapped target attributes of a preset with the values a synthetic source user yields.
pub fn mapped_values(preset: &str, name: &str) -> Result<Vec<(String, Json)>, CheckError> {
    let mail = format!("{name}@example.com");
    let base = vec![
        ("userName", json!(mail)),
        ("active", json!(true)),
        ("displayName", json!(format!("Steady {name}"))),
        ("emails[type eq \"work\"].value", json!(mail)),
        ("name.givenName", json!("Stella")),
        ("name.familyName", json!("Steady")),
        ("externalId", json!(name)),
    ];
    let extra = match preset {
        "unleash" => vec![],
        "entra-default" => vec![
            ("title", json!("Staff Engineer")),
            ("preferredLanguage", json!("en-US")),
            ("name.formatted", json!("Stella Steady")),
            ("addresses[type eq \"work\"].formatted", json!("Bldg 7")),
            ("addresses[type eq \"work\"].streetAddress", json!("7 Steady St")),
            ("addresses[type eq \"work\"].locality", json!("Redmond")),
            ("addresses[type eq \"work\"].region", json!("WA")),
            ("addresses[type eq \"work\"].postalCode", json!("98052")),
            ("addresses[type eq \"work\"].country", json!("US")),
            ("phoneNumbers[type eq \"work\"].value", json!("+1 425 555 0170")),
            ("phoneNumbers[type eq \"mobile\"].value", json!("+1 425 555 0171")),
            ("phoneNumbers[type eq \"fax\"].value", json!("+1 425 555 0172")),
            ("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber", json!("7007")),
            ("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", json!("Reliability")),
        ],
        other => return Err(CheckError::UnknownMapping { name: other.to_string(), known: PRESETS.join(", ") }),
    };
    Ok(base.into_iter().chain(extra).map(|(p, v)| (p.to_string(), v)).collect())
}

/// Builds the POST body Entra sends for these mapped values.
pub fn post_body(values: &[(String, Json)]) -> Json {
    let mut body = json!({"schemas": [USER_URN], "meta": {"resourceType": "User"}});
    for (path, value) in values {
        if let Some(p) = TargetPath::parse(path) {
            p.set(&mut body, value.clone());
        }
    }
    if values.iter().any(|(p, _)| p.starts_with(ENTERPRISE_URN)) {
        body["schemas"] = json!([USER_URN, ENTERPRISE_URN]);
    }
    if let Some(Json::Array(emails)) = body.get_mut("emails") {
        for email in emails.iter_mut().filter(|e| e["type"] == json!("work")) {
            email["primary"] = json!(true);
        }
    }
    body["roles"] = json!([]);
    body
}

/// `steady-state/<preset>`.
pub async fn run(ctx: &mut Ctx, preset: &str) {
    let mark = ctx.mark();
    let outcome = round_trip(ctx, preset).await;
    ctx.record("steady-state", preset, mark, outcome);
}

async fn round_trip(ctx: &mut Ctx, preset: &str) -> Outcome {
    let name = ctx.unique("steady");
    let values = mapped_values(preset, &name).map_err(|e| Stop::Skip(e.to_string()))?;
    let ex = ctx.send(Request::new(Method::Post, "/Users").body(post_body(&values))).await?;
    let Some(id) = ctx.register(&ex, "Users", &name) else {
        return Err(Stop::Skip(format!(
            "could not create the user: POST /Users answered {}",
            super::ctx::status_text(&ex)
        )));
    };
    let get = ctx.send(Request::new(Method::Get, format!("/Users/{id}")).verification()).await?;
    expect_status(&get, &[200], "get_status", "serve GET /Users/{id}")?;
    let resource = expect_object(&get)?.clone();
    let mut differing = 0;
    for (path, sent) in &values {
        let got = TargetPath::parse(path).and_then(|p| p.lookup(&resource).cloned());
        if got.as_ref() == Some(sent) {
            continue;
        }
        differing += 1;
        let got = got.map_or_else(|| "nothing".to_string(), |v| v.to_string());
        ctx.warn(Problem::error(
            "not_steady",
            format!("`{path}`: sent {sent}, {} returned {got}; Entra re-sends it every cycle", get.request_line()),
            format!("store `{path}` exactly as sent and return it on GET"),
            Some(&get),
        ));
    }
    if differing > 0 {
        return Ok(format!("{differing} of {} mapped attributes differ after the round trip", values.len()));
    }
    Ok(format!("all {} mapped attributes of `{preset}` returned as sent", values.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn post_body_nests_paths_like_entra() {
        let values = mapped_values("entra-default", "n").unwrap();
        let body = post_body(&values);
        assert_eq!(body["emails"], json!([{"type": "work", "value": "n@example.com", "primary": true}]));
        assert_eq!(body[ENTERPRISE_URN]["department"], json!("Reliability"));
        assert_eq!(body["phoneNumbers"].as_array().unwrap().len(), 3);
        assert_eq!(body["schemas"], json!([USER_URN, ENTERPRISE_URN]));
        for (path, value) in &values {
            assert_eq!(TargetPath::parse(path).unwrap().lookup(&body), Some(value), "{path}");
        }
        assert!(matches!(mapped_values("nope", "n"), Err(CheckError::UnknownMapping { .. })));
    }
}
