//! What a run did, counted per pipeline, and the writes a dry run would make.

use serde_json::Value;

use crate::connectors::{PostedDifference, SourceRecord, TargetRecord};
use crate::store::Operation;

/// Counts for one pipeline over one run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PipelineReport {
    pub pipeline: String,
    pub pages: u64,
    pub read: u64,
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub filtered: u64,
    pub skipped: u64,
    pub dead_lettered: u64,
    /// Deleted at the source; the target is left as it is.
    pub deleted_at_source: u64,
    /// The records a dry run would dead-letter, with why.
    pub would_fail: Vec<WouldFail>,
}

/// A record that a dry run would send to the dead letters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WouldFail {
    pub source_id: String,
    pub code: String,
    pub message: String,
}

impl PipelineReport {
    pub fn new(pipeline: &str) -> Self {
        PipelineReport {
            pipeline: pipeline.to_string(),
            ..PipelineReport::default()
        }
    }

    pub fn written(&self) -> u64 {
        self.created + self.updated
    }

    pub(crate) fn count(&mut self, operation: Operation) {
        match operation {
            Operation::Create => self.created += 1,
            Operation::Update => self.updated += 1,
            Operation::Noop | Operation::Delete => self.unchanged += 1,
        }
    }
}

/// One write a dry run would make, against the target's current state.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedWrite {
    pub pipeline: String,
    /// `stripe.customers`
    pub target: String,
    /// The id linking source and target (`capsule.parties 11587`).
    pub link: String,
    /// The source record's id in the link (`11587`).
    pub link_id: String,
    pub operation: Operation,
    /// The target record as it is, for updates; for a record left unchanged, its id alone.
    pub current: Option<TargetRecord>,
    /// The target id the store links the record to when the target no longer has it (deleted
    /// behind ferry's back): the write makes or finds another.
    pub broken_link: Option<String>,
    /// The fields a create would send, or the changed fields of an update.
    pub fields: Value,
    pub paths: Vec<String>,
    /// The source record, when the write sends something (or mends a broken link): what
    /// `ferry reconcile --fix` delivers.
    pub source: Option<SourceRecord>,
    /// For lines found posted: how the ledger holds them differently, in amount (a record's
    /// journal reports them on its first line).
    pub posted_differences: Vec<PostedDifference>,
}
