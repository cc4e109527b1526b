//! The tenant's own routes under `/_entrasim/`, next to Graph: what Graph has no words for. Tests and the
//! portal use them to read the job's status with the clock, follow the job's live events, pause, resume
//! and move the simulated clock, and read the target's recent exchanges and the mapping in force.
//!
//! They take the same bearer tokens as Graph (`Authorization: Bearer`, or `?access_token=` for the event
//! stream, which a browser's `EventSource` opens without headers).

use std::convert::Infallible;
use std::sync::Arc;

use axum::extract::{Query, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::{self, Next};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::TimeDelta;
use futures::Stream;
use serde::Deserialize;
use serde_json::json;

use super::shared::{self, Command, Shared};
use crate::engine::clock::Clock as _;
use crate::mapping::{Apply, MappingSource, ObjectMapping};

/// The `/_entrasim` routes.
pub fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/_entrasim/status", get(status))
        .route("/_entrasim/events", get(events))
        .route("/_entrasim/exchanges", get(exchanges))
        .route("/_entrasim/mapping", get(mapping))
        .route("/_entrasim/clock/pause", post(pause))
        .route("/_entrasim/clock/resume", post(resume))
        .route("/_entrasim/clock/advance", post(advance))
        .route("/_entrasim/clock/next-cycle", post(next_cycle))
        .route_layer(middleware::from_fn_with_state(shared.clone(), require_token))
        .with_state(shared)
}

async fn require_token(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let header = request.headers().get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    let bearer = header.and_then(|h| h.strip_prefix("Bearer ")).map(str::to_string);
    let query = request
        .uri()
        .query()
        .unwrap_or("")
        .split('&')
        .find_map(|pair| pair.strip_prefix("access_token=").map(crate::scim::client::form_decode));
    match bearer.or(query) {
        Some(token) if shared.tokens.is_valid(&token) => next.run(request).await,
        _ => (
            StatusCode::UNAUTHORIZED,
            Json(json!({"error": {"code": "InvalidAuthenticationToken", "message": "a token from this tenant's token endpoint is required"}})),
        )
            .into_response(),
    }
}

async fn status(State(shared): State<Arc<Shared>>) -> Json<serde_json::Value> {
    Json(status_json(&shared))
}

fn status_json(shared: &Shared) -> serde_json::Value {
    json!({
        "job": shared.status.get(),
        "clock": {
            "now": shared.clock.now(),
            "paused": shared.clock.is_paused(),
            "speed": shared.clock.speed(),
        },
        "target": *shared::read(&shared.target),
        "testConnection": *shared::read(&shared.connection),
    })
}

/// The job's events as Server-Sent Events: one JSON event per message, named by its `type`.
async fn events(State(shared): State<Arc<Shared>>) -> Sse<impl Stream<Item = Result<SseEvent, Infallible>>> {
    let receiver = shared.events.subscribe();
    let stream = futures::stream::unfold(receiver, |mut receiver| async move {
        let event = receiver.recv().await?;
        let json = serde_json::to_value(&event).unwrap_or_default();
        let name = json.get("type").and_then(|t| t.as_str()).unwrap_or("event").to_string();
        Some((Ok(SseEvent::default().event(name).data(json.to_string())), receiver))
    });
    Sse::new(stream).keep_alive(KeepAlive::default())
}

#[derive(Debug, Deserialize)]
struct After {
    after: Option<u64>,
}

async fn exchanges(State(shared): State<Arc<Shared>>, Query(q): Query<After>) -> Json<serde_json::Value> {
    let after = q.after.unwrap_or(0);
    let kept: Vec<_> = shared::lock(&shared.exchanges).iter().filter(|e| e.seq > after).cloned().collect();
    Json(json!({ "value": kept }))
}

async fn mapping(State(shared): State<Arc<Shared>>) -> Json<serde_json::Value> {
    let set = shared::read(&shared.mapping).clone();
    Json(json!({
        "users": object_rows(&set.users),
        "groups": set.groups.as_ref().map(object_rows),
    }))
}

/// An object mapping as the blade's table shows it.
fn object_rows(object: &ObjectMapping) -> serde_json::Value {
    let rows: Vec<serde_json::Value> = object
        .attributes
        .iter()
        .map(|a| {
            let (kind, source) = match &a.source {
                MappingSource::Direct(name) => ("Direct", name.clone()),
                MappingSource::Constant(value) => ("Constant", value.clone()),
                MappingSource::Expression(e) => ("Expression", e.text.clone()),
                MappingSource::None => ("None", String::new()),
            };
            json!({
                "target": a.target.to_string(),
                "type": kind,
                "source": source,
                "default": a.default,
                "matchingPrecedence": a.matching_priority.filter(|p| *p > 0),
                "apply": match a.apply {
                    Apply::OnCreate => "Only during object creation",
                    _ => "Always",
                },
            })
        })
        .collect();
    let scope: Vec<serde_json::Value> = object
        .scope
        .filters
        .iter()
        .map(|f| {
            json!({
                "title": f.title,
                "clauses": f.clauses.iter().map(|c| json!({
                    "attribute": c.attribute,
                    "operator": c.operator.to_string(),
                    "value": c.value,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "attributes": rows,
        "scope": scope,
        "actions": { "create": object.actions.create, "update": object.actions.update, "delete": object.actions.delete },
    })
}

fn woke(shared: &Shared) -> Json<serde_json::Value> {
    let _ = shared.commands.send(Command::Wake);
    Json(status_json(shared))
}

async fn pause(State(shared): State<Arc<Shared>>) -> Json<serde_json::Value> {
    shared.clock.pause();
    woke(&shared)
}

async fn resume(State(shared): State<Arc<Shared>>) -> Json<serde_json::Value> {
    shared.clock.resume();
    woke(&shared)
}

#[derive(Debug, Deserialize)]
struct Advance {
    minutes: Option<f64>,
    seconds: Option<f64>,
}

async fn advance(State(shared): State<Arc<Shared>>, Json(by): Json<Advance>) -> Response {
    let seconds = by.seconds.unwrap_or(0.0) + by.minutes.unwrap_or(0.0) * 60.0;
    if !seconds.is_finite() || !(0.0..=366.0 * 86_400.0).contains(&seconds) {
        let message = "`minutes`/`seconds` must add up to between 0 and a year of simulated time";
        return (StatusCode::BAD_REQUEST, Json(json!({"error": {"code": "BadRequest", "message": message}})))
            .into_response();
    }
    shared.clock.advance(TimeDelta::milliseconds((seconds * 1000.0) as i64));
    woke(&shared).into_response()
}

/// Moves the clock to when the next cycle is due, so it starts at once (the job task knows the schedule).
async fn next_cycle(State(shared): State<Arc<Shared>>) -> Response {
    match shared.ask(Command::ToNextCycle).await {
        Ok(()) => Json(status_json(&shared)).into_response(),
        Err(e) => {
            let status = StatusCode::from_u16(e.status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
            (status, Json(json!({"error": {"code": e.code, "message": e.message}}))).into_response()
        }
    }
}
