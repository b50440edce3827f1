//! What a worker writes when it finishes inbox events: a group's writes gathered, so they go to
//! the database in a few multi-row statements instead of several statements per event. Every
//! statement is a round trip to the connection's thread, made while the write lock is held.

use super::{AuditEntry, CrossReference, InboxOutcome, ObjectVersion, RecordsRead, SettledWrites};

/// A permanent failure to file, as [`Batch::dead_letter`](super::Batch::dead_letter) takes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDeadLetter {
    pub pipeline: String,
    pub source_id: String,
    pub record_json: String,
    pub error_code: String,
    pub error_message: String,
}

/// The writes of records delivered (or dead-lettered) and of inbox events finished, made
/// together by [`Batch::write_finished`](super::Batch::write_finished).
#[derive(Debug, Clone, Default)]
pub struct FinishedEvents {
    pub cross_references: Vec<CrossReference>,
    pub audit: Vec<AuditEntry>,
    pub settled: Vec<SettledWrites>,
    /// `(pipeline, source id)` of records delivered: their open dead letters are resolved.
    pub delivered: Vec<(String, String)>,
    pub dead_letters: Vec<NewDeadLetter>,
    pub object_versions: Vec<ObjectVersion>,
    /// `(connection, event id, outcome)` of inbox events a worker finishes.
    pub outcomes: Vec<(String, String, InboxOutcome)>,
    /// The records read, added to their pipelines' hourly counts.
    pub read: Vec<RecordsRead>,
}
