//! What a connector asks for (`RequestSpec`) and what it gets back (`Response`).

use std::fmt;

use reqwest::Method;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde::de::DeserializeOwned;

use super::error::{Endpoint, HttpError};

/// One HTTP request, described once and sent as many times as the retry policy allows.
#[derive(Clone)]
pub struct RequestSpec {
    pub method: Method,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<RequestBody>,
    /// Repeating the request cannot apply it twice. GET, HEAD, PUT, DELETE and OPTIONS start
    /// true; POST and PATCH start false. A POST with an `Idempotency-Key` is retry-safe anyway.
    pub idempotent: bool,
    /// Names the call in logs and errors, e.g. `stripe: create customer`.
    pub label: String,
}

#[derive(Clone)]
pub struct RequestBody {
    pub bytes: Vec<u8>,
    pub content_type: String,
}

impl RequestSpec {
    pub fn new(method: Method, label: impl Into<String>, url: impl Into<String>) -> Self {
        let idempotent = method.is_idempotent();
        RequestSpec {
            method,
            url: url.into(),
            headers: Vec::new(),
            body: None,
            idempotent,
            label: label.into(),
        }
    }

    pub fn get(label: impl Into<String>, url: impl Into<String>) -> Self {
        Self::new(Method::GET, label, url)
    }

    pub fn post(label: impl Into<String>, url: impl Into<String>) -> Self {
        Self::new(Method::POST, label, url)
    }

    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    pub fn body(mut self, bytes: impl Into<Vec<u8>>, content_type: impl Into<String>) -> Self {
        self.body = Some(RequestBody {
            bytes: bytes.into(),
            content_type: content_type.into(),
        });
        self
    }

    pub fn json(self, value: &serde_json::Value) -> Self {
        self.body(value.to_string(), "application/json")
    }

    /// An already encoded `application/x-www-form-urlencoded` body.
    pub fn form(self, encoded: impl Into<String>) -> Self {
        self.body(encoded.into(), "application/x-www-form-urlencoded")
    }

    pub fn idempotent(mut self, idempotent: bool) -> Self {
        self.idempotent = idempotent;
        self
    }

    /// May the layer send this again after an ambiguous failure (5xx, timeout, reset)?
    pub fn retry_safe(&self) -> bool {
        self.idempotent
            || self.headers.iter().any(|(name, value)| {
                name.eq_ignore_ascii_case("idempotency-key") && !value.is_empty()
            })
    }

    pub fn endpoint(&self) -> Endpoint {
        Endpoint::new(&self.label, self.method.as_str(), &self.url)
    }

    /// The caller's headers as a map; `Authorization`-like values are marked sensitive.
    pub(crate) fn header_map(&self) -> Result<HeaderMap, HttpError> {
        let mut map = HeaderMap::new();
        for (name, value) in &self.headers {
            let invalid = |what: &str| HttpError::InvalidRequest {
                endpoint: self.endpoint(),
                reason: format!("header `{name}` has an invalid {what}"),
            };
            let header = HeaderName::from_bytes(name.as_bytes()).map_err(|_| invalid("name"))?;
            let mut value = HeaderValue::from_str(value).map_err(|_| invalid("value"))?;
            if is_sensitive(&header) {
                value.set_sensitive(true);
            }
            map.append(header, value);
        }
        Ok(map)
    }
}

fn is_sensitive(name: &HeaderName) -> bool {
    let name = name.as_str();
    name == "authorization"
        || name == "proxy-authorization"
        || name == "cookie"
        || name.contains("api-key")
}

impl fmt::Debug for RequestSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(name, _)| name.as_str()).collect();
        f.debug_struct("RequestSpec")
            .field("endpoint", &self.endpoint())
            .field("headers", &names)
            .field("body_bytes", &self.body.as_ref().map(|b| b.bytes.len()))
            .field("idempotent", &self.idempotent)
            .finish()
    }
}

/// A successful answer, body read in full.
#[derive(Clone)]
pub struct Response {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
    pub endpoint: Endpoint,
    /// Attempts it took, the successful one included.
    pub attempts: u32,
}

impl Response {
    /// The body as JSON of type `T`; an error names the endpoint and what did not fit.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, HttpError> {
        serde_json::from_slice(&self.body).map_err(|error| HttpError::Malformed {
            endpoint: self.endpoint.clone(),
            reason: format!("body is not the expected JSON: {error}"),
        })
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name)?.to_str().ok()
    }

    /// The server's clock from its `Date` header.
    pub fn server_time(&self) -> Option<jiff::Timestamp> {
        jiff::fmt::rfc2822::DateTimeParser::new()
            .parse_timestamp(self.header("date")?)
            .ok()
    }
}

impl fmt::Debug for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Response")
            .field("endpoint", &self.endpoint)
            .field("status", &self.status)
            .field("body_bytes", &self.body.len())
            .field("attempts", &self.attempts)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_safety_follows_method_and_idempotency_key() {
        assert!(RequestSpec::get("l", "http://x").retry_safe());
        assert!(!RequestSpec::post("l", "http://x").retry_safe());
        assert!(
            RequestSpec::post("l", "http://x")
                .header("Idempotency-Key", "k1")
                .retry_safe()
        );
        assert!(RequestSpec::new(Method::PUT, "l", "http://x").retry_safe());
        assert!(!RequestSpec::new(Method::PATCH, "l", "http://x").retry_safe());
    }

    #[test]
    fn debug_shows_header_names_only() {
        let spec =
            RequestSpec::get("l", "http://x?token=t0p").header("Authorization", "Bearer t0p");
        let shown = format!("{spec:?}");
        assert!(!shown.contains("t0p"), "{shown}");
        assert!(shown.contains("Authorization"));
    }

    #[test]
    fn bad_headers_are_invalid_requests() {
        let spec = RequestSpec::get("l", "http://x").header("bad name", "v");
        assert!(matches!(
            spec.header_map(),
            Err(HttpError::InvalidRequest { .. })
        ));
    }
}
