//! Refunds: `POST /v1/refunds` of a charge or of a PaymentIntent's charge, in part or the rest;
//! each is a `refund` balance transaction, the charge's `amount_refunded`, `refunded` and
//! `refunds` updated, and the events `charge.refunded` (with the old values as
//! `previous_attributes`) and `refund.created`.

use serde_json::{Map, Value, json};

use super::amounts;
use super::disputes;
use super::error::ApiError;
use super::list;
use super::objects;
use super::payouts;
use super::store::{RequestInfo, Store};

pub fn create(
    store: &mut Store,
    params: &Map<String, Value>,
    request: &RequestInfo,
) -> Result<Value, ApiError> {
    let charge = charge_refunded(store, params)?;
    disputes::check_refundable(store, &charge)?;
    let requested = params.get("amount").and_then(Value::as_i64);
    let amount = amount_to_refund(&charge, requested)?;
    let id = charge["id"].as_str().unwrap_or_default().to_string();
    let details = Details {
        reason: params.get("reason").and_then(Value::as_str),
        metadata: params.get("metadata"),
    };
    record(store, &id, amount, &details, request)
}

/// The charge named by `charge`, or the latest charge of `payment_intent`.
fn charge_refunded(store: &Store, params: &Map<String, Value>) -> Result<Value, ApiError> {
    let text = |name: &str| params.get(name).and_then(Value::as_str);
    let from_intent = match text("payment_intent") {
        Some(id) => {
            let intent = store
                .payment_intents
                .get(id)
                .ok_or_else(|| ApiError::no_such("payment_intent", id, "payment_intent"))?;
            let latest = intent.get("latest_charge").and_then(Value::as_str);
            Some(latest.map(str::to_string).ok_or_else(|| {
                ApiError::unexpected_state(
                    "charge_not_refundable",
                    format!(
                        "This PaymentIntent ({id}) does not have a successful charge to refund."
                    ),
                )
            })?)
        }
        None => None,
    };
    let id = match (text("charge"), from_intent.as_deref()) {
        (Some(charge), Some(latest)) if charge != latest => {
            return Err(ApiError::rule(
                None,
                "charge",
                format!("The charge {charge} does not belong to PaymentIntent's charge {latest}."),
            ));
        }
        (Some(id), _) | (None, Some(id)) => id,
        (None, None) => {
            return Err(ApiError::rule(
                Some("parameter_missing"),
                "charge",
                "One of the following params should be provided for this request: \
                 payment_intent or charge."
                    .into(),
            ));
        }
    };
    store
        .charges
        .get(id)
        .cloned()
        .ok_or_else(|| ApiError::no_such("charge", id, "charge"))
}

/// How much a refund of `requested` (None: the rest) takes from `charge`, or Stripe's refusal.
pub fn amount_to_refund(charge: &Value, requested: Option<i64>) -> Result<i64, ApiError> {
    let id = charge["id"].as_str().unwrap_or_default();
    let number = |field: &str| charge.get(field).and_then(Value::as_i64).unwrap_or(0);
    // Stripe releases an uncaptured charge's authorization instead; not modelled (message
    // unverified).
    if charge.get("captured") != Some(&Value::Bool(true)) {
        return Err(ApiError::unexpected_state(
            "charge_not_refundable",
            format!("Charge {id} has not been captured, so there is nothing to refund."),
        ));
    }
    let unrefunded = number("amount_captured") - number("amount_refunded");
    if unrefunded <= 0 {
        return Err(ApiError::charge_already_refunded(id));
    }
    let amount = requested.unwrap_or(unrefunded);
    if amount <= 0 {
        return Err(ApiError::rule(
            Some("parameter_invalid_integer"),
            "amount",
            "Invalid positive integer".into(),
        ));
    }
    if amount > unrefunded {
        let rule = amounts::currency(charge["currency"].as_str().unwrap_or_default())?;
        return Err(ApiError::refund_too_large(
            &amounts::display(amount, &rule),
            &amounts::display(unrefunded, &rule),
        ));
    }
    Ok(amount)
}

/// What a refund says about itself.
#[derive(Default)]
pub struct Details<'a> {
    pub reason: Option<&'a str>,
    pub metadata: Option<&'a Value>,
}

/// Refunds `amount` of the charge `charge_id`, which [`amount_to_refund`] has allowed.
pub fn record(
    store: &mut Store,
    charge_id: &str,
    amount: i64,
    details: &Details,
    request: &RequestInfo,
) -> Result<Value, ApiError> {
    let before = store
        .charges
        .get(charge_id)
        .cloned()
        .ok_or_else(|| ApiError::no_such("charge", charge_id, "charge"))?;
    let currency = before["currency"].as_str().unwrap_or_default().to_string();
    let now = store.now();
    let id = store.id("re");
    let txn = payouts::record_refund(store, &id, -amount, &currency, now);
    let mut refund = json!({
        "id": id,
        "object": "refund",
        "amount": amount,
        "balance_transaction": txn,
        "charge": charge_id,
        "created": now,
        "currency": currency,
        "metadata": {},
        "payment_intent": before["payment_intent"],
        "reason": details.reason,
        "receipt_number": null,
        "source_transfer_reversal": null,
        "status": "succeeded",
        "transfer_reversal": null,
    });
    if let Some(metadata) = details.metadata {
        objects::merge_metadata(&mut refund, metadata)?;
    }
    store.refunds.insert(refund.clone());
    let mut after = before.clone();
    let refunded = before["amount_refunded"].as_i64().unwrap_or(0) + amount;
    after["amount_refunded"] = json!(refunded);
    after["refunded"] = json!(refunded == before["amount"].as_i64().unwrap_or(0));
    let refunds = &mut after["refunds"];
    if let Some(data) = refunds.get_mut("data").and_then(Value::as_array_mut) {
        data.insert(0, refund.clone());
    }
    let count = refunds["total_count"].as_i64().unwrap_or(0) + 1;
    refunds["total_count"] = json!(count);
    store.charges.insert(after.clone());
    let previous = objects::previous_attributes(&before, &after);
    store.record_event("refunded", &after, previous, request, now);
    store.record_event("created", &refund, None, request, now);
    Ok(refund)
}

pub fn list(store: &Store, url: &str, params: &Map<String, Value>) -> Result<Value, ApiError> {
    list::page(&store.refunds, "refund", url, params, |refund| {
        list::same_fields(params, refund, &["charge", "payment_intent"])
    })
}
