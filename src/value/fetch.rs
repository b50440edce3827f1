//! Objects a mapping needs from an API, and what has been fetched so far.

use super::Value;

/// An object (by id) or a filtered list that a mapping needs from an API.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FetchRequest {
    /// `connection.stream`, such as `stripe.balance_transactions`.
    pub collection: String,
    /// `fetch(collection, id)`: one object.
    pub id: Option<String>,
    /// `fetch_all(collection, { name: value })`: list filters, sorted by name.
    pub filters: Vec<(String, String)>,
}

impl FetchRequest {
    pub fn one(collection: &str, id: &str) -> FetchRequest {
        FetchRequest {
            collection: collection.to_string(),
            id: Some(id.to_string()),
            filters: Vec::new(),
        }
    }

    pub fn all(collection: &str, mut filters: Vec<(String, String)>) -> FetchRequest {
        filters.sort();
        FetchRequest {
            collection: collection.to_string(),
            id: None,
            filters,
        }
    }

    /// `stripe.customers/cus_1` or `stripe.balance_transactions?payout=po_1`: how test blocks
    /// name fetched objects.
    pub fn key(&self) -> String {
        match &self.id {
            Some(id) => format!("{}/{id}", self.collection),
            None => {
                let query: Vec<String> = self
                    .filters
                    .iter()
                    .map(|(name, value)| format!("{name}={value}"))
                    .collect();
                format!("{}?{}", self.collection, query.join("&"))
            }
        }
    }
}

impl std::fmt::Display for FetchRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.key())
    }
}

/// What has been fetched so far: `None` when `request` has not been fetched yet, `Some(None)`
/// when the API has no such object.
pub trait Related: Sync {
    fn fetched(&self, request: &FetchRequest) -> Option<Option<Value>>;
}

/// Nothing fetched, and nothing can be (`ferry map`, standard-library examples).
pub struct NoRelated;

impl Related for NoRelated {
    fn fetched(&self, _request: &FetchRequest) -> Option<Option<Value>> {
        None
    }
}

/// Fetched objects by [`FetchRequest::key`]: test blocks' `fetched = { ... }`.
#[derive(Default, Debug, Clone)]
pub struct FetchedByKey(pub std::collections::HashMap<String, Value>);

impl Related for FetchedByKey {
    fn fetched(&self, request: &FetchRequest) -> Option<Option<Value>> {
        match self.0.get(&request.key()) {
            Some(Value::Null) => Some(None),
            Some(value) => Some(Some(value.clone())),
            None => None,
        }
    }
}
