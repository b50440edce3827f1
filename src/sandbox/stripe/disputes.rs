//! Disputes (chargebacks) as Stripe makes them in test mode: a charge paid with the disputing
//! test card (`tok_createDispute`, `pm_card_createDispute`) succeeds and is then disputed as
//! fraudulent, its funds withdrawn with the dispute fee. Closing it (`POST /v1/disputes/{id}/
//! close`) accepts the loss; submitting evidence (`POST /v1/disputes/{id}`) whose
//! `uncategorized_text` is `winning_evidence` wins it (the funds and the fee come back) and
//! `losing_evidence` loses it, as Stripe's test mode decides.
//!
//! Unverified details, kept here to change in one place: the refusal messages, the
//! reinstatement's description and the fee line that gives the dispute fee back.

use serde_json::{Map, Value, json};

use super::amounts;
use super::error::ApiError;
use super::list;
use super::objects;
use super::payouts::{self, DisputeMovement};
use super::store::{RequestInfo, Store};

/// Stripe's dispute fee per currency, in minor units: USD's $15.00 is Stripe's documented
/// fee; the others are Stripe's local prices (AUD, EUR, GBP, CAD, NZD, JPY), KWD a chosen
/// equivalent of $15 (Stripe publishes none). Any other currency pays 15 whole units.
const DISPUTE_FEES: &[(&str, i64)] = &[
    ("AUD", 2_500),
    ("CAD", 1_500),
    ("EUR", 2_000),
    ("GBP", 2_000),
    ("JPY", 1_500),
    ("KWD", 4_600),
    ("NZD", 2_500),
    ("USD", 1_500),
];

/// How long the merchant has to answer (Stripe's window depends on the card network).
const EVIDENCE_WINDOW_SECONDS: i64 = 14 * 24 * 60 * 60;

/// The fields of a dispute's `evidence`, as Stripe's spec lists them.
const EVIDENCE_FIELDS: &[&str] = &[
    "access_activity_log",
    "billing_address",
    "cancellation_policy",
    "cancellation_policy_disclosure",
    "cancellation_rebuttal",
    "customer_communication",
    "customer_email_address",
    "customer_name",
    "customer_purchase_ip",
    "customer_signature",
    "duplicate_charge_documentation",
    "duplicate_charge_explanation",
    "duplicate_charge_id",
    "product_description",
    "receipt",
    "refund_policy",
    "refund_policy_disclosure",
    "refund_refusal_explanation",
    "service_date",
    "service_documentation",
    "shipping_address",
    "shipping_carrier",
    "shipping_date",
    "shipping_documentation",
    "shipping_tracking_number",
    "uncategorized_file",
    "uncategorized_text",
];

/// The `uncategorized_text` that decides a submitted dispute in Stripe's test mode.
const WINNING_EVIDENCE: &str = "winning_evidence";
const LOSING_EVIDENCE: &str = "losing_evidence";

/// Statuses in which the merchant may still answer.
const ANSWERABLE: &[&str] = &["needs_response", "warning_needs_response"];

/// The dispute fee in `currency`'s minor units.
pub fn dispute_fee(currency: &str) -> Result<i64, ApiError> {
    let rule = amounts::currency(currency)?;
    let listed = DISPUTE_FEES.iter().find(|(code, _)| *code == rule.code);
    Ok(listed.map_or(15 * 10_i64.pow(rule.wire_exponent), |(_, fee)| *fee))
}

