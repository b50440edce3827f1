//! One request's path through the emulator: auth, rate limit, parameters, idempotency, then the
//! store. Locks are taken one at a time and never held across an await.

use std::time::Duration;

use axum::body::{Bytes, to_bytes};
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

use super::StripeState;
use super::error::ApiError;
use super::form;
use super::idempotency::{Begin, MAX_KEY_LENGTH};
use super::params;
use super::resources::{self, Action};
use super::store::RequestInfo;
use crate::sandbox::credentials::{base64_decode, strip_scheme};

/// Sandbox-only request headers: hold the request this long before it runs (to test in-flight
/// idempotency and timeouts), and answer with this status instead of running it (to test 5xx
/// handling). Both are capped/limited so a request cannot hang the emulator.
pub const DELAY_HEADER: &str = "ferry-sandbox-delay-ms";
pub const FAIL_HEADER: &str = "ferry-sandbox-fail-status";
const MAX_DELAY_MS: u64 = 10_000;
const MAX_BODY: usize = 1 << 20;

pub async fn serve(state: StripeState, action: Action, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let account = match authenticate(&state, &parts.headers) {
        Ok(key) => key,
        Err(e) => return e.into_response(),
    };
    if !state.allow(&account) {
        return ApiError::rate_limited().into_response();
    }
    let raw = if parts.method == Method::POST {
        match to_bytes(body, MAX_BODY).await {
            Ok(bytes) => form::decode(&bytes),
            Err(_) => {
                return ApiError::rule(None, "body", "The request body is too large.".into())
                    .into_response();
            }
        }
    } else {
        form::decode(parts.uri.query().unwrap_or("").as_bytes())
    };
    let typed = match action.endpoint() {
        Some(endpoint) => params::validate(&endpoint, &raw),
        None => Ok(raw.as_object().cloned().unwrap_or_default()),
    };
    let typed = match typed {
        Ok(t) => t,
        Err(e) => return e.into_response(),
    };
    let request_id = state.request_id();
    let idempotency_key = if parts.method == Method::POST {
        header(&parts.headers, "idempotency-key")
    } else {
        None
    };
    let info = RequestInfo {
        id: Some(request_id.clone()),
        idempotency_key: idempotency_key.clone(),
    };
    let (status, body, replayed) = match &idempotency_key {
        None => {
            let (status, body) = run(&state, &action, &typed, &info, &parts.headers).await;
            (status, json_bytes(&body), false)
        }
        Some(key) => {
            if key.chars().count() > MAX_KEY_LENGTH {
                return ApiError::idempotency_key_too_long().into_response();
            }
            let endpoint = format!("{} {}", parts.method, parts.uri.path());
            match state.idempotency(|t| t.begin(&account, key, &endpoint, &raw)) {
                Begin::Refuse(e) => return e.into_response(),
                Begin::Replay(status, body) => (status, body, true),
                Begin::Fresh => {
                    let mut guard = Running {
                        state: &state,
                        account: &account,
                        key,
                        finished: false,
                    };
                    let (status, body) = run(&state, &action, &typed, &info, &parts.headers).await;
                    let body = json_bytes(&body);
                    state.idempotency(|t| t.finish(&account, key, status, body.clone()));
                    guard.finished = true;
                    (status, body, false)
                }
            }
        }
    };
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    set(headers, "content-type", "application/json");
    set(headers, "request-id", &request_id);
    set(headers, "stripe-version", "2022-04-12");
    if let Some(key) = &idempotency_key {
        set(headers, "idempotency-key", key);
    }
    if replayed {
        set(headers, "idempotent-replayed", "true");
    }
    response
}

fn json_bytes(body: &Value) -> Bytes {
    Bytes::from(serde_json::to_vec(body).unwrap_or_default())
}

/// Forgets an idempotency key whose request was dropped before it finished.
struct Running<'a> {
    state: &'a StripeState,
    account: &'a str,
    key: &'a str,
    finished: bool,
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        if !self.finished {
            self.state
                .idempotency(|t| t.abandon(self.account, self.key));
        }
    }
}

async fn run(
    state: &StripeState,
    action: &Action,
    params: &Map<String, Value>,
    info: &RequestInfo,
    headers: &HeaderMap,
) -> (StatusCode, Value) {
    if let Some(ms) = header(headers, DELAY_HEADER).and_then(|v| v.parse::<u64>().ok()) {
        tokio::time::sleep(Duration::from_millis(ms.min(MAX_DELAY_MS))).await;
    }
    let forced = header(headers, FAIL_HEADER)
        .and_then(|v| v.parse::<u16>().ok())
        .and_then(|code| StatusCode::from_u16(code).ok())
        .filter(|s| s.is_server_error());
    if let Some(status) = forced {
        let mut e = ApiError::internal(
            "An unknown error occurred (forced by the sandbox's fail header).".into(),
        );
        e.status = status;
        return (status, e.body());
    }
    let result = state.with_store(|store| resources::execute(store, action, params, info));
    match result {
        Ok(body) => (StatusCode::OK, body),
        Err(e) => (e.status, e.body()),
    }
}

fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

fn set(headers: &mut HeaderMap, name: &'static str, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        headers.insert(name, value);
    }
}

/// The API key from `Authorization: Bearer <key>` or Basic with the key as user name.
fn authenticate(state: &StripeState, headers: &HeaderMap) -> Result<String, ApiError> {
    let Some(value) = header(headers, "authorization") else {
        return Err(ApiError::no_api_key());
    };
    let value = value.trim();
    let key = if let Some(token) = strip_scheme(value, "bearer") {
        token.trim().to_string()
    } else if let Some(encoded) = strip_scheme(value, "basic") {
        let decoded = base64_decode(encoded.trim()).ok_or_else(ApiError::no_api_key)?;
        let text = String::from_utf8(decoded).map_err(|_| ApiError::no_api_key())?;
        text.split(':').next().unwrap_or_default().to_string()
    } else {
        return Err(ApiError::no_api_key());
    };
    if key.is_empty() {
        return Err(ApiError::no_api_key());
    }
    if state.accepts_key(&key) {
        Ok(key)
    } else {
        Err(ApiError::invalid_api_key(&key))
    }
}
