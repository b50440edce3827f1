//! A sink's `match on` keys as Stripe lookups: the search API
//! (`email:'a@b.com' AND metadata['capsule_id']:'11587'`) and, for prices with a `lookup_key`,
//! the exact `lookup_keys[]` list filter.
//!
//! Search is not read-after-write: Stripe indexes new objects within about a minute, so a match
//! on an object created moments ago may not be found yet. Customers matched on `email` use the
//! list filter instead, which is.

use serde_json::Value;

use super::client::StripeClient;
use crate::connectors::http::{Endpoint, RequestSpec};
use crate::connectors::record::{ConnectorError, MatchKey, TargetRecord};

/// Resources with a `/search` endpoint that a sink may match on.
const SEARCHABLE: &[&str] = &["customers", "products", "prices", "charges", "invoices"];

/// Stripe's limit of clauses in one query.
const MAX_CLAUSES: usize = 10;

impl StripeClient {
    /// The first object of `collection` whose fields equal every key, or `None`.
    pub async fn find(
        &self,
        collection: &str,
        keys: &[MatchKey],
    ) -> Result<Option<TargetRecord>, ConnectorError> {
        if collection == "invoiceitems" {
            return self.find_invoice_item(keys).await;
        }
        if !SEARCHABLE.contains(&collection) {
            return Err(ConnectorError::Unsupported(format!(
                "stripe.{collection} cannot be matched on (Stripe searches {})",
                SEARCHABLE.join(", ")
            )));
        }
        if keys.is_empty() {
            return Err(ConnectorError::Unsupported(format!(
                "matching stripe.{collection} needs at least one key"
            )));
        }
        let lookup_key = keys.iter().find(|key| key.path == "lookup_key");
        if collection == "prices"
            && let Some(lookup_key) = lookup_key
        {
            return self.find_price_by_lookup_key(lookup_key, keys).await;
        }
        let email = keys.iter().find(|key| key.path == "email");
        if collection == "customers"
            && let Some(email) = email
        {
            return self.find_customer_by_email(email, keys).await;
        }
        let query = search_query(keys)?;
        let url = self.url(
            &[collection, "search"],
            &[("query".into(), query), ("limit".into(), "1".into())],
        );
        let spec = RequestSpec::get(format!("stripe: search {collection}"), url);
        let mut page = self.send(spec).await?.into_list()?;
        first_record(&mut page.items, &page.endpoint, |_| true)
    }

    /// `GET /v1/customers?email=...`: exact and read-after-write, unlike search, so a customer
    /// created a moment ago is found. The other keys are compared here.
    async fn find_customer_by_email(
        &self,
        email: &MatchKey,
        keys: &[MatchKey],
    ) -> Result<Option<TargetRecord>, ConnectorError> {
        let value = scalar_text(&email.value).ok_or_else(|| not_scalar(email))?;
        let url = self.url(
            &["customers"],
            &[("email".into(), value), ("limit".into(), "100".into())],
        );
        let spec = RequestSpec::get("stripe: find customers by email", url);
        let mut page = self.send(spec).await?.into_list()?;
        first_record(&mut page.items, &page.endpoint, |customer| {
            keys.iter().all(|key| matches_key(customer, key))
        })
    }

    /// Invoice items have no search: `GET /v1/invoiceitems?invoice=...` (or `customer=`) lists
    /// the invoice's items, every page, and the keys are compared here. Read-after-write.
    async fn find_invoice_item(
        &self,
        keys: &[MatchKey],
    ) -> Result<Option<TargetRecord>, ConnectorError> {
        let filter = ["invoice", "customer"].into_iter().find_map(|name| {
            let key = keys.iter().find(|key| key.path == name)?;
            Some((name.to_string(), scalar_text(&key.value)?))
        });
        let Some(filter) = filter else {
            return Err(ConnectorError::Unsupported(
                "stripe.invoiceitems are matched on `invoice` or `customer` and the other keys"
                    .into(),
            ));
        };
        let mut starting_after: Option<String> = None;
        loop {
            let mut query = vec![filter.clone(), ("limit".into(), "100".into())];
            if let Some(after) = &starting_after {
                query.push(("starting_after".into(), after.clone()));
            }
            let url = self.url(&["invoiceitems"], &query);
            let spec = RequestSpec::get("stripe: find invoice items", url);
            let mut page = self.send(spec).await?.into_list()?;
            let last = page
                .items
                .last()
                .and_then(|item| item.get("id")?.as_str().map(str::to_string));
            let found = first_record(&mut page.items, &page.endpoint, |item| {
                keys.iter().all(|key| matches_key(item, key))
            })?;
            match (found, last) {
                (Some(found), _) => return Ok(Some(found)),
                (None, Some(last)) if page.has_more => starting_after = Some(last),
                _ => return Ok(None),
            }
        }
    }

    /// `GET /v1/prices?lookup_keys[]=...`: exact and read-after-write, unlike search. The
    /// other keys are compared here.
    async fn find_price_by_lookup_key(
        &self,
        lookup_key: &MatchKey,
        keys: &[MatchKey],
    ) -> Result<Option<TargetRecord>, ConnectorError> {
        let value = scalar_text(&lookup_key.value).ok_or_else(|| not_scalar(lookup_key))?;
        let url = self.url(
            &["prices"],
            &[
                ("lookup_keys[]".into(), value),
                ("limit".into(), "10".into()),
            ],
        );
        let spec = RequestSpec::get("stripe: find prices by lookup_key", url);
        let mut page = self.send(spec).await?.into_list()?;
        first_record(&mut page.items, &page.endpoint, |price| {
            keys.iter().all(|key| matches_key(price, key))
        })
    }
}

