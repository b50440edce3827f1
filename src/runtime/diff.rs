//! What an update would change: the mapped fields that differ from the target's current
//! record, compared the way the APIs store them.

use rust_decimal::Decimal;
use serde_json::{Map, Value};

/// The mapped fields whose values differ from `current`, nested as in `mapped`, and their
/// dotted paths. Fields `current` has but the mapping does not set are left alone.
pub fn changes(mapped: &Value, current: &Value) -> (Value, Vec<String>) {
    let mut paths = Vec::new();
    let changed = changed_object(mapped, current, "", &mut paths);
    (changed.unwrap_or_else(|| Value::Object(Map::new())), paths)
}

fn changed_object(
    mapped: &Value,
    current: &Value,
    prefix: &str,
    paths: &mut Vec<String>,
) -> Option<Value> {
    let Value::Object(fields) = mapped else {
        return (!same(mapped, current)).then(|| mapped.clone());
    };
    let mut changed = Map::new();
    for (key, value) in fields {
        let path = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        let existing = current.get(key).unwrap_or(&Value::Null);
        match value {
            Value::Object(_) if existing.is_object() || existing.is_null() => {
                if let Some(nested) = changed_object(value, existing, &path, paths) {
                    changed.insert(key.clone(), nested);
                }
            }
            _ if same(value, existing) => {}
            _ => {
                paths.push(path);
                changed.insert(key.clone(), value.clone());
            }
        }
    }
    (!changed.is_empty()).then_some(Value::Object(changed))
}

/// Equal as stored: numbers by value (`12.50` is `12.5`), a number and its text alike (Stripe
/// metadata holds text), null, absent and empty text alike (Stripe unsets with "").
pub fn same(mapped: &Value, current: &Value) -> bool {
    match (mapped, current) {
        (Value::Null, Value::Null) => true,
        (Value::Null, Value::String(s)) | (Value::String(s), Value::Null) => s.is_empty(),
        (Value::Number(a), Value::Number(b)) => numbers_equal(&a.to_string(), &b.to_string()),
        (Value::Number(n), Value::String(s)) | (Value::String(s), Value::Number(n)) => {
            numbers_equal(&n.to_string(), s)
        }
        (Value::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same(x, y))
        }
        (Value::Object(a), Value::Object(b)) => a
            .iter()
            .all(|(key, value)| same(value, b.get(key).unwrap_or(&Value::Null))),
        (Value::Object(a), Value::Null) => a.values().all(|v| same(v, &Value::Null)),
        _ => mapped == current,
    }
}

fn numbers_equal(a: &str, b: &str) -> bool {
    match (parse_decimal(a), parse_decimal(b)) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

fn parse_decimal(text: &str) -> Option<Decimal> {
    text.parse::<Decimal>()
        .ok()
        .or_else(|| Decimal::from_scientific(text).ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn unchanged_fields_are_left_out() {
        let mapped = json!({"email": "a@b.c", "name": "Ada", "metadata": {"id": "7", "x": null}});
        let current =
            json!({"id": "cus_1", "email": "a@b.c", "name": "Ada L", "metadata": {"id": "7"}});
        let (changed, paths) = changes(&mapped, &current);
        assert_eq!(changed, json!({"name": "Ada"}));
        assert_eq!(paths, vec!["name"]);
    }

    #[test]
    fn numbers_compare_by_value_and_text() {
        assert!(same(&json!(12.50), &json!(12.5)));
        assert!(same(&json!("7"), &json!(7)));
        assert!(!same(&json!(12.51), &json!(12.5)));
        assert!(same(&json!(null), &json!("")));
    }

    #[test]
    fn a_new_nested_field_is_a_change() {
        let (changed, paths) = changes(
            &json!({"address": {"city": "Sydney"}}),
            &json!({"address": null}),
        );
        assert_eq!(changed, json!({"address": {"city": "Sydney"}}));
        assert_eq!(paths, vec!["address.city"]);
    }
}
