//! The manager checks of `users/<dialect>`: Entra links the manager with a PATCH carrying the manager's id
//! as a bare string, and reads it back expecting the RFC complex form (ENTRA.md 1.8); removal uses the
//! dialect's form (legacy `Remove urn:…:manager "<id>"`, compliant `remove manager[value eq "<id>"]`).

use serde_json::Value as Json;

use super::attr::get_ci;
use super::ctx::{Ctx, Outcome, Stop};
use super::judge::{expect_object, expect_status};
use super::model::Problem;
use super::updates::patch;
use crate::engine::dialect::{self, Dialect, OpKind, ENTERPRISE_URN};
use crate::scim::client::{Exchange, Method, Request};

/// Reads the user back and returns the exchange and the enterprise extension's `manager`.
async fn read_manager(ctx: &mut Ctx, id: &str) -> Result<(Exchange, Option<Json>), Stop> {
    let get = ctx.send(Request::new(Method::Get, format!("/Users/{id}")).verification()).await?;
    expect_status(&get, &[200], "get_status", "serve GET /Users/{id} after a PATCH")?;
    let resource = expect_object(&get)?;
    let manager = get_ci(resource, ENTERPRISE_URN).and_then(|ext| get_ci(ext, "manager")).cloned();
    Ok((get, manager))
}

/// `manager`: set with a bare id, read back as `{"value": id}`.
pub async fn set(ctx: &mut Ctx, dialect: Dialect) -> Outcome {
    let (manager_id, _) = ctx.setup_user("manager").await?;
    let (id, _) = ctx.setup_user("report").await?;
    let ex = patch(ctx, &id, vec![dialect::manager_set_op(dialect, OpKind::Add, &manager_id)]).await?;
    let line = format!("{} → {}", ex.request_line(), ex.status.unwrap_or(0));
    let (get, manager) = read_manager(ctx, &id).await?;
    match manager.as_ref() {
        Some(Json::Object(m)) if m.get("value").and_then(Json::as_str) == Some(manager_id.as_str()) => {
            Ok(format!("{line}; GET returns manager {{\"value\": \"{manager_id}\"}}"))
        }
        Some(Json::String(s)) => Err(Stop::Fail(Problem::error(
            "manager_not_complex",
            format!("{} returned the manager as the bare string {s:?}; Entra cannot deserialize it (ServiceIncompatible) for every user with a manager", get.request_line()),
            "store the bare id Entra sends, but return `manager` as a complex object `{\"value\": \"<id>\"}`",
            Some(&get),
        ))),
        other => Err(Stop::Fail(Problem::error(
            "not_stored",
            format!(
                "{} returned manager {}, expected {{\"value\": \"{manager_id}\"}}; Entra re-sends the manager every cycle",
                get.request_line(),
                other.map_or_else(|| "nothing".to_string(), Json::to_string)
            ),
            "accept `Add` of `urn:…:enterprise:2.0:User:manager` with a bare id and return it as `{\"value\": id}`",
            Some(&get),
        ))),
    }
}

/// `manager-remove`: set, then remove in the dialect's form; the manager must be gone (absent, null or
/// an empty value).
pub async fn remove(ctx: &mut Ctx, dialect: Dialect) -> Outcome {
    let (manager_id, _) = ctx.setup_user("manager").await?;
    let (id, _) = ctx.setup_user("report").await?;
    patch(ctx, &id, vec![dialect::manager_set_op(dialect, OpKind::Add, &manager_id)])
        .await
        .map_err(|_| Stop::Skip("setting the manager failed (see the `manager` check)".into()))?;
    let ex = patch(ctx, &id, vec![dialect::manager_remove_op(dialect, &manager_id)]).await?;
    let (get, manager) = read_manager(ctx, &id).await?;
    let value = manager.as_ref().map(|m| get_ci(m, "value").unwrap_or(m));
    match value {
        None | Some(Json::Null) => {}
        Some(Json::String(s)) if s.is_empty() => {}
        Some(other) => {
            let message = format!("after {}, {} still returns manager {other}", ex.request_line(), get.request_line());
            return match dialect {
                // The legacy removal shape is inferred, not observed (ENTRA.md 2.3): a warning, not a failure.
                Dialect::Legacy => {
                    ctx.note(Problem::warning(
                        "manager_not_removed",
                        format!("{message} (Entra's legacy removal form is inferred, not documented)"),
                        "accept `Remove` of `urn:…:enterprise:2.0:User:manager` with the old id as value",
                        Some(&get),
                    ));
                    Ok(format!("{} → {}; manager still set", ex.request_line(), ex.status.unwrap_or(0)))
                }
                Dialect::Compliant => Err(Stop::Fail(Problem::error(
                    "manager_not_removed",
                    message,
                    "accept `remove` with path `manager[value eq \"<id>\"]` (no URN prefix), as Entra sends it",
                    Some(&get),
                ))),
            };
        }
    }
    Ok(format!("{} → {}; manager gone", ex.request_line(), ex.status.unwrap_or(0)))
}

/// `manager-validator-remove`: set, then remove the way the hosted SCIM Validator and the Logic App do it,
/// a `replace` of the manager with `{"value": ""}`; the manager must then read back empty.
pub async fn validator_remove(ctx: &mut Ctx, dialect: Dialect) -> Outcome {
    let (manager_id, _) = ctx.setup_user("manager").await?;
    let (id, _) = ctx.setup_user("report").await?;
    patch(ctx, &id, vec![dialect::manager_set_op(dialect, OpKind::Add, &manager_id)])
        .await
        .map_err(|_| Stop::Skip("setting the manager failed (see the `manager` check)".into()))?;
    let op = serde_json::json!({
        "op": dialect.op(OpKind::Replace),
        "path": format!("{ENTERPRISE_URN}:manager"),
        "value": {"value": ""}
    });
    let ex = patch(ctx, &id, vec![op]).await?;
    let (get, manager) = read_manager(ctx, &id).await?;
    match manager.as_ref().map(|m| get_ci(m, "value").unwrap_or(m)) {
        None | Some(Json::Null) => {}
        Some(Json::String(s)) if s.is_empty() => {}
        Some(other) => {
            return Err(Stop::Fail(Problem::error(
                "manager_not_removed",
                format!("after {}, {} still returns manager {other}", ex.request_line(), get.request_line()),
                "treat `replace` of the manager with `{\"value\": \"\"}` as removing the manager",
                Some(&get),
            )))
        }
    }
    Ok(format!("{} → {}; manager gone", ex.request_line(), ex.status.unwrap_or(0)))
}
