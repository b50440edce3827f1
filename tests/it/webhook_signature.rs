//! Stripe webhook signatures: OpenSSL-made vectors, secret rotation, the tolerance window,
//! malformed headers, and properties of sign/verify/parse_header.

use std::path::PathBuf;
use std::time::Duration;

use ferry::connectors::stripe::signature::MAX_HEADER_LEN;
use ferry::connectors::stripe::{
    DEFAULT_TOLERANCE, SignatureError, Verified, parse_header, sign, verify,
};
use ferry::project::Secret;
use jiff::Timestamp;
use proptest::prelude::*;
use serde::Deserialize;

const T: i64 = 1_700_000_000;
const UNRELATED: &str = "whsec_unrelated_0000";

#[derive(Deserialize)]
struct Vector {
    payload: String,
    secret: String,
    timestamp: i64,
    v1: String,
}

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/webhooks")
}

fn vectors() -> Vec<Vector> {
    let text = std::fs::read_to_string(fixtures().join("manifest.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn payload(name: &str) -> Vec<u8> {
    std::fs::read(fixtures().join("payloads").join(name)).unwrap()
}

fn at(seconds: i64) -> Timestamp {
    Timestamp::from_second(seconds).unwrap()
}

/// The first vector: customer_created.json, the primary secret, `T`.
fn primary() -> (Vec<u8>, Secret, String) {
    let vector = &vectors()[0];
    assert_eq!(
        (vector.payload.as_str(), vector.timestamp),
        ("customer_created.json", T)
    );
    (
        payload(&vector.payload),
        Secret::new(&vector.secret),
        vector.v1.clone(),
    )
}

fn check(
    header: &str,
    body: &[u8],
    secrets: &[Secret],
    now: i64,
) -> Result<Verified, SignatureError> {
    verify(header, body, secrets, at(now), DEFAULT_TOLERANCE)
}

#[test]
fn every_openssl_vector_verifies_and_sign_reproduces_it() {
    let vectors = vectors();
    assert_eq!(vectors.len(), 8);
    for vector in &vectors {
        let body = payload(&vector.payload);
        let secret = Secret::new(&vector.secret);
        let header = format!("t={},v1={}", vector.timestamp, vector.v1);
        assert_eq!(
            sign(&body, &secret, vector.timestamp),
            header,
            "{}",
            vector.payload
        );
        assert_eq!(
            check(&header, &body, &[secret], vector.timestamp),
            Ok(Verified {
                timestamp: at(vector.timestamp),
                secret_index: 0
            }),
            "{}",
            vector.payload
        );
    }
}

#[test]
fn during_a_rotation_either_secret_verifies_and_an_unrelated_one_does_not() {
    let vectors = vectors();
    let (old, new) = (&vectors[0], &vectors[1]);
    assert_eq!(
        (old.payload.as_str(), old.timestamp),
        (new.payload.as_str(), new.timestamp)
    );
    let body = payload(&old.payload);
    let header = format!("t={T},v1={},v1={}", old.v1, new.v1);
    let old_secret = Secret::new(&old.secret);
    let new_secret = Secret::new(&new.secret);
    let unrelated = Secret::new(UNRELATED);

    let index = |secrets: &[Secret]| check(&header, &body, secrets, T).map(|v| v.secret_index);
    assert_eq!(index(std::slice::from_ref(&old_secret)), Ok(0));
    assert_eq!(index(std::slice::from_ref(&new_secret)), Ok(0));
    assert_eq!(index(&[unrelated.clone(), new_secret.clone()]), Ok(1));
    assert_eq!(
        index(&[unrelated.clone(), old_secret.clone(), new_secret.clone()]),
        Ok(1)
    );
    assert_eq!(
        index(std::slice::from_ref(&unrelated)),
        Err(SignatureError::NoMatch)
    );
    assert_eq!(index(&[]), Err(SignatureError::NoMatch));

    // Only the old secret signed: the configured order decides the index.
    let old_only = format!("t={T},v1={}", old.v1);
    assert_eq!(
        check(&old_only, &body, &[new_secret, old_secret], T).map(|v| v.secret_index),
        Ok(1)
    );
}

#[test]
fn the_tolerance_window_is_inclusive_on_both_sides() {
    let (body, secret, _) = primary();
    let header = sign(&body, &secret, T);
    let secrets = [secret];
    let secs = Duration::from_secs;
    let ok = Ok(Verified {
        timestamp: at(T),
        secret_index: 0,
    });
    assert_eq!(check(&header, &body, &secrets, T), ok);
    assert_eq!(check(&header, &body, &secrets, T + 300), ok);
    assert_eq!(check(&header, &body, &secrets, T - 300), ok);
    assert_eq!(
        check(&header, &body, &secrets, T + 301),
        Err(SignatureError::TooOld {
            age: secs(301),
            tolerance: secs(300)
        })
    );
    assert_eq!(
        check(&header, &body, &secrets, T - 301),
        Err(SignatureError::TooNew {
            ahead: secs(301),
            tolerance: secs(300)
        })
    );
    assert_eq!(
        check(&header, &body, &secrets, T + 86_400).map_err(|e| e.to_string()),
        Err("the signed timestamp is 86400 s old, more than the tolerance of 300 s".to_string())
    );
    assert_eq!(
        check(&header, &body, &secrets, T - 3_600).map_err(|e| e.to_string()),
        Err(
            "the signed timestamp is 3600 s in the future, more than the tolerance of 300 s"
                .to_string()
        )
    );
    // A sub-second `now` is truncated to its second, as Stripe's libraries do.
    let now = Timestamp::new(T + 300, 999_999_999).unwrap();
    assert_eq!(verify(&header, &body, &secrets, now, DEFAULT_TOLERANCE), ok);
    // A zero tolerance accepts only the very second.
    assert_eq!(verify(&header, &body, &secrets, at(T), Duration::ZERO), ok);
    assert_eq!(
        verify(&header, &body, &secrets, at(T + 1), Duration::ZERO),
        Err(SignatureError::TooOld {
            age: secs(1),
            tolerance: Duration::ZERO
        })
    );
}

#[test]
fn a_stale_forgery_is_a_mismatch_not_a_timing_error() {
    let (body, _, _) = primary();
    let forged = sign(&body, &Secret::new(UNRELATED), T);
    let (_, secret, _) = primary();
    assert_eq!(
        check(&forged, &body, &[secret], T + 10_000),
        Err(SignatureError::NoMatch)
    );
}

#[test]
fn a_body_changed_by_one_byte_fails() {
    let (body, secret, v1) = primary();
    let header = format!("t={T},v1={v1}");
    let secrets = [secret];
    let mut flipped = body.clone();
    flipped[100] ^= 0x01;
    let mut appended = body.clone();
    appended.push(b'\n');
    let truncated = &body[..body.len() - 1];
    for changed in [&flipped[..], &appended[..], truncated, b""] {
        assert_eq!(
            check(&header, changed, &secrets, T),
            Err(SignatureError::NoMatch)
        );
    }
    // The timestamp is signed too.
    let moved = format!("t={},v1={v1}", T + 1);
    assert_eq!(
        check(&moved, &body, &secrets, T),
        Err(SignatureError::NoMatch)
    );
}

#[test]
fn header_variations_stripe_may_send_or_proxies_may_introduce_still_verify() {
    let (body, secret, v1) = primary();
    let upper = v1.to_uppercase();
    let other = "0".repeat(64);
    let headers = [
        format!(" t = {T} , v1 = {v1} "),
        format!(
            "t={T},v1={v1},v0=6ffbb59b2300aae63f272406069a9788598b792a944a07aba816edb039989a39"
        ),
        format!("v1={v1},t={T}"),
        format!("t={T},v1={other},v1={v1}"),
        format!("t={T},v1=abc,v1={v1},v1=not-hex"),
        format!("t={T},,v1={v1},"),
        format!("t={T},v1={upper}"),
        format!("t={T},scheme=future,v2=zzz,v1={v1}"),
        format!("t=000{T},v1={v1}"),
    ];
    for header in &headers {
        assert_eq!(
            check(header, &body, std::slice::from_ref(&secret), T).map(|v| v.timestamp),
            Ok(at(T)),
            "{header}"
        );
    }
}

#[test]
fn malformed_headers_are_refused_with_exact_errors() {
    let (body, secret, v1) = primary();
    use SignatureError::*;
    let no_good_v1 = Malformed("no v1 signature is 64 hex digits");
    let not_a_number = Malformed("t is not a number of seconds");
    let huge = format!("t={T},v1={v1},{}", "v0=ab,".repeat(100 * 1024 / 6));
    let cases: Vec<(String, SignatureError)> = vec![
        (String::new(), MissingHeader),
        (" \t ".into(), MissingHeader),
        (format!("v1={v1}"), Malformed("no t")),
        ("garbage".into(), Malformed("no t")),
        ("t,v1".into(), not_a_number.clone()),
        (format!("t=abc,v1={v1}"), not_a_number.clone()),
        (format!("t=,v1={v1}"), not_a_number.clone()),
        (format!("t=-5,v1={v1}"), not_a_number.clone()),
        (format!("t=+5,v1={v1}"), not_a_number.clone()),
        (format!("t=1.5,v1={v1}"), not_a_number.clone()),
        (format!("t=١٧٠٠,v1={v1}"), not_a_number.clone()),
        (
            format!("t=99999999999999999999,v1={v1}"),
            Malformed("t is out of range"),
        ),
        (
            format!("t=999999999999,v1={v1}"),
            Malformed("t is out of range"),
        ),
        (format!("t={T},t={T},v1={v1}"), Malformed("more than one t")),
        (format!("t={T}"), NoV1),
        (format!("t={T},v0={v1}"), NoV1),
        (format!("t={T},V1={v1}"), NoV1),
        (format!("t={T},v1=abc"), no_good_v1.clone()),
        (format!("t={T},v1="), no_good_v1.clone()),
        (format!("t={T},v1={}", "z".repeat(64)), no_good_v1.clone()),
        (format!("t={T},v1={v1}0"), no_good_v1.clone()),
        (format!("t={T},v1={}", &v1[..62]), no_good_v1.clone()),
        (format!("t={T},v1=é{}", &v1[2..]), no_good_v1),
        (
            huge.clone(),
            Malformed("the header is longer than 8192 bytes"),
        ),
    ];
    assert!(huge.len() >= 100 * 1024 - 100 && MAX_HEADER_LEN == 8192);
    for (header, expected) in cases {
        let shown: String = header.chars().take(80).collect();
        assert_eq!(
            parse_header(&header).err(),
            Some(expected.clone()),
            "{shown}"
        );
        assert_eq!(
            check(&header, &body, std::slice::from_ref(&secret), T),
            Err(expected),
            "{shown}"
        );
    }
}

#[test]
fn each_error_has_a_stable_code_and_a_message_without_the_secret() {
    let secs = Duration::from_secs;
    let cases = [
        (SignatureError::MissingHeader, "signature_missing"),
        (SignatureError::Malformed("no t"), "signature_malformed"),
        (SignatureError::NoV1, "signature_no_v1"),
        (SignatureError::NoMatch, "signature_mismatch"),
        (
            SignatureError::TooOld {
                age: secs(301),
                tolerance: secs(300),
            },
            "signature_too_old",
        ),
        (
            SignatureError::TooNew {
                ahead: secs(301),
                tolerance: secs(300),
            },
            "signature_too_new",
        ),
    ];
    for (error, code) in &cases {
        assert_eq!(error.code(), *code);
    }
    assert_eq!(
        SignatureError::NoMatch.to_string(),
        "no v1 signature matches the body and a configured webhook secret"
    );

    // Every refusal of a real delivery, in both renderings, leaves the secret and the signature out.
    let (body, secret, v1) = primary();
    let signed = format!("t={T},v1={v1}");
    let refusals = [
        (String::new(), &body[..], T),
        (format!("t={T}"), &body[..], T),
        (format!("t=x,v1={v1}"), &body[..], T),
        (signed.clone(), &body[1..], T),
        (signed.clone(), &body[..], T + 1_000),
        (signed, &body[..], T - 1_000),
    ];
    for (header, body, now) in refusals {
        let error = check(&header, body, std::slice::from_ref(&secret), now).unwrap_err();
        for text in [error.to_string(), format!("{error:?}")] {
            assert!(
                !text.contains(secret.expose()) && !text.contains(&v1),
                "{text}"
            );
        }
    }
}

proptest! {
    #[test]
    fn a_signed_body_verifies_and_any_one_byte_change_fails(
        body in proptest::collection::vec(any::<u8>(), 1..512),
        secret in "\\PC{0,40}",
        t in 0i64..=253_402_207_199,
        position in any::<prop::sample::Index>(),
        flip in 1u8..=255,
    ) {
        let secret = Secret::new(secret);
        let header = sign(&body, &secret, t);
        let secrets = [secret];
        prop_assert_eq!(
            verify(&header, &body, &secrets, at(t), DEFAULT_TOLERANCE),
            Ok(Verified { timestamp: at(t), secret_index: 0 })
        );
        let mut changed = body.clone();
        changed[position.index(body.len())] ^= flip;
        prop_assert_eq!(
            verify(&header, &changed, &secrets, at(t), DEFAULT_TOLERANCE),
            Err(SignatureError::NoMatch)
        );
    }

    #[test]
    fn parse_header_never_panics_on_any_text(header in "\\PC*|[tv01=, a-f0-9\\-+.\\s]{0,200}") {
        let _ = parse_header(&header);
        let _ = verify(&header, b"{}", &[Secret::new("whsec_x")], at(T), DEFAULT_TOLERANCE);
    }

    #[test]
    fn parse_header_never_panics_on_shuffled_header_parts(
        parts in proptest::collection::vec(
            prop_oneof![
                prop::sample::select(&["t=1700000000", "t=", "v1=", "=", " "][..])
                    .prop_map(String::from),
                "v1=[0-9a-fA-Fg ]{0,66}",
                "t=[0-9]{0,25}",
                "\\PC{0,8}",
            ],
            0..12,
        )
    ) {
        let header = parts.join(",");
        let _ = parse_header(&header);
    }
}
