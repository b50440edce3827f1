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
    index_email(store, &id, None, &customer);
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
    index_email(store, id, Some(&before), &after);
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
    unindex_email(store, id, &removed);
    store.deleted.insert(id.to_string(), "customer");
    let now = store.now();
    store.record_event("deleted", &removed, None, request, now);
    Ok(json!({"id": id, "object": "customer", "deleted": true}))
}

pub fn list(store: &Store, url: &str, params: &Map<String, Value>) -> Result<Value, ApiError> {
    let email = params.get("email").and_then(Value::as_str);
    // No emulated customer belongs to a test clock.
    let clock = params.get("test_clock").is_some();
    let keep = |c: &Value| {
        !clock && email.is_none_or(|e| c.get("email").and_then(Value::as_str) == Some(e))
    };
    let cursor = params.contains_key("starting_after") || params.contains_key("ending_before");
    match email {
        // The customers with that email, in creation order; cursors may name any customer, so
        // they take the whole collection.
        Some(email) if !cursor => {
            let ids = store.customer_emails.get(email).map(Vec::as_slice);
            let mut ids: Vec<&String> = ids.unwrap_or_default().iter().collect();
            if ids.len() > 1 {
                ids.sort_by_key(|id| store.customers.position(id));
            }
            let mut matching = Collection::default();
            for id in ids {
                if let Some(customer) = store.customers.get(id) {
                    matching.insert(customer.clone());
                }
            }
            list::page(&matching, "customer", url, params, keep)
        }
        _ => list::page(&store.customers, "customer", url, params, keep),
    }
}

fn email_of(customer: &Value) -> Option<&str> {
    customer.get("email").and_then(Value::as_str)
}

/// Moves `id` in the email index from `before`'s email to `after`'s.
fn index_email(store: &mut Store, id: &str, before: Option<&Value>, after: &Value) {
    if let Some(before) = before {
        if email_of(before) == email_of(after) {
            return;
        }
        unindex_email(store, id, before);
    }
    if let Some(email) = email_of(after) {
        let ids = store.customer_emails.entry(email.to_string()).or_default();
        ids.push(id.to_string());
    }
}

fn unindex_email(store: &mut Store, id: &str, customer: &Value) {
    let Some(email) = email_of(customer) else {
        return;
    };
    if let Some(ids) = store.customer_emails.get_mut(email) {
        ids.retain(|other| other != id);
        if ids.is_empty() {
            store.customer_emails.remove(email);
        }
    }
}
