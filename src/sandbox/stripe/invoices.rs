//! Invoices: an invoice takes every pending item of its customer as a line (or none, with
//! `pending_invoice_items_behavior=exclude`, for items added to it afterwards; see
//! `invoice_items.rs`), starts as a draft, is finalized (numbered, open) and then paid with a
//! charge. Taxes, discounts, credit notes, voiding and automatic
//! advancement are not modelled.

use serde_json::{Map, Value, json};

use super::charges::{self, NewCharge, Payment};
use super::error::ApiError;
use super::list;
use super::objects;
use super::store::{RequestInfo, Store};

pub(super) fn text<'p>(params: &'p Map<String, Value>, name: &str) -> Option<&'p str> {
    params.get(name).and_then(Value::as_str)
}

pub(super) fn customer_of(store: &Store, params: &Map<String, Value>) -> Result<String, ApiError> {
    let id = text(params, "customer").ok_or_else(|| ApiError::missing("customer"))?;
    if store.customers.get(id).is_none() {
        return Err(ApiError::no_such("customer", id, "customer"));
    }
    Ok(id.to_string())
}

/// A price the caller names, which must exist.
pub fn price_named(store: &Store, id: &str, param: &str) -> Result<Value, ApiError> {
    store
        .prices
        .get(id)
        .cloned()
        .ok_or_else(|| ApiError::no_such("price", id, param))
}

/// One invoice line, as `line_item` in Stripe's 2022-04-12 API.
pub struct Line<'a> {
    pub amount: i64,
    pub currency: &'a str,
    pub description: Option<&'a str>,
    pub price: &'a Value,
    pub quantity: i64,
    pub period: (i64, i64),
    /// `invoiceitem` lines name their item; `subscription` lines their subscription and item.
    pub invoice_item: Option<&'a str>,
    pub subscription: Option<(&'a str, &'a str)>,
}

pub fn line(store: &mut Store, line: &Line) -> Value {
    json!({
        "id": store.id("il"),
        "object": "line_item",
        "amount": line.amount,
        "currency": line.currency,
        "description": line.description,
        "discount_amounts": [],
        "discountable": true,
        "discounts": [],
        "invoice_item": line.invoice_item,
        "livemode": false,
        "metadata": {},
        "period": {"end": line.period.1, "start": line.period.0},
        "price": line.price,
        "proration": false,
        "proration_details": {"credited_items": null},
        "quantity": line.quantity,
        "subscription": line.subscription.map(|(s, _)| s),
        "subscription_item": line.subscription.map(|(_, i)| i),
        "tax_amounts": [],
        "tax_rates": [],
        "type": if line.subscription.is_some() { "subscription" } else { "invoiceitem" },
    })
}

/// The line an invoice item makes on its invoice.
pub fn item_line(store: &mut Store, item: &Value) -> Value {
    let spec = Line {
        amount: item["amount"].as_i64().unwrap_or(0),
        currency: item["currency"].as_str().unwrap_or("usd"),
        description: item["description"].as_str(),
        price: &item["price"],
        quantity: item["quantity"].as_i64().unwrap_or(1),
        period: (
            item["period"]["start"].as_i64().unwrap_or(0),
            item["period"]["end"].as_i64().unwrap_or(0),
        ),
        invoice_item: item["id"].as_str(),
        subscription: None,
    };
    let mut line = line(store, &spec);
    line["metadata"] = item["metadata"].clone();
    line
}

