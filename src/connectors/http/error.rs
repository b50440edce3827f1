//! Errors of the HTTP layer. Each names the endpoint (label, method, URL with secret query values
//! masked) and never carries a header, a token or a client secret.

use std::fmt;

use url::Url;

/// Query parameters whose values are masked when a URL is shown.
const SECRET_QUERY_KEYS: &[&str] = &[
    "access_token",
    "token",
    "key",
    "api_key",
    "apikey",
    "secret",
    "client_secret",
    "password",
    "signature",
    "sig",
    "code",
    // A session id that every call after a logon carries in its query.
    "userid",
];

/// Longest body snippet an error message shows.
const SNIPPET_CHARS: usize = 300;

/// Longest error body kept whole for a connector to parse.
const DETAIL_BYTES: usize = 64 * 1024;

/// Which call failed: the caller's label, the method and the URL. The URL is kept as given and
/// shown without secrets: user info dropped, secret query values masked (see `display_url`).
#[derive(Clone, PartialEq, Eq)]
pub struct Endpoint {
    label: String,
    method: String,
    raw_url: String,
}

impl Endpoint {
    pub fn new(label: &str, method: &str, url: &str) -> Self {
        Endpoint {
            label: label.to_string(),
            method: method.to_string(),
            raw_url: url.to_string(),
        }
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let url = display_url(&self.raw_url);
        if self.label.is_empty() {
            write!(f, "{} {url}", self.method)
        } else {
            write!(f, "{} ({} {url})", self.label, self.method)
        }
    }
}

impl fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Endpoint({self})")
    }
}

/// The client itself could not be built (TLS set-up, bad settings).
#[derive(Debug, thiserror::Error)]
#[error("cannot build the HTTP client: {reason}")]
pub struct BuildError {
    pub reason: String,
}

/// What went wrong with a request, after any retries.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// The request could not be built (bad URL, bad header); never sent.
    #[error("{endpoint}: invalid request: {reason}")]
    InvalidRequest { endpoint: Endpoint, reason: String },
    /// The server answered with a status that is an error.
    #[error("{endpoint}: HTTP {status} after {attempts} attempt(s){}", body_suffix(.body))]
    Status {
        endpoint: Endpoint,
        status: u16,
        /// The start of the body, for the message.
        body: String,
        attempts: u32,
        /// The whole body (up to 64 KiB), secrets masked, for a connector to read the API's
        /// own error object; never part of the message.
        detail: Box<str>,
    },
    /// No answer in time.
    #[error("{endpoint}: timed out after {attempts} attempt(s)")]
    Timeout { endpoint: Endpoint, attempts: u32 },
    /// The connection could not be made or broke before an answer came.
    #[error("{endpoint}: connection failed after {attempts} attempt(s): {reason}")]
    Connection {
        endpoint: Endpoint,
        reason: String,
        attempts: u32,
    },
    /// The body was not what the caller expected (not JSON, a field missing).
    #[error("{endpoint}: malformed response: {reason}")]
    Malformed { endpoint: Endpoint, reason: String },
    /// The OAuth2 token endpoint refused or failed.
    #[error("token request to {endpoint} failed: {reason}")]
    Token { endpoint: Endpoint, reason: String },
}

impl HttpError {
    pub fn endpoint(&self) -> &Endpoint {
        match self {
            HttpError::InvalidRequest { endpoint, .. }
            | HttpError::Status { endpoint, .. }
            | HttpError::Timeout { endpoint, .. }
            | HttpError::Connection { endpoint, .. }
            | HttpError::Malformed { endpoint, .. }
            | HttpError::Token { endpoint, .. } => endpoint,
        }
    }

    /// Records how many attempts were made before this failure became final.
    pub(crate) fn set_attempts(&mut self, count: u32) {
        match self {
            HttpError::Status { attempts, .. }
            | HttpError::Timeout { attempts, .. }
            | HttpError::Connection { attempts, .. } => *attempts = count,
            _ => {}
        }
    }

