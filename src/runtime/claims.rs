//! Records of one page that share the sink's match keys (two Capsule people with one email) are
//! delivered one after the other: delivered at once, both would look the target up, find
//! nothing, and create it twice.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde_json::Value;
use tokio::sync::OwnedMutexGuard;

use super::deliver;
use super::job::Step;

#[derive(Default)]
pub(super) struct MatchClaims {
    locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl MatchClaims {
    /// Waits until no other record of the page holds `mapped`'s match keys, and holds them
    /// until the guard drops; `None` when the sink matches on nothing.
    pub(super) async fn claim(&self, step: &Step, mapped: &Value) -> Option<OwnedMutexGuard<()>> {
        let keys = deliver::match_keys(step, mapped);
        let sink = step.sink.collection();
        if keys.is_empty() {
            return None;
        }
        let text: Vec<String> = keys
            .iter()
            .map(|key| format!("{}={}", key.path, key.value))
            .collect();
        let lock = self
            .locks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(format!("{sink}\u{0}{}", text.join("\u{0}")))
            .or_default()
            .clone();
        Some(lock.lock_owned().await)
    }
}
