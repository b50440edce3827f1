//! Credentials: none, a bearer token, basic, or OAuth2 client credentials with a cached token.

use std::fmt;
use std::time::{Duration, Instant};

use reqwest::header::HeaderValue;
use serde_json::Value;
use tokio::sync::Mutex;

/// A credential; `Debug` and `Display` never show it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The value itself, for the one place that must send it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// How a connection proves who it is.
#[derive(Debug, Clone)]
pub enum Auth {
    None,
    Bearer(Secret),
    Basic {
        username: String,
        password: Option<Secret>,
    },
    OAuth2(ClientCredentials),
}

/// OAuth2 client-credentials grant (Business Central through Microsoft Entra ID).
#[derive(Debug, Clone)]
pub struct ClientCredentials {
    pub token_url: String,
    pub client_id: String,
    pub client_secret: Secret,
    pub scope: Option<String>,
}

impl ClientCredentials {
    /// The form body of the token request.
    pub(crate) fn form(&self) -> String {
        let mut form = url::form_urlencoded::Serializer::new(String::new());
        form.append_pair("grant_type", "client_credentials")
            .append_pair("client_id", &self.client_id)
            .append_pair("client_secret", self.client_secret.expose());
        if let Some(scope) = &self.scope {
            form.append_pair("scope", scope);
        }
        form.finish()
    }
}

impl Auth {
    /// Values that must never appear in an error, a log or a snippet.
    pub(crate) fn secrets(&self) -> Vec<String> {
        match self {
            Auth::None => Vec::new(),
            Auth::Bearer(token) => vec![token.expose().to_string()],
            Auth::Basic { password, .. } => {
                password.iter().map(|p| p.expose().to_string()).collect()
            }
            Auth::OAuth2(credentials) => vec![credentials.client_secret.expose().to_string()],
        }
    }

    /// The `Authorization` header for auth kinds that need no network; marked sensitive so
    /// reqwest and hyper never print it.
    pub(crate) fn static_header(&self) -> Option<Result<HeaderValue, String>> {
        let raw = match self {
            Auth::None | Auth::OAuth2(_) => return None,
            Auth::Bearer(token) => format!("Bearer {}", token.expose()),
            Auth::Basic { username, password } => {
                let pair = format!(
                    "{username}:{}",
                    password.as_ref().map(Secret::expose).unwrap_or_default()
                );
                format!("Basic {}", base64(pair.as_bytes()))
            }
        };
        Some(sensitive_header(&raw))
    }
}

pub(crate) fn sensitive_header(raw: &str) -> Result<HeaderValue, String> {
    let mut value = HeaderValue::from_str(raw)
        .map_err(|_| "the credential contains characters a header cannot carry".to_string())?;
    value.set_sensitive(true);
    Ok(value)
}

/// An access token and when to stop using it.
#[derive(Clone)]
pub(crate) struct AccessToken {
    pub(crate) value: Secret,
    refresh_at: Instant,
}

impl AccessToken {
    fn fresh(&self, now: Instant) -> bool {
        now < self.refresh_at
    }
}

/// The cached token of one connection. Fetching holds the lock, so concurrent requests share
/// one fetch (single flight).
#[derive(Default)]
pub(crate) struct TokenCache {
    slot: Mutex<Option<AccessToken>>,
}

impl fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenCache")
    }
}

impl TokenCache {
    /// The cached token, or the one `fetch` returns (stored for the next caller).
    pub(crate) async fn get_or_fetch<F, Fut, E>(&self, fetch: F) -> Result<Secret, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<AccessToken, E>>,
    {
        let mut slot = self.slot.lock().await;
        if let Some(token) = slot.as_ref().filter(|t| t.fresh(Instant::now())) {
            return Ok(token.value.clone());
        }
        let token = fetch().await?;
        let value = token.value.clone();
        *slot = Some(token);
        Ok(value)
    }

