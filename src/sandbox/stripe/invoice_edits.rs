//! Changing an invoice after it was made: `POST /v1/invoices/{id}` (a draft is editable whole;
//! once finalized, its money and how it is collected are not), `DELETE /v1/invoices/{id}` (drafts
//! only) and `DELETE /v1/invoiceitems/{id}` (a pending item, or a line of a draft).

use serde_json::{Map, Value, json};

use super::error::ApiError;
use super::invoice_items::{editable, sum_lines};
use super::objects::{self, previous_attributes};
use super::store::{RequestInfo, Store};

/// What a finalized invoice refuses: "Once an invoice is finalized, monetary values, as well as
/// collection_method, become uneditable" (Stripe's API reference).
const FIXED_ONCE_FINALIZED: &[&str] = &[
    "collection_method",
    "days_until_due",
    "due_date",
    "discounts",
    "default_tax_rates",
    "application_fee_amount",
    "automatic_tax",
    "transfer_data",
];

fn not_editable(id: &str, what: &str) -> ApiError {
    ApiError::rule(
        Some("invoice_not_editable"),
        "invoice",
        format!("You can only modify {what} of invoice {id} while it is a draft (message unverified)."),
    )
}

/// `POST /v1/invoices/{id}`: description, metadata, footer, auto_advance and, on a draft, how
/// it is collected (`days_until_due` moves `due_date`). Records `invoice.updated`.
pub fn update(
    store: &mut Store,
    id: &str,
    params: &Map<String, Value>,
    request: &RequestInfo,
) -> Result<Value, ApiError> {
    let before = store
        .invoices
        .get(id)
        .cloned()
        .ok_or_else(|| ApiError::no_such("invoice", id, "invoice"))?;
    let draft = before["status"] == "draft";
    if !draft && let Some(fixed) = FIXED_ONCE_FINALIZED.iter().find(|k| params.contains_key(**k)) {
        return Err(not_editable(id, fixed));
    }
    let mut after = before.clone();
    let collection = params
        .get("collection_method")
        .and_then(Value::as_str)
        .unwrap_or_else(|| before["collection_method"].as_str().unwrap_or_default());
    if let Some(days) = params.get("days_until_due").and_then(Value::as_i64) {
        if collection != "send_invoice" {
            return Err(ApiError::rule(
                None,
                "days_until_due",
                "days_until_due can only be set when collection_method is send_invoice (message unverified)."
                    .into(),
            ));
        }
        after["due_date"] = json!(before["created"].as_i64().unwrap_or(0) + days * 86_400);
    }
    objects::assign(&mut after, params, &["days_until_due"])?;
    store.invoices.insert(after.clone());
    if let Some(previous) = previous_attributes(&before, &after) {
        let now = store.now();
        store.record_event("updated", &after, Some(previous), request, now);
    }
    Ok(after)
}

/// `DELETE /v1/invoices/{id}`: only a draft; its items go with it. Records `invoice.deleted`.
pub fn delete(store: &mut Store, id: &str, request: &RequestInfo) -> Result<Value, ApiError> {
    let invoice = store
        .invoices
        .get(id)
        .cloned()
        .ok_or_else(|| ApiError::no_such("invoice", id, "invoice"))?;
    if invoice["status"] != "draft" {
        return Err(ApiError::rule(
            Some("invoice_not_editable"),
            "invoice",
            format!("You can only delete draft invoices; invoice {id} is {} (message unverified).", invoice["status"]),
        ));
    }
    store.invoices.remove(id);
    store.deleted.insert(id.to_string(), "invoice");
    let items: Vec<String> = store
        .invoice_items
        .newest_first(None)
        .filter(|(_, item)| item["invoice"] == json!(id))
        .filter_map(|(_, item)| item["id"].as_str().map(str::to_string))
        .collect();
    for item in items {
        store.invoice_items.remove(&item);
        store.deleted.insert(item, "invoiceitem");
    }
    let now = store.now();
    store.record_event("deleted", &invoice, None, request, now);
    Ok(json!({"id": id, "object": "invoice", "deleted": true}))
}

/// `DELETE /v1/invoiceitems/{id}`: a pending item, or a line of a draft (whose totals follow).
/// Records `invoiceitem.deleted`.
pub fn delete_item(store: &mut Store, id: &str, request: &RequestInfo) -> Result<Value, ApiError> {
    let (item, invoice_id) = editable(store, id)?;
    store.invoice_items.remove(id);
    store.deleted.insert(id.to_string(), "invoiceitem");
    if let Some(invoice) = invoice_id.and_then(|i| store.invoices.get_mut(&i)) {
        if let Some(lines) = invoice["lines"]["data"].as_array_mut() {
            lines.retain(|line| line["invoice_item"] != json!(id));
        }
        sum_lines(invoice);
    }
    let now = store.now();
    store.record_event("deleted", &item, None, request, now);
    Ok(json!({"id": id, "object": "invoiceitem", "deleted": true}))
}
