//! Customers: create, update, delete and the list's `email` filter.

use serde_json::{Map, Value, json};

use super::error::ApiError;
use super::list;
use super::objects::{self, previous_attributes};
use super::store::{Collection, RequestInfo, Store};

/// Parameters that name other objects the emulator does not hold: Stripe answers 404 for them.
const FOREIGN: &[(&str, &str)] = &[
    ("coupon", "coupon"),
    ("promotion_code", "promotion code"),
    ("payment_method", "PaymentMethod"),
    ("source", "source"),
    ("test_clock", "test clock"),
];

fn refuse_foreign(params: &Map<String, Value>) -> Result<(), ApiError> {
    for (param, what) in FOREIGN {
        if let Some(id) = params.get(*param).and_then(Value::as_str) {
            return Err(ApiError::no_such(what, id, param));
        }
    }
    Ok(())
}

const SKIP: &[&str] = &[
    "coupon",
    "promotion_code",
    "payment_method",
    "source",
    "test_clock",
    "tax",
    "tax_id_data",
    "cash_balance",
];

pub fn create(
    store: &mut Store,
    params: &Map<String, Value>,
    request: &RequestInfo,
) -> Result<Value, ApiError> {
    refuse_foreign(params)?;
    let id = store.id("cus");
    let prefix: String = store.id("x")[2..10].to_uppercase();
    let now = store.now();
    let mut customer = objects::customer(&id, now, &prefix);
    objects::assign(&mut customer, params, SKIP)?;
    store.customers.insert(customer.clone());
    store.record_event("created", &customer, None, request, now);
    Ok(customer)
}

pub fn update(
    store: &mut Store,
    id: &str,
    params: &Map<String, Value>,
    request: &RequestInfo,
) -> Result<Value, ApiError> {
    refuse_foreign(params)?;
    let now = store.now();
    let current = store
        .customers
        .get_mut(id)
        .ok_or_else(|| ApiError::no_such("customer", id, "id"))?;
    let before = current.clone();
    let mut after = before.clone();
    objects::assign(&mut after, params, SKIP)?;
    *current = after.clone();
    if let Some(previous) = previous_attributes(&before, &after) {
        store.record_event("updated", &after, Some(previous), request, now);
    }
    Ok(after)
}

pub fn delete(store: &mut Store, id: &str, request: &RequestInfo) -> Result<Value, ApiError> {
    let removed = store
        .customers
        .remove(id)
        .ok_or_else(|| ApiError::no_such("customer", id, "id"))?;
    store.deleted.insert(id.to_string(), "customer");
    let now = store.now();
    store.record_event("deleted", &removed, None, request, now);
    Ok(json!({"id": id, "object": "customer", "deleted": true}))
}

pub fn list(
    collection: &Collection,
    url: &str,
    params: &Map<String, Value>,
) -> Result<Value, ApiError> {
    let email = params.get("email").and_then(Value::as_str);
    // No emulated customer belongs to a test clock.
    let clock = params.get("test_clock").is_some();
    list::page(collection, "customer", url, params, |c| {
        !clock && email.is_none_or(|e| c.get("email").and_then(Value::as_str) == Some(e))
    })
}
