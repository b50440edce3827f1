//! Every object of a list: filtered, for `fetch_all(stripe.<stream>, { ... })`, and whole, for a
//! reconcile.

use serde_json::Value;

use super::client::{StripeClient, readable};
use crate::connectors::http::RequestSpec;
use crate::connectors::{ConnectorError, MAX_RELATED, TargetRecord};

impl StripeClient {
    /// Lists `stream` with `filters`, following `starting_after` to the last page.
    pub async fn list_all(
        &self,
        stream: &str,
        filters: &[(String, String)],
    ) -> Result<Vec<Value>, ConnectorError> {
        readable(stream)?;
        let mut items: Vec<Value> = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let mut query = vec![("limit".to_string(), "100".to_string())];
            query.extend(filters.iter().cloned());
            if let Some(id) = &after {
                query.push(("starting_after".to_string(), id.clone()));
            }
            let url = self.url(&[stream], &query);
            let spec = RequestSpec::get(format!("stripe: list {stream}"), url);
            let page = self.send(spec).await?.into_list()?;
            let last = page.items.last().and_then(|item| item.get("id"));
            after = last.and_then(Value::as_str).map(str::to_string);
            items.extend(page.items);
            if items.len() > MAX_RELATED {
                return Err(ConnectorError::BadResponse {
                    endpoint: format!("stripe: list {stream}"),
                    reason: format!("more than {MAX_RELATED} related objects"),
                });
            }
            if !page.has_more || after.is_none() {
                return Ok(items);
            }
        }
    }

    /// Every object of `collection`, newest first, one pass over its list pages: a reconcile's
    /// listing. (Polling walks back to the oldest page first and then forward again, twice the
    /// requests, to hand records out oldest first; a listing needs no order.)
    pub async fn list_records(&self, collection: &str) -> Result<Vec<TargetRecord>, ConnectorError> {
        readable(collection)?;
        let endpoint = format!("stripe: list {collection}");
        let mut records = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let mut query = vec![("limit".to_string(), "100".to_string())];
            if let Some(id) = &after {
                query.push(("starting_after".to_string(), id.clone()));
            }
            let url = self.url(&[collection], &query);
            let page = self
                .send(RequestSpec::get(endpoint.clone(), url))
                .await?
                .into_list()?;
            for item in page.items {
                let Some(id) = item.get("id").and_then(Value::as_str).map(str::to_string) else {
                    return Err(ConnectorError::BadResponse {
                        endpoint,
                        reason: "a listed object has no id".to_string(),
                    });
                };
                after = Some(id.clone());
                records.push(TargetRecord {
                    id,
                    data: item,
                    etag: None,
                });
            }
            if !page.has_more || after.is_none() {
                return Ok(records);
            }
        }
    }
}
