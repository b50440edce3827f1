//! Reading HTTP Basic credentials, for the emulators whose systems take them.

use axum::http::{HeaderMap, header};

/// The user and password of `Authorization: Basic base64(user:password)`; `None` when the
/// header is missing, of another scheme or not decodable.
pub fn basic(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?.trim();
    let encoded = strip_scheme(value, "basic")?;
    let decoded = String::from_utf8(base64_decode(encoded.trim())?).ok()?;
    let (user, password) = decoded.split_once(':')?;
    Some((user.to_string(), password.to_string()))
}

/// What follows `scheme ` in an `Authorization` value, the scheme compared case-insensitively.
pub fn strip_scheme<'v>(value: &'v str, scheme: &str) -> Option<&'v str> {
    let (head, rest) = value.split_once(' ')?;
    head.eq_ignore_ascii_case(scheme).then_some(rest)
}

/// Standard or URL-safe base64, padding optional.
pub fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let mut bits: u32 = 0;
    let mut count = 0;
    let mut out = Vec::new();
    for byte in text.bytes().filter(|b| *b != b'=') {
        let value = match byte {
            b'A'..=b'Z' => byte - b'A',
            b'a'..=b'z' => byte - b'a' + 26,
            b'0'..=b'9' => byte - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        };
        bits = (bits << 6) | u32::from(value);
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
            bits &= (1 << count) - 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    #[test]
    fn decodes_basic_credentials() {
        assert_eq!(
            base64_decode("c2tfdGVzdF8xMjM6").as_deref(),
            Some(&b"sk_test_123:"[..])
        );
        assert_eq!(base64_decode("!"), None);
        let mut headers = HeaderMap::new();
        headers.insert(
            header::AUTHORIZATION,
            HeaderValue::from_static("Basic dXNlcjpwYTpzcw=="),
        );
        assert_eq!(basic(&headers), Some(("user".into(), "pa:ss".into())));
        headers.insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer x"));
        assert_eq!(basic(&headers), None);
    }
}
