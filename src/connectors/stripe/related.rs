//! Every object of a filtered list, for `fetch_all(stripe.<stream>, { ... })`.

use serde_json::Value;

use super::client::{StripeClient, readable};
use crate::connectors::http::RequestSpec;
use crate::connectors::{ConnectorError, MAX_RELATED};

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
}