/// Disputes the succeeded charge `charge` as fraudulent: withdraws its amount and the dispute
/// fee, marks it `disputed`, records `charge.dispute.created` and
/// `charge.dispute.funds_withdrawn`. Answers the dispute.
pub fn open(store: &mut Store, charge: &Value, request: &RequestInfo) -> Result<Value, ApiError> {
    let text = |field: &str| charge.get(field).and_then(Value::as_str).unwrap_or("");
    let (charge_id, currency) = (text("id").to_string(), text("currency").to_string());
    let amount = charge["amount_captured"].as_i64().unwrap_or(0);
    let fee = dispute_fee(&currency)?;
    let now = store.now();
    let id = store.id("dp");
    let withdrawal = payouts::record_dispute(
        store,
        &DisputeMovement {
            dispute: &id,
            amount: -amount,
            fee,
            currency: &currency,
            reporting_category: "dispute",
            description: &format!("Chargeback withdrawal for {charge_id}"),
        },
        now,
    );
    let evidence: Map<String, Value> = EVIDENCE_FIELDS
        .iter()
        .map(|field| (field.to_string(), Value::Null))
        .collect();
    let dispute = json!({
        "id": id,
        "object": "dispute",
        "amount": amount,
        "balance_transactions": [withdrawal],
        "charge": charge_id,
        "created": now,
        "currency": currency,
        "evidence": evidence,
        "evidence_details": {
            "due_by": now + EVIDENCE_WINDOW_SECONDS,
            "has_evidence": false,
            "past_due": false,
            "submission_count": 0,
        },
        // A chargeback's money is already gone: refunding too would pay the cardholder twice.
        "is_charge_refundable": false,
        "livemode": false,
        "metadata": {},
        "payment_intent": charge["payment_intent"],
        "reason": "fraudulent",
        "status": "needs_response",
    });
    store.disputes.insert(dispute.clone());
    if let Some(stored) = store.charges.get_mut(&charge_id) {
        stored["disputed"] = json!(true);
    }
    store.record_event("created", &dispute, None, request, now);
    store.record_event("funds_withdrawn", &dispute, None, request, now);
    Ok(dispute)
}

/// Refuses a refund of a charge whose dispute has taken its money (any but a won dispute).
pub fn check_refundable(store: &Store, charge: &Value) -> Result<(), ApiError> {
    let id = charge["id"].as_str().unwrap_or_default();
    let mut disputes = store.disputes.newest_first(None).map(|(_, d)| d);
    let taken = disputes.any(|d| {
        d.get("charge").and_then(Value::as_str) == Some(id)
            && d.get("is_charge_refundable") != Some(&Value::Bool(true))
            && d.get("status").and_then(Value::as_str) != Some("won")
    });
    if taken {
        return Err(ApiError::charge_disputed(id));
    }
    Ok(())
}

fn dispute_named(store: &Store, id: &str) -> Result<Value, ApiError> {
    store
        .disputes
        .get(id)
        .cloned()
        .ok_or_else(|| ApiError::no_such("dispute", id, "dispute"))
}

/// Refuses an answer to a dispute the merchant can no longer answer.
fn check_answerable(dispute: &Value) -> Result<(), ApiError> {
    let id = dispute["id"].as_str().unwrap_or_default();
    match dispute["status"].as_str().unwrap_or_default() {
        status if ANSWERABLE.contains(&status) => Ok(()),
        "under_review" | "warning_under_review" => Err(ApiError::dispute_under_review(id)),
        _ => Err(ApiError::dispute_closed(id)),
    }
}

/// `POST /v1/disputes/{dispute}/close`: the merchant accepts the loss. Records
/// `charge.dispute.closed`; the funds stay withdrawn.
pub fn close(store: &mut Store, id: &str, request: &RequestInfo) -> Result<Value, ApiError> {
    let dispute = dispute_named(store, id)?;
    check_answerable(&dispute)?;
    // An inquiry (a `warning_` dispute) closes without a loss.
    let status = if dispute["status"] == "warning_needs_response" {
        "warning_closed"
    } else {
        "lost"
    };
    let now = store.now();
    Ok(decide(store, dispute, status, request, now))
}

