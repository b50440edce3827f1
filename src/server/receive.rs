//! `POST /webhooks/<route>`: one handler for every kind that sends webhooks. The connector
//! verifies the delivery and takes it apart into events (see [`Webhooks`]); the handler stores
//! them in the inbox, then answers 2xx. A delivery whose event type no pipeline reads gets
//! `200 {"handled": false}` and is not stored; bodies over 1 MiB get 413 (by the body limit
//! layer).

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;

use super::metrics::name;
use super::{App, refuse};
use crate::connectors::webhook::{Event, Refusal, Request};
use crate::connectors::{Kind, Webhooks};
use crate::store::{InboxEvent, InboxPut};

pub async fn receive(
    kind: Kind,
    webhooks: &'static Webhooks,
    State(app): State<Arc<App>>,
    Path(mut path): Path<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let connection = path.remove("connection").unwrap_or_default();
    let Some(endpoint) = app.endpoint(kind, &connection) else {
        return refuse(
            StatusCode::NOT_FOUND,
            "no_endpoint",
            (webhooks.no_endpoint)(&connection),
        );
    };
    let request = Request {
        path: &path,
        headers: &headers,
        body: &body,
        secrets: &endpoint.secrets,
        now: Timestamp::now(),
        tolerance: app.options.tolerance,
    };
    let delivery = match (webhooks.receive)(&request) {
        Ok(delivery) => delivery,
        Err(refusal) => return refused(&app, &connection, refusal),
    };
    metrics::counter!(name::EVENTS_RECEIVED, "connection" => connection.clone())
        .increment(delivery.count as u64);
    if !app.handles(&connection, &delivery.event_type) {
        return (
            StatusCode::OK,
            axum::Json(serde_json::json!({"received": true, "handled": false})),
        )
            .into_response();
    }
    let events = match delivery.events {
        Ok(events) => events,
        Err(refusal) => return refused(&app, &connection, refusal),
    };
    let mut duplicate = false;
    for event in events {
        match app
            .store
            .inbox_put(&inbox_event(&connection, webhooks, event))
            .await
        {
            Ok(put) => duplicate = put == InboxPut::Duplicate,
            Err(reason) => {
                return refuse(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "store_unavailable",
                    (webhooks.unstored)(&reason.to_string()),
                );
            }
        }
    }
    app.wake_workers();
    let answer = if webhooks.batches {
        serde_json::json!({"received": true})
    } else {
        serde_json::json!({"received": true, "duplicate": duplicate})
    };
    (StatusCode::OK, axum::Json(answer)).into_response()
}

/// The refusal's answer, counted among the refused events (and logged) when it says so; a
/// counted refusal (a delivery that failed its signature or token check) is told to the
/// alerts, which raise a burst of them.
fn refused(app: &App, connection: &str, refusal: Refusal) -> Response {
    let Refusal {
        status,
        code,
        message,
        counted_as,
    } = refusal;
    if let Some(reason) = counted_as {
        metrics::counter!(name::EVENTS_REJECTED, "connection" => connection.to_string(), "reason" => reason).increment(1);
        tracing::warn!(connection = %connection, code, "webhook refused: {message}");
        app.alerts().signature_refused(connection);
    }
    refuse(status, code, message)
}

/// The inbox entry of an event of `connection`, received now, with the object it changes (as
/// the workers lock it, see [`object_key`]), so that claims on any process keep that object's
/// events apart.
pub(super) fn inbox_event(connection: &str, webhooks: &Webhooks, event: Event) -> InboxEvent {
    let object_key = serde_json::from_str::<serde_json::Value>(&event.body)
        .ok()
        .and_then(|data| webhooks.object_id(&data))
        .map(|id| object_key(connection, &id));
    InboxEvent {
        connection: connection.to_string(),
        event_id: event.id,
        event_type: event.event_type,
        created: event.created,
        body: event.body,
        received_at: Timestamp::now(),
        object_key,
    }
}

/// How an object is named in locks and in the inbox: `connection/object id`.
pub fn object_key(connection: &str, object_id: &str) -> String {
    format!("{connection}/{object_id}")
}
