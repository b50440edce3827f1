//! The values the store keeps, as the runner sees them. Backends turn them into rows.

use jiff::Timestamp;
use sha2::{Digest, Sha256};

/// A link between a record in one system and its counterpart in another, kept both ways.
/// Unique per (source collection, source id, target collection): writing again moves the link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrossReference {
    pub source_collection: String,
    pub source_id: String,
    pub target_collection: String,
    pub target_id: String,
    /// The target record's keys besides its id, as the target gave them (`number`).
    pub target_keys: TargetKeys,
    /// What `on conflict newest by FIELD` compares: FIELD of the source record, as text.
    pub source_stamp: Option<String>,
}

/// Key name -> value, in name order.
pub type TargetKeys = std::collections::BTreeMap<String, String>;

impl CrossReference {
    pub fn new(
        source_collection: impl Into<String>,
        source_id: impl Into<String>,
        target_collection: impl Into<String>,
        target_id: impl Into<String>,
    ) -> Self {
        CrossReference {
            source_collection: source_collection.into(),
            source_id: source_id.into(),
            target_collection: target_collection.into(),
            target_id: target_id.into(),
            target_keys: TargetKeys::new(),
            source_stamp: None,
        }
    }

    pub fn with_keys(mut self, keys: TargetKeys) -> Self {
        self.target_keys = keys;
        self
    }

    pub fn with_stamp(mut self, stamp: Option<String>) -> Self {
        self.source_stamp = stamp;
        self
    }

    /// The keys as the store writes them: a JSON object.
    pub fn keys_json(&self) -> String {
        serde_json::to_string(&self.target_keys).unwrap_or_else(|_| "{}".into())
    }
}

/// Keys read back from the store; a malformed column reads as no keys (they come back with the
/// record's next delivery).
pub fn keys_from_json(text: &str) -> TargetKeys {
    serde_json::from_str(text).unwrap_or_default()
}

/// A write remembered under its `Idempotency-Key`, so a retry after a crash sends the same key
/// and the same body. `response_*` stay `None` while the request is in flight.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyRecord {
    pub key: String,
    pub pipeline: String,
    pub source_id: String,
    pub target: String,
    /// A hash of the request body: the same key with another body is a conflict, as at Stripe.
    pub request_hash: String,
    /// What the request does, `create` or `update`, and the fields it writes: enough to audit
    /// a write whose answer a crash lost.
    pub operation: Option<Operation>,
    pub fields_changed: Vec<String>,
    pub response_status: Option<u16>,
    pub response_body: Option<String>,
    pub created_at: Timestamp,
}

/// Writes of one linked record settled: its in-flight idempotency records get the target id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettledWrites {
    pub pipeline: String,
    pub target: String,
    pub source_id: String,
    pub target_id: String,
}

/// A record that failed permanently, kept with its reason until a replay succeeds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetter {
    pub id: i64,
    pub pipeline: String,
    pub source_id: String,
    /// The source record as JSON text, as the caller gave it (callers redact secrets).
    pub record_json: String,
    pub error_code: String,
    pub error_message: String,
    pub attempts: i64,
    pub first_seen: Timestamp,
    pub last_seen: Timestamp,
    /// When the letter was closed; it is kept, not deleted, so its history stays.
    pub resolved_at: Option<Timestamp>,
    /// How it was closed (set with `resolved_at`).
    pub resolution: Option<Resolution>,
    /// Why it was discarded, as its discarder wrote it.
    pub resolution_note: Option<String>,
}

impl DeadLetter {
    /// The record as it failed, pretty-printed when it is JSON.
    pub fn record_pretty(&self) -> String {
        serde_json::from_str::<serde_json::Value>(&self.record_json)
            .ok()
            .and_then(|value| serde_json::to_string_pretty(&value).ok())
            .unwrap_or_else(|| self.record_json.clone())
    }
}

/// How a dead letter was closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolution {
    /// A replay delivered the record.
    Replayed,
    /// A later run or event delivered the record.
    Delivered,
    /// Someone decided the record needs no delivery, and said why.
    Discarded,
}

impl Resolution {
    pub fn as_str(self) -> &'static str {
        match self {
            Resolution::Replayed => "replayed",
            Resolution::Delivered => "delivered",
            Resolution::Discarded => "discarded",
        }
    }

    pub fn parse(text: &str) -> Option<Resolution> {
        [
            Resolution::Replayed,
            Resolution::Delivered,
            Resolution::Discarded,
        ]
        .into_iter()
        .find(|resolution| resolution.as_str() == text)
    }
}

/// One step of a dead letter's story, oldest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeadLetterStep {
    /// The record failed (again), with this error.
    Failed {
        at: Timestamp,
        error_code: String,
        error_message: String,
    },
    /// The letter was closed; `note` is a discarder's reason.
    Closed {
        at: Timestamp,
        resolution: Resolution,
        note: Option<String>,
    },
}

impl DeadLetterStep {
    pub fn at(&self) -> Timestamp {
        match self {
            DeadLetterStep::Failed { at, .. } | DeadLetterStep::Closed { at, .. } => *at,
        }
    }

