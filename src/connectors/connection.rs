//! From a resolved `ferry.yaml` connection to the HTTP settings its client runs with.

use super::http::{self, HttpConfig, RateLimit};
use crate::project::{Auth, ResolvedConnection};

/// The HTTP settings of `connection`: its credentials, its rate limit (the real API's unless
/// `ferry.yaml` overrides it), its concurrency and its timeout.
pub fn http_config(connection: &ResolvedConnection) -> HttpConfig {
    let defaults = HttpConfig::default();
    HttpConfig {
        timeout: connection.timeout.unwrap_or(defaults.timeout),
        max_concurrency: connection
            .concurrency
            .map(|n| n.max(1) as usize)
            .unwrap_or(defaults.max_concurrency),
        rate_limit: connection
            .rate_limit
            .map(|limit| RateLimit::new(limit.requests, limit.per)),
        auth: http_auth(&connection.auth),
        masked: masked(&connection.auth),
        ..defaults
    }
}

fn http_auth(auth: &Auth) -> http::Auth {
    match auth {
        Auth::None => http::Auth::None,
        Auth::Bearer(token) => http::Auth::Bearer(http::Secret::new(token.expose())),
        Auth::ClientCredentials {
            token_url,
            client_id,
            client_secret,
            scope,
        } => http::Auth::OAuth2(http::ClientCredentials {
            token_url: token_url.to_string(),
            client_id: client_id.clone(),
            client_secret: http::Secret::new(client_secret.expose()),
            scope: Some(scope.clone()),
        }),
        Auth::SysproLogon { .. } => http::Auth::None,
    }
}

/// Credentials a connector sends outside the `Authorization` header.
fn masked(auth: &Auth) -> Vec<http::Secret> {
    match auth {
        Auth::SysproLogon {
            operator_password,
            company_password,
            ..
        } => std::iter::once(operator_password)
            .chain(company_password)
            .map(|secret| http::Secret::new(secret.expose()))
            .collect(),
        _ => Vec::new(),
    }
}

/// The API root of `connection` without a trailing slash, for joining paths onto.
pub fn base_url(connection: &ResolvedConnection) -> Option<String> {
    connection
        .base_url
        .as_ref()
        .map(|url| url.as_str().trim_end_matches('/').to_string())
}
