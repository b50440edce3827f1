//! Orders written through Avenue: order/v6 answers with a transaction, not an order, and the
//! order exists once the transaction is `Complete` (its `result_url` names it).
//!
//! A POST is never repeated: a create that cannot tell whether Pronto took it (a lost answer, a
//! transaction still pending at the timeout) fails as transient, and the next delivery finds
//! the order by its `customer_reference` before writing anything (an order sink matches on it,
//! as the shipped stripe_invoices_to_pronto does). Statuses seen are `Pending`,
//! `Complete` and `Error` [O], in any case (`COMPLETE` in the v1 docs [V]).

use std::time::Duration;

use jiff::tz::TimeZone;
use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::client::{ProntoClient, order_id};
use super::endpoints::Resource;
use super::normalize::normalize;
use super::wire::{api_error, bad_response, text_field};
use crate::connectors::http::RequestSpec;
use crate::connectors::rate_limit::parse_duration;
use crate::connectors::{ConnectorError, MatchKey, ResolvedConnection, TargetRecord, Write};

/// How long to wait for an order's transaction, and how often to ask.
#[derive(Debug, Clone)]
pub struct TransactionPolling {
    /// The first wait, doubled after each `Pending` up to `longest`.
    pub first: Duration,
    pub longest: Duration,
    /// Give up (transiently) after this long.
    pub timeout: Duration,
}

impl Default for TransactionPolling {
    /// One client polled every minute for up to ten minutes [O]; starting sooner costs a few
    /// calls and makes a fast tenant's orders land in seconds.
    fn default() -> Self {
        TransactionPolling {
            first: Duration::from_millis(500),
            longest: Duration::from_secs(60),
            timeout: Duration::from_secs(600),
        }
    }
}

/// Settings this module reads.
#[cfg(test)]
pub const SETTINGS: [&str; 2] = ["transaction_timeout", "transaction_poll"];

impl TransactionPolling {
    /// The connection's `transaction_timeout` and `transaction_poll` (the longest wait between
    /// two polls) over the defaults.
    pub fn of(connection: &ResolvedConnection) -> Result<Self, ConnectorError> {
        let mut polling = TransactionPolling::default();
        let read = |key: &str| -> Result<Option<Duration>, ConnectorError> {
            connection
                .setting(key)
                .map(|text| {
                    parse_duration(text).filter(|d| !d.is_zero()).ok_or_else(|| {
                        ConnectorError::Unsupported(format!(
                            "connection `{}`: `{key}: {text}` is not a duration such as 30s or 10m",
                            connection.name
                        ))
                    })
                })
                .transpose()
        };
        if let Some(timeout) = read("transaction_timeout")? {
            polling.timeout = timeout;
        }
        if let Some(longest) = read("transaction_poll")? {
            polling.longest = longest;
            polling.first = polling.first.min(longest);
        }
        Ok(polling)
    }
}

/// What a transaction said.
enum Transaction {
    Pending,
    Complete { result_url: Option<String> },
    Failed(Vec<String>),
}

/// POSTs the order and waits for its transaction; the order as Pronto holds it.
pub async fn create(client: &ProntoClient, write: &Write) -> Result<TargetRecord, ConnectorError> {
    let name = client.endpoints().name(Resource::OrderCreate);
    let spec = RequestSpec::post(
        format!("pronto: create order ({name})"),
        client.url(Resource::OrderCreate, &[])?,
    )
    .json(&write.fields);
    let response = client.http().send(spec).await.map_err(api_error)?;
    let body: Value = response.json()?;
    let uuid = first_transaction(&body)
        .and_then(|t| text_field(t, "uuid"))
        .ok_or_else(|| bad_response(&name, "apitransactions[0].uuid", "is missing"))?;
    let started = tokio::time::Instant::now();
    let mut wait = client.polling().first;
    loop {
        tokio::time::sleep(wait).await;
        match transaction(client, &uuid).await? {
            Transaction::Complete { result_url } => {
                return created_order(client, &uuid, result_url, write).await;
            }
            Transaction::Failed(errors) => {
                return Err(ConnectorError::Api {
                    endpoint: format!("pronto {name}"),
                    status: 422,
                    kind: None,
                    code: Some("transaction_error".into()),
                    param: None,
                    message: format!("transaction {uuid}: {}", errors.join("; ")),
                });
            }
            Transaction::Pending if started.elapsed() >= client.polling().timeout => {
                // Transient: the next delivery finds the order by its reference once Pronto
                // has made it, and only then would write again.
                return Err(ConnectorError::Api {
                    endpoint: format!("pronto {name}"),
                    status: 503,
                    kind: None,
                    code: Some("transaction_pending".into()),
                    param: None,
                    message: format!(
                        "transaction {uuid} still pending after {}s",
                        client.polling().timeout.as_secs()
                    ),
                });
            }
            Transaction::Pending => wait = (wait * 2).min(client.polling().longest),
        }
    }
}