    /// What happened, in words: `failed: CODE: message`, or how it closed and why.
    pub fn summary(&self) -> String {
        match self {
            DeadLetterStep::Failed {
                error_code,
                error_message,
                ..
            } => format!("failed: {error_code}: {error_message}"),
            DeadLetterStep::Closed {
                resolution, note, ..
            } => match note {
                Some(note) => format!("{}: {note}", resolution.as_str()),
                None => resolution.as_str().to_string(),
            },
        }
    }
}

/// Which dead letters to list; the default lists the open ones of every pipeline.
#[derive(Debug, Clone, Default)]
pub struct DeadLetterFilter {
    pub pipeline: Option<String>,
    pub include_resolved: bool,
    pub limit: Option<u32>,
    /// Letters skipped before the first one listed, for a page at a time.
    pub offset: u32,
    /// The newest letters (the last filed) first; the oldest first otherwise.
    pub newest_first: bool,
    /// Only letters whose record failed (again) after this moment.
    pub failed_after: Option<Timestamp>,
}

/// An alert as sent (or tried): the alerts' history, and what keeps a digest to one message
/// per key and window across restarts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertRecord {
    /// What raised it: `dead_letters`, `stalled`, `signature_failures`, `store_unavailable`,
    /// `reconcile`, `test`.
    pub trigger: String,
    /// Alerts of one key are digested together (`dead_letters/<pipeline>`).
    pub key: String,
    pub subject: String,
    pub body: String,
    pub at: Timestamp,
    /// The channels it reached, and those it did not with why (secrets redacted).
    pub delivered: Vec<String>,
    pub failed: Vec<(String, String)>,
}

/// What a write did to the target record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    Create,
    Update,
    Delete,
    /// The target already held the mapped values: nothing was sent.
    Noop,
}

impl Operation {
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::Create => "create",
            Operation::Update => "update",
            Operation::Delete => "delete",
            Operation::Noop => "noop",
        }
    }

    pub fn parse(text: &str) -> Option<Operation> {
        match text {
            "create" => Some(Operation::Create),
            "update" => Some(Operation::Update),
            "delete" => Some(Operation::Delete),
            "noop" => Some(Operation::Noop),
            _ => None,
        }
    }
}

/// One line of the audit log: every write the runner made, and why it can be traced back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub pipeline: String,
    /// [`pipeline_version`] of the pipeline text that made the write.
    pub pipeline_version: String,
    pub source_id: String,
    /// The target collection, e.g. `stripe.customers`.
    pub target: String,
    /// `None` when the target gave no id (a failed lookup before a noop, say).
    pub target_id: Option<String>,
    pub operation: Operation,
    pub fields_changed: Vec<String>,
    pub at: Timestamp,
}

/// What the pipelines did in one hour: records read, audit entries written and records
/// dead-lettered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HourActivity {
    /// The start of the hour.
    pub hour: Timestamp,
    pub read: u64,
    pub audited: u64,
    pub dead_lettered: u64,
}

/// Records that a pipeline read and took to an outcome (written, unchanged, filtered, skipped
/// or dead-lettered), counted in the hour of `at`: a batch of a run, or a worker's events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordsRead {
    pub pipeline: String,
    pub records: u64,
    pub at: Timestamp,
}

/// Which audit entries to list, oldest first unless `newest_first`; the default lists all of
/// them.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub pipeline: Option<String>,
    pub source_id: Option<String>,
    pub target_id: Option<String>,
    /// Written at or after this moment.
    pub since: Option<Timestamp>,
    /// Written before this moment.
    pub until: Option<Timestamp>,
    pub newest_first: bool,
    /// Entries to skip before the first listed, for paging.
    pub offset: u32,
    pub limit: Option<u32>,
}

/// The version recorded with each audit entry: the SHA-256 of the pipeline text, in hex, so an
/// entry names exactly the code that wrote it.
pub fn pipeline_version(pipeline_text: &str) -> String {
    hex::encode(Sha256::digest(pipeline_text.as_bytes()))
}

/// The new position of a source, moved in the same transaction as the writes it covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CursorUpdate {
    pub pipeline: String,
    pub source: String,
    pub value: String,
}

/// Everything one batch of the runner makes durable at once: if any part fails, none is kept.
#[derive(Debug, Clone, Default)]
pub struct CommitBatch {
    pub cross_references: Vec<CrossReference>,
    pub audit: Vec<AuditEntry>,
    pub idempotency: Vec<IdempotencyRecord>,
    pub cursor: Option<CursorUpdate>,
}

/// A reconcile's report as the store keeps it: who ran it, when, its headline figures, and the
/// whole report (`ferry reconcile --format json`'s text) in `report`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReconcileRecord {
    /// Set by the store.
    pub id: i64,
    pub started_at: Timestamp,
    pub finished_at: Timestamp,
    /// `command`, or the name of the `reconcile:` schedule that ran it.
    pub origin: String,
    pub pipelines: Vec<String>,
    pub mismatches: u64,
    /// Pipelines that could not be reconciled.
    pub errors: u64,
    /// JSON; empty in listings ([`super::Store::reconcile_reports`]).
    pub report: String,
}
