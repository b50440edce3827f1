//! The Entra ID client-credentials token endpoint and bearer-token checks.

use std::time::Instant;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rand::RngCore;
use serde_json::json;

use super::BusinessCentralState;
use super::error::{ODataError, UNAUTHORIZED};

/// The scope a client must ask for.
pub const SCOPE: &str = "https://api.businesscentral.dynamics.com/.default";

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    (
        status,
        Json(json!({"error": error, "error_description": description})),
    )
        .into_response()
}

/// `POST /{tenant}/oauth2/v2.0/token` with a form body.
pub async fn token(
    State(state): State<BusinessCentralState>,
    Path(tenant): Path<String>,
    body: Bytes,
) -> Response {
    let config = &state.inner.config;
    let form: Vec<(String, String)> = url::form_urlencoded::parse(&body).into_owned().collect();
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    if tenant != config.tenant {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            &format!("AADSTS90002: Tenant '{tenant}' not found."),
        );
    }
    if field("grant_type") != Some("client_credentials") {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            "AADSTS70003: The app requested an unsupported grant type; use client_credentials.",
        );
    }
    if field("client_id") != Some(config.client_id.as_str()) {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "unauthorized_client",
            "AADSTS700016: Application was not found in the directory.",
        );
    }
    if field("client_secret") != Some(config.client_secret.as_str()) {
        return oauth_error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "AADSTS7000215: Invalid client secret provided.",
        );
    }
    if field("scope") != Some(SCOPE) {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_scope",
            &format!("AADSTS70011: The provided scope is not valid; request {SCOPE}."),
        );
    }
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let access_token = hex::encode(bytes);
    state
        .inner
        .tokens
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(access_token.clone(), Instant::now() + config.token_lifetime);
    let expires_in = config.token_lifetime.as_secs();
    Json(json!({
        "token_type": "Bearer",
        "expires_in": expires_in,
        "ext_expires_in": expires_in,
        "access_token": access_token,
    }))
    .into_response()
}

/// A 401 with Business Central's OData body and a `WWW-Authenticate` challenge.
#[derive(Debug)]
pub struct Unauthenticated(ODataError);

impl IntoResponse for Unauthenticated {
    fn into_response(self) -> Response {
        let mut response = self.0.into_response();
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer error=\"invalid_token\""),
        );
        response
    }
}

/// The caller's token when it is known and unexpired.
pub fn authenticate(
    state: &BusinessCentralState,
    headers: &HeaderMap,
) -> Result<String, Unauthenticated> {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim().to_string());
    let valid = token.as_ref().is_some_and(|t| {
        state
            .inner
            .tokens
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(t)
            .is_some_and(|expiry| Instant::now() < *expiry)
    });
    match (token, valid) {
        (Some(token), true) => Ok(token),
        (token, _) => {
            let message = if token.is_some() {
                "The credentials provided are incorrect or the access token has expired."
            } else {
                "The request needs a bearer token in the Authorization header."
            };
            Err(Unauthenticated(ODataError::new(
                StatusCode::UNAUTHORIZED,
                UNAUTHORIZED,
                message,
            )))
        }
    }
}
