//! Subscriptions to recurring prices. Creating one bills its first period at once: an invoice
//! (`billing_reason: subscription_create`) finalized and paid with a charge, as Stripe does for
//! `charge_automatically` with a card on file. Trials, prorations, renewals and schedules are not
//! modelled; an update changes the items without invoicing the difference.

use serde_json::{Map, Value, json};

use super::error::ApiError;
use super::invoices::{self, Line};
use super::list;
use super::objects::{self, previous_attributes};
use super::store::{RequestInfo, Store};

const DAY: i64 = 86_400;

/// The end of the period that starts at `start`, for a price's `recurring` interval (months as
/// 30 days and years as 365: the emulator has no calendar).
fn period_end(price: &Value, start: i64) -> i64 {
    let recurring = &price["recurring"];
    let count = recurring["interval_count"].as_i64().unwrap_or(1);
    let days = match recurring["interval"].as_str() {
        Some("day") => 1,
        Some("week") => 7,
        Some("year") => 365,
        _ => 30,
    };
    start + count * days * DAY
}

/// A recurring price named by `items[i][price]`.
fn recurring_price(store: &Store, id: &str, param: &str) -> Result<Value, ApiError> {
    let price = invoices::price_named(store, id, param)?;
    if price["type"] != "recurring" {
        return Err(ApiError::rule(
            None,
            param,
            "The price specified is set to `type=one_time` but this field only accepts prices \
             with `type=recurring`."
                .into(),
        ));
    }
    Ok(price)
}

fn item(store: &mut Store, subscription: &str, price: Value, quantity: i64, now: i64) -> Value {
    json!({
        "id": store.id("si"),
        "object": "subscription_item",
        "billing_thresholds": null,
        "created": now,
        "metadata": {},
        "price": price,
        "quantity": quantity,
        "subscription": subscription,
        "tax_rates": [],
    })
}

fn given_items(params: &Map<String, Value>) -> Vec<&Map<String, Value>> {
    match params.get("items") {
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_object).collect(),
        _ => Vec::new(),
    }
}

fn items_list(id: &str, data: Vec<Value>) -> Value {
    let count = data.len();
    json!({"object": "list", "data": data, "has_more": false, "total_count": count,
           "url": format!("/v1/subscription_items?subscription={id}")})
}

/// `POST /v1/subscriptions`: customer and `items[i][price]` (recurring; `[quantity]`),
/// metadata, cancel_at_period_end, collection_method. Records `customer.subscription.created`,
/// then its first invoice's events (created, finalized, charge.succeeded, paid).
pub fn create(
    store: &mut Store,
    params: &Map<String, Value>,
    request: &RequestInfo,
) -> Result<Value, ApiError> {
    let customer = params
        .get("customer")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::missing("customer"))?
        .to_string();
    if store.customers.get(&customer).is_none() {
        return Err(ApiError::no_such("customer", &customer, "customer"));
    }
    let given = given_items(params);
    if given.is_empty() {
        return Err(ApiError::missing("items"));
    }
    let id = store.id("sub");
    let now = store.now();
    let mut items = Vec::new();
    for (i, wanted) in given.iter().enumerate() {
        let param = format!("items[{i}][price]");
        let price_id = wanted
            .get("price")
            .and_then(Value::as_str)
            .ok_or_else(|| ApiError::missing(&param))?;
        let price = recurring_price(store, price_id, &param)?;
        let quantity = wanted.get("quantity").and_then(Value::as_i64).unwrap_or(1);
        items.push(item(store, &id, price, quantity, now));
    }
    let first_price = items.first().map_or(Value::Null, |si| si["price"].clone());
    let end = period_end(&first_price, now);
    let mut subscription = json!({
        "id": id,
        "object": "subscription",
        "application_fee_percent": null,
        "automatic_tax": {"enabled": false},
        "billing_cycle_anchor": now,
        "billing_thresholds": null,
        "cancel_at": null,
        "cancel_at_period_end": false,
        "canceled_at": null,
        "collection_method": "charge_automatically",
        "created": now,
        "current_period_end": end,
        "current_period_start": now,
        "customer": customer,
        "days_until_due": null,
        "default_payment_method": null,
        "default_source": null,
        "default_tax_rates": [],
        "discount": null,
        "ended_at": null,
        "items": items_list(&id, items.clone()),
        "latest_invoice": null,
        "livemode": false,
        "metadata": {},
        "next_pending_invoice_item_invoice": null,
        "pause_collection": null,
        "payment_settings": {"payment_method_options": null, "payment_method_types": null},
        "pending_invoice_item_interval": null,
        "pending_setup_intent": null,
        "pending_update": null,
        "schedule": null,
        "start_date": now,
        "status": "active",
        "test_clock": null,
        "transfer_data": null,
        "trial_end": null,
        "trial_start": null,
    });
    objects::assign(&mut subscription, params, &["customer", "items"])?;
    let mut lines = Vec::new();
    for si in &items {
        let quantity = si["quantity"].as_i64().unwrap_or(1);
        let unit = si["price"]["unit_amount"].as_i64().unwrap_or(0);
        let description = line_description(store, &si["price"], quantity);
        let spec = Line {
            amount: unit * quantity,
            currency: si["price"]["currency"].as_str().unwrap_or("usd"),
            description: Some(&description),
            price: &si["price"],
            quantity,
            period: (now, end),
            invoice_item: None,
            subscription: Some((&id, si["id"].as_str().unwrap_or_default())),
        };
        lines.push(invoices::line(store, &spec));
    }
    let invoice = invoices::draft(store, &customer, lines, "subscription_create", Some(&id));
    let invoice_id = invoice["id"].as_str().unwrap_or_default().to_string();
    subscription["latest_invoice"] = json!(invoice_id);
    store.subscriptions.insert(subscription.clone());
    store.record_event("created", &subscription, None, request, now);
    store.invoices.insert(invoice.clone());
    store.record_event("created", &invoice, None, request, now);
    invoices::finalize(store, &invoice_id, request)?;
    invoices::pay(store, &invoice_id, &Map::new(), request)?;
    Ok(subscription)
}

