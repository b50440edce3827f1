//! The events feed, and the sandbox-only route that adds a charge without a payment.

use serde_json::{Map, Value};

use super::charges::{self, NewCharge, Payment};
use super::error::ApiError;
use super::list;
use super::params;
use super::store::{EventLog, RequestInfo, Store};

/// `type` (with `*` wildcards) or `types[]` (up to 20), not both (messages unverified).
/// Stripe keeps events for 30 days: older ones are neither listed nor retrieved.
pub const EVENT_RETENTION_SECONDS: i64 = 30 * 86_400;

/// Whether an event created at `created` is still kept at `now`.
pub fn kept(created: i64, now: i64) -> bool {
    created >= now - EVENT_RETENTION_SECONDS
}

pub fn list_events(
    events: &EventLog,
    url: &str,
    params: &Map<String, Value>,
    now: i64,
) -> Result<Value, ApiError> {
    let single = params.get("type").and_then(Value::as_str);
    let many: Option<Vec<&str>> = params
        .get("types")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect());
    if single.is_some() && many.is_some() {
        return Err(ApiError::rule(
            Some("parameters_exclusive"),
            "types",
            "You may only specify one of these parameters: type, types.".into(),
        ));
    }
    if many.as_ref().is_some_and(|m| m.len() > 20) {
        return Err(ApiError::rule(
            None,
            "types",
            "You may pass at most 20 event types in `types`.".into(),
        ));
    }
    // Every emulated event counts as delivered.
    let delivered = params.get("delivery_success") != Some(&Value::Bool(false));
    list::page(events, "event", url, params, |e| {
        let kind = &*e.kind;
        delivered
            && kept(e.created, now)
            && single.is_none_or(|pattern| wildcard(pattern, kind))
            && many.as_ref().is_none_or(|m| m.contains(&kind))
    })
}

/// `customer.*` matches `customer.created` and `customer.subscription.updated`.
pub(super) fn wildcard(pattern: &str, kind: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == kind;
    }
    let mut rest = kind;
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            let Some(r) = rest.strip_prefix(part) else {
                return false;
            };
            rest = r;
        } else if i == parts.len() - 1 {
            return rest.ends_with(part);
        } else {
            let Some(at) = rest.find(part) else {
                return false;
            };
            rest = &rest[at + part.len()..];
        }
    }
    true
}

/// `POST /v1/sandbox/charges`: amount (required), currency (required), customer, description,
/// status (succeeded, failed, pending), metadata; records `charge.<status>`.
pub fn seed_charge(
    store: &mut Store,
    params: &Map<String, Value>,
    request: &RequestInfo,
) -> Result<Value, ApiError> {
    params::only(
        params,
        &[
            "amount",
            "currency",
            "customer",
            "description",
            "status",
            "metadata",
        ],
    )?;
    let text = |name: &str| params.get(name).and_then(Value::as_str);
    let amount_text = text("amount").ok_or_else(|| ApiError::missing("amount"))?;
    let amount: i64 = amount_text
        .parse()
        .map_err(|_| ApiError::invalid_integer("amount", amount_text))?;
    let currency = text("currency")
        .ok_or_else(|| ApiError::missing("currency"))?
        .to_lowercase();
    let status = text("status").unwrap_or("succeeded");
    if !["succeeded", "failed", "pending"].contains(&status) {
        return Err(ApiError::invalid_value(
            "status",
            "Invalid status: must be one of failed, pending, or succeeded".into(),
        ));
    }
    let customer = text("customer");
    if let Some(id) = customer
        && store.customers.get(id).is_none()
    {
        return Err(ApiError::no_such("customer", id, "customer"));
    }
    let spec = NewCharge {
        amount,
        currency: &currency,
        customer,
        description: text("description"),
        status,
        metadata: params.get("metadata"),
        invoice: None,
        capture: true,
        payment: Payment::Unmodelled,
    };
    charges::record_charge(store, &spec, request)
}

#[cfg(test)]
mod tests {
    use super::wildcard;

    #[test]
    fn wildcards() {
        assert!(wildcard("customer.*", "customer.created"));
        assert!(wildcard("customer.*", "customer.subscription.updated"));
        assert!(!wildcard("customer.*", "charge.succeeded"));
        assert!(wildcard("*.created", "price.created"));
        assert!(wildcard("customer.created", "customer.created"));
    }
}
