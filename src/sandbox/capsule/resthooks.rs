//! Capsule's REST hooks: `/resthooks` subscriptions (at most 20 an account) and their
//! deliveries, `POST {targetUrl}` with `{"event": "opportunity/closed", "payload": [record]}`,
//! sent as the emulator's records change.
//!
//! Unverified, so kept simple: one delivery per change and subscription, not batched, not
//! retried; an update that closes, moves or completes a record sends `*/updated` and the
//! specific event; a deletion's payload is the record as it was.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};

use super::CapsuleState;
use super::handlers::{Refusal, envelope, invalid, message};
use super::input::FieldError;

/// The events Capsule lets a hook subscribe to.
pub const EVENTS: &[&str] = &[
    "party/created",
    "party/updated",
    "party/deleted",
    "opportunity/created",
    "opportunity/updated",
    "opportunity/deleted",
    "opportunity/closed",
    "opportunity/moved",
    "kase/created",
    "kase/updated",
    "kase/deleted",
    "kase/closed",
    "kase/moved",
    "task/created",
    "task/updated",
    "task/completed",
    "user/created",
    "user/updated",
    "user/deleted",
];

/// Capsule's limit of subscriptions an account.
const MAX_HOOKS: usize = 20;

#[derive(Debug, Clone, PartialEq)]
pub struct RestHook {
    pub id: u64,
    pub event: String,
    pub target_url: String,
    pub description: Option<String>,
}

fn render(hook: &RestHook) -> Value {
    json!({"id": hook.id, "event": hook.event, "targetUrl": hook.target_url,
           "description": hook.description, "embed": null, "batched": false})
}

pub fn routes() -> axum::Router<CapsuleState> {
    axum::Router::new()
        .route("/resthooks", get(list).post(subscribe))
        .route("/resthooks/{id}", get(show).delete(unsubscribe))
}

async fn list(State(state): State<CapsuleState>) -> Response {
    let hooks: Vec<Value> = state.data().hooks.iter().map(render).collect();
    Json(envelope("restHooks", Value::Array(hooks))).into_response()
}

fn hook_id(id: &str) -> Option<u64> {
    id.parse().ok()
}

async fn show(State(state): State<CapsuleState>, Path(id): Path<String>) -> Response {
    let data = state.data();
    match hook_id(&id).and_then(|id| data.hooks.iter().find(|h| h.id == id)) {
        Some(hook) => Json(envelope("restHook", render(hook))).into_response(),
        None => message(StatusCode::NOT_FOUND, "Could not find resource"),
    }
}

async fn unsubscribe(State(state): State<CapsuleState>, Path(id): Path<String>) -> Response {
    let mut data = state.data();
    let before = data.hooks.len();
    let id = hook_id(&id);
    data.hooks.retain(|h| Some(h.id) != id);
    if data.hooks.len() == before {
        return message(StatusCode::NOT_FOUND, "Could not find resource");
    }
    StatusCode::NO_CONTENT.into_response()
}

async fn subscribe(State(state): State<CapsuleState>, body: Bytes) -> Response {
    let Some(hook) = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|mut body| body.get_mut("restHook").map(Value::take))
        .filter(Value::is_object)
    else {
        return Refusal::bad_request("the request body must be an object with a `restHook` object")
            .into_response();
    };
    let text = |key: &str| hook.get(key).and_then(Value::as_str).map(str::to_string);
    let mut errors = Vec::new();
    let event = text("event").filter(|e| EVENTS.contains(&e.as_str()));
    if event.is_none() {
        errors.push(FieldError::new("restHook", "event", "event is not one Capsule sends"));
    }
    let target_url = text("targetUrl").filter(|u| {
        url::Url::parse(u).is_ok_and(|u| matches!(u.scheme(), "http" | "https"))
    });
    if target_url.is_none() {
        errors.push(FieldError::new("restHook", "targetUrl", "targetUrl must be an http(s) URL"));
    }
    let mut data = state.data();
    if data.hooks.len() >= MAX_HOOKS {
        errors.push(FieldError::new(
            "restHook",
            "event",
            format!("an account has at most {MAX_HOOKS} REST hooks"),
        ));
    }
    let (Some(event), Some(target_url), true) = (event, target_url, errors.is_empty()) else {
        return invalid(errors);
    };
    data.next_id += 1;
    let hook = RestHook {
        id: data.next_id,
        event,
        target_url,
        description: text("description"),
    };
    let rendered = render(&hook);
    data.hooks.push(hook);
    (StatusCode::CREATED, Json(envelope("restHook", rendered))).into_response()
}

impl CapsuleState {
    /// Delivers `record` to every hook subscribed to one of `events`, in the background.
    pub(super) fn announce(&self, events: &[String], record: &Value) {
        let targets: Vec<(String, String)> = self
            .data()
            .hooks
            .iter()
            .filter(|hook| events.contains(&hook.event))
            .map(|hook| (hook.event.clone(), hook.target_url.clone()))
            .collect();
        for (event, url) in targets {
            let body = json!({"event": event, "payload": [record]});
            tokio::spawn(async move {
                crate::init_tls();
                let sent = reqwest::Client::new().post(&url).json(&body).send().await;
                if let Err(error) = sent {
                    tracing::warn!(%url, %event, "sandbox capsule: REST hook not delivered: {error}");
                }
            });
        }
    }
}
