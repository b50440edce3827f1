//! Invoice items: a pending item waits for the customer's next invoice; one created with
//! `invoice=` joins that draft at once as a line, and the invoice's totals follow. An item on an
//! invoice that is no longer a draft cannot change.

use serde_json::{Map, Value, json};

use super::error::ApiError;
use super::invoices::{customer_of, item_line, price_named, text};
use super::objects;
use super::store::{RequestInfo, Store};

/// `POST /v1/invoiceitems`: customer, and either price (amount = unit_amount x quantity),
/// unit_amount (x quantity) + currency, or amount + currency; description, quantity, metadata,
/// and `invoice` (a draft of the same customer) to add it to. Records `invoiceitem.created`.
pub fn create_item(
    store: &mut Store,
    params: &Map<String, Value>,
    request: &RequestInfo,
) -> Result<Value, ApiError> {
    let customer = customer_of(store, params)?;
    let quantity = params.get("quantity").and_then(Value::as_i64).unwrap_or(1);
    if quantity < 0 {
        return Err(ApiError::invalid_value(
            "quantity",
            "Invalid integer: quantity must be non-negative".into(),
        ));
    }
    let (amount, currency, price) = priced(store, params, quantity)?;
    let invoice = match text(params, "invoice") {
        Some(id) => Some(draft_of(store, id, &customer, &currency)?),
        None => None,
    };
    let id = store.id("ii");
    let now = store.now();
    let mut item = json!({
        "id": id,
        "object": "invoiceitem",
        "amount": amount,
        "currency": currency,
        "customer": customer,
        "date": now,
        "description": text(params, "description"),
        "discountable": true,
        "discounts": [],
        "invoice": invoice,
        "livemode": false,
        "metadata": {},
        "period": {"end": now, "start": now},
        "price": price,
        "proration": false,
        "quantity": quantity,
        "subscription": null,
        "subscription_item": null,
        "tax_rates": [],
        "test_clock": null,
        "unit_amount": amount / quantity.max(1),
        "unit_amount_decimal": (amount / quantity.max(1)).to_string(),
    });
    if let Some(metadata) = params.get("metadata") {
        objects::merge_metadata(&mut item, metadata)?;
    }
    store.invoice_items.insert(item.clone());
    if let Some(invoice) = &invoice {
        attach(store, invoice, &item);
    }
    store.record_event("created", &item, None, request, now);
    Ok(item)
}

/// The amount, currency and price of a new item.
fn priced(
    store: &Store,
    params: &Map<String, Value>,
    quantity: i64,
) -> Result<(i64, String, Value), ApiError> {
    let currency = || {
        text(params, "currency")
            .map(str::to_lowercase)
            .ok_or_else(|| ApiError::missing("currency"))
    };
    let given: Vec<&str> = ["price", "amount", "unit_amount"]
        .into_iter()
        .filter(|name| params.contains_key(*name))
        .collect();
    if given.len() > 1 {
        return Err(ApiError::invalid_value(
            given[1],
            format!(
                "You may only specify one of these parameters: {}.",
                given.join(", ")
            ),
        ));
    }
    if let Some(id) = text(params, "price") {
        let price = price_named(store, id, "price")?;
        let unit = price
            .get("unit_amount")
            .and_then(Value::as_i64)
            .unwrap_or(0);
        let currency = price["currency"].as_str().unwrap_or("usd").to_string();
        return Ok((unit * quantity, currency, price));
    }
    if let Some(unit) = params.get("unit_amount") {
        let unit = unit
            .as_i64()
            .ok_or_else(|| ApiError::invalid_integer("unit_amount", &unit.to_string()))?;
        return Ok((unit * quantity, currency()?, Value::Null));
    }
    let amount = params
        .get("amount")
        .and_then(Value::as_i64)
        .ok_or_else(|| ApiError::missing("amount"))?;
    Ok((amount, currency()?, Value::Null))
}

/// The id of the draft invoice `id`, which an item of `customer` in `currency` may join.
fn draft_of(store: &Store, id: &str, customer: &str, currency: &str) -> Result<String, ApiError> {
    let invoice = store
        .invoices
        .get(id)
        .ok_or_else(|| ApiError::no_such("invoice", id, "invoice"))?;
    if invoice["status"] != "draft" {
        return Err(ApiError::rule(
            Some("invoice_not_editable"),
            "invoice",
            format!("You can only add invoice items to draft invoices; {id} is not a draft (message unverified)."),
        ));
    }
    if invoice["customer"].as_str() != Some(customer) {
        return Err(ApiError::invalid_value(
            "invoice",
            format!(
                "The invoice {id} belongs to another customer than {customer} (message unverified)."
            ),
        ));
    }
    if invoice["lines"]["total_count"].as_i64().unwrap_or(0) > 0
        && invoice["currency"].as_str() != Some(currency)
    {
        return Err(ApiError::invalid_value(
            "currency",
            format!(
                "The currency {currency} differs from the invoice's {} (message unverified).",
                invoice["currency"].as_str().unwrap_or("?")
            ),
        ));
    }
    Ok(id.to_string())
}

