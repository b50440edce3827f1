//! Stripe prices are immutable: a new amount, currency, product or interval cannot be sent to
//! `POST /v1/prices/{id}`. Such a change creates the new price (taking over the old one's
//! `lookup_key`) and then deactivates the old price, as Stripe's docs advise.

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::client::StripeClient;
use crate::connectors::record::{ConnectorError, TargetRecord, Write};

/// Price fields that only a new price can change.
const IMMUTABLE: &[&str] = &[
    "unit_amount",
    "unit_amount_decimal",
    "currency",
    "product",
    "recurring",
    "tax_behavior",
    "billing_scheme",
    "tiers",
    "tiers_mode",
    "transform_quantity",
    "custom_unit_amount",
];

/// Fields of a price object that the create endpoint takes, kept when the change leaves them.
const CARRIED: &[&str] = &[
    "unit_amount",
    "currency",
    "product",
    "tax_behavior",
    "lookup_key",
    "nickname",
    "metadata",
    "recurring",
];

/// The parts of `recurring` a create request takes.
const RECURRING: &[&str] = &[
    "interval",
    "interval_count",
    "usage_type",
    "aggregate_usage",
];

/// Whether `write` changes a field that Stripe does not let a price change.
pub fn needs_new_price(write: &Write) -> bool {
    write
        .fields
        .as_object()
        .is_some_and(|fields| fields.keys().any(|key| IMMUTABLE.contains(&key.as_str())))
}

impl StripeClient {
    /// Creates the price `current` becomes with `write`'s changes, then deactivates `current`.
    pub(super) async fn replace_price(
        &self,
        current: &TargetRecord,
        write: &Write,
    ) -> Result<TargetRecord, ConnectorError> {
        let mut fields = carried(&current.data);
        if let Some(changes) = write.fields.as_object() {
            for (key, value) in changes {
                match (fields.get_mut(key), value) {
                    // An update's metadata holds only the keys that changed; the new price
                    // keeps the others (Stripe merges metadata key by key on update too).
                    (Some(Value::Object(held)), Value::Object(changed)) if key == "metadata" => {
                        for (name, changed) in changed {
                            held.insert(name.clone(), changed.clone());
                        }
                    }
                    _ => {
                        fields.insert(key.clone(), value.clone());
                    }
                }
            }
        }
        if fields.get("lookup_key").is_some_and(|key| !key.is_null()) {
            fields.insert("transfer_lookup_key".into(), Value::Bool(true));
        }
        let created = self
            .create(
                "prices",
                &Write {
                    fields: Value::Object(fields),
                    idempotency_key: write.idempotency_key.clone(),
                },
            )
            .await?;
        let deactivate = Write {
            fields: serde_json::json!({ "active": false }),
            idempotency_key: derived_key(&write.idempotency_key, &current.id),
        };
        self.update_in_place("prices", current, &deactivate).await?;
        Ok(created)
    }
}

/// The create parameters the old price had: the product as its id, `recurring` without the
/// fields a response adds.
fn carried(price: &Value) -> Map<String, Value> {
    let mut fields = Map::new();
    for key in CARRIED {
        let Some(value) = price.get(*key).filter(|v| !v.is_null()) else {
            continue;
        };
        let value = match (*key, value) {
            ("product", Value::Object(product)) => product.get("id").cloned().unwrap_or_default(),
            ("recurring", Value::Object(recurring)) => Value::Object(
                recurring
                    .iter()
                    .filter(|(k, v)| RECURRING.contains(&k.as_str()) && !v.is_null())
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
            ),
            ("metadata", Value::Object(metadata)) if metadata.is_empty() => continue,
            _ => value.clone(),
        };
        fields.insert(key.to_string(), value);
    }
    fields
}

/// A second idempotency key for the deactivation that follows a create under `key`.
fn derived_key(key: &str, old_price: &str) -> String {
    if key.is_empty() {
        return String::new();
    }
    let mut hasher = Sha256::new();
    hasher.update(key.as_bytes());
    hasher.update(b"\0deactivate\0");
    hasher.update(old_price.as_bytes());
    hex::encode(hasher.finalize())
}
