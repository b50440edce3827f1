//! Object shapes (as in Stripe's 2022-04-12 API and `fixtures3.json`) and how typed parameters
//! fill them in: metadata merging and its limits, address normalisation, `previous_attributes`.

use serde_json::{Map, Value, json};

use super::error::ApiError;

use crate::connectors::stripe::schema::METADATA_LIMITS;

/// The connector's limits, so that lint and the emulator never disagree.
pub const METADATA_MAX_KEYS: usize = METADATA_LIMITS.max_keys;
pub const METADATA_KEY_MAX: usize = METADATA_LIMITS.max_key_chars;
pub const METADATA_VALUE_MAX: usize = METADATA_LIMITS.max_value_chars;

pub fn customer(id: &str, created: i64, invoice_prefix: &str) -> Value {
    json!({
        "id": id,
        "object": "customer",
        "address": null,
        "balance": 0,
        "created": created,
        "currency": null,
        "default_source": null,
        "delinquent": false,
        "description": null,
        "discount": null,
        "email": null,
        "invoice_prefix": invoice_prefix,
        "invoice_settings": {"custom_fields": null, "default_payment_method": null, "footer": null},
        "livemode": false,
        "metadata": {},
        "name": null,
        "next_invoice_sequence": 1,
        "phone": null,
        "preferred_locales": [],
        "shipping": null,
        "tax_exempt": "none",
        "test_clock": null,
    })
}

pub fn product(id: &str, created: i64) -> Value {
    json!({
        "id": id,
        "object": "product",
        "active": true,
        "attributes": [],
        "created": created,
        "default_price": null,
        "description": null,
        "images": [],
        "livemode": false,
        "metadata": {},
        "name": "",
        "package_dimensions": null,
        "shippable": null,
        "statement_descriptor": null,
        "tax_code": null,
        "type": "service",
        "unit_label": null,
        "updated": created,
        "url": null,
    })
}

pub fn price(id: &str, created: i64, currency: &str, product: &str) -> Value {
    json!({
        "id": id,
        "object": "price",
        "active": true,
        "billing_scheme": "per_unit",
        "created": created,
        "currency": currency,
        "custom_unit_amount": null,
        "livemode": false,
        "lookup_key": null,
        "metadata": {},
        "nickname": null,
        "product": product,
        "recurring": null,
        "tax_behavior": "unspecified",
        "tiers_mode": null,
        "transform_quantity": null,
        "type": "one_time",
        "unit_amount": null,
        "unit_amount_decimal": null,
    })
}

pub struct ChargeSpec<'a> {
    pub id: &'a str,
    pub created: i64,
    pub amount: i64,
    pub currency: &'a str,
    pub customer: Option<&'a str>,
    pub description: Option<&'a str>,
    pub status: &'a str,
    pub txn: &'a str,
    pub payment_intent: Option<&'a str>,
    pub payment_method: &'a str,
}

pub fn charge(spec: &ChargeSpec) -> Value {
    let succeeded = spec.status == "succeeded";
    let mut charge = charge_base(spec, succeeded);
    charge["outcome"] = json!({
        "network_status": if succeeded { "approved_by_network" } else { "declined_by_network" },
        "reason": null,
        "risk_level": "normal",
        "risk_score": 32,
        "seller_message": if succeeded { "Payment complete." } else { "The bank did not return any further details with this decline." },
        "type": if succeeded { "authorized" } else { "issuer_declined" },
    });
    charge["paid"] = json!(succeeded);
    charge["payment_intent"] = json!(spec.payment_intent);
    charge["payment_method"] = json!(spec.payment_method);
    charge["payment_method_details"] = json!({
        "card": {
            "brand": "visa",
            "checks": {"address_line1_check": null, "address_postal_code_check": null, "cvc_check": "pass"},
            "country": "US",
            "exp_month": 8,
            "exp_year": 2030,
            "fingerprint": "AOB934RVNwzk6xtn",
            "funding": "credit",
            "installments": null,
            "last4": "4242",
            "mandate": null,
            "network": "visa",
            "three_d_secure": null,
            "wallet": null,
        },
        "type": "card",
    });
    charge
}

