//! Balance transactions and payouts. A succeeded charge gets its balance transaction (with
//! Stripe's processing fee) when it is made, a dispute its withdrawal and reinstatement (with
//! the dispute fee, `disputes.rs`); `POST /v1/sandbox/payouts` pays out what is
//! available in a currency, with refunds, fees and adjustments, as Stripe's automatic payouts
//! do on their schedule (which the emulator does not model). `GET /v1/balance_transactions?
//! payout=po_...` lists what a payout paid out, its own `payout` transaction included
//! (unverified: Stripe's docs only say it lists the transactions paid out).

use serde_json::{Map, Value, json};

use super::disputes;
use super::error::ApiError;
use super::list;
use super::params;
use super::refunds::{self, Details};
use super::store::{RequestInfo, Store};

/// What a balance transaction moves, before its id and clock are known.
struct Movement<'a> {
    amount: i64,
    fee: i64,
    /// What the fee is for, in `fee_details`.
    fee_description: &'a str,
    kind: &'a str,
    reporting_category: &'a str,
    source: Option<&'a str>,
    description: Option<&'a str>,
}

impl<'a> Movement<'a> {
    /// Money in or out (negative) that Stripe charges no fee on.
    fn fee_less(
        amount: i64,
        kind: &'a str,
        reporting_category: &'a str,
        source: Option<&'a str>,
        description: Option<&'a str>,
    ) -> Self {
        Movement {
            amount,
            fee: 0,
            fee_description: PROCESSING_FEE,
            kind,
            reporting_category,
            source,
            description,
        }
    }
}

fn balance_transaction(id: &str, currency: &str, created: i64, movement: &Movement) -> Value {
    let fee_details = if movement.fee == 0 {
        json!([])
    } else {
        json!([{
            "amount": movement.fee,
            "application": null,
            "currency": currency,
            "description": movement.fee_description,
            "type": "stripe_fee",
        }])
    };
    json!({
        "id": id,
        "object": "balance_transaction",
        "amount": movement.amount,
        "available_on": created,
        "created": created,
        "currency": currency,
        "description": movement.description,
        "exchange_rate": null,
        "fee": movement.fee,
        "fee_details": fee_details,
        "net": movement.amount - movement.fee,
        "reporting_category": movement.reporting_category,
        "source": movement.source,
        "status": "available",
        "type": movement.kind,
    })
}

const PROCESSING_FEE: &str = "Stripe processing fees";

/// Stripe's price for domestic cards in Australia: 1.75% + 30 minor units, rounded.
pub fn card_fee(amount: i64) -> i64 {
    (amount * 175 + 5_000) / 10_000 + 30
}

/// Records a balance transaction for `movement`; its id.
fn record(store: &mut Store, currency: &str, now: i64, movement: &Movement) -> String {
    let txn = store.id("txn");
    let transaction = balance_transaction(&txn, currency, now, movement);
    store.balance_transactions.insert(transaction);
    txn
}

/// The `refund` balance transaction of the refund `refund` (amount negative); its id.
pub fn record_refund(
    store: &mut Store,
    refund: &str,
    amount: i64,
    currency: &str,
    now: i64,
) -> String {
    let description = Some("REFUND FOR CHARGE");
    let movement = Movement::fee_less(amount, "refund", "refund", Some(refund), description);
    record(store, currency, now, &movement)
}

/// What a dispute moves: the funds withdrawn (amount negative, the dispute fee charged) or
/// reinstated (amount positive, the fee given back as a negative fee).
pub struct DisputeMovement<'a> {
    pub dispute: &'a str,
    pub amount: i64,
    pub fee: i64,
    pub currency: &'a str,
    /// `dispute` for a withdrawal, `dispute_reversal` for a reinstatement.
    pub reporting_category: &'a str,
    pub description: &'a str,
}

/// The `adjustment` balance transaction of a dispute's funds moving; the whole object, as
/// a dispute's `balance_transactions` carries it.
pub fn record_dispute(store: &mut Store, movement: &DisputeMovement, now: i64) -> Value {
    let id = store.id("txn");
    let transaction = balance_transaction(
        &id,
        movement.currency,
        now,
        &Movement {
            amount: movement.amount,
            fee: movement.fee,
            fee_description: "Dispute fee",
            kind: "adjustment",
            reporting_category: movement.reporting_category,
            source: Some(movement.dispute),
            description: Some(movement.description),
        },
    );
    store.balance_transactions.insert(transaction.clone());
    transaction
}

/// The balance transaction `txn` of a charge that has just succeeded.
pub fn record_charge(store: &mut Store, charge: &Value, txn: &str) {
    let text = |field: &str| charge.get(field).and_then(Value::as_str).unwrap_or("");
    let amount = charge.get("amount").and_then(Value::as_i64).unwrap_or(0);
    let created = charge.get("created").and_then(Value::as_i64).unwrap_or(0);
    let movement = Movement {
        amount,
        fee: card_fee(amount),
        fee_description: PROCESSING_FEE,
        kind: "charge",
        reporting_category: "charge",
        source: Some(text("id")),
        description: charge.get("description").and_then(Value::as_str),
    };
    let transaction = balance_transaction(txn, text("currency"), created, &movement);
    store.balance_transactions.insert(transaction);
}

