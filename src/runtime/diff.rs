//! What an update would change: the mapped fields that differ from the target's current
//! record, compared the way the APIs store them.
//!
//! A nested object the target replaces as a whole when an update names it (the schema's
//! `whole_on_update`: Stripe's hashes such as `address` and `shipping`, but not `metadata`,
//! whose keys merge) is sent whole once any of its fields changed: the mapped fields over what
//! the target holds of the others, so nothing the update does not mean to change is erased.

use rust_decimal::Decimal;
use serde_json::{Map, Value};

use crate::check::{ObjectType, Type};

/// The mapped fields whose values differ from `current`, nested as in `mapped`, and their
/// dotted paths. Fields `current` has but the mapping does not set are left alone; `record`,
/// the target's schema, says which objects an update must send whole.
pub fn changes(mapped: &Value, current: &Value, record: &Type) -> (Value, Vec<String>) {
    let mut paths = Vec::new();
    let changed = changed_object(mapped, current, object_of(record), "", &mut paths);
    (changed.unwrap_or_else(|| Value::Object(Map::new())), paths)
}

fn changed_object(
    mapped: &Value,
    current: &Value,
    schema: Option<&ObjectType>,
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
        let field = schema.and_then(|s| s.fields.get(key));
        match value {
            Value::Object(_) if existing.is_object() || existing.is_null() => {
                let nested_schema = field.and_then(|f| object_of(&f.ty));
                if let Some(nested) = changed_object(value, existing, nested_schema, &path, paths) {
                    let sent = if field.is_some_and(|f| f.whole_on_update) {
                        whole(value, existing, nested_schema)
                    } else {
                        nested
                    };
                    changed.insert(key.clone(), sent);
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

/// The object an update sends for a field the target replaces: the fields of it that the
/// target holds and the schema knows (kept as they are unless mapped: unmapped and `omit`ted
/// fields survive), with the mapped fields over them. A null or empty field is left out (a
/// replaced object without it has none, and Stripe refuses `""` for most fields); the whole
/// object empty is sent as `address=`, Stripe's "unset".
fn whole(mapped: &Value, current: &Value, schema: Option<&ObjectType>) -> Value {
    let mut out = Map::new();
    let field_schema = |key: &str| {
        schema
            .and_then(|s| s.fields.get(key))
            .and_then(|f| object_of(&f.ty))
    };
    // Of a hash with no known fields (nested past the schema's depth) all is kept: Stripe
    // refusing an unknown field is better than erasing one unseen.
    let held: Vec<(&String, &Value)> = match current {
        Value::Object(held) => held
            .iter()
            .filter(|(key, _)| schema.is_none_or(|s| s.fields.contains_key(key.as_str())))
            .collect(),
        _ => Vec::new(),
    };
    // In the target's order, then the mapped fields it does not hold.
    for (key, value) in &held {
        let sent = match mapped.get(key.as_str()) {
            Some(over) => over_held(over, value, field_schema(key)),
            None => match field_schema(key) {
                Some(nested) if value.is_object() => whole(&Value::Null, value, Some(nested)),
                _ => (*value).clone(),
            },
        };
        if !is_empty(&sent) {
            out.insert((*key).clone(), sent);
        }
    }
    if let Value::Object(fields) = mapped {
        for (key, value) in fields {
            if held.iter().any(|(held_key, _)| *held_key == key) {
                continue;
            }
            let sent = over_held(value, &Value::Null, field_schema(key));
            if !is_empty(&sent) {
                out.insert(key.clone(), sent);
            }
        }
    }
    Value::Object(out)
}

/// A mapped field of a hash sent whole, over what the target holds of it.
fn over_held(mapped: &Value, held: &Value, schema: Option<&ObjectType>) -> Value {
    match mapped {
        Value::Object(_) => whole(mapped, held, schema),
        other => other.clone(),
    }
}

/// Null, empty text or an empty object: nothing to send inside a hash sent whole.
fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Object(fields) => fields.is_empty(),
        _ => false,
    }
}

fn object_of(ty: &Type) -> Option<&ObjectType> {
    match ty.non_null() {
        Type::Object(object) => Some(object),
        _ => None,
    }
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
        let (changed, paths) = changes(&mapped, &current, &Type::Any);
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
            &Type::Any,
        );
        assert_eq!(changed, json!({"address": {"city": "Sydney"}}));
        assert_eq!(paths, vec!["address.city"]);
    }

    fn stripe_customer() -> &'static Type {
        &crate::connectors::schemas().targets["stripe.customer"].record
    }

    #[test]
    fn a_changed_address_field_sends_the_whole_address() {
        let mapped = json!({"email": "a@b.c", "address": {
            "line1": "1 Main St", "city": "Newcastle", "state": "NSW",
            "postal_code": "2300", "country": "AU"}});
        let current = json!({"email": "a@b.c", "address": {
            "line1": "1 Main St", "line2": "Level 2", "city": "Sydney", "state": "NSW",
            "postal_code": "2000", "country": "AU"}});
        let (changed, paths) = changes(&mapped, &current, stripe_customer());
        // line2 is not mapped: kept as the target holds it, since Stripe replaces the hash.
        assert_eq!(
            changed,
            json!({"address": {"line1": "1 Main St", "line2": "Level 2", "city": "Newcastle",
                "state": "NSW", "postal_code": "2300", "country": "AU"}})
        );
        assert_eq!(paths, vec!["address.city", "address.postal_code"]);
    }

    #[test]
    fn a_changed_shipping_city_sends_the_whole_shipping_hash() {
        let mapped = json!({"shipping": {"address": {"city": "Newcastle"}}});
        let current = json!({"shipping": {
            "name": "Ada Lovelace", "phone": null, "carrier": "AusPost",
            "address": {"line1": "1 Main St", "line2": null, "city": "Sydney",
                "state": "NSW", "postal_code": "2000", "country": "AU"}}});
        let (changed, paths) = changes(&mapped, &current, stripe_customer());
        // `carrier` is in the answer but no parameter of the hash: not sent back.
        assert_eq!(
            changed,
            json!({"shipping": {"name": "Ada Lovelace", "address": {"line1": "1 Main St",
                "city": "Newcastle", "state": "NSW", "postal_code": "2000", "country": "AU"}}})
        );
        assert_eq!(paths, vec!["shipping.address.city"]);
        assert_eq!(
            crate::connectors::stripe::form::encode(&changed),
            "shipping[name]=Ada+Lovelace&shipping[address][line1]=1+Main+St\
             &shipping[address][city]=Newcastle&shipping[address][state]=NSW\
             &shipping[address][postal_code]=2000&shipping[address][country]=AU"
        );
    }

    #[test]
    fn a_null_field_of_a_hash_sent_whole_is_left_out_and_an_omitted_one_kept() {
        // `state` omitted (absent), `line1` mapped to null: the hash goes without line1.
        let mapped = json!({"address": {"line1": null, "city": "Newcastle", "country": "AU"}});
        let current = json!({"address": {"line1": "1 Main St", "city": "Sydney",
            "state": "NSW", "country": "AU"}});
        let (changed, paths) = changes(&mapped, &current, stripe_customer());
        assert_eq!(
            changed,
            json!({"address": {"city": "Newcastle", "state": "NSW", "country": "AU"}})
        );
        assert_eq!(paths, vec!["address.line1", "address.city"]);
    }

    #[test]
    fn metadata_keys_merge_and_a_key_mapped_to_null_is_unset() {
        let mapped = json!({"metadata": {"capsule_id": "7", "owner": null, "gone": null}});
        let current = json!({"metadata": {"capsule_id": "6", "owner": "ann", "erp_id": "C-1"}});
        let (changed, paths) = changes(&mapped, &current, stripe_customer());
        // Only the pipeline's keys are sent; `erp_id` (another pipeline's) is not touched.
        assert_eq!(
            changed,
            json!({"metadata": {"capsule_id": "7", "owner": null}})
        );
        assert_eq!(paths, vec!["metadata.capsule_id", "metadata.owner"]);
        assert_eq!(
            crate::connectors::stripe::form::encode(&changed),
            "metadata[capsule_id]=7&metadata[owner]="
        );
    }
}
