//! `/healthz` (the process answers), `/readyz` (the store answers and the workers are alive)
//! and `/metrics` (Prometheus text).

use std::sync::Arc;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::App;
use super::metrics::{self, name};

/// Workers loop at least every half second; a minute of silence means they are stuck.
const WORKER_SILENCE_LIMIT: i64 = 60;

pub async fn healthz() -> &'static str {
    "ok"
}

pub async fn readyz(State(app): State<Arc<App>>) -> Response {
    let stats = match app.store.inbox_stats().await {
        Ok(stats) => stats,
        Err(error) => {
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                format!("store unreachable: {error}"),
            )
                .into_response();
        }
    };
    let silence = app.seconds_since_heartbeat();
    if silence > WORKER_SILENCE_LIMIT {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("workers silent for {silence} s"),
        )
            .into_response();
    }
    axum::Json(serde_json::json!({
        "ready": true,
        "inbox": { "pending": stats.pending, "processing": stats.processing, "failed": stats.failed },
    }))
    .into_response()
}

pub async fn metrics(State(app): State<Arc<App>>) -> Response {
    let Some(handle) = metrics::handle() else {
        return (StatusCode::SERVICE_UNAVAILABLE, "metrics are not available").into_response();
    };
    if let Ok(stats) = app.store.inbox_stats().await {
        ::metrics::gauge!(name::INBOX_PENDING).set(stats.pending as f64);
        let lag = stats
            .oldest_pending_received_at
            .map(|at| {
                (jiff::Timestamp::now().as_millisecond() - at.as_millisecond()) as f64 / 1000.0
            })
            .unwrap_or(0.0);
        ::metrics::gauge!(name::INBOX_LAG).set(lag.max(0.0));
    }
    for (connection, stats) in app.runner.http_stats() {
        ::metrics::counter!(name::HTTP_REQUESTS, "connection" => connection.clone())
            .absolute(stats.attempts);
        ::metrics::counter!(name::HTTP_RETRIES, "connection" => connection.clone())
            .absolute(stats.retries);
        ::metrics::counter!(name::HTTP_RATE_LIMITED, "connection" => connection)
            .absolute(stats.rate_limited);
    }
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        handle.render(),
    )
        .into_response()
}
