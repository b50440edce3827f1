//! The `Stripe-Signature` header: any text parses or is refused without a panic, and a header
//! made by the signer verifies for its body and secret, and only for them.

use std::time::Duration;

use ferry::connectors::stripe::signature::{
    MAX_HEADER_LEN, SignatureError, Verified, parse_header, sign, verify,
};
use ferry::project::Secret;
use jiff::Timestamp;

use super::Bytes;

/// The fuzz target: the bytes as a header, then a signing built from the same bytes.
pub fn check(data: &[u8]) {
    parsing_never_panics(&String::from_utf8_lossy(data));
    let mut bytes = Bytes::new(data);
    let secret = bytes.text();
    let other = bytes.text();
    let seconds = bytes.u64();
    let skew = bytes.u64();
    let noise = bytes.text();
    let body = bytes.rest();
    signed_header_verifies(body, &secret, &other, seconds, skew, &noise);
}

/// Parsing any header ends in a value or a typed error; a parsed header has a signature.
pub fn parsing_never_panics(header: &str) {
    if let Ok(parsed) = parse_header(header) {
        assert!(header.len() <= MAX_HEADER_LEN, "{header:?}");
        assert!(!parsed.signatures.is_empty(), "{header:?}");
    }
    let secrets = [Secret::new("whsec_fuzz")];
    let result = verify(
        header,
        b"{}",
        &secrets,
        Timestamp::UNIX_EPOCH,
        Duration::from_secs(300),
    );
    assert!(
        result.is_err(),
        "a header forged without the secret verified: {header:?}"
    );
}

/// `sign` then `verify`: the signing secret is found (after a different one that is tried
/// first), a timestamp within the tolerance either way is accepted, unrelated parts (`v0`,
/// spaces, a second wrong `v1`) change nothing, and another body or another secret is refused.
///
/// Timestamps are Stripe's: whole seconds from 1970 up to jiff's largest (year 9999).
pub fn signed_header_verifies(
    body: &[u8],
    secret: &str,
    other: &str,
    seconds: u64,
    skew: u64,
    noise: &str,
) {
    let max = Timestamp::MAX.as_second();
    let timestamp = i64::try_from(seconds % (max.unsigned_abs() + 1)).unwrap_or(0);
    let tolerance = Duration::from_secs(300);
    let offset = i64::try_from(skew % 601).unwrap_or(0) - 300;
    let now = Timestamp::from_second((timestamp + offset).clamp(0, max)).unwrap();

    let header = sign(body, &Secret::new(secret), timestamp);
    let secrets = [Secret::new(other), Secret::new(secret)];
    let same_key = same_hmac_key(secret, other);
    let expected = Verified {
        timestamp: Timestamp::from_second(timestamp).unwrap(),
        secret_index: if same_key { 0 } else { 1 },
    };
    assert_eq!(
        verify(&header, body, &secrets, now, tolerance),
        Ok(expected),
        "{header:?} at {now}"
    );

    let wrong = "0".repeat(64);
    let noise = noise.replace([',', '='], "");
    let noisy = format!(" v0={noise} , {header} ,v1={wrong}, x-{noise}");
    if noisy.len() <= MAX_HEADER_LEN {
        assert_eq!(
            verify(&noisy, body, &secrets, now, tolerance),
            Ok(expected),
            "{noisy:?}"
        );
    }

    let mut tampered = body.to_vec();
    tampered.push(b'!');
    assert_eq!(
        verify(&header, &tampered, &secrets, now, tolerance),
        Err(SignatureError::NoMatch),
        "another body verified"
    );
    if !same_key {
        assert_eq!(
            verify(&header, body, &secrets[..1], now, tolerance),
            Err(SignatureError::NoMatch),
            "another secret verified"
        );
    }
}

/// HMAC pads a key shorter than SHA-256's block with zero bytes, so `abc` and `abc\0` are one
/// key (the fuzzer's first find). Stripe's secrets (`whsec_` and base64) hold no NUL.
fn same_hmac_key(a: &str, b: &str) -> bool {
    const BLOCK: usize = 64;
    a == b
        || (a.len() <= BLOCK
            && b.len() <= BLOCK
            && a.trim_end_matches('\0') == b.trim_end_matches('\0'))
}