pub fn list_balance_transactions(
    store: &Store,
    url: &str,
    params: &Map<String, Value>,
) -> Result<Value, ApiError> {
    let payout = params.get("payout").and_then(Value::as_str);
    if let Some(id) = payout
        && store.payouts.get(id).is_none()
    {
        return Err(ApiError::no_such("payout", id, "payout"));
    }
    list::page(
        &store.balance_transactions,
        "balance_transaction",
        url,
        params,
        |t| {
            let id = t.get("id").and_then(Value::as_str).unwrap_or("");
            payout.is_none_or(|p| store.paid_out.get(id).is_some_and(|by| by == p))
                && list::same_fields(params, t, &["type", "source", "currency"])
        },
    )
}

const SEED_PARAMS: &[&str] = &[
    "currency",
    "charges",
    "refunds",
    "fees",
    "adjustments",
    "arrival_date",
];

/// `POST /v1/sandbox/payouts`: currency (required); `charges[]` (default: every succeeded
/// charge in that currency not yet paid out); `refunds[i][charge]` and `[amount]` (default the
/// rest of the charge); `fees[i][amount]` and `[description]` (debited); `adjustments[i]
/// [amount]` (signed) and `[description]`; `arrival_date`. Records each refund (as
/// `POST /v1/refunds` does) and `payout.paid`; answers the payout. Everything is checked
/// before anything is recorded, so a refused payout (`balance_insufficient` included) changes
/// no charge and no balance.
pub fn seed_payout(
    store: &mut Store,
    params: &Map<String, Value>,
    request: &RequestInfo,
) -> Result<Value, ApiError> {
    params::only(params, SEED_PARAMS)?;
    let currency = params
        .get("currency")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::missing("currency"))?
        .to_lowercase();
    let now = store.now();
    let arrival_date = match params.get("arrival_date").and_then(Value::as_str) {
        Some(text) => integer("arrival_date", text)?,
        None => now,
    };
    let mut paid = available_transactions(store, params, &currency)?;
    let refunds = planned_refunds(store, params, &currency)?;
    let mut others = Vec::new();
    for (name, kind, category) in [
        ("fees", "stripe_fee", "fee"),
        ("adjustments", "adjustment", "other_adjustment"),
    ] {
        for item in items(params.get(name)) {
            let param = format!("{name}[amount]");
            let amount = field(item, "amount")
                .ok_or_else(|| ApiError::missing(&param))
                .and_then(|text| integer(&param, text))?;
            let amount = if kind == "stripe_fee" {
                -amount
            } else {
                amount
            };
            let description = field(item, "description");
            others.push(Movement::fee_less(
                amount,
                kind,
                category,
                None,
                description,
            ));
        }
    }
    let charged: i64 = paid
        .iter()
        .filter_map(|id| store.balance_transactions.get(id))
        .filter_map(|t| t.get("net").and_then(Value::as_i64))
        .sum();
    let refunded: i64 = refunds.iter().map(|(_, amount)| amount).sum();
    let total = charged - refunded + others.iter().map(|m| m.amount).sum::<i64>();
    if total <= 0 {
        return Err(ApiError::rule(
            Some("balance_insufficient"),
            "currency",
            format!("The {currency} balance to pay out is {total}: a payout must be positive."),
        ));
    }
    for (charge, amount) in &refunds {
        let refund = refunds::record(store, charge, *amount, &Details::default(), request)?;
        if let Some(txn) = refund["balance_transaction"].as_str() {
            paid.push(txn.to_string());
        }
    }
    for movement in &others {
        paid.push(record(store, &currency, now, movement));
    }
    let id = store.id("po");
    let payout = Some("STRIPE PAYOUT");
    let movement = Movement::fee_less(-total, "payout", "payout", Some(&id), payout);
    let txn = record(store, &currency, now, &movement);
    paid.push(txn.clone());
    for paid_txn in paid {
        store.paid_out.insert(paid_txn, id.clone());
    }
    let payout = json!({
        "id": id,
        "object": "payout",
        "amount": total,
        "arrival_date": arrival_date,
        "automatic": true,
        "balance_transaction": txn,
        "created": now,
        "currency": currency,
        "description": "STRIPE PAYOUT",
        "destination": "ba_sandbox",
        "failure_balance_transaction": null,
        "failure_code": null,
        "failure_message": null,
        "livemode": false,
        "metadata": {},
        "method": "standard",
        "original_payout": null,
        "reconciliation_status": "completed",
        "reversed_by": null,
        "source_type": "card",
        "statement_descriptor": null,
        "status": "paid",
        "type": "bank_account",
    });
    store.payouts.insert(payout.clone());
    store.record_event("paid", &payout, None, request, now);
    Ok(payout)
}

