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
    let mut pairs = Vec::new();
    for (key, child) in map {
        flatten(&escape(key), child, &mut pairs);
    }
    pairs
        .into_iter()
        .map(|(k, v)| format!("{k}={}", escape(&v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn escape(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

fn flatten(prefix: &str, value: &Value, out: &mut Vec<(String, String)>) {
    match value {
        Value::Null => out.push((prefix.to_string(), String::new())),
        Value::Bool(b) => out.push((prefix.to_string(), b.to_string())),
        Value::Number(n) => out.push((prefix.to_string(), n.to_string())),
        Value::String(s) => out.push((prefix.to_string(), s.clone())),
        Value::Array(items) if items.is_empty() => out.push((prefix.to_string(), String::new())),
        Value::Object(map) if map.is_empty() => out.push((prefix.to_string(), String::new())),
        Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                flatten(&format!("{prefix}[{index}]"), item, out);
            }
        }
        Value::Object(map) => {
            for (key, item) in map {
                flatten(&format!("{prefix}[{}]", escape(key)), item, out);
            }
        }
    }
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