    /// The HTTP status when the server answered with an error.
    pub fn status(&self) -> Option<u16> {
        match self {
            HttpError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The whole error body (secrets masked) when the server answered with an error status.
    pub fn error_body(&self) -> Option<&str> {
        match self {
            HttpError::Status { detail, .. } => Some(detail),
            _ => None,
        }
    }

    /// The error answer's whole body as JSON, for APIs with structured errors; `None` when
    /// there was no answer or the body is not JSON.
    pub fn json_body(&self) -> Option<serde_json::Value> {
        match self {
            HttpError::Status { detail, .. } => serde_json::from_str(detail).ok(),
            _ => None,
        }
    }

    /// True for failures a later run may get past (5xx, 429, 409, network); false for requests
    /// the server will refuse again (other 4xx, bad requests, malformed answers).
    pub fn is_transient(&self) -> bool {
        match self {
            HttpError::Status { status, .. } => *status == 429 || *status == 409 || *status >= 500,
            HttpError::Timeout { .. } | HttpError::Connection { .. } => true,
            HttpError::Token { .. } => false,
            HttpError::InvalidRequest { .. } | HttpError::Malformed { .. } => false,
        }
    }
}

fn body_suffix(body: &str) -> String {
    if body.is_empty() {
        String::new()
    } else {
        format!(": {body}")
    }
}

/// The URL as shown in errors and logs: no user info, secret query values masked. A URL that
/// does not parse is shown without its query.
pub fn display_url(raw: &str) -> String {
    let Ok(mut url) = Url::parse(raw) else {
        let without_query = raw.split(['?', '#']).next().unwrap_or_default();
        return without_query.chars().take(200).collect();
    };
    let _ = url.set_username("");
    let _ = url.set_password(None);
    url.set_fragment(None);
    if url.query().is_some() {
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .map(|(key, value)| {
                let secret = SECRET_QUERY_KEYS
                    .iter()
                    .any(|s| key.eq_ignore_ascii_case(s))
                    || key.to_ascii_lowercase().contains("password");
                let shown = if secret {
                    "***".to_string()
                } else {
                    value.into_owned()
                };
                (key.into_owned(), shown)
            })
            .collect();
        url.query_pairs_mut().clear().extend_pairs(pairs);
    }
    url.to_string()
}

/// The start of a response body for an error message, with every known secret masked.
pub(crate) fn snippet(body: &[u8], secrets: &[String]) -> String {
    let text = String::from_utf8_lossy(body);
    let mut short: String = text.trim().chars().take(SNIPPET_CHARS).collect();
    if text.trim().chars().count() > SNIPPET_CHARS {
        short.push('…');
    }
    scrub(&short, secrets)
}

/// The body kept whole (up to [`DETAIL_BYTES`]) with every known secret masked.
pub(crate) fn detail(body: &[u8], secrets: &[String]) -> Box<str> {
    let kept = &body[..body.len().min(DETAIL_BYTES)];
    scrub(&String::from_utf8_lossy(kept), secrets).into()
}

/// Replaces each secret (token, key, client secret) found in `text`.
pub(crate) fn scrub(text: &str, secrets: &[String]) -> String {
    let mut out = text.to_string();
    for secret in secrets.iter().filter(|s| s.len() >= 4) {
        if out.contains(secret.as_str()) {
            out = out.replace(secret.as_str(), "***");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_lose_user_info_and_secret_query_values() {
        assert_eq!(
            display_url("https://u:p@api.example.com/v1/x?page=2&access_token=abc#frag"),
            "https://api.example.com/v1/x?page=2&access_token=***"
        );
        assert_eq!(display_url("not a url?token=abc"), "not a url");
        assert_eq!(
            display_url(
                "https://x.test/Rest/Logon?Operator=ADMIN&OperatorPassword=pw&CompanyPassword=c"
            ),
            "https://x.test/Rest/Logon?Operator=ADMIN&OperatorPassword=***&CompanyPassword=***"
        );
    }

    #[test]
    fn endpoints_show_their_url_without_secrets() {
        let endpoint = Endpoint::new("logon", "GET", "https://u:p@x.test/a?code=s3cret&page=2");
        assert_eq!(
            endpoint.to_string(),
            "logon (GET https://x.test/a?code=***&page=2)"
        );
        assert!(!format!("{endpoint:?}").contains("s3cret"));
    }

    #[test]
    fn snippets_are_short_and_scrubbed() {
        let body = format!("token sk_test_123 {}", "x".repeat(400));
        let shown = snippet(body.as_bytes(), &["sk_test_123".to_string()]);
        assert!(shown.starts_with("token *** "));
        assert!(!shown.contains("sk_test_123"));
        assert!(shown.chars().count() <= SNIPPET_CHARS + 1);
    }

    #[test]
    fn status_errors_name_endpoint_and_status() {
        let error = HttpError::Status {
            endpoint: Endpoint::new("list customers", "GET", "https://x.test/v1/customers"),
            status: 400,
            body: "{\"error\":{}}".into(),
            attempts: 1,
            detail: "{\"error\":{}}".into(),
        };
        assert_eq!(
            error.to_string(),
            "list customers (GET https://x.test/v1/customers): HTTP 400 after 1 attempt(s): {\"error\":{}}"
        );
        assert!(!error.is_transient());
    }
}
