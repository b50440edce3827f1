//! The store as the connections' shared request budget: on PostgreSQL every process of a fleet
//! reserves its requests' slots from one row per connection, so `ferry run`s and `ferry serve`s
//! together keep the API's limit; on SQLite the store keeps no budget and each process paces
//! alone, as before. It lives here because only the runtime sees both the store and the
//! connectors.

use std::time::Duration;

use futures_util::future::BoxFuture;

use crate::connectors::http::{Pace, SharedBudget};
use crate::store::Store;

/// A [`SharedBudget`] kept in the store.
#[derive(Clone)]
pub struct StoreBudget(pub Store);

impl std::fmt::Debug for StoreBudget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StoreBudget")
    }
}

impl SharedBudget for StoreBudget {
    fn reserve<'a>(
        &'a self,
        key: &'a str,
        pace: Pace,
    ) -> BoxFuture<'a, Result<Option<Duration>, String>> {
        Box::pin(async move {
            self.0
                .reserve_request(key, pace.interval, pace.tolerance())
                .await
                .map_err(|error| error.to_string())
        })
    }
}