/// What the payout takes from the balance before this request's own refunds, fees and
/// adjustments: every balance transaction in `currency` that no payout has taken yet (charges,
/// refunds made with `POST /v1/refunds`, disputes' withdrawals and reinstatements), or, with
/// `charges[]`, the named charges and the refunds and disputes made of them.
fn available_transactions(
    store: &Store,
    params: &Map<String, Value>,
    currency: &str,
) -> Result<Vec<String>, ApiError> {
    let unpaid = |txn: &str| {
        store.balance_transactions.get(txn).is_some_and(|t| {
            t.get("currency").and_then(Value::as_str) == Some(currency)
                && t.get("type").and_then(Value::as_str) != Some("payout")
        }) && !store.paid_out.contains_key(txn)
    };
    let txn_of = |object: &Value| {
        object
            .get("balance_transaction")
            .and_then(Value::as_str)
            .filter(|txn| unpaid(txn))
            .map(str::to_string)
    };
    let Some(named) = params.get("charges") else {
        let mut all: Vec<String> = store
            .balance_transactions
            .newest_first(None)
            .filter_map(|(_, t)| t.get("id").and_then(Value::as_str))
            .filter(|txn| unpaid(txn))
            .map(str::to_string)
            .collect();
        all.reverse();
        return Ok(all);
    };
    let mut paid = Vec::new();
    for id in items(Some(named)).into_iter().filter_map(Value::as_str) {
        let charge = store
            .charges
            .get(id)
            .ok_or_else(|| ApiError::no_such("charge", id, "charges"))?;
        let txn = txn_of(charge).ok_or_else(|| {
            ApiError::invalid_value(
                "charges",
                format!("{id} has no available {currency} balance transaction to pay out."),
            )
        })?;
        paid.push(txn);
        let refunds = store.refunds.newest_first(None).map(|(_, r)| r);
        paid.extend(
            refunds
                .filter(|r| r.get("charge").and_then(Value::as_str) == Some(id))
                .filter_map(txn_of),
        );
        // A dispute's transactions are whole objects in its `balance_transactions`.
        let disputes = store.disputes.newest_first(None).map(|(_, d)| d);
        let movements = disputes
            .filter(|d| d.get("charge").and_then(Value::as_str) == Some(id))
            .filter_map(|d| d.get("balance_transactions").and_then(Value::as_array))
            .flatten()
            .filter_map(|t| t.get("id").and_then(Value::as_str))
            .filter(|txn| unpaid(txn));
        paid.extend(movements.map(str::to_string));
    }
    Ok(paid)
}

/// The refunds a payout makes, (charge, amount), each checked against what is left of its
/// charge after the ones before it.
fn planned_refunds(
    store: &Store,
    params: &Map<String, Value>,
    currency: &str,
) -> Result<Vec<(String, i64)>, ApiError> {
    let mut planned: Vec<(String, i64)> = Vec::new();
    for refund in items(params.get("refunds")) {
        let id = field(refund, "charge").ok_or_else(|| ApiError::missing("refunds[charge]"))?;
        let mut charge = store
            .charges
            .get(id)
            .cloned()
            .ok_or_else(|| ApiError::no_such("charge", id, "refunds[charge]"))?;
        let earlier: i64 = planned
            .iter()
            .filter(|(c, _)| c == id)
            .map(|(_, amount)| amount)
            .sum();
        let refunded = charge["amount_refunded"].as_i64().unwrap_or(0) + earlier;
        charge["amount_refunded"] = json!(refunded);
        let requested = field(refund, "amount")
            .map(|text| integer("refunds[amount]", text))
            .transpose()?;
        disputes::check_refundable(store, &charge).map_err(|mut e| {
            e.param = Some("refunds[charge]".into());
            e
        })?;
        let amount = refunds::amount_to_refund(&charge, requested).map_err(|mut e| {
            e.param = Some("refunds[amount]".into());
            e
        })?;
        if charge.get("currency").and_then(Value::as_str) != Some(currency) {
            return Err(ApiError::invalid_value(
                "refunds[charge]",
                format!("{id} is not in {currency}, so this payout cannot refund it."),
            ));
        }
        planned.push((id.to_string(), amount));
    }
    Ok(planned)
}

/// A form list (`x[0]=..&x[1]=..` decodes to an array), a map of indexed items, or one value.
fn items(value: Option<&Value>) -> Vec<&Value> {
    match value {
        None => Vec::new(),
        Some(Value::Array(items)) => items.iter().collect(),
        Some(Value::Object(map)) if map.keys().all(|k| k.parse::<usize>().is_ok()) => {
            map.values().collect()
        }
        Some(one) => vec![one],
    }
}

fn field<'v>(item: &'v Value, name: &str) -> Option<&'v str> {
    item.get(name).and_then(Value::as_str)
}

fn integer(param: &str, text: &str) -> Result<i64, ApiError> {
    text.parse()
        .map_err(|_| ApiError::invalid_integer(param, text))
}
