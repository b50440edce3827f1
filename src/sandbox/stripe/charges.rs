//! Charges: `POST /v1/charges` with a test card, the charges a PaymentIntent, an invoice or the
//! sandbox route make, and the list's filters. A succeeded, captured charge gets its balance
//! transaction with Stripe's fee.

use serde_json::{Map, Value, json};

use super::amounts;
use super::disputes;
use super::error::ApiError;
use super::list;
use super::objects::{self, ChargeSpec};
use super::payouts;
use super::store::{Collection, RequestInfo, Store};

/// What paying with one of Stripe's test cards does.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CardOutcome {
    Pays,
    Declined,
    /// Pays, then the cardholder disputes it as fraudulent (card 4000 0000 0000 0259).
    PaysThenDisputed,
}

impl CardOutcome {
    pub fn pays(self) -> bool {
        self != CardOutcome::Declined
    }
}

/// Stripe's test cards, as tokens (`source`) and PaymentMethods.
const TEST_CARDS: &[(&str, CardOutcome)] = &[
    ("tok_visa", CardOutcome::Pays),
    ("tok_visa_debit", CardOutcome::Pays),
    ("tok_chargeDeclined", CardOutcome::Declined),
    ("tok_createDispute", CardOutcome::PaysThenDisputed),
    ("pm_card_visa", CardOutcome::Pays),
    ("pm_card_visa_debit", CardOutcome::Pays),
    ("pm_card_chargeDeclined", CardOutcome::Declined),
    ("pm_card_createDispute", CardOutcome::PaysThenDisputed),
];

/// What the test card `id` does, or Stripe's 404 for a card it does not know.
pub fn test_card(id: &str, param: &str) -> Result<CardOutcome, ApiError> {
    match TEST_CARDS.iter().find(|(card, _)| *card == id) {
        Some((_, outcome)) => Ok(*outcome),
        None if id.starts_with("pm_") => Err(ApiError::no_such("PaymentMethod", id, param)),
        None => Err(ApiError::no_such("source", id, param)),
    }
}

/// A customer the caller names, which must exist.
pub fn customer_named<'p>(
    store: &Store,
    params: &'p Map<String, Value>,
) -> Result<Option<&'p str>, ApiError> {
    let customer = params.get("customer").and_then(Value::as_str);
    if let Some(id) = customer
        && store.customers.get(id).is_none()
    {
        return Err(ApiError::no_such("customer", id, "customer"));
    }
    Ok(customer)
}

/// The required `amount` and `currency` of a payment, checked as Stripe checks them.
pub fn amount_and_currency(params: &Map<String, Value>) -> Result<(i64, String), ApiError> {
    let amount = params
        .get("amount")
        .and_then(Value::as_i64)
        .ok_or_else(|| ApiError::missing("amount"))?;
    let code = params
        .get("currency")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::missing("currency"))?;
    let rule = amounts::currency(code)?;
    amounts::check_charge(amount, &rule)?;
    Ok((amount, code.to_lowercase()))
}

/// `POST /v1/charges`: amount, currency, a test card as `source` (a customer without a card
/// cannot pay), description, metadata, `capture` (default true; an uncaptured charge has no
/// balance transaction yet). Records `charge.succeeded`, or `charge.failed` and a 402 for a
/// declining card; the disputing card's charge is then disputed (`disputes::open`), and the
/// answer is the charge as it succeeded, before the dispute, as Stripe's is.
pub fn create(
    store: &mut Store,
    params: &Map<String, Value>,
    request: &RequestInfo,
) -> Result<Value, ApiError> {
    let (amount, currency) = amount_and_currency(params)?;
    let customer = customer_named(store, params)?;
    let outcome = match (params.get("source").and_then(Value::as_str), customer) {
        (Some(source), _) => test_card(source, "source")?,
        (None, Some(_)) => {
            return Err(ApiError::no_active_card());
        }
        (None, None) => {
            return Err(ApiError::rule(
                None,
                "source",
                "Must provide source or customer.".into(),
            ));
        }
    };
    let new = NewCharge {
        amount,
        currency: &currency,
        customer,
        description: params.get("description").and_then(Value::as_str),
        status: if outcome.pays() {
            "succeeded"
        } else {
            "failed"
        },
        metadata: params.get("metadata"),
        invoice: None,
        capture: params.get("capture") != Some(&Value::Bool(false)),
        payment: Payment::Card,
    };
    let charge = record_charge(store, &new, request)?;
    match outcome {
        CardOutcome::Declined => Err(ApiError::card_declined()),
        // Only money taken can be charged back; capturing later is not modelled.
        CardOutcome::PaysThenDisputed if new.capture => {
            disputes::open(store, &charge, request)?;
            Ok(charge)
        }
        CardOutcome::Pays | CardOutcome::PaysThenDisputed => Ok(charge),
    }
}

pub fn list(
    collection: &Collection,
    url: &str,
    params: &Map<String, Value>,
) -> Result<Value, ApiError> {
    list::page(collection, "charge", url, params, |c| {
        list::same_fields(params, c, &["customer", "payment_intent", "transfer_group"])
    })
}

/// What the charge was paid with, which decides the ids it names.
#[derive(Clone, Copy)]
pub enum Payment<'a> {
    /// A sandbox or invoice charge: a PaymentIntent and PaymentMethod the store does not hold.
    Unmodelled,
    /// `POST /v1/charges` with a card: no PaymentIntent, the card's id as payment method.
    Card,
    /// Confirming this PaymentIntent with this PaymentMethod.
    Intent { id: &'a str, method: &'a str },
}

/// What a new charge is made of; the ids and the clock are the store's.
#[derive(Clone, Copy)]
pub struct NewCharge<'a> {
    pub amount: i64,
    pub currency: &'a str,
    pub customer: Option<&'a str>,
    pub description: Option<&'a str>,
    pub status: &'a str,
    pub metadata: Option<&'a Value>,
    /// The invoice this charge pays, if any.
    pub invoice: Option<&'a str>,
    /// False leaves a succeeded charge authorized only: not captured, no balance transaction.
    pub capture: bool,
    pub payment: Payment<'a>,
}

/// Makes a charge (with its balance transaction when it succeeded and was captured) and
/// records `charge.<status>`.
pub fn record_charge(
    store: &mut Store,
    new: &NewCharge,
    request: &RequestInfo,
) -> Result<Value, ApiError> {
    let (id, txn) = (store.id("ch"), store.id("txn"));
    let (payment_intent, payment_method) = match new.payment {
        Payment::Unmodelled => (Some(store.id("pi")), store.id("pm")),
        Payment::Card => (None, store.id("card")),
        Payment::Intent { id, method } => (Some(id.to_string()), method.to_string()),
    };
    let now = store.now();
    let mut charge = objects::charge(&ChargeSpec {
        id: &id,
        created: now,
        amount: new.amount,
        currency: new.currency,
        customer: new.customer,
        description: new.description,
        status: new.status,
        txn: &txn,
        payment_intent: payment_intent.as_deref(),
        payment_method: &payment_method,
    });
    charge["invoice"] = json!(new.invoice);
    let captured = new.status == "succeeded" && new.capture;
    if !captured {
        charge["amount_captured"] = json!(0);
        charge["balance_transaction"] = Value::Null;
        charge["captured"] = json!(false);
    }
    if let Some(metadata) = new.metadata {
        objects::merge_metadata(&mut charge, metadata)?;
    }
    store.charges.insert(charge.clone());
    if captured {
        payouts::record_charge(store, &charge, &txn);
    }
    store.record_event(new.status, &charge, None, request, now);
    Ok(charge)
}