fn charge_base(spec: &ChargeSpec, succeeded: bool) -> Value {
    json!({
        "id": spec.id,
        "object": "charge",
        "amount": spec.amount,
        "amount_captured": if succeeded { spec.amount } else { 0 },
        "amount_refunded": 0,
        "application": null,
        "application_fee": null,
        "application_fee_amount": null,
        "balance_transaction": if succeeded { json!(spec.txn) } else { Value::Null },
        "billing_details": {"address": address(None), "email": null, "name": null, "phone": null},
        "calculated_statement_descriptor": "FERRY SANDBOX",
        "captured": succeeded,
        "created": spec.created,
        "currency": spec.currency,
        "customer": spec.customer,
        "description": spec.description,
        "disputed": false,
        "failure_balance_transaction": null,
        "failure_code": if spec.status == "failed" { json!("card_declined") } else { Value::Null },
        "failure_message": if spec.status == "failed" { json!("Your card was declined.") } else { Value::Null },
        "fraud_details": {},
        "invoice": null,
        "livemode": false,
        "metadata": {},
        "on_behalf_of": null,
        "receipt_email": null,
        "receipt_number": null,
        "receipt_url": format!("https://pay.stripe.com/receipts/{}", spec.id),
        "refunded": false,
        "refunds": {"object": "list", "data": [], "has_more": false, "total_count": 0,
                    "url": format!("/v1/charges/{}/refunds", spec.id)},
        "review": null,
        "shipping": null,
        "source_transfer": null,
        "statement_descriptor": null,
        "statement_descriptor_suffix": null,
        "status": spec.status,
        "transfer_data": null,
        "transfer_group": null,
    })
}

/// An address with every field present (null when not given).
pub fn address(given: Option<&Value>) -> Value {
    let mut out = Map::new();
    for field in ["city", "country", "line1", "line2", "postal_code", "state"] {
        let value = given
            .and_then(|g| g.get(field))
            .cloned()
            .unwrap_or(Value::Null);
        out.insert(field.to_string(), value);
    }
    Value::Object(out)
}

/// Merges a typed `metadata` parameter into `object`: `""` for a key deletes it, `null` (the
/// whole parameter set to `""`) clears all; then Stripe's limits apply (messages unverified).
pub fn merge_metadata(object: &mut Value, given: &Value) -> Result<(), ApiError> {
    let mut merged = match (given, object.get("metadata")) {
        (Value::Null, _) => Map::new(),
        (_, Some(Value::Object(current))) => current.clone(),
        _ => Map::new(),
    };
    if let Value::Object(entries) = given {
        for (key, value) in entries {
            let param = format!("metadata[{key}]");
            if key.chars().count() > METADATA_KEY_MAX {
                return Err(ApiError::rule(
                    None,
                    &param,
                    format!(
                        "Metadata keys can have up to {METADATA_KEY_MAX} characters; \"{key}\" has {}.",
                        key.chars().count()
                    ),
                ));
            }
            let text = match value {
                Value::String(s) => s.clone(),
                Value::Null => String::new(),
                other => other.to_string(),
            };
            if text.chars().count() > METADATA_VALUE_MAX {
                return Err(ApiError::rule(
                    None,
                    &param,
                    format!(
                        "Metadata values can have up to {METADATA_VALUE_MAX} characters; the value for \"{key}\" has {}.",
                        text.chars().count()
                    ),
                ));
            }
            if text.is_empty() {
                merged.remove(key);
            } else {
                merged.insert(key.clone(), Value::String(text));
            }
        }
    }
    if merged.len() > METADATA_MAX_KEYS {
        return Err(ApiError::rule(
            None,
            "metadata",
            format!(
                "Metadata can have up to {METADATA_MAX_KEYS} keys; this object would have {}.",
                merged.len()
            ),
        ));
    }
    object["metadata"] = Value::Object(merged);
    Ok(())
}

