//! Pronto's paths, `/api/json/<code>/<version>(.json)`, and the endpoints behind them. The
//! tenant's aliases (`debtor/v5_rgs` for `debtor/v4`) serve what their target serves.

use std::collections::HashMap;

use axum::http::{Method, StatusCode};
use jiff::Timestamp;
use serde_json::Value;

use super::ProntoState;
use super::error::ApiError;
use super::listing::{CountStyle, ListQuery, page_of};
use super::order_request::OrderRequest;
use super::transactions::Transaction;

/// The endpoints a standard tenant serves, by `code/version`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Endpoint {
    Debtors,
    Orders,
    CreateOrder,
    Transaction,
    Products,
    Categories,
}

fn endpoint(method: &Method, target: &str) -> Option<Endpoint> {
    Some(match (method.as_str(), target) {
        ("GET", "debtor/v4") => Endpoint::Debtors,
        ("GET", "order/v4") => Endpoint::Orders,
        ("POST", "order/v6") => Endpoint::CreateOrder,
        ("GET", "transaction/v5" | "transaction/v4") => Endpoint::Transaction,
        ("GET", "product/v4") => Endpoint::Products,
        ("GET", "category/v5") => Endpoint::Categories,
        _ => return None,
    })
}

/// Answers one authenticated, metered request.
pub fn answer(
    state: &ProntoState,
    method: &Method,
    path: &str,
    query: Option<&str>,
    body: &[u8],
    now: Timestamp,
) -> Result<Value, ApiError> {
    let no_route = || {
        ApiError::not_found(format!(
            "No route matches [{method}] \"{path}\""
        ))
    };
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let [api, format, code, version] = segments[..] else {
        return Err(no_route());
    };
    if api != "api" {
        return Err(no_route());
    }
    if format == "xml" || version.ends_with(".xml") {
        return Err(ApiError::new(
            StatusCode::NOT_ACCEPTABLE,
            "only the json format is served",
        ));
    }
    if format != "json" {
        return Err(no_route());
    }
    let requested = format!("{code}/{}", version.strip_suffix(".json").unwrap_or(version));
    let config = state.config();
    let target = config
        .aliases
        .iter()
        .find(|(alias, _)| *alias == requested)
        .map_or(requested.as_str(), |(_, target)| target.as_str());
    let endpoint = endpoint(method, target).ok_or_else(no_route)?;
    let params: HashMap<String, String> = url::form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .into_owned()
        .collect();
    match endpoint {
        Endpoint::CreateOrder => create_order(state, body, now),
        Endpoint::Transaction => transaction(state, &params),
        listing => list(state, listing, &params),
    }
}

fn list(state: &ProntoState, endpoint: Endpoint, params: &HashMap<String, String>) -> Result<Value, ApiError> {
    let config = state.config();
    let query = ListQuery::parse(params, config.max_per_page)?;
    let style = CountStyle {
        as_strings: config.counts_as_strings,
    };
    let filter = |name: &str| params.get(name).map(String::as_str);
    let data = state.data();
    Ok(match endpoint {
        Endpoint::Debtors => {
            let code = filter("account_code");
            let debtors = data.debtors.values().filter(|d| code.is_none_or(|c| d.code == c));
            page_of("debtors", debtors, &query, style)
        }
        Endpoint::Products => {
            let code = filter("code");
            let products = data.products.values().filter(|p| code.is_none_or(|c| p.code == c));
            page_of("products", products, &query, style)
        }
        Endpoint::Categories => page_of("categories", data.categories.values(), &query, style),
        _ => {
            let (number, debtor, reference) =
                (filter("number"), filter("debtor"), filter("customer_reference"));
            let orders = data.orders.values().filter(|o| {
                number.is_none_or(|n| o.number.to_string() == n.trim())
                    && debtor.is_none_or(|d| o.debtor == d)
                    && reference.is_none_or(|r| o.customer_reference == r)
            });
            page_of("orders", orders, &query, style)
        }
    })
}

fn create_order(state: &ProntoState, body: &[u8], now: Timestamp) -> Result<Value, ApiError> {
    let request = OrderRequest::parse(body)?;
    let delay = jiff::SignedDuration::try_from(state.config().transaction_delay)
        .unwrap_or(jiff::SignedDuration::MAX);
    let due = now.checked_add(delay).unwrap_or(Timestamp::MAX);
    let transaction = Transaction::new(state.new_uuid(), due, request);
    let shown = transaction.shown();
    state.data().transactions.push(transaction);
    Ok(shown)
}

fn transaction(state: &ProntoState, params: &HashMap<String, String>) -> Result<Value, ApiError> {
    let uuid = params
        .get("uuid")
        .map(|u| u.trim())
        .filter(|u| !u.is_empty())
        .ok_or_else(|| ApiError::bad_request("uuid is missing"))?;
    let data = state.data();
    data.transactions
        .iter()
        .find(|t| t.uuid == uuid)
        .map(Transaction::shown)
        .ok_or_else(|| ApiError::not_found(format!("Couldn't find ApiTransaction with uuid '{uuid}'")))
}