/// `POST /v1/disputes/{dispute}`: `evidence[...]`, `metadata`, `submit`. Evidence is staged,
/// and submitted when `submit=true` or when evidence is sent without `submit` (Stripe's
/// default is to submit; a metadata-only update submits nothing). A submission is decided at
/// once, as in Stripe's test mode, by `evidence[uncategorized_text]`: `winning_evidence` wins
/// (`charge.dispute.updated`, `charge.dispute.closed`, `charge.dispute.funds_reinstated`),
/// `losing_evidence` loses (`charge.dispute.updated`, `charge.dispute.closed`), anything else
/// leaves it `under_review`.
pub fn update(
    store: &mut Store,
    id: &str,
    params: &Map<String, Value>,
    request: &RequestInfo,
) -> Result<Value, ApiError> {
    let before = dispute_named(store, id)?;
    let evidence = params.get("evidence").and_then(Value::as_object);
    let submit = params
        .get("submit")
        .and_then(Value::as_bool)
        .unwrap_or(evidence.is_some());
    if evidence.is_some() || submit {
        check_answerable(&before)?;
    }
    let mut after = before.clone();
    if let Some(metadata) = params.get("metadata") {
        objects::merge_metadata(&mut after, metadata)?;
    }
    for (field, value) in evidence.into_iter().flatten() {
        after["evidence"][field.as_str()] = value.clone();
    }
    let has_evidence = after["evidence"]
        .as_object()
        .is_some_and(|fields| fields.values().any(|v| !v.is_null()));
    after["evidence_details"]["has_evidence"] = json!(has_evidence);
    if submit {
        let count = after["evidence_details"]["submission_count"]
            .as_i64()
            .unwrap_or(0);
        after["evidence_details"]["submission_count"] = json!(count + 1);
        after["status"] = json!("under_review");
    }
    let now = store.now();
    store.disputes.insert(after.clone());
    let previous = objects::previous_attributes(&before, &after);
    if previous.is_some() {
        store.record_event("updated", &after, previous, request, now);
    }
    if !submit {
        return Ok(after);
    }
    match after["evidence"]["uncategorized_text"].as_str() {
        Some(WINNING_EVIDENCE) => Ok(win(store, after, request, now)),
        Some(LOSING_EVIDENCE) => Ok(decide(store, after, "lost", request, now)),
        _ => Ok(after),
    }
}

/// Closes the dispute with `status`; records `charge.dispute.closed`.
fn decide(
    store: &mut Store,
    mut dispute: Value,
    status: &str,
    request: &RequestInfo,
    now: i64,
) -> Value {
    let before = dispute.clone();
    dispute["status"] = json!(status);
    store.disputes.insert(dispute.clone());
    let previous = objects::previous_attributes(&before, &dispute);
    store.record_event("closed", &dispute, previous, request, now);
    dispute
}

/// Wins the dispute: its amount comes back, and Stripe gives the dispute fee back too ("if you
/// win the dispute, Stripe will refund this dispute fee to you", Stripe's dispute fees FAQ), as
/// a negative fee on the reinstatement. Records `charge.dispute.closed` then
/// `charge.dispute.funds_reinstated`.
fn win(store: &mut Store, mut dispute: Value, request: &RequestInfo, now: i64) -> Value {
    let text = |field: &str| dispute[field].as_str().unwrap_or_default().to_string();
    let (id, charge, currency) = (text("id"), text("charge"), text("currency"));
    let fee_charged: i64 = dispute["balance_transactions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|t| t.get("fee").and_then(Value::as_i64))
        .sum();
    let reinstatement = payouts::record_dispute(
        store,
        &DisputeMovement {
            dispute: &id,
            amount: dispute["amount"].as_i64().unwrap_or(0),
            fee: -fee_charged,
            currency: &currency,
            reporting_category: "dispute_reversal",
            description: &format!("Chargeback reversal for {charge}"),
        },
        now,
    );
    if let Some(movements) = dispute["balance_transactions"].as_array_mut() {
        movements.push(reinstatement);
    }
    let won = decide(store, dispute, "won", request, now);
    store.record_event("funds_reinstated", &won, None, request, now);
    won
}

pub fn list(store: &Store, url: &str, params: &Map<String, Value>) -> Result<Value, ApiError> {
    list::page(&store.disputes, "dispute", url, params, |dispute| {
        list::same_fields(params, dispute, &["charge", "payment_intent"])
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dispute_fee_is_stripes_or_fifteen_whole_units() {
        assert_eq!(dispute_fee("usd"), Ok(1_500));
        assert_eq!(dispute_fee("aud"), Ok(2_500));
        assert_eq!(dispute_fee("jpy"), Ok(1_500));
        assert_eq!(dispute_fee("kwd"), Ok(4_600));
        assert_eq!(dispute_fee("sgd"), Ok(1_500));
        assert_eq!(dispute_fee("bhd"), Ok(15_000));
        assert!(dispute_fee("xyz").is_err());
    }
}
