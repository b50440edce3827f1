//! Pronto's one error shape, `{"message": "...", "backtrace": [...]}`, whatever the status.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// A refused request: its status and the message Pronto would give.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError {
            status,
            message: message.into(),
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    pub fn unprocessable(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, message)
    }

    /// Never echoes what was sent, so a wrong password cannot leak into a log.
    pub fn unauthorized() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "Invalid username or password")
    }
}

/// The body of an error; the backtrace lines are what a Rails server would show.
pub fn body(message: &str, backtrace: &[&str]) -> Value {
    json!({"message": message, "backtrace": backtrace})
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(body(&self.message, &[]))).into_response()
    }
}
