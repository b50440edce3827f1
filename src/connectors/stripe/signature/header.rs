//! Reading a `Stripe-Signature` header: `t=<unix seconds>,v1=<hex>[,v1=<hex>...]`.

use jiff::Timestamp;

use super::error::SignatureError;

/// Longer than any header Stripe sends (a timestamp and a few signatures during a secret
/// rotation), short enough that a hostile one costs nothing to refuse.
pub const MAX_HEADER_LEN: usize = 8 * 1024;

/// The length of an HMAC-SHA256 tag.
pub const TAG_LEN: usize = 32;

/// A parsed header: the signed timestamp and every well-formed `v1` signature, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureHeader {
    pub timestamp: Timestamp,
    pub signatures: Vec<[u8; TAG_LEN]>,
}

/// Parses a header value. Parts are separated by commas and may be surrounded by whitespace;
/// other schemes (`v0`, unknown keys) and empty parts are ignored. A `v1` that is not 64 hex
/// digits is ignored too, but at least one well-formed `v1` must remain. There must be exactly
/// one `t`, made of decimal digits.
pub fn parse_header(value: &str) -> Result<SignatureHeader, SignatureError> {
    if value.len() > MAX_HEADER_LEN {
        return Err(SignatureError::Malformed(
            "the header is longer than 8192 bytes",
        ));
    }
    if value.trim().is_empty() {
        return Err(SignatureError::MissingHeader);
    }
    let mut timestamp = None;
    let mut signatures = Vec::new();
    let mut v1_seen = false;
    for part in value.split(',') {
        let (key, field) = match part.split_once('=') {
            Some((key, field)) => (key.trim(), field.trim()),
            None => (part.trim(), ""),
        };
        match key {
            "t" if timestamp.is_some() => {
                return Err(SignatureError::Malformed("more than one t"));
            }
            "t" => timestamp = Some(parse_timestamp(field)?),
            "v1" => {
                v1_seen = true;
                signatures.extend(decode_tag(field));
            }
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(SignatureError::Malformed("no t"))?;
    if !v1_seen {
        return Err(SignatureError::NoV1);
    }
    if signatures.is_empty() {
        return Err(SignatureError::Malformed(
            "no v1 signature is 64 hex digits",
        ));
    }
    Ok(SignatureHeader {
        timestamp,
        signatures,
    })
}

fn parse_timestamp(field: &str) -> Result<Timestamp, SignatureError> {
    if field.is_empty() || !field.bytes().all(|b| b.is_ascii_digit()) {
        return Err(SignatureError::Malformed("t is not a number of seconds"));
    }
    field
        .parse::<i64>()
        .ok()
        .and_then(|seconds| Timestamp::from_second(seconds).ok())
        .ok_or(SignatureError::Malformed("t is out of range"))
}

/// 64 hex digits (either case) as 32 bytes; anything else is `None`.
fn decode_tag(field: &str) -> Option<[u8; TAG_LEN]> {
    let digits = field.as_bytes();
    if digits.len() != 2 * TAG_LEN {
        return None;
    }
    let mut tag = [0u8; TAG_LEN];
    for (byte, pair) in tag.iter_mut().zip(digits.chunks_exact(2)) {
        let &[high, low] = pair else { return None };
        *byte = hex_value(high)? << 4 | hex_value(low)?;
    }
    Some(tag)
}

fn hex_value(digit: u8) -> Option<u8> {
    match digit {
        b'0'..=b'9' => Some(digit - b'0'),
        b'a'..=b'f' => Some(digit - b'a' + 10),
        b'A'..=b'F' => Some(digit - b'A' + 10),
        _ => None,
    }
}