fn first_transaction(body: &Value) -> Option<&Value> {
    body.get("apitransactions")?.as_array()?.first()
}

async fn transaction(client: &ProntoClient, uuid: &str) -> Result<Transaction, ConnectorError> {
    let name = client.endpoints().name(Resource::Transactions);
    let spec = RequestSpec::get(
        format!("pronto: read transaction ({name})"),
        client.url(Resource::Transactions, &[("uuid", uuid.to_string())])?,
    );
    let response = client.http().send(spec).await.map_err(api_error)?;
    let body: Value = response.json()?;
    let found = first_transaction(&body)
        .ok_or_else(|| bad_response(&name, "apitransactions", "is missing or empty"))?;
    let status = text_field(found, "status")
        .ok_or_else(|| bad_response(&name, "apitransactions[0].status", "is missing"))?;
    Ok(match status.to_ascii_lowercase().as_str() {
        "pending" | "processing" | "queued" => Transaction::Pending,
        "complete" | "completed" => Transaction::Complete {
            result_url: text_field(found, "result_url"),
        },
        "error" | "failed" => {
            let errors: Vec<String> = found
                .get("errors")
                .and_then(Value::as_array)
                .map(|errors| errors.iter().map(error_text).collect())
                .unwrap_or_default();
            Transaction::Failed(if errors.is_empty() {
                vec!["failed without a message".into()]
            } else {
                errors
            })
        }
        other => {
            return Err(bad_response(
                &name,
                "apitransactions[0].status",
                &format!("is `{other}`, not Pending, Complete or Error"),
            ));
        }
    })
}

fn error_text(error: &Value) -> String {
    match error {
        Value::String(text) => text.clone(),
        other => other
            .get("message")
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| other.to_string()),
    }
}

/// The order a complete transaction made: its `result_url` names it
/// (`/api/json/order/v4?number=177023`), or, without one, its reference finds it.
async fn created_order(
    client: &ProntoClient,
    uuid: &str,
    result_url: Option<String>,
    write: &Write,
) -> Result<TargetRecord, ConnectorError> {
    let number = result_url.as_deref().and_then(order_number_in);
    let found = match number {
        Some(number) => client.order_numbered(&number).await?,
        None => find(client, &reference_keys(&write.fields)).await?,
    };
    found.ok_or_else(|| {
        bad_response(
            &client.endpoints().name(Resource::Transactions),
            "result_url",
            &format!("of complete transaction {uuid} names no order Pronto has"),
        )
    })
}

/// `number=` of a `result_url`, whatever its format and version.
fn order_number_in(result_url: &str) -> Option<String> {
    let query = result_url.split_once('?')?.1;
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(key, _)| key == "number")
        .map(|(_, value)| value.into_owned())
        .filter(|value| !value.is_empty())
}

fn reference_keys(fields: &Value) -> Vec<MatchKey> {
    ["customer_reference", "debtor"]
        .iter()
        .filter_map(|path| {
            Some(MatchKey {
                path: path.to_string(),
                value: fields.get(*path)?.clone(),
            })
        })
        .collect()
}

/// The order the keys select: by number, or by `customer_reference` (and `debtor`).
pub async fn find(
    client: &ProntoClient,
    keys: &[MatchKey],
) -> Result<Option<TargetRecord>, ConnectorError> {
    let text = |key: &MatchKey| match &key.value {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    };
    let mut filters = Vec::new();
    for key in keys {
        let filter = match key.path.as_str() {
            "pronto_order_number" => "number",
            "customer_reference" => "customer_reference",
            "debtor" => "debtor",
            other => {
                return Err(ConnectorError::Unsupported(format!(
                    "pronto.orders are matched on customer_reference, debtor or pronto_order_number, not `{other}`"
                )));
            }
        };
        let Some(value) = text(key) else {
            return Ok(None);
        };
        filters.push((filter, value));
    }
    if filters.is_empty() {
        return Err(ConnectorError::Unsupported(
            "matching pronto.orders needs customer_reference or pronto_order_number".into(),
        ));
    }
    let name = client.endpoints().name(Resource::Orders);
    let found = client.url(Resource::Orders, &filters)?;
    let spec = RequestSpec::get(format!("pronto: find order ({name})"), found);
    let response = client.http().send(spec).await.map_err(api_error)?;
    let body: Value = response.json()?;
    let page = super::wire::list_page(body, Resource::Orders.root(), &name)?;
    // The filters are applied again here: a tenant whose endpoint ignores one must not match
    // another buyer's order.
    let matching = page.records.into_iter().find(|order| {
        keys.iter().all(|key| {
            let held = match key.path.as_str() {
                "pronto_order_number" => order_id(order).map(Value::String),
                path => order.get(path).cloned(),
            };
            held.is_some_and(|held| same_text(&key.value, &held))
        })
    });
    matching
        .map(|order| as_target(order, &name, client.zone()))
        .transpose()
}

