//! Records that share the sink's match keys (two Capsule people with one email, two charges of
//! one new customer) are delivered one after the other: delivered at once, both would look the
//! target up, find nothing, and create it twice. A batch's records take turns through the batch's
//! claims; records delivered one at a time (webhook events) through the runner's.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde_json::Value;
use tokio::sync::OwnedMutexGuard;

use super::deliver;
use super::job::Step;

/// (sink collection, target id) -> (link id, stamp) of the record that wrote the target.
type Writers = HashMap<(String, String), (String, Option<String>)>;

#[derive(Default)]
pub(super) struct MatchClaims {
    locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// For a batch: the targets its records wrote, by (sink collection, target id), with the
    /// link id and stamp that wrote them, until the batch's links are stored. `None` for the
    /// runner's own claims (one record at a time, stored at once).
    written: Option<Mutex<Writers>>,
}

impl MatchClaims {
    /// The claims of one batch, which also remember what its records wrote.
    pub(super) fn for_batch() -> MatchClaims {
        MatchClaims {
            written: Some(Mutex::default()),
            ..MatchClaims::default()
        }
    }

    /// Remembers that `link_id` wrote `target_id` of `sink` (a batch's claims only).
    pub(super) fn wrote(&self, sink: &str, target_id: &str, link_id: &str, stamp: Option<String>) {
        if let Some(written) = &self.written {
            let mut written = written.lock().unwrap_or_else(|e| e.into_inner());
            written.insert(
                (sink.to_string(), target_id.to_string()),
                (link_id.to_string(), stamp),
            );
        }
    }

    /// The link id (and stamp) of the record of this batch that wrote `target_id` of `sink`.
    pub(super) fn writer_of(
        &self,
        sink: &str,
        target_id: &str,
    ) -> Option<(String, Option<String>)> {
        let written = self.written.as_ref()?;
        let written = written.lock().unwrap_or_else(|e| e.into_inner());
        written
            .get(&(sink.to_string(), target_id.to_string()))
            .cloned()
    }

    /// Waits until no other record holds `mapped`'s match keys, and holds them until the claim
    /// drops; `None` when the sink matches on nothing.
    pub(super) async fn claim(&self, step: &Step, mapped: &Value) -> Option<Claim<'_>> {
        let keys = deliver::match_keys(step, mapped);
        let sink = step.sink.collection();
        if keys.is_empty() {
            return None;
        }
        let text: Vec<String> = keys
            .iter()
            .map(|key| format!("{}={}", key.path, key.value))
            .collect();
        Some(
            self.claim_key(format!("{sink}\u{0}{}", text.join("\u{0}")))
                .await,
        )
    }

    async fn claim_key(&self, key: String) -> Claim<'_> {
        let lock = self.entries().entry(key.clone()).or_default().clone();
        Claim {
            claims: self,
            key,
            guard: Some(lock.lock_owned().await),
        }
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<tokio::sync::Mutex<()>>>> {
        self.locks.lock().unwrap_or_else(|e| e.into_inner())
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries().len()
    }
}

/// Match keys held by one record; dropping it lets the next record with them go, and forgets
/// the keys when no record waits for them (the runner's claims live as long as `ferry serve`).
pub(super) struct Claim<'c> {
    claims: &'c MatchClaims,
    key: String,
    guard: Option<OwnedMutexGuard<()>>,
}

impl Drop for Claim<'_> {
    fn drop(&mut self) {
        self.guard = None;
        let mut entries = self.claims.entries();
        // Waiters clone the lock under `entries`: one reference left is the map's own.
        if entries
            .get(&self.key)
            .is_some_and(|lock| Arc::strong_count(lock) == 1)
        {
            entries.remove(&self.key);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn records_with_one_match_key_take_turns_and_the_key_is_forgotten_after() {
        let claims = MatchClaims::default();
        let first = claims.claim_key("customers\u{0}email=a@x".into()).await;
        let other = claims.claim_key("customers\u{0}email=b@x".into()).await;
        let waiting = claims.claim_key("customers\u{0}email=a@x".into());
        tokio::pin!(waiting);
        let blocked = tokio::time::timeout(Duration::from_millis(50), &mut waiting).await;
        assert!(
            blocked.is_err(),
            "a second record with a@x waits for the first"
        );
        drop(first);
        let second = tokio::time::timeout(Duration::from_secs(5), waiting)
            .await
            .expect("the second record goes once the first is done");
        assert_eq!(claims.len(), 2, "a@x is still held, by the second record");
        drop(second);
        drop(other);
        assert_eq!(claims.len(), 0, "keys nobody holds are forgotten");
    }
}