/// A draft invoice for `customer` with `lines`; not stored yet.
pub fn draft(
    store: &mut Store,
    customer: &str,
    lines: Vec<Value>,
    billing_reason: &str,
    subscription: Option<&str>,
) -> Value {
    let id = store.id("in");
    let now = store.now();
    let total: i64 = lines
        .iter()
        .filter_map(|l| l.get("amount").and_then(Value::as_i64))
        .sum();
    let currency = lines
        .first()
        .and_then(|l| l.get("currency"))
        .cloned()
        .unwrap_or(json!("usd"));
    let owner = store
        .customers
        .get(customer)
        .cloned()
        .unwrap_or(Value::Null);
    let count = lines.len();
    let mut invoice = json!({
        "id": id,
        "object": "invoice",
        "account_country": "AU",
        "account_name": "Ferry Sandbox",
        "account_tax_ids": null,
        "amount_due": total,
        "amount_paid": 0,
        "amount_remaining": total,
        "application_fee_amount": null,
        "attempt_count": 0,
        "attempted": false,
        "auto_advance": true,
        "automatic_tax": {"enabled": false, "status": null},
        "billing_reason": billing_reason,
        "charge": null,
        "collection_method": "charge_automatically",
        "created": now,
        "currency": currency,
        "custom_fields": null,
        "customer": customer,
        "customer_address": owner["address"],
        "customer_email": owner["email"],
        "customer_name": owner["name"],
        "customer_phone": owner["phone"],
        "customer_shipping": owner["shipping"],
        "customer_tax_exempt": owner.get("tax_exempt").cloned().unwrap_or(json!("none")),
        "customer_tax_ids": [],
        "default_payment_method": null,
        "default_source": null,
        "default_tax_rates": [],
    });
    let rest = json!({
        "description": null,
        "discount": null,
        "discounts": [],
        "due_date": null,
        "ending_balance": null,
        "footer": null,
        "hosted_invoice_url": null,
        "invoice_pdf": null,
        "last_finalization_error": null,
        "lines": {"object": "list", "data": lines, "has_more": false, "total_count": count,
                  "url": format!("/v1/invoices/{id}/lines")},
        "livemode": false,
        "metadata": {},
        "next_payment_attempt": null,
        "number": null,
        "on_behalf_of": null,
        "paid": false,
        "paid_out_of_band": false,
        "payment_intent": null,
        "payment_settings": {"payment_method_options": null, "payment_method_types": null},
        "period_end": now,
        "period_start": now,
        "post_payment_credit_notes_amount": 0,
        "pre_payment_credit_notes_amount": 0,
        "quote": null,
        "receipt_number": null,
        "starting_balance": 0,
        "statement_descriptor": null,
        "status": "draft",
        "status_transitions": {"finalized_at": null, "marked_uncollectible_at": null,
                               "paid_at": null, "voided_at": null},
        "subscription": subscription,
        "subscription_proration_date": null,
        "subtotal": total,
        "tax": null,
        "test_clock": null,
        "threshold_reason": null,
        "total": total,
        "total_discount_amounts": [],
        "total_tax_amounts": [],
        "transfer_data": null,
        "webhooks_delivered_at": null,
    });
    // Two literals: one is more than `json!` can expand.
    if let (Value::Object(head), Value::Object(tail)) = (&mut invoice, rest) {
        head.extend(tail);
    }
    invoice
}

/// `POST /v1/invoices`: a draft for the customer's pending invoice items (Stripe's 2022-04-12
/// default `pending_invoice_items_behavior=include`); none is Stripe's
/// `invoice_no_customer_line_items`. Records `invoice.created`.
pub fn create(
    store: &mut Store,
    params: &Map<String, Value>,
    request: &RequestInfo,
) -> Result<Value, ApiError> {
    let customer = customer_of(store, params)?;
    let behavior = text(params, "pending_invoice_items_behavior").unwrap_or("include");
    let pending: Vec<Value> = store
        .invoice_items
        .newest_first(None)
        .map(|(_, item)| item)
        .filter(|item| {
            behavior != "exclude"
                && item.get("customer").and_then(Value::as_str) == Some(&customer)
                && item.get("invoice").is_none_or(Value::is_null)
        })
        .cloned()
        .collect();
    // `exclude` makes an empty draft that invoice items are then added to (`invoice=`).
    if pending.is_empty() && behavior != "exclude" {
        return Err(ApiError::rule(
            Some("invoice_no_customer_line_items"),
            "customer",
            format!("Nothing to invoice for customer {customer}"),
        ));
    }
    let collection = text(params, "collection_method").unwrap_or("charge_automatically");
    let days = params.get("days_until_due").and_then(Value::as_i64);
    let due = params.get("due_date").and_then(Value::as_i64);
    if collection == "send_invoice" && days.is_none() && due.is_none() {
        return Err(ApiError::rule(
            None,
            "days_until_due",
            "Missing required param: days_until_due or due_date when collection_method is \
             send_invoice (message unverified)."
                .into(),
        ));
    }
    let lines = pending.iter().rev().map(|item| item_line(store, item)).collect();
    let mut invoice = draft(store, &customer, lines, "manual", None);
    let now = store.now();
    invoice["collection_method"] = json!(collection);
    if collection == "send_invoice" {
        invoice["due_date"] = json!(due.unwrap_or(now + days.unwrap_or(0) * 86_400));
    }
    objects::assign(
        &mut invoice,
        params,
        &[
            "customer",
            "days_until_due",
            "pending_invoice_items_behavior",
        ],
    )?;
    let id = invoice["id"].as_str().unwrap_or_default().to_string();
    for item in &pending {
        if let Some(stored) = item["id"]
            .as_str()
            .and_then(|i| store.invoice_items.get_mut(i))
        {
            stored["invoice"] = json!(id);
        }
    }
    store.invoices.insert(invoice.clone());
    store.record_event("created", &invoice, None, request, now);
    Ok(invoice)
}

fn stored(store: &Store, id: &str) -> Result<Value, ApiError> {
    store
        .invoices
        .get(id)
        .cloned()
        .ok_or_else(|| ApiError::no_such("invoice", id, "invoice"))
}