/// `item` as a line of the draft `invoice_id`, whose totals are summed again.
fn attach(store: &mut Store, invoice_id: &str, item: &Value) {
    let added = item_line(store, item);
    if let Some(invoice) = store.invoices.get_mut(invoice_id) {
        invoice["currency"] = item["currency"].clone();
        if let Some(lines) = invoice["lines"]["data"].as_array_mut() {
            lines.push(added);
        }
        sum_lines(invoice);
    }
}

/// The item `id` and the invoice it is on, if it may change: pending, or on a draft.
pub(super) fn editable(store: &Store, id: &str) -> Result<(Value, Option<String>), ApiError> {
    let item = store
        .invoice_items
        .get(id)
        .cloned()
        .ok_or_else(|| ApiError::no_such("invoiceitem", id, "id"))?;
    let invoice_id = item["invoice"].as_str().map(str::to_string);
    if let Some(invoice_id) = &invoice_id
        && store.invoices.get(invoice_id).map(|i| &i["status"]) != Some(&json!("draft"))
    {
        return Err(ApiError::rule(
            Some("invoice_not_editable"),
            "invoiceitem",
            format!(
                "The invoice item {id} is on invoice {invoice_id}, which is no longer a draft (message unverified)."
            ),
        ));
    }
    Ok((item, invoice_id))
}

/// `POST /v1/invoiceitems/{id}`: amount, unit_amount, quantity, description, metadata. Only
/// while the item is pending or on a draft; its line and the draft's totals follow.
/// Records `invoiceitem.updated`.
pub fn update_item(
    store: &mut Store,
    id: &str,
    params: &Map<String, Value>,
    request: &RequestInfo,
) -> Result<Value, ApiError> {
    let (mut item, invoice_id) = editable(store, id)?;
    let quantity = params
        .get("quantity")
        .and_then(Value::as_i64)
        .unwrap_or_else(|| item["quantity"].as_i64().unwrap_or(1));
    let unit = params
        .get("unit_amount")
        .and_then(Value::as_i64)
        .unwrap_or_else(|| item["unit_amount"].as_i64().unwrap_or(0));
    let amount = match params.get("amount").and_then(Value::as_i64) {
        Some(amount) => amount,
        None if params.contains_key("quantity") || params.contains_key("unit_amount") => {
            unit * quantity
        }
        None => item["amount"].as_i64().unwrap_or(0),
    };
    item["amount"] = json!(amount);
    item["quantity"] = json!(quantity);
    item["unit_amount"] = json!(amount / quantity.max(1));
    item["unit_amount_decimal"] = json!((amount / quantity.max(1)).to_string());
    if let Some(description) = params.get("description") {
        item["description"] = description.clone();
    }
    if let Some(metadata) = params.get("metadata") {
        objects::merge_metadata(&mut item, metadata)?;
    }
    store.invoice_items.insert(item.clone());
    if let Some(invoice) = invoice_id.and_then(|i| store.invoices.get_mut(&i)) {
        if let Some(lines) = invoice["lines"]["data"].as_array_mut() {
            for line in lines.iter_mut().filter(|l| l["invoice_item"] == json!(id)) {
                line["amount"] = item["amount"].clone();
                line["quantity"] = item["quantity"].clone();
                line["description"] = item["description"].clone();
                line["metadata"] = item["metadata"].clone();
            }
        }
        sum_lines(invoice);
    }
    let now = store.now();
    store.record_event("updated", &item, None, request, now);
    Ok(item)
}

/// A draft's totals from its lines (no taxes or discounts are modelled).
pub(super) fn sum_lines(invoice: &mut Value) {
    let lines = invoice["lines"]["data"].as_array().cloned().unwrap_or_default();
    let total: i64 = lines.iter().filter_map(|l| l["amount"].as_i64()).sum();
    invoice["lines"]["total_count"] = json!(lines.len());
    for field in ["amount_due", "amount_remaining", "subtotal", "total"] {
        invoice[field] = json!(total);
    }
}
