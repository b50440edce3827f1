//! Stripe's bracket form encoding round-trips.

use ferry::sandbox::stripe::form::{decode, encode};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

/// Keys the encoding can carry unambiguously: not empty, not all digits, no brackets.
fn key() -> impl Strategy<Value = String> {
    "[a-z_][a-z0-9_ .-]{0,8}"
}

fn tree() -> impl Strategy<Value = Value> {
    let leaf = "\\PC{0,12}"
        .prop_filter("non-empty", |s: &String| !s.is_empty())
        .prop_map(Value::String);
    leaf.prop_recursive(4, 40, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 1..4).prop_map(Value::Array),
            prop::collection::btree_map(key(), inner, 1..4)
                .prop_map(|m| Value::Object(m.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

proptest! {
    #[test]
    fn decode_inverts_encode(map in prop::collection::btree_map(key(), tree(), 1..5)) {
        let value = Value::Object(map.into_iter().collect());
        prop_assert_eq!(decode(encode(&value).as_bytes()), value);
    }

    #[test]
    fn decode_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let _ = decode(&bytes);
    }
}

#[test]
fn encodes_what_stripe_expects() {
    let body = encode(&json!({
        "email": "ann@example.com",
        "metadata": {"erp_id": "C-001"},
        "expand": ["customer"],
        "address": {"city": "Melbourne"},
    }));
    assert_eq!(
        body,
        "email=ann%40example.com&metadata[erp_id]=C-001&expand[0]=customer&address[city]=Melbourne"
    );
}