/// `POST /v1/invoices/{id}/finalize`: a draft gets its number (the customer's invoice prefix
/// and sequence) and becomes open. Records `invoice.finalized`.
pub fn finalize(store: &mut Store, id: &str, request: &RequestInfo) -> Result<Value, ApiError> {
    let mut invoice = stored(store, id)?;
    if invoice["status"] != "draft" {
        return Err(ApiError::rule(
            Some("invoice_not_editable"),
            "invoice",
            "This invoice is already finalized, you can't re-finalize a non-draft invoice.".into(),
        ));
    }
    let now = store.now();
    let customer = invoice["customer"].as_str().unwrap_or_default().to_string();
    let number = match store.customers.get_mut(&customer) {
        Some(owner) => {
            let sequence = owner["next_invoice_sequence"].as_i64().unwrap_or(1);
            owner["next_invoice_sequence"] = json!(sequence + 1);
            let prefix = owner["invoice_prefix"].as_str().unwrap_or("FERRY");
            format!("{prefix}-{sequence:04}")
        }
        None => format!("FERRY-{}", store.invoices.len()),
    };
    invoice["number"] = json!(number);
    invoice["status"] = json!("open");
    invoice["status_transitions"]["finalized_at"] = json!(now);
    invoice["hosted_invoice_url"] = json!(format!("https://invoice.stripe.com/i/{id}"));
    invoice["invoice_pdf"] = json!(format!("https://pay.stripe.com/invoice/{id}/pdf"));
    if invoice["collection_method"] == "charge_automatically" {
        invoice["next_payment_attempt"] = json!(now + 3_600);
    }
    store.invoices.insert(invoice.clone());
    store.record_event("finalized", &invoice, None, request, now);
    Ok(invoice)
}

/// `POST /v1/invoices/{id}/pay`: an open invoice is charged in full (a succeeded charge with
/// its balance transaction) and paid. A draft must be finalized first (message unverified).
/// Records `charge.succeeded`, `invoice.paid` and `invoice.payment_succeeded`. With
/// `paid_out_of_band=true` the invoice is marked paid without a charge (money received outside
/// Stripe) and only `invoice.paid` is recorded.
pub fn pay(
    store: &mut Store,
    id: &str,
    params: &Map<String, Value>,
    request: &RequestInfo,
) -> Result<Value, ApiError> {
    let mut invoice = stored(store, id)?;
    match invoice["status"].as_str() {
        Some("open") => {}
        Some("draft") => {
            return Err(ApiError::rule(
                Some("invoice_not_open"),
                "invoice",
                format!("Invoice {id} is a draft: finalize it before paying it."),
            ));
        }
        Some("paid") => {
            return Err(ApiError::rule(
                Some("invoice_already_paid"),
                "invoice",
                "Invoice is already paid".into(),
            ));
        }
        other => {
            return Err(ApiError::rule(
                None,
                "invoice",
                format!(
                    "Invoice {id} is {} and cannot be paid.",
                    other.unwrap_or("void")
                ),
            ));
        }
    }
    let amount = invoice["amount_remaining"].as_i64().unwrap_or(0);
    if params.get("paid_out_of_band") == Some(&Value::Bool(true)) {
        let now = store.now();
        invoice["paid_out_of_band"] = json!(true);
        settle(&mut invoice, amount, now);
        store.invoices.insert(invoice.clone());
        store.record_event("paid", &invoice, None, request, now);
        return Ok(invoice);
    }
    let currency = invoice["currency"].as_str().unwrap_or("usd").to_string();
    let description = match invoice["number"].as_str() {
        Some(number) => format!("Payment for Invoice {number}"),
        None => format!("Payment for Invoice {id}"),
    };
    let customer = invoice["customer"].as_str().map(str::to_string);
    let new = NewCharge {
        amount,
        currency: &currency,
        customer: customer.as_deref(),
        description: Some(&description),
        status: "succeeded",
        metadata: None,
        invoice: Some(id),
        capture: true,
        payment: Payment::Unmodelled,
    };
    let charge = charges::record_charge(store, &new, request)?;
    let now = store.now();
    invoice["attempt_count"] = json!(1);
    invoice["attempted"] = json!(true);
    invoice["charge"] = charge["id"].clone();
    invoice["payment_intent"] = charge["payment_intent"].clone();
    settle(&mut invoice, amount, now);
    store.invoices.insert(invoice.clone());
    store.record_event("paid", &invoice, None, request, now);
    store.record_event("payment_succeeded", &invoice, None, request, now);
    Ok(invoice)
}

fn settle(invoice: &mut Value, amount: i64, now: i64) {
    invoice["amount_paid"] = json!(amount);
    invoice["amount_remaining"] = json!(0);
    invoice["next_payment_attempt"] = Value::Null;
    invoice["paid"] = json!(true);
    invoice["status"] = json!("paid");
    invoice["status_transitions"]["paid_at"] = json!(now);
}

pub fn list(store: &Store, url: &str, params: &Map<String, Value>) -> Result<Value, ApiError> {
    list::page(&store.invoices, "invoice", url, params, |invoice| {
        list::same_fields(
            params,
            invoice,
            &["customer", "status", "subscription", "collection_method"],
        )
    })
}