/// Whether a key's value is what the order holds: text as text, numbers by value (`"1.0"` is
/// `1`).
fn same_text(wanted: &Value, held: &Value) -> bool {
    let text = |value: &Value| match value {
        Value::String(text) => Some(text.trim().to_string()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    };
    match (text(wanted), text(held)) {
        (Some(a), Some(b)) => match (a.parse::<Decimal>(), b.parse::<Decimal>()) {
            (Ok(x), Ok(y)) => x == y,
            _ => a == b,
        },
        _ => false,
    }
}

/// An order as Pronto holds it (order/v4, normalised as a source record is) with the fields
/// order/v6 took to make it alongside: `payment{method, reference, amount, currency_code}`, and
/// `item_code` and `quantity` on each line. A mapped order then compares field by field with
/// what Pronto holds, and `fetch(pronto.orders, ...)` still reads the order/v4 record.
pub fn as_target(
    order: Value,
    endpoint: &str,
    zone: &TimeZone,
) -> Result<TargetRecord, ConnectorError> {
    let id = order_id(&order)
        .ok_or_else(|| bad_response(endpoint, "pronto_order_number", "is missing"))?;
    let mut order = normalize(Resource::Orders, order, zone).map_err(|reason| {
        ConnectorError::BadResponse {
            endpoint: format!("pronto {endpoint}"),
            reason,
        }
    })?;
    add_order_create_fields(&mut order);
    Ok(TargetRecord {
        id,
        data: order,
        etag: None,
    })
}

pub(super) fn add_order_create_fields(order: &mut Value) {
    let field = |name: &str| order.get(name).cloned().unwrap_or(Value::Null);
    let payment = json!({
        "method": field("payment_method"),
        "reference": field("payment_reference"),
        "amount": field("payment_amount"),
        "currency_code": field("currency_code"),
    });
    if let Some(lines) = order.get_mut("lines").and_then(Value::as_array_mut) {
        for line in lines.iter_mut() {
            let copy = |name: &str| line.get(name).cloned().unwrap_or(Value::Null);
            let (item_code, quantity) = (copy("stock_code"), copy("ordered_qty"));
            if let Value::Object(fields) = line {
                fields.insert("item_code".into(), item_code);
                fields.insert("quantity".into(), quantity);
            }
        }
    }
    if let Value::Object(fields) = order {
        fields.insert("payment".into(), payment);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_order_number_comes_from_the_result_url() {
        assert_eq!(
            order_number_in("/api/xml/order/v4?number=177023").as_deref(),
            Some("177023")
        );
        assert_eq!(order_number_in("/api/json/order/v4.json?number="), None);
        assert_eq!(order_number_in("/api/json/order/v4"), None);
    }

    #[test]
    fn an_order_reads_as_the_body_that_made_it() {
        let order = json!({
            "pronto_order_number": "177023", "suffix": "", "customer_reference": "PO-7",
            "debtor": "C100", "payment_method": "CC", "payment_reference": "ch_1",
            "payment_amount": "11.00", "currency_code": "AUD",
            "lines": [{"type": "SN", "stock_code": "W1", "ordered_qty": "1.0", "uom": "EA",
                       "price_ex_tax": "10.00", "price_inc_tax": 11.0}],
        });
        let zone = TimeZone::get("Australia/Sydney").unwrap();
        let target = as_target(order, "order/v4", &zone).unwrap();
        assert_eq!(target.id, "177023");
        let data = &target.data;
        assert_eq!(data["customer_reference"], "PO-7");
        let payment = &data["payment"];
        assert_eq!((&payment["method"], &payment["reference"]), (&json!("CC"), &json!("ch_1")));
        assert_eq!(payment["amount"].to_string(), "11.00");
        assert_eq!(payment["currency_code"], "AUD");
        let line = &data["lines"][0];
        assert_eq!((&line["item_code"], &line["stock_code"]), (&json!("W1"), &json!("W1")));
        assert_eq!(line["quantity"].to_string(), "1.0");
        assert_eq!(line["price_inc_tax"].to_string(), "11.0");
    }
}
