//! PaymentIntents: created (optionally confirmed at once), confirmed with a test card's
//! PaymentMethod, listed. Confirming makes the intent's charge, as `latest_charge` and in its
//! `charges` list; a declining card leaves it `requires_payment_method` with the failed charge.
//! `capture_method=manual` stops at `requires_capture` (capturing is not modelled), and only
//! cards are modelled whatever `payment_method_types` names.

use serde_json::{Map, Value, json};

use super::charges::{self, CardOutcome, NewCharge, Payment};
use super::disputes;
use super::error::ApiError;
use super::list;
use super::objects;
use super::store::{RequestInfo, Store};

fn text<'p>(params: &'p Map<String, Value>, name: &str) -> Option<&'p str> {
    params.get(name).and_then(Value::as_str)
}

/// `POST /v1/payment_intents`: amount and currency (required), customer, description,
/// metadata, payment_method, payment_method_types or automatic_payment_methods, capture_method,
/// confirm. Records `payment_intent.created`, then what confirming records.
pub fn create(
    store: &mut Store,
    params: &Map<String, Value>,
    request: &RequestInfo,
) -> Result<Value, ApiError> {
    let (amount, currency) = charges::amount_and_currency(params)?;
    let customer = charges::customer_named(store, params)?;
    if params.contains_key("automatic_payment_methods")
        && params.contains_key("payment_method_types")
    {
        return Err(ApiError::rule(
            Some("parameters_exclusive"),
            "automatic_payment_methods",
            "You may only specify one of these parameters: automatic_payment_methods, \
             payment_method_types."
                .into(),
        ));
    }
    if let Some(method) = text(params, "payment_method") {
        payment_method_outcome(method)?;
    }
    let id = store.id("pi");
    let secret = store.id("secret");
    let now = store.now();
    let mut intent = json!({
        "id": id,
        "object": "payment_intent",
        "amount": amount,
        "amount_capturable": 0,
        "amount_received": 0,
        "application": null,
        "application_fee_amount": null,
        "automatic_payment_methods": params.get("automatic_payment_methods"),
        "canceled_at": null,
        "cancellation_reason": null,
        "capture_method": text(params, "capture_method").unwrap_or("automatic"),
        "charges": {"object": "list", "data": [], "has_more": false, "total_count": 0,
                    "url": format!("/v1/charges?payment_intent={id}")},
        "client_secret": format!("{id}_{secret}"),
        "confirmation_method": text(params, "confirmation_method").unwrap_or("automatic"),
        "created": now,
        "currency": currency,
        "customer": customer,
        "description": text(params, "description"),
        "invoice": null,
        "last_payment_error": null,
        "latest_charge": null,
        "livemode": false,
        "metadata": {},
        "next_action": null,
        "on_behalf_of": null,
        "payment_method": text(params, "payment_method"),
        "payment_method_options": {},
        "payment_method_types": params.get("payment_method_types").cloned().unwrap_or(json!(["card"])),
        "processing": null,
        "receipt_email": text(params, "receipt_email"),
        "review": null,
        "setup_future_usage": text(params, "setup_future_usage"),
        "shipping": null,
        "statement_descriptor": text(params, "statement_descriptor"),
        "statement_descriptor_suffix": text(params, "statement_descriptor_suffix"),
        "status": if params.contains_key("payment_method") { "requires_confirmation" } else { "requires_payment_method" },
        "transfer_data": null,
        "transfer_group": text(params, "transfer_group"),
    });
    if let Some(metadata) = params.get("metadata") {
        objects::merge_metadata(&mut intent, metadata)?;
    }
    store.payment_intents.insert(intent.clone());
    store.record_event("created", &intent, None, request, now);
    if params.get("confirm") == Some(&Value::Bool(true)) {
        return confirm(store, &id, params, request);
    }
    Ok(intent)
}

/// What a test card's PaymentMethod does; tokens are not PaymentMethods.
fn payment_method_outcome(method: &str) -> Result<CardOutcome, ApiError> {
    if !method.starts_with("pm_") {
        return Err(ApiError::no_such("PaymentMethod", method, "payment_method"));
    }
    charges::test_card(method, "payment_method")
}

