//! The router: the token endpoint, then every Graph route under both `/v1.0` and `/beta`, behind the
//! bearer check, with Graph's request ids and error bodies on every answer; `$batch` in front of them.

use std::sync::Arc;

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, Uri};
use axum::routing::{get, post, put};
use axum::{middleware, Router};

use super::auth::{self, TokenStore, Tokens};
use super::backend::Backend;
use super::error::{request_ids, GraphError};
use super::{apps, audit, batch, delta, groups, sync, users};

/// What every handler shares: the tenant behind the surface and the issued tokens.
#[derive(Clone)]
pub struct Graph {
    /// The live tenant.
    pub backend: Arc<dyn Backend>,
    /// Tokens issued by the token endpoint.
    pub tokens: Tokens,
}

/// The Graph surface over `backend`: serve it with `axum::serve` on any listener.
pub fn router(backend: Arc<dyn Backend>) -> Router {
    router_with_tokens(backend, Arc::new(TokenStore::default()))
}

/// The Graph surface over `backend`, accepting the tokens in `tokens` (which the caller can also issue, for
/// its own pages, and check, for its own routes).
pub fn router_with_tokens(backend: Arc<dyn Backend>, tokens: Tokens) -> Router {
    let graph = Graph { backend, tokens };
    let api = api().route_layer(middleware::from_fn_with_state(graph.clone(), auth::require_token));
    let routes: Router = Router::new()
        .route("/{tenant}/oauth2/v2.0/token", post(auth::token))
        .nest("/v1.0", api.clone())
        .nest("/beta", api)
        .fallback(unknown)
        .method_not_allowed_fallback(not_allowed)
        .layer(middleware::from_fn(request_ids))
        .with_state(graph.clone());
    // A batch's requests go through these same routes, each with the batch's own token.
    let batch = |version: &'static str| {
        let routes = routes.clone();
        post(move |headers: HeaderMap, body: Bytes| batch::run(routes.clone(), version, headers, body))
    };
    Router::new()
        .route("/v1.0/$batch", batch("v1.0"))
        .route("/beta/$batch", batch("beta"))
        .route_layer(middleware::from_fn_with_state(graph, auth::require_token))
        .layer(middleware::from_fn(request_ids))
        .merge(routes)
}

fn api() -> Router<Graph> {
    const SP: &str = "/servicePrincipals/{sp}";
    const JOB: &str = "/servicePrincipals/{sp}/synchronization/jobs/{job}";
    Router::new()
        .route("/users", get(users::list).post(users::create))
        .route("/users/$count", get(users::count))
        .route("/users/delta", get(delta::users))
        .route("/users/delta()", get(delta::users))
        .route("/groups/delta", get(delta::groups))
        .route("/groups/delta()", get(delta::groups))
        .route("/users/{id}/memberOf", get(users::member_of))
        .route("/users/{id}", get(users::get).patch(users::update).delete(users::delete))
        .route("/users/{id}/manager", get(users::get_manager))
        .route("/users/{id}/manager/$ref", put(users::set_manager).delete(users::remove_manager))
        .route("/users/{id}/appRoleAssignments", get(apps::list_user_assignments).post(apps::assign_user))
        .route("/directory/deletedItems/microsoft.graph.user", get(users::list_deleted))
        .route("/directory/deletedItems/{id}", get(users::get_deleted).delete(users::purge))
        .route("/directory/deletedItems/{id}/restore", post(users::restore))
        .route("/groups", get(groups::list).post(groups::create))
        .route("/groups/$count", get(groups::count))
        .route("/groups/{id}", get(groups::get).patch(groups::update).delete(groups::delete))
        .route("/groups/{id}/members", get(groups::members))
        .route("/groups/{id}/members/$ref", post(groups::add_member))
        .route("/groups/{id}/members/{member}/$ref", axum::routing::delete(groups::remove_member))
        .route("/servicePrincipals", get(apps::list))
        .route(SP, get(apps::get))
        .route(&format!("{SP}/appRoleAssignedTo"), get(apps::list_assigned).post(apps::assign))
        .route(&format!("{SP}/appRoleAssignedTo/{{assignment}}"), axum::routing::delete(apps::unassign))
        .route(&format!("{SP}/synchronization/secrets"), put(sync::put_secrets))
        .route(&format!("{SP}/synchronization/jobs"), get(sync::list))
        .route(&format!("{SP}/synchronization/jobs/validateCredentials"), post(sync::validate_credentials))
        .route(JOB, get(sync::get))
        .route(&format!("{JOB}/start"), post(sync::start))
        .route(&format!("{JOB}/pause"), post(sync::pause))
        .route(&format!("{JOB}/restart"), post(sync::restart))
        .route(&format!("{JOB}/provisionOnDemand"), post(sync::provision_on_demand))
        .route(&format!("{JOB}/validateCredentials"), post(sync::validate_job_credentials))
        .route(&format!("{JOB}/schema"), get(sync::get_schema).put(sync::put_schema))
        .route("/auditLogs/provisioning", get(audit::list))
}

/// A path the simulator does not serve: Graph's 400 for an unknown segment.
async fn unknown(uri: Uri) -> GraphError {
    let path = uri.path();
    match path.trim_start_matches('/').split('/').next() {
        Some("v1.0" | "beta") => GraphError::bad_request(format!(
            "Resource not found for the segment in `{path}`: the simulator does not serve it (see docs/tenant.md)"
        )),
        _ => GraphError::new(
            axum::http::StatusCode::NOT_FOUND,
            "Request_ResourceNotFound",
            format!("`{path}` is not a Graph path: Graph lives under /v1.0 and /beta, tokens under /{{tenant}}/oauth2/v2.0/token"),
        ),
    }
}

async fn not_allowed(method: Method, uri: Uri) -> GraphError {
    GraphError::new(
        axum::http::StatusCode::METHOD_NOT_ALLOWED,
        "Request_BadRequest",
        format!("the method `{method}` is not supported on `{}`", uri.path()),
    )
}
