//! Products and prices.

use serde_json::{Map, Value, json};

use super::error::ApiError;
use super::list;
use super::objects::{self, previous_attributes};
use super::store::{Collection, RequestInfo, Store};

pub fn create_product(
    store: &mut Store,
    params: &Map<String, Value>,
    request: &RequestInfo,
) -> Result<Value, ApiError> {
    let id = match params.get("id").and_then(Value::as_str) {
        Some(id) => {
            if store.products.get(id).is_some() || store.deleted.contains_key(id) {
                return Err(ApiError::rule(
                    Some("resource_already_exists"),
                    "id",
                    "Product already exists.".to_string(),
                ));
            }
            id.to_string()
        }
        None => store.id("prod"),
    };
    let now = store.now();
    let mut product = objects::product(&id, now);
    objects::assign(&mut product, params, &["id"])?;
    store.products.insert(product.clone());
    store.record_event("created", &product, None, request, now);
    Ok(product)
}

pub fn update_product(
    store: &mut Store,
    id: &str,
    params: &Map<String, Value>,
    request: &RequestInfo,
) -> Result<Value, ApiError> {
    let now = store.now();
    let current = store
        .products
        .get_mut(id)
        .ok_or_else(|| ApiError::no_such("product", id, "id"))?;
    let before = current.clone();
    let mut after = before.clone();
    objects::assign(&mut after, params, &[])?;
    let previous = previous_attributes(&before, &after);
    if previous.is_some() {
        after["updated"] = json!(now);
    }
    *current = after.clone();
    if let Some(previous) = previous {
        store.record_event("updated", &after, Some(previous), request, now);
    }
    Ok(after)
}

pub fn delete_product(
    store: &mut Store,
    id: &str,
    request: &RequestInfo,
) -> Result<Value, ApiError> {
    if store.products.get(id).is_none() {
        return Err(ApiError::no_such("product", id, "id"));
    }
    let has_prices = store
        .prices
        .newest_first(None)
        .any(|(_, p)| p.get("product").and_then(Value::as_str) == Some(id));
    if has_prices {
        // Stripe refuses to delete a product with prices (message unverified).
        return Err(ApiError::rule(
            None,
            "id",
            "This product cannot be deleted because it has one or more user-created prices."
                .to_string(),
        ));
    }
    let removed = store
        .products
        .remove(id)
        .ok_or_else(|| ApiError::no_such("product", id, "id"))?;
    store.deleted.insert(id.to_string(), "product");
    let now = store.now();
    store.record_event("deleted", &removed, None, request, now);
    Ok(json!({"id": id, "object": "product", "deleted": true}))
}

fn currency_of(params: &Map<String, Value>) -> Result<String, ApiError> {
    let code = params
        .get("currency")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::missing("currency"))?;
    if iso_currency::Currency::from_code(&code.to_uppercase()).is_none() {
        return Err(ApiError::rule(
            None,
            "currency",
            format!(
                "Invalid currency: {code}. Stripe currently supports these currencies: usd, eur, gbp, ..."
            ),
        ));
    }
    Ok(code.to_lowercase())
}

pub fn create_price(
    store: &mut Store,
    params: &Map<String, Value>,
    request: &RequestInfo,
) -> Result<Value, ApiError> {
    let currency = currency_of(params)?;
    let product_id = match (params.get("product"), params.get("product_data")) {
        (Some(_), Some(_)) => {
            return Err(ApiError::rule(
                Some("parameters_exclusive"),
                "product_data",
                "You may only specify one of these parameters: product, product_data.".into(),
            ));
        }
        (Some(Value::String(id)), None) => {
            if store.products.get(id).is_none() {
                return Err(ApiError::no_such("product", id, "product"));
            }
            id.clone()
        }
        (None, Some(Value::Object(data))) => {
            let product = create_product(store, data, request)?;
            product["id"].as_str().unwrap_or_default().to_string()
        }
        _ => {
            return Err(ApiError::rule(
                Some("parameter_missing"),
                "product",
                "You must specify either `product` or `product_data` when creating a price.".into(),
            ));
        }
    };
    let tiered = params.get("billing_scheme").and_then(Value::as_str) == Some("tiered");
    let amount = params.get("unit_amount");
    let decimal = params.get("unit_amount_decimal");
    if amount.is_some() && decimal.is_some() {
        return Err(ApiError::rule(
            Some("parameters_exclusive"),
            "unit_amount_decimal",
            "You may only specify one of these parameters: unit_amount, unit_amount_decimal."
                .into(),
        ));
    }
    if tiered && params.get("tiers").is_none() {
        return Err(ApiError::missing("tiers"));
    }
    if tiered && params.get("tiers_mode").is_none() {
        return Err(ApiError::missing("tiers_mode"));
    }
    if !tiered && amount.is_none() && decimal.is_none() {
        return Err(ApiError::missing("unit_amount"));
    }
    if let Some(key) = params.get("lookup_key").and_then(Value::as_str) {
        let transfer = params.get("transfer_lookup_key") == Some(&Value::Bool(true));
        claim_lookup_key(store, key, transfer)?;
    }
    let id = store.id("price");
    let now = store.now();
    let mut price = objects::price(&id, now, &currency, &product_id);
    let skip = [
        "product",
        "product_data",
        "currency",
        "transfer_lookup_key",
        "tiers",
        "recurring",
    ];
    objects::assign(&mut price, params, &skip)?;
    if let Some(n) = amount.and_then(Value::as_i64) {
        price["unit_amount_decimal"] = json!(n.to_string());
    }
    if let Some(d) = decimal.and_then(Value::as_str) {
        price["unit_amount"] = d.parse::<i64>().map(Value::from).unwrap_or(Value::Null);
    }
    if let Some(Value::Object(r)) = params.get("recurring") {
        price["type"] = json!("recurring");
        price["recurring"] = json!({
            "aggregate_usage": r.get("aggregate_usage").cloned().unwrap_or(Value::Null),
            "interval": r.get("interval").cloned().unwrap_or(Value::Null),
            "interval_count": r.get("interval_count").cloned().unwrap_or(json!(1)),
            "usage_type": r.get("usage_type").cloned().unwrap_or(json!("licensed")),
        });
    }
    store.prices.insert(price.clone());
    store.record_event("created", &price, None, request, now);
    Ok(price)
}