    /// Forgets `rejected` after a 401; a newer token fetched meanwhile is kept.
    pub(crate) async fn invalidate(&self, rejected: &Secret) {
        let mut slot = self.slot.lock().await;
        if slot.as_ref().is_some_and(|t| &t.value == rejected) {
            *slot = None;
        }
    }
}

/// Refresh this long before the token expires, but never more than half its lifetime early.
const REFRESH_MARGIN: Duration = Duration::from_secs(60);

/// Reads `{token_type, expires_in, access_token}`; `expires_in` may be a number or a string
/// (older Entra ID endpoints send strings).
pub(crate) fn parse_token(body: &[u8], received: Instant) -> Result<AccessToken, String> {
    let json: Value =
        serde_json::from_slice(body).map_err(|_| "the token response is not JSON".to_string())?;
    let access = json
        .get("access_token")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
        .ok_or("the token response has no `access_token`")?;
    if let Some(kind) = json.get("token_type") {
        let kind = kind.as_str().ok_or("`token_type` is not a string")?;
        if !kind.eq_ignore_ascii_case("bearer") {
            return Err(format!("`token_type` is `{kind}`, expected `Bearer`"));
        }
    }
    let lifetime = match json.get("expires_in") {
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) => s.trim().parse::<u64>().ok(),
        _ => None,
    }
    .ok_or("the token response has no whole-second `expires_in`")?;
    let lifetime = Duration::from_secs(lifetime.min(366 * 24 * 3600));
    let margin = REFRESH_MARGIN.min(lifetime / 2);
    Ok(AccessToken {
        value: Secret::new(access),
        refresh_at: received + (lifetime - margin),
    })
}

/// Standard base64 with padding (for Basic auth), kept here to avoid a dependency.
fn base64(bytes: &[u8]) -> String {
    const TABLE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18u32, 12, 6, 0].iter().enumerate() {
            if i <= chunk.len() {
                out.push(TABLE[((n >> shift) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc_4648_vectors() {
        let cases = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ];
        for (plain, encoded) in cases {
            assert_eq!(base64(plain.as_bytes()), encoded);
        }
    }

    #[test]
    fn secrets_never_print() {
        let auth = Auth::Bearer(Secret::new("sk_test_canary"));
        assert!(!format!("{auth:?}").contains("canary"));
        let header = auth.static_header().and_then(Result::ok);
        assert!(header.is_some_and(|h| h.is_sensitive()));
    }

    #[test]
    fn tokens_parse_and_expire_early() {
        let now = Instant::now();
        let body = br#"{"token_type":"Bearer","expires_in":3599,"access_token":"abc"}"#;
        let token = parse_token(body, now).map_err(|e| e.to_string());
        let token = token
            .as_ref()
            .map(|t| (t.value.expose().to_string(), t.refresh_at));
        assert_eq!(
            token,
            Ok(("abc".to_string(), now + Duration::from_secs(3539)))
        );
        let short = parse_token(br#"{"expires_in":"2","access_token":"x"}"#, now);
        assert!(short.is_ok_and(|t| t.refresh_at == now + Duration::from_secs(1)));
        assert!(parse_token(b"{}", now).is_err());
        assert!(parse_token(b"<html>", now).is_err());
        assert!(
            parse_token(
                br#"{"token_type":"mac","expires_in":1,"access_token":"x"}"#,
                now
            )
            .is_err()
        );
    }

    #[test]
    fn the_token_form_carries_the_grant() {
        let credentials = ClientCredentials {
            token_url: "https://login.test/t/oauth2/v2.0/token".into(),
            client_id: "id 1".into(),
            client_secret: Secret::new("s&cret"),
            scope: Some("https://api.businesscentral.dynamics.com/.default".into()),
        };
        assert_eq!(
            credentials.form(),
            "grant_type=client_credentials&client_id=id+1&client_secret=s%26cret\
             &scope=https%3A%2F%2Fapi.businesscentral.dynamics.com%2F.default"
        );
    }
}
