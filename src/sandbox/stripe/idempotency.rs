//! Saved first responses per (API key, `Idempotency-Key`), replayed for retries.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use serde_json::Value;

use super::error::ApiError;

pub const MAX_KEY_LENGTH: usize = 255;
/// Stripe may prune keys after 24 hours.
const KEEP_FOR: Duration = Duration::from_secs(24 * 60 * 60);

enum Slot {
    Running,
    Done(StatusCode, Value),
}

struct Entry {
    endpoint: String,
    params: Value,
    slot: Slot,
    saved_at: Instant,
}

#[derive(Default)]
pub struct Table {
    entries: HashMap<(String, String), Entry>,
}

pub enum Begin {
    /// First use: the caller runs the request and then calls `finish` (or `abandon`).
    Fresh,
    Replay(StatusCode, Value),
    Refuse(ApiError),
}

impl Table {
    pub fn begin(&mut self, account: &str, key: &str, endpoint: &str, params: &Value) -> Begin {
        let now = Instant::now();
        self.entries
            .retain(|_, e| now.duration_since(e.saved_at) < KEEP_FOR);
        let id = (account.to_string(), key.to_string());
        match self.entries.get(&id) {
            Some(entry) if entry.endpoint != endpoint => Begin::Refuse(
                ApiError::idempotency_other_endpoint(key, &entry.endpoint, endpoint),
            ),
            Some(entry) if &entry.params != params => {
                Begin::Refuse(ApiError::idempotency_mismatch(key))
            }
            Some(Entry {
                slot: Slot::Running,
                ..
            }) => Begin::Refuse(ApiError::idempotency_in_use(key)),
            Some(Entry {
                slot: Slot::Done(status, body),
                ..
            }) => Begin::Replay(*status, body.clone()),
            None => {
                self.entries.insert(
                    id,
                    Entry {
                        endpoint: endpoint.to_string(),
                        params: params.clone(),
                        slot: Slot::Running,
                        saved_at: now,
                    },
                );
                Begin::Fresh
            }
        }
    }

    pub fn finish(&mut self, account: &str, key: &str, status: StatusCode, body: Value) {
        if let Some(entry) = self
            .entries
            .get_mut(&(account.to_string(), key.to_string()))
        {
            entry.slot = Slot::Done(status, body);
        }
    }

    /// The request ended without a response (client gone): forget the key so a retry runs.
    pub fn abandon(&mut self, account: &str, key: &str) {
        let id = (account.to_string(), key.to_string());
        if matches!(
            self.entries.get(&id),
            Some(Entry {
                slot: Slot::Running,
                ..
            })
        ) {
            self.entries.remove(&id);
        }
    }
}