/// The first item that `keep` accepts, as a target record.
fn first_record(
    items: &mut Vec<Value>,
    endpoint: &Endpoint,
    keep: impl Fn(&Value) -> bool,
) -> Result<Option<TargetRecord>, ConnectorError> {
    let Some(at) = items.iter().position(keep) else {
        return Ok(None);
    };
    let data = items.swap_remove(at);
    match data.get("id").and_then(Value::as_str) {
        Some(id) if !id.is_empty() => Ok(Some(TargetRecord {
            id: id.to_string(),
            data,
            etag: None,
        })),
        _ => Err(ConnectorError::BadResponse {
            endpoint: endpoint.to_string(),
            reason: "a search hit has no string `id`".into(),
        }),
    }
}

/// The keys as one search query, clauses joined with ` AND `.
pub fn search_query(keys: &[MatchKey]) -> Result<String, ConnectorError> {
    if keys.len() > MAX_CLAUSES {
        return Err(ConnectorError::Unsupported(format!(
            "Stripe searches at most {MAX_CLAUSES} keys at once, not {}",
            keys.len()
        )));
    }
    let clauses: Vec<String> = keys.iter().map(clause).collect::<Result<_, _>>()?;
    Ok(clauses.join(" AND "))
}

/// `email:'a@b.com'`, `metadata['capsule_id']:'11587'`, `phone:null`.
fn clause(key: &MatchKey) -> Result<String, ConnectorError> {
    let field = match key.path.split_once('.') {
        None if is_field_name(&key.path) => key.path.clone(),
        Some(("metadata", name)) if !name.is_empty() => format!("metadata[{}]", quoted(name)),
        _ => {
            return Err(ConnectorError::Unsupported(format!(
                "Stripe cannot search on `{}` (a field such as `email` or `metadata.<key>`)",
                key.path
            )));
        }
    };
    let value = match &key.value {
        Value::Null => "null".to_string(),
        value => quoted(&scalar_text(value).ok_or_else(|| not_scalar(key))?),
    };
    Ok(format!("{field}:{value}"))
}

fn is_field_name(path: &str) -> bool {
    !path.is_empty() && path.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A value in single quotes, its backslashes and quotes escaped with a backslash.
fn quoted(text: &str) -> String {
    let escaped = text.replace('\\', "\\\\").replace('\'', "\\'");
    format!("'{escaped}'")
}

/// Strings as they are; numbers in their exact JSON text; booleans as `true` / `false`.
fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        Value::Bool(flag) => Some(flag.to_string()),
        Value::Null | Value::Array(_) | Value::Object(_) => None,
    }
}

fn not_scalar(key: &MatchKey) -> ConnectorError {
    ConnectorError::Unsupported(format!(
        "the match key `{}` must be a string, a number or a boolean to search Stripe",
        key.path
    ))
}

/// The object's value at the key's dotted path equals the key's value (as Stripe text).
fn matches_key(object: &Value, key: &MatchKey) -> bool {
    let found = key
        .path
        .split('.')
        .try_fold(object, |value, part| value.get(part));
    match (found, &key.value) {
        (None | Some(Value::Null), Value::Null) => true,
        (Some(found), wanted) => {
            let found = scalar_text(found);
            found.is_some() && found == scalar_text(wanted)
        }
        (None, _) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn key(path: &str, value: Value) -> MatchKey {
        MatchKey {
            path: path.into(),
            value,
        }
    }

    #[test]
    fn queries_quote_and_escape() {
        let keys = [
            key("email", json!("a@b.com")),
            key("metadata.capsule_id", json!(11587)),
            key("name", json!(r"O'Brien \ Sons")),
            key("metadata.it's", json!(true)),
            key("phone", Value::Null),
        ];
        assert_eq!(
            search_query(&keys).ok().as_deref(),
            Some(
                r"email:'a@b.com' AND metadata['capsule_id']:'11587' AND name:'O\'Brien \\ Sons' AND metadata['it\'s']:'true' AND phone:null"
            )
        );
    }

    #[test]
    fn unsearchable_keys_are_refused() {
        for bad in [
            key("address.city", json!("x")),
            key("metadata.", json!("x")),
            key("na me", json!("x")),
            key("email", json!(["x"])),
        ] {
            assert!(
                matches!(
                    search_query(std::slice::from_ref(&bad)),
                    Err(ConnectorError::Unsupported(_))
                ),
                "{bad:?}"
            );
        }
        let eleven: Vec<MatchKey> = (0..11).map(|i| key("email", json!(i))).collect();
        assert!(search_query(&eleven).is_err());
    }

    #[test]
    fn keys_compare_as_stripe_text() {
        let price = json!({"lookup_key": "gold", "metadata": {"sku": "12"}, "nickname": null});
        assert!(matches_key(&price, &key("metadata.sku", json!(12))));
        assert!(matches_key(&price, &key("nickname", Value::Null)));
        assert!(!matches_key(&price, &key("metadata.sku", json!("13"))));
        assert!(!matches_key(&price, &key("metadata.other", json!("x"))));
    }
}