/// Sets the plain fields the object already has (parameters outside `skip` are the caller's);
/// nested address-like values are normalised.
pub fn assign(
    object: &mut Value,
    params: &Map<String, Value>,
    skip: &[&str],
) -> Result<(), ApiError> {
    for (key, value) in params {
        if skip.contains(&key.as_str()) || key == "expand" {
            continue;
        }
        if key == "metadata" {
            merge_metadata(object, value)?;
            continue;
        }
        if object.get(key).is_none() {
            continue;
        }
        object[key.as_str()] = match (key.as_str(), value) {
            ("address", Value::Object(_)) => address(Some(value)),
            ("shipping", Value::Object(s)) => json!({
                "address": address(s.get("address")),
                "name": s.get("name").cloned().unwrap_or(Value::Null),
                "phone": s.get("phone").cloned().unwrap_or(Value::Null),
            }),
            ("invoice_settings", Value::Object(given)) => {
                let mut current = object
                    .get("invoice_settings")
                    .and_then(Value::as_object)
                    .cloned()
                    .unwrap_or_default();
                for (k, v) in given {
                    current.insert(k.clone(), v.clone());
                }
                Value::Object(current)
            }
            _ => value.clone(),
        };
    }
    Ok(())
}

/// Stripe's `previous_attributes`: the old values of the top-level fields that changed; for
/// metadata only the keys that changed (null for keys that were new). None if nothing changed.
pub fn previous_attributes(before: &Value, after: &Value) -> Option<Value> {
    let (Value::Object(old), Value::Object(new)) = (before, after) else {
        return None;
    };
    let mut changed = Map::new();
    for (key, new_value) in new {
        let old_value = old.get(key).cloned().unwrap_or(Value::Null);
        if &old_value == new_value {
            continue;
        }
        if key == "metadata" {
            let empty = Map::new();
            let old_meta = old_value.as_object().unwrap_or(&empty);
            let new_meta = new_value.as_object().unwrap_or(&empty);
            let mut diff = Map::new();
            for k in old_meta.keys().chain(new_meta.keys()) {
                if old_meta.get(k) != new_meta.get(k) {
                    diff.insert(k.clone(), old_meta.get(k).cloned().unwrap_or(Value::Null));
                }
            }
            changed.insert(key.clone(), Value::Object(diff));
        } else if key != "updated" {
            changed.insert(key.clone(), old_value);
        }
    }
    (!changed.is_empty()).then_some(Value::Object(changed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_merges_deletes_and_limits() {
        let mut c = customer("cus_1", 1, "ABC");
        merge_metadata(&mut c, &json!({"a": "1", "b": "2"})).unwrap();
        merge_metadata(&mut c, &json!({"a": "", "c": "3"})).unwrap();
        assert_eq!(c["metadata"], json!({"b": "2", "c": "3"}));
        merge_metadata(&mut c, &Value::Null).unwrap();
        assert_eq!(c["metadata"], json!({}));
        let long_key = "k".repeat(41);
        let e = merge_metadata(&mut c, &json!({long_key.clone(): "x"})).unwrap_err();
        assert_eq!(e.param, Some(format!("metadata[{long_key}]")));
        assert!(merge_metadata(&mut c, &json!({"v": "x".repeat(501)})).is_err());
        assert!(merge_metadata(&mut c, &json!({"v": "x".repeat(500)})).is_ok());
        let many: Map<String, Value> = (0..51).map(|i| (format!("k{i}"), json!("v"))).collect();
        assert!(merge_metadata(&mut c, &Value::Object(many)).is_err());
    }

    #[test]
    fn previous_attributes_name_what_changed() {
        let before = json!({"email": "a", "name": "n", "metadata": {"x": "1"}});
        let after = json!({"email": "b", "name": "n", "metadata": {"x": "1", "y": "2"}});
        assert_eq!(
            previous_attributes(&before, &after),
            Some(json!({"email": "a", "metadata": {"y": null}}))
        );
        assert_eq!(previous_attributes(&before, &before), None);
    }
}
