//! Stripe's request bodies: `application/x-www-form-urlencoded` with bracketed nesting
//! (`metadata[capsule_id]=11587`, `address[line1]=1+Main+St`, `expand[0]=customer`).
//!
//! Nested objects and arrays become bracketed keys; `null` and empty containers become `key=`
//! (Stripe's "unset"); numbers keep their exact JSON text (integers stay integers, decimals are
//! never rounded through a float) and booleans become `true` / `false`.

use serde_json::Value;
use url::form_urlencoded;

/// Encodes a JSON object as Stripe's nested bracket form; anything but an object encodes as
/// the empty string. Brackets are left readable; keys and values are percent-encoded.
pub fn encode(value: &Value) -> String {
    let Value::Object(map) = value else {
        return String::new();
    };
    let mut out = String::new();
    let mut key = String::new();
    for (name, child) in map {
        key.clear();
        key.extend(form_urlencoded::byte_serialize(name.as_bytes()));
        write_pairs(&mut key, child, &mut out);
    }
    out
}

/// Appends `key=value` for each leaf under `key`, which grows by a bracket per level and is
/// given back as it was.
fn write_pairs(key: &mut String, value: &Value, out: &mut String) {
    match value {
        Value::Null => pair(key, "", out),
        Value::Bool(b) => pair(key, if *b { "true" } else { "false" }, out),
        Value::Number(n) => pair(key, &n.to_string(), out),
        Value::String(s) => pair(key, s, out),
        Value::Array(items) if items.is_empty() => pair(key, "", out),
        Value::Object(map) if map.is_empty() => pair(key, "", out),
        Value::Array(items) => {
            let length = key.len();
            for (index, item) in items.iter().enumerate() {
                key.push('[');
                key.push_str(&index.to_string());
                key.push(']');
                write_pairs(key, item, out);
                key.truncate(length);
            }
        }
        Value::Object(map) => {
            let length = key.len();
            for (name, item) in map {
                key.push('[');
                key.extend(form_urlencoded::byte_serialize(name.as_bytes()));
                key.push(']');
                write_pairs(key, item, out);
                key.truncate(length);
            }
        }
    }
}

fn pair(key: &str, value: &str, out: &mut String) {
    if !out.is_empty() {
        out.push('&');
    }
    out.push_str(key);
    out.push('=');
    out.extend(form_urlencoded::byte_serialize(value.as_bytes()));
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn encodes_with_brackets_and_unset() {
        let v = json!({"metadata": {"erp id": "C&1"}, "expand": ["x"], "address": null, "n": 5, "b": true});
        assert_eq!(
            encode(&v),
            "metadata[erp+id]=C%261&expand[0]=x&address=&n=5&b=true"
        );
    }

    #[test]
    fn decimals_keep_their_exact_text() {
        let v: Value =
            serde_json::from_str(r#"{"unit_amount_decimal": 12.3450, "unit_amount": 1999}"#)
                .unwrap_or_default();
        assert_eq!(encode(&v), "unit_amount_decimal=12.3450&unit_amount=1999");
    }
}
