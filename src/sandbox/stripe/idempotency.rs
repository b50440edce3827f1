//! Saved first responses per (API key, `Idempotency-Key`), replayed for retries.
//!
//! A key keeps a digest of its parameters and its answer as the bytes sent, so a long backfill
//! costs the emulator about a kilobyte per write here, and keys expire oldest first in constant
//! time per request.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::StatusCode;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::error::ApiError;

pub const MAX_KEY_LENGTH: usize = 255;
/// Stripe may prune keys after 24 hours.
const KEEP_FOR: Duration = Duration::from_secs(24 * 60 * 60);

type Key = (String, String);

enum Slot {
    Running,
    Done(StatusCode, Bytes),
}

struct Entry {
    endpoint: String,
    params: [u8; 32],
    slot: Slot,
    saved_at: Instant,
}

#[derive(Default)]
pub struct Table {
    entries: HashMap<Key, Entry>,
    /// Keys in the order they were first used, for expiry.
    saved: VecDeque<(Instant, Key)>,
}

pub enum Begin {
    /// First use: the caller runs the request and then calls `finish` (or `abandon`).
    Fresh,
    Replay(StatusCode, Bytes),
    Refuse(ApiError),
}

impl Table {
    pub fn begin(&mut self, account: &str, key: &str, endpoint: &str, params: &Value) -> Begin {
        let now = Instant::now();
        self.expire(now);
        let params = digest(params);
        let id = (account.to_string(), key.to_string());
        match self.entries.get(&id) {
            Some(entry) if entry.endpoint != endpoint => Begin::Refuse(
                ApiError::idempotency_other_endpoint(key, &entry.endpoint, endpoint),
            ),
            Some(entry) if entry.params != params => {
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
                let entry = Entry {
                    endpoint: endpoint.to_string(),
                    params,
                    slot: Slot::Running,
                    saved_at: now,
                };
                self.entries.insert(id.clone(), entry);
                self.saved.push_back((now, id));
                Begin::Fresh
            }
        }
    }

    pub fn finish(&mut self, account: &str, key: &str, status: StatusCode, body: Bytes) {
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

    fn expire(&mut self, now: Instant) {
        while let Some((saved_at, _)) = self.saved.front() {
            if now.duration_since(*saved_at) < KEEP_FOR {
                break;
            }
            let Some((_, id)) = self.saved.pop_front() else {
                break;
            };
            // A key abandoned and used again is a newer entry with its own place in `saved`.
            if self
                .entries
                .get(&id)
                .is_some_and(|e| now.duration_since(e.saved_at) >= KEEP_FOR)
            {
                self.entries.remove(&id);
            }
        }
    }
}

/// SHA-256 of the parameters with object keys sorted, so a retry that sends the same
/// parameters in another order is the same request.
fn digest(params: &Value) -> [u8; 32] {
    let mut hasher = Sha256::new();
    feed(&mut hasher, params);
    hasher.finalize().into()
}

fn feed(hasher: &mut Sha256, value: &Value) {
    match value {
        Value::Null => hasher.update(b"n"),
        Value::Bool(b) => hasher.update(if *b { b"t" } else { b"f" }),
        Value::Number(n) => hash_text(hasher, b'#', &n.to_string()),
        Value::String(s) => hash_text(hasher, b'"', s),
        Value::Array(items) => {
            hasher.update(b"[");
            for item in items {
                feed(hasher, item);
            }
            hasher.update(b"]");
        }
        Value::Object(fields) => {
            let mut keys: Vec<&String> = fields.keys().collect();
            keys.sort();
            hasher.update(b"{");
            for key in keys {
                hash_text(hasher, b'k', key);
                feed(hasher, &fields[key.as_str()]);
            }
            hasher.update(b"}");
        }
    }
}

/// A tag, the length and the text, so no two values share a digest input.
fn hash_text(hasher: &mut Sha256, tag: u8, text: &str) {
    hasher.update([tag]);
    hasher.update((text.len() as u64).to_le_bytes());
    hasher.update(text.as_bytes());
}
