//! `POST /webhooks/capsule/{connection}/{token}`: Capsule's REST hooks carry no signature, so
//! the endpoint is protected by a secret path token, compared in constant time. A delivery
//! (`{"event": "party/updated", "payload": [parties]}`) becomes one inbox entry per party.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use serde_json::Value;

use super::metrics::name;
use super::{App, refuse};
use crate::store::InboxEvent;

pub async fn receive(
    State(app): State<Arc<App>>,
    Path((connection, token)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let Some(expected) = app.capsule_token(&connection) else {
        return refuse(
            StatusCode::NOT_FOUND,
            "no_endpoint",
            "no such endpoint".into(),
        );
    };
    if !constant_time_eq(token.as_bytes(), expected.expose().as_bytes()) {
        metrics::counter!(name::EVENTS_REJECTED, "connection" => connection.clone(), "reason" => "bad_token").increment(1);
        // The same answer as an unknown endpoint: a wrong token reveals nothing.
        return refuse(
            StatusCode::NOT_FOUND,
            "no_endpoint",
            "no such endpoint".into(),
        );
    }
    let delivery: Value = match serde_json::from_slice(&body) {
        Ok(value) => value,
        Err(error) => {
            return refuse(
                StatusCode::BAD_REQUEST,
                "not_json",
                format!("the body is not JSON: {error}"),
            );
        }
    };
    let Some(event) = delivery.get("event").and_then(Value::as_str) else {
        return refuse(
            StatusCode::BAD_REQUEST,
            "not_a_hook",
            "no `event` in the delivery".into(),
        );
    };
    let Some(parties) = delivery.get("payload").and_then(Value::as_array) else {
        return refuse(
            StatusCode::BAD_REQUEST,
            "not_a_hook",
            "no `payload` list in the delivery".into(),
        );
    };
    metrics::counter!(name::EVENTS_RECEIVED, "connection" => connection.clone())
        .increment(parties.len() as u64);
    if !event.starts_with("party/") || !app.handles(&connection, event) {
        return (
            StatusCode::OK,
            axum::Json(serde_json::json!({"received": true, "handled": false})),
        )
            .into_response();
    }
    for party in parties {
        let Some(id) = party.get("id").and_then(|id| {
            id.as_u64()
                .map(|n| n.to_string())
                .or_else(|| id.as_str().map(str::to_string))
        }) else {
            return refuse(
                StatusCode::BAD_REQUEST,
                "not_a_hook",
                "a party in the payload has no id".into(),
            );
        };
        let updated = party
            .get("updatedAt")
            .and_then(Value::as_str)
            .and_then(|text| text.parse::<Timestamp>().ok())
            .unwrap_or_else(Timestamp::now);
        let inbox_event = InboxEvent {
            connection: connection.clone(),
            event_id: format!("{event}:{id}:{}", updated.as_millisecond()),
            event_type: event.to_string(),
            created: updated.as_second(),
            body: party.to_string(),
            received_at: Timestamp::now(),
        };
        if let Err(reason) = app.store.inbox_put(&inbox_event).await {
            return refuse(
                StatusCode::SERVICE_UNAVAILABLE,
                "store_unavailable",
                format!("the delivery could not be stored ({reason})"),
            );
        }
    }
    app.wake_workers();
    (
        StatusCode::OK,
        axum::Json(serde_json::json!({"received": true})),
    )
        .into_response()
}

/// Equal length and bytes, looking at every byte whatever the first difference.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
