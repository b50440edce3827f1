//! `POST /webhooks/stripe/{connection}`: verify `Stripe-Signature` over the raw body, store the
//! event in the inbox, then answer 2xx. Bad signatures and stale timestamps get 400, bodies over
//! 1 MiB 413 (by the body limit layer), event types no pipeline handles 200 without storing.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use serde::Deserialize;

use super::metrics::name;
use super::{App, refuse};
use crate::connectors::stripe::signature;
use crate::store::{InboxEvent, InboxPut};

/// The fields of an event the endpoint needs before storing it.
#[derive(Deserialize)]
struct EventHead {
    id: String,
    #[serde(rename = "type")]
    event_type: String,
    created: i64,
    object: Option<String>,
}

pub async fn receive(
    State(app): State<Arc<App>>,
    Path(connection): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let Some(endpoint) = app.stripe_endpoint(&connection) else {
        return refuse(
            StatusCode::NOT_FOUND,
            "no_endpoint",
            format!("no Stripe webhook endpoint `{connection}`"),
        );
    };
    let rejected = |status, code: &str, message: String| {
        metrics::counter!(name::EVENTS_REJECTED, "connection" => connection.clone(), "reason" => code.to_string()).increment(1);
        tracing::warn!(connection = %connection, code, "webhook refused: {message}");
        refuse(status, code, message)
    };
    let Some(header) = headers
        .get("stripe-signature")
        .and_then(|v| v.to_str().ok())
    else {
        return rejected(
            StatusCode::BAD_REQUEST,
            "signature_missing",
            "no Stripe-Signature header".into(),
        );
    };
    if let Err(error) = signature::verify(
        header,
        &body,
        &endpoint.secrets,
        Timestamp::now(),
        app.options.tolerance,
    ) {
        return rejected(StatusCode::BAD_REQUEST, error.code(), error.to_string());
    }
    let head: EventHead = match serde_json::from_slice(&body) {
        Ok(head) => head,
        Err(error) => {
            return rejected(
                StatusCode::BAD_REQUEST,
                "not_an_event",
                format!("the body is not a Stripe event: {error}"),
            );
        }
    };
    if head.object.as_deref().is_some_and(|o| o != "event") || head.id.is_empty() {
        return rejected(
            StatusCode::BAD_REQUEST,
            "not_an_event",
            "the body is not a Stripe event object".into(),
        );
    }
    metrics::counter!(name::EVENTS_RECEIVED, "connection" => connection.clone()).increment(1);
    if !app.handles(&connection, &head.event_type) {
        return (
            StatusCode::OK,
            axum::Json(serde_json::json!({"received": true, "handled": false})),
        )
            .into_response();
    }
    let Ok(text) = String::from_utf8(body.to_vec()) else {
        return rejected(
            StatusCode::BAD_REQUEST,
            "not_an_event",
            "the body is not UTF-8".into(),
        );
    };
    let event = InboxEvent {
        connection: connection.clone(),
        event_id: head.id,
        event_type: head.event_type,
        created: head.created,
        body: text,
        received_at: Timestamp::now(),
    };
    match app.store.inbox_put(&event).await {
        Ok(put) => {
            app.wake_workers();
            let duplicate = put == InboxPut::Duplicate;
            (
                StatusCode::OK,
                axum::Json(serde_json::json!({"received": true, "duplicate": duplicate})),
            )
                .into_response()
        }
        Err(reason) => refuse(
            StatusCode::SERVICE_UNAVAILABLE,
            "store_unavailable",
            format!("the event could not be stored ({reason}); Stripe will retry"),
        ),
    }
}