/// `POST /v1/payment_intents/{intent}/confirm`, with an optional `payment_method`. Records
/// `charge.succeeded` and `payment_intent.succeeded` (or `payment_intent.amount_capturable_
/// updated` for a manual capture), or `charge.failed` and `payment_intent.payment_failed` and
/// answers 402 when the card declines; `pm_card_createDispute`'s charge is then disputed.
pub fn confirm(
    store: &mut Store,
    id: &str,
    params: &Map<String, Value>,
    request: &RequestInfo,
) -> Result<Value, ApiError> {
    let mut intent = store
        .payment_intents
        .get(id)
        .cloned()
        .ok_or_else(|| ApiError::no_such("payment_intent", id, "intent"))?;
    let status = intent["status"].as_str().unwrap_or_default();
    if !["requires_payment_method", "requires_confirmation"].contains(&status) {
        return Err(ApiError::unexpected_state(
            "payment_intent_unexpected_state",
            format!(
                "You cannot confirm this PaymentIntent because it has a status of {status}. \
                 Only a PaymentIntent with one of the following statuses may be confirmed: \
                 requires_confirmation, requires_action, requires_payment_method."
            ),
        ));
    }
    let Some(method) = text(params, "payment_method")
        .or_else(|| intent["payment_method"].as_str())
        .map(str::to_string)
    else {
        return Err(ApiError::unexpected_state(
            "payment_intent_unexpected_state",
            "You cannot confirm this PaymentIntent because it's missing a payment method. You \
             can either update the PaymentIntent with a payment method and then confirm it \
             again, or confirm it again directly with a payment method."
                .into(),
        ));
    };
    let outcome = payment_method_outcome(&method)?;
    let pays = outcome.pays();
    // Stripe clones a test card's PaymentMethod (`pm_card_visa`) into one of the account's own.
    let method_id = store.id("pm");
    let manual = intent["capture_method"] == "manual";
    let amount = intent["amount"].as_i64().unwrap_or(0);
    let currency = intent["currency"].as_str().unwrap_or_default().to_string();
    let customer = intent["customer"].as_str().map(str::to_string);
    let description = intent["description"].as_str().map(str::to_string);
    let metadata = intent["metadata"].clone();
    let new = NewCharge {
        amount,
        currency: &currency,
        customer: customer.as_deref(),
        description: description.as_deref(),
        status: if pays { "succeeded" } else { "failed" },
        metadata: Some(&metadata),
        invoice: None,
        capture: !manual,
        payment: Payment::Intent {
            id,
            method: &method_id,
        },
    };
    let charge = charges::record_charge(store, &new, request)?;
    let now = store.now();
    let charges = &mut intent["charges"];
    if let Some(data) = charges.get_mut("data").and_then(Value::as_array_mut) {
        data.insert(0, charge.clone());
    }
    charges["total_count"] = json!(charges["total_count"].as_i64().unwrap_or(0) + 1);
    intent["latest_charge"] = charge["id"].clone();
    if !pays {
        intent["status"] = json!("requires_payment_method");
        intent["payment_method"] = Value::Null;
        intent["last_payment_error"] = json!({
            "charge": charge["id"],
            "code": "card_declined",
            "decline_code": "generic_decline",
            "message": "Your card was declined.",
            "type": "card_error",
        });
        store.payment_intents.insert(intent.clone());
        store.record_event("payment_failed", &intent, None, request, now);
        return Err(ApiError::card_declined());
    }
    intent["payment_method"] = json!(method_id);
    intent["last_payment_error"] = Value::Null;
    let event = if manual {
        intent["status"] = json!("requires_capture");
        intent["amount_capturable"] = json!(amount);
        "amount_capturable_updated"
    } else {
        intent["status"] = json!("succeeded");
        intent["amount_received"] = json!(amount);
        "succeeded"
    };
    store.payment_intents.insert(intent.clone());
    store.record_event(event, &intent, None, request, now);
    // The cardholder disputes once the payment is complete: after the intent's own events.
    // A manual capture is disputed only once captured, which the emulator does not model.
    if outcome == CardOutcome::PaysThenDisputed && !manual {
        disputes::open(store, &charge, request)?;
    }
    Ok(intent)
}

pub fn list(store: &Store, url: &str, params: &Map<String, Value>) -> Result<Value, ApiError> {
    list::page(
        &store.payment_intents,
        "payment_intent",
        url,
        params,
        |intent| list::same_fields(params, intent, &["customer"]),
    )
}
