//! Stripe's form bodies: the connector's encoder and the sandbox's decoder are inverses.

use ferry::connectors::stripe::form::encode;
use ferry::sandbox::stripe::form::decode;
use serde_json::{Map, Value};

use super::Bytes;

/// Characters of generated names. Brackets are left out: they are the nesting syntax, Stripe
/// refuses them in parameter and metadata names, and a decoder cannot tell `a[b]` written
/// as a name from `a` holding `b`. Names are never empty, for the same reason: `a[]` is a list.
const KEY_CHARS: &[char] = &[
    'a', 'b', 'z', 'A', '_', '-', '.', '0', '1', '2', '9', ' ', '&', '=', '+', '%', '#', '?', '/',
    '"', '\'', 'é', '€', '\n', '\t', ';',
];
/// Characters of generated text values: anything, brackets included.
const TEXT_CHARS: &[char] = &[
    'a', 'Z', '0', '5', ' ', '&', '=', '+', '%', '2', '0', '[', ']', '#', 'é', '€', '\u{0}', '\r',
    '\n', '"', '\\', ',', '😀',
];
const NUMBERS: &[&str] = &[
    "0",
    "-1",
    "1999",
    "12.3450",
    "0.000001",
    "-0.0",
    "1e5",
    "92233720368547758070",
    "1.5E-7",
];

/// The fuzz target: the decoder on raw bytes, then a value built from the same bytes.
pub fn check(data: &[u8]) {
    decoding_is_stable(data);
    let mut bytes = Bytes::new(data);
    let value = object(&mut bytes, 0);
    round_trips(&value);
}

/// Whatever a client sends, decoding it, encoding the result and decoding again changes
/// nothing: the decoder's trees are exactly the ones the encoder can write.
pub fn decoding_is_stable(input: &[u8]) {
    let decoded = decode(input);
    let encoded = encode(&decoded);
    let again = decode(encoded.as_bytes());
    assert_eq!(
        again, decoded,
        "decode(encode(decode(input))) differs; input {input:?}, encoded {encoded:?}"
    );
}

/// An object whose names have no brackets and are not empty decodes to
/// what it encoded: every leaf as its text, `null` and empty containers as "" (Stripe's
/// unset), and objects keyed exactly `0..n` as arrays.
pub fn round_trips(value: &Value) {
    let Value::Object(map) = value else {
        panic!("the property is about objects, got {value}");
    };
    assert!(fits(value), "generated a name outside the domain: {value}");
    let expected = Value::Object(
        map.iter()
            .map(|(key, child)| (key.clone(), expected(child)))
            .collect(),
    );
    let encoded = encode(value);
    let decoded = decode(encoded.as_bytes());
    assert_eq!(decoded, expected, "{value} encoded as {encoded:?}");
}

fn fits(value: &Value) -> bool {
    match value {
        Value::Object(map) => map
            .iter()
            .all(|(key, child)| !key.is_empty() && !key.contains(['[', ']']) && fits(child)),
        Value::Array(items) => items.iter().all(fits),
        _ => true,
    }
}

/// What a value below the top decodes to.
fn expected(value: &Value) -> Value {
    match value {
        Value::Null => Value::String(String::new()),
        Value::Bool(b) => Value::String(b.to_string()),
        Value::Number(n) => Value::String(n.to_string()),
        Value::String(s) => Value::String(s.clone()),
        Value::Array(items) if items.is_empty() => Value::String(String::new()),
        Value::Object(map) if map.is_empty() => Value::String(String::new()),
        Value::Array(items) => Value::Array(items.iter().map(expected).collect()),
        Value::Object(map) => {
            let mut indexed: Vec<(usize, Value)> = Vec::new();
            for (key, child) in map {
                match key.parse::<usize>() {
                    Ok(index) if index.to_string() == *key && index < map.len() => {
                        indexed.push((index, expected(child)));
                    }
                    _ => break,
                }
            }
            indexed.sort_by_key(|(index, _)| *index);
            let dense = indexed.len() == map.len()
                && indexed
                    .iter()
                    .enumerate()
                    .all(|(at, (index, _))| at == *index);
            if dense {
                Value::Array(indexed.into_iter().map(|(_, v)| v).collect())
            } else {
                Value::Object(
                    map.iter()
                        .map(|(key, child)| (key.clone(), expected(child)))
                        .collect(),
                )
            }
        }
    }
}

/// A JSON object built from bytes, within the round trip's domain.
pub fn object(bytes: &mut Bytes, depth: usize) -> Value {
    let mut map = Map::new();
    let fields = usize::from(bytes.byte() % 5);
    for _ in 0..fields {
        let mut key = if bytes.bool() {
            bytes.text_from(KEY_CHARS)
        } else {
            (usize::from(bytes.byte()) % 4).to_string()
        };
        if key.is_empty() {
            key.push('k');
        }
        let child = value(bytes, depth + 1);
        map.insert(key, child);
    }
    Value::Object(map)
}

fn value(bytes: &mut Bytes, depth: usize) -> Value {
    let choice = if depth >= 4 {
        bytes.byte() % 5
    } else {
        bytes.byte() % 7
    };
    match choice {
        0 => Value::Null,
        1 => Value::Bool(bytes.bool()),
        2 => {
            let text = NUMBERS[usize::from(bytes.byte()) % NUMBERS.len()];
            serde_json::from_str(text).unwrap_or(Value::Null)
        }
        3 | 4 => Value::String(bytes.text_from(TEXT_CHARS)),
        5 => {
            let n = usize::from(bytes.byte() % 4);
            Value::Array((0..n).map(|_| value(bytes, depth + 1)).collect())
        }
        _ => object(bytes, depth),
    }
}