/// A lookup key belongs to one price; `transfer_lookup_key` moves it (message unverified).
fn claim_lookup_key(store: &mut Store, key: &str, transfer: bool) -> Result<(), ApiError> {
    let holder = store
        .prices
        .newest_first(None)
        .find(|(_, p)| p.get("lookup_key").and_then(Value::as_str) == Some(key))
        .and_then(|(_, p)| p.get("id").and_then(Value::as_str).map(str::to_string));
    match holder {
        None => Ok(()),
        Some(other) if transfer => {
            if let Some(p) = store.prices.get_mut(&other) {
                p["lookup_key"] = Value::Null;
            }
            Ok(())
        }
        Some(other) => Err(ApiError::rule(
            None,
            "lookup_key",
            format!("A price ({other}) already uses that lookup key."),
        )),
    }
}

pub fn update_price(
    store: &mut Store,
    id: &str,
    params: &Map<String, Value>,
    request: &RequestInfo,
) -> Result<Value, ApiError> {
    let before = store
        .prices
        .get(id)
        .cloned()
        .ok_or_else(|| ApiError::no_such("price", id, "id"))?;
    if let Some(wanted) = params.get("tax_behavior").and_then(Value::as_str) {
        let current = before.get("tax_behavior").and_then(Value::as_str);
        if current != Some("unspecified") && current != Some(wanted) {
            return Err(ApiError::rule(
                None,
                "tax_behavior",
                "tax_behavior cannot be changed once it is set to inclusive or exclusive.".into(),
            ));
        }
    }
    if let Some(key) = params.get("lookup_key").and_then(Value::as_str)
        && before.get("lookup_key").and_then(Value::as_str) != Some(key)
    {
        let transfer = params.get("transfer_lookup_key") == Some(&Value::Bool(true));
        claim_lookup_key(store, key, transfer)?;
    }
    let mut after = before.clone();
    objects::assign(&mut after, params, &["transfer_lookup_key"])?;
    let now = store.now();
    if let Some(current) = store.prices.get_mut(id) {
        *current = after.clone();
    }
    if let Some(previous) = previous_attributes(&before, &after) {
        store.record_event("updated", &after, Some(previous), request, now);
    }
    Ok(after)
}

pub fn list_products(
    collection: &Collection,
    url: &str,
    params: &Map<String, Value>,
) -> Result<Value, ApiError> {
    let ids: Option<Vec<&str>> = params
        .get("ids")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect());
    list::page(collection, "product", url, params, |p| {
        list::same_fields(params, p, &["active", "shippable", "url"])
            && ids.as_ref().is_none_or(|ids| {
                p.get("id")
                    .and_then(Value::as_str)
                    .is_some_and(|id| ids.contains(&id))
            })
    })
}

pub fn list_prices(
    collection: &Collection,
    url: &str,
    params: &Map<String, Value>,
) -> Result<Value, ApiError> {
    let keys: Option<Vec<&str>> = params
        .get("lookup_keys")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect());
    let recurring = params.get("recurring").and_then(Value::as_object);
    list::page(collection, "price", url, params, |p| {
        list::same_fields(params, p, &["active", "currency", "product", "type"])
            && keys.as_ref().is_none_or(|keys| {
                p.get("lookup_key")
                    .and_then(Value::as_str)
                    .is_some_and(|k| keys.contains(&k))
            })
            && recurring.is_none_or(|r| {
                r.iter()
                    .all(|(k, v)| p.get("recurring").and_then(|pr| pr.get(k)) == Some(v))
            })
    })
}
