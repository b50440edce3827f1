//! Stripe webhook signatures: checking the `Stripe-Signature` header of a delivery, and making
//! one (for the sandbox and load tests).
//!
//! A delivery is authentic when one of its `v1` signatures is the HMAC-SHA256 of
//! `"{t}.{raw body}"` keyed with one of the endpoint's secrets (the whole `whsec_...` text).
//! Several secrets are accepted because Stripe signs with every active secret while one is
//! being rolled. An authentic delivery is then refused when its timestamp is further than the
//! tolerance from now, in either direction: Stripe's libraries only refuse old ones, but a
//! timestamp from the future is a clock fault or a forgery prepared for later replay.

mod error;
mod header;

use std::time::Duration;

use hmac::{Hmac, Mac};
use jiff::Timestamp;
use sha2::Sha256;

use crate::connectors::Secret;

pub use error::SignatureError;
pub use header::{MAX_HEADER_LEN, SignatureHeader, parse_header};

/// Stripe's default tolerance between the signed timestamp and now.
pub const DEFAULT_TOLERANCE: Duration = Duration::from_secs(300);

/// An accepted delivery: when Stripe signed it, and which of the secrets signed it (an index
/// into the `secrets` given to [`verify`]; a rotation is over when only the new one is seen).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verified {
    pub timestamp: Timestamp,
    pub secret_index: usize,
}

/// Checks a `Stripe-Signature` header against the raw request body. Signatures are checked
/// first, in constant time, and only then the timestamp, so `TooOld` and `TooNew` always
/// describe an authentic delivery. A timestamp exactly `tolerance` away is accepted.
pub fn verify(
    header: &str,
    body: &[u8],
    secrets: &[Secret],
    now: Timestamp,
    tolerance: Duration,
) -> Result<Verified, SignatureError> {
    let parsed = parse_header(header)?;
    let seconds = parsed.timestamp.as_second();
    let secret_index = secrets
        .iter()
        .position(|secret| {
            let mac = signed_payload_mac(body, secret, seconds);
            parsed
                .signatures
                .iter()
                .any(|tag| mac.clone().verify_slice(tag).is_ok())
        })
        .ok_or(SignatureError::NoMatch)?;
    check_timestamp(seconds, now.as_second(), tolerance)?;
    Ok(Verified {
        timestamp: parsed.timestamp,
        secret_index,
    })
}

/// A full header value, `t=<timestamp>,v1=<hex>`, as Stripe would send for this body.
pub fn sign(body: &[u8], secret: &Secret, timestamp: i64) -> String {
    let tag = signed_payload_mac(body, secret, timestamp)
        .finalize()
        .into_bytes();
    format!("t={timestamp},v1={}", hex::encode(tag))
}

/// The MAC state after `"{t}.{body}"`, keyed with the secret's UTF-8 bytes.
fn signed_payload_mac(body: &[u8], secret: &Secret, timestamp: i64) -> Hmac<Sha256> {
    // HMAC takes a key of any length, so this never fails; an empty key stands in regardless.
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.expose().as_bytes())
        .unwrap_or_else(|_| <Hmac<Sha256> as Mac>::new(&Default::default()));
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

fn check_timestamp(signed: i64, now: i64, tolerance: Duration) -> Result<(), SignatureError> {
    let distance = Duration::from_secs(signed.abs_diff(now));
    if distance <= tolerance {
        Ok(())
    } else if signed < now {
        Err(SignatureError::TooOld {
            age: distance,
            tolerance,
        })
    } else {
        Err(SignatureError::TooNew {
            ahead: distance,
            tolerance,
        })
    }
}
