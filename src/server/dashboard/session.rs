//! Logging in and staying logged in: credentials compared in constant time, random session ids
//! kept in memory with an expiry, and a CSRF token per session for every form that changes
//! something.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::HeaderMap;
use axum::http::header::COOKIE;
use sha2::{Digest, Sha256};

use crate::project::{Access, Secret};

/// The cookie that carries the session id.
pub const COOKIE_NAME: &str = "ferry_session";

/// How long a session lasts from login; then one logs in again.
const LIFETIME: Duration = Duration::from_secs(8 * 3600);

/// A logged-in browser.
#[derive(Clone)]
pub struct Session {
    pub id: String,
    /// Every form that changes state carries it; a request without it is refused.
    pub csrf: String,
    expires: Instant,
}

/// The sessions of this process: a restart logs everyone out, which is the safe side.
#[derive(Default)]
pub struct Sessions {
    by_id: Mutex<HashMap<String, Session>>,
}

impl Sessions {
    /// A new session, or `None` when the system has no randomness to give.
    pub fn open(&self) -> Option<Session> {
        let session = Session {
            id: random_token()?,
            csrf: random_token()?,
            expires: Instant::now() + LIFETIME,
        };
        let mut sessions = self.by_id.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        sessions.retain(|_, s| s.expires > now);
        sessions.insert(session.id.clone(), session.clone());
        Some(session)
    }

    /// The live session whose id the request's cookie carries.
    pub fn of_request(&self, headers: &HeaderMap) -> Option<Session> {
        let id = cookie(headers, COOKIE_NAME)?;
        let sessions = self.by_id.lock().unwrap_or_else(|e| e.into_inner());
        sessions
            .get(id)
            .filter(|s| s.expires > Instant::now())
            .cloned()
    }

    pub fn close(&self, id: &str) {
        let mut sessions = self.by_id.lock().unwrap_or_else(|e| e.into_inner());
        sessions.remove(id);
    }
}

impl Session {
    /// Whether `token` (a form's hidden field) is this session's CSRF token.
    pub fn allows(&self, token: Option<&str>) -> bool {
        token.is_some_and(|token| same(token.as_bytes(), self.csrf.as_bytes()))
    }
}

/// Whether a login form's fields match `access`. Every part is compared, in constant time, so
/// neither the answer nor its timing tells which part was wrong.
pub fn credentials_match(access: &Access<Secret>, form: &HashMap<String, String>) -> bool {
    let field = |name: &str| form.get(name).map(String::as_str).unwrap_or_default();
    match access {
        Access::Token(token) => same(field("token").as_bytes(), token.expose().as_bytes()),
        Access::Login { username, password } => {
            let user = same(field("username").as_bytes(), username.expose().as_bytes());
            let pass = same(field("password").as_bytes(), password.expose().as_bytes());
            user & pass
        }
    }
}

/// Compares the SHA-256 of both sides byte by byte without stopping early: the time taken
/// depends on neither the contents nor the lengths.
fn same(a: &[u8], b: &[u8]) -> bool {
    let (a, b) = (Sha256::digest(a), Sha256::digest(b));
    a.iter()
        .zip(b.iter())
        .fold(0u8, |diff, (x, y)| diff | (x ^ y))
        == 0
}

/// 32 bytes from the operating system's generator, in hex.
fn random_token() -> Option<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).ok()?;
    Some(hex::encode(bytes))
}

/// The value of cookie `name` in the request.
fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

/// The `Set-Cookie` value that starts a session. `secure` adds `Secure`: left out only when
/// ferry listens on loopback, where the browser talks plain HTTP to it and would drop a
/// `Secure` cookie; anywhere else ferry sits behind a TLS proxy.
pub fn set_cookie(session: &Session, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!(
        "{COOKIE_NAME}={}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}{secure}",
        session.id,
        LIFETIME.as_secs()
    )
}

/// The `Set-Cookie` value that ends a session in the browser.
pub fn clear_cookie(secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{COOKIE_NAME}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0{secure}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_compares_whole_values() {
        assert!(same(b"secret", b"secret"));
        assert!(!same(b"secret", b"secreT"));
        assert!(!same(b"secret", b"secret2"));
        assert!(!same(b"", b"x"));
    }

    #[test]
    fn the_cookie_is_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert(COOKIE, "a=1; ferry_session=abc; b=2".parse().unwrap());
        assert_eq!(cookie(&headers, COOKIE_NAME), Some("abc"));
        assert_eq!(cookie(&headers, "c"), None);
    }
}