/// Stripe's text for a subscription line, "1 × Pro (at $20.00 / month)" (two-decimal
/// currencies only; zero-decimal ones are not special-cased).
fn line_description(store: &Store, price: &Value, quantity: i64) -> String {
    let product = price["product"]
        .as_str()
        .and_then(|p| store.products.get(p))
        .and_then(|p| p["name"].as_str())
        .unwrap_or("Subscription");
    let unit = price["unit_amount"].as_i64().unwrap_or(0);
    let interval = price["recurring"]["interval"].as_str().unwrap_or("month");
    format!(
        "{quantity} × {product} (at ${}.{:02} / {interval})",
        unit / 100,
        unit % 100
    )
}

fn stored(store: &Store, id: &str) -> Result<Value, ApiError> {
    store
        .subscriptions
        .get(id)
        .cloned()
        .ok_or_else(|| ApiError::no_such("subscription", id, "id"))
}

/// `POST /v1/subscriptions/{id}`: `items[i][id]` with `[price]` / `[quantity]` / `[deleted]`
/// changes an item, `items[i][price]` without an id adds one; metadata, cancel_at_period_end,
/// description-like plain fields. Records `customer.subscription.updated` with
/// `previous_attributes` when something changed.
pub fn update(
    store: &mut Store,
    id: &str,
    params: &Map<String, Value>,
    request: &RequestInfo,
) -> Result<Value, ApiError> {
    let before = stored(store, id)?;
    if before["status"] == "canceled" {
        return Err(ApiError::rule(
            None,
            "id",
            format!("No such subscription: '{id}'. A canceled subscription can't be updated."),
        ));
    }
    let now = store.now();
    let mut items: Vec<Value> = before["items"]["data"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    for (i, wanted) in given_items(params).into_iter().enumerate() {
        let param = format!("items[{i}][price]");
        let price = match wanted.get("price").and_then(Value::as_str) {
            Some(p) => Some(recurring_price(store, p, &param)?),
            None => None,
        };
        let quantity = wanted.get("quantity").and_then(Value::as_i64);
        let Some(item_id) = wanted.get("id").and_then(Value::as_str) else {
            let price = price.ok_or_else(|| ApiError::missing(&param))?;
            items.push(item(store, id, price, quantity.unwrap_or(1), now));
            continue;
        };
        let at = items
            .iter()
            .position(|si| si["id"] == item_id)
            .ok_or_else(|| ApiError::no_such("subscription_item", item_id, "items"))?;
        if wanted.get("deleted") == Some(&Value::Bool(true)) {
            items.remove(at);
            continue;
        }
        if let Some(price) = price {
            items[at]["price"] = price;
        }
        if let Some(quantity) = quantity {
            items[at]["quantity"] = json!(quantity);
        }
    }
    if items.is_empty() {
        return Err(ApiError::rule(
            None,
            "items",
            "A subscription must have at least one active plan (message unverified).".into(),
        ));
    }
    let mut after = before.clone();
    after["items"] = items_list(id, items);
    objects::assign(&mut after, params, &["items"])?;
    if after["cancel_at_period_end"] == true {
        after["cancel_at"] = after["current_period_end"].clone();
        after["canceled_at"] = before["canceled_at"].clone();
        if before["cancel_at_period_end"] != true {
            after["canceled_at"] = json!(now);
        }
    } else {
        after["cancel_at"] = Value::Null;
        after["canceled_at"] = Value::Null;
    }
    store.subscriptions.insert(after.clone());
    if let Some(previous) = previous_attributes(&before, &after) {
        store.record_event("updated", &after, Some(previous), request, now);
    }
    Ok(after)
}

/// `DELETE /v1/subscriptions/{id}`: cancels at once; the subscription stays retrievable with
/// status `canceled`. Records `customer.subscription.deleted`.
pub fn cancel(store: &mut Store, id: &str, request: &RequestInfo) -> Result<Value, ApiError> {
    let mut subscription = stored(store, id)?;
    if subscription["status"] == "canceled" {
        return Err(ApiError::rule(
            None,
            "id",
            format!("No such subscription: '{id}'. It is already canceled (message unverified)."),
        ));
    }
    let now = store.now();
    subscription["status"] = json!("canceled");
    subscription["canceled_at"] = json!(now);
    subscription["ended_at"] = json!(now);
    store.subscriptions.insert(subscription.clone());
    store.record_event("deleted", &subscription, None, request, now);
    Ok(subscription)
}

/// Stripe's list leaves canceled subscriptions out unless `status` asks for them.
pub fn list(store: &Store, url: &str, params: &Map<String, Value>) -> Result<Value, ApiError> {
    let status = params.get("status").and_then(Value::as_str);
    list::page(&store.subscriptions, "subscription", url, params, |s| {
        let own = s["status"].as_str().unwrap_or("");
        let status_fits = match status {
            None => own != "canceled" && own != "incomplete_expired",
            Some("all") => true,
            Some(wanted) => own == wanted,
        };
        status_fits
            && list::same_fields(params, s, &["customer", "collection_method"])
            && params.get("price").is_none_or(|p| {
                s["items"]["data"]
                    .as_array()
                    .is_some_and(|items| items.iter().any(|si| &si["price"]["id"] == p))
            })
    })
}
