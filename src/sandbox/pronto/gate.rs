//! What every request goes through before its endpoint: due transactions are settled, Basic
//! credentials checked (401, never echoing them), the rolling rate limit applied (429 with
//! `Retry-After`) and a one-shot breakage played.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use jiff::fmt::rfc2822::DateTimePrinter;

use super::ProntoState;
use super::breakage::{self, Breakage};
use super::error::ApiError;
use super::routes;
use crate::sandbox::credentials;

/// The one handler: every path under the mount comes here. Every answer is dated by the
/// emulator's clock, which clients read as the server's time.
pub async fn serve(
    State(state): State<ProntoState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let now = state.now();
    let mut response = answer(&state, now, &method, &uri, &headers, &body);
    if let Ok(date) = DateTimePrinter::new().timestamp_to_rfc9110_string(&now)
        && let Ok(date) = HeaderValue::from_str(&date)
    {
        response.headers_mut().insert(header::DATE, date);
    }
    response
}

fn answer(
    state: &ProntoState,
    now: Timestamp,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Response {
    state.settle_due(now);
    let config = state.config();
    let authenticated = credentials::basic(headers)
        .is_some_and(|(user, password)| user == config.username && password == config.password);
    if !authenticated {
        return ApiError::unauthorized().into_response();
    }
    if let Err(wait) = state.inner.limit.take(now) {
        state.count_rejection();
        let message = format!(
            "Rate limit exceeded: {} calls per minute",
            config.requests_per_minute
        );
        let mut response = ApiError::new(StatusCode::TOO_MANY_REQUESTS, message).into_response();
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(wait));
        return response;
    }
    state.count_call();
    let breakage = state.take_breakage();
    if let Some(instead) = breakage.and_then(breakage::instead) {
        return instead;
    }
    let answer = routes::answer(state, method, uri.path(), uri.query(), body, now);
    match (answer, breakage) {
        (Ok(value), Some(Breakage::TruncatedJson)) => breakage::truncated(StatusCode::OK, &value),
        (Err(error), Some(Breakage::TruncatedJson)) => {
            breakage::truncated(error.status, &super::error::body(&error.message, &[]))
        }
        (Ok(value), _) => Json(value).into_response(),
        (Err(error), _) => error.into_response(),
    }
}
