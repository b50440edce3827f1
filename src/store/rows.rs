//! Rows read back into the store's records, the same for every backend: a backend hands over
//! its row as [`StoreRow`] (text and integer columns by position, as every table keeps them)
//! and the decoding, with its checks, is written once here.

use jiff::Timestamp;

use super::{
    AlertRecord, AuditEntry, DeadLetter, DeadLetterStep, IdempotencyRecord, InboxEvent, InboxState,
    Operation, ReconcileRecord, Resolution, StoreError, StoredEvent,
};

/// A row of a backend's answer: its columns by position.
pub(super) trait StoreRow {
    fn text(&self, index: usize) -> Result<String, sqlx::Error>;
    fn optional_text(&self, index: usize) -> Result<Option<String>, sqlx::Error>;
    fn integer(&self, index: usize) -> Result<i64, sqlx::Error>;
    fn optional_integer(&self, index: usize) -> Result<Option<i64>, sqlx::Error>;
}

/// Implements [`StoreRow`] for a backend's row type.
macro_rules! store_row {
    ($row:ty) => {
        impl $crate::store::rows::StoreRow for $row {
            fn text(&self, index: usize) -> Result<String, sqlx::Error> {
                sqlx::Row::try_get(self, index)
            }
            fn optional_text(&self, index: usize) -> Result<Option<String>, sqlx::Error> {
                sqlx::Row::try_get(self, index)
            }
            fn integer(&self, index: usize) -> Result<i64, sqlx::Error> {
                sqlx::Row::try_get(self, index)
            }
            fn optional_integer(&self, index: usize) -> Result<Option<i64>, sqlx::Error> {
                sqlx::Row::try_get(self, index)
            }
        }
    };
}
pub(super) use store_row;

/// Unix milliseconds, as every table keeps its times.
pub(super) fn millis(at: Timestamp) -> i64 {
    at.as_millisecond()
}

pub(super) fn timestamp(
    millis: i64,
    table: &'static str,
    column: &'static str,
) -> Result<Timestamp, StoreError> {
    Timestamp::from_millisecond(millis).map_err(|error| StoreError::Corrupt {
        table,
        column,
        detail: error.to_string(),
    })
}

fn optional_timestamp(
    millis: Option<i64>,
    table: &'static str,
    column: &'static str,
) -> Result<Option<Timestamp>, StoreError> {
    millis.map(|at| timestamp(at, table, column)).transpose()
}

fn json<T: serde::de::DeserializeOwned>(
    text: &str,
    table: &'static str,
    column: &'static str,
) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|error| StoreError::Corrupt {
        table,
        column,
        detail: error.to_string(),
    })
}

/// A count kept in a signed column.
pub(super) fn signed(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

fn unsigned(value: i64, table: &'static str, column: &'static str) -> Result<u64, StoreError> {
    u64::try_from(value).map_err(|error| StoreError::Corrupt {
        table,
        column,
        detail: error.to_string(),
    })
}

/// `trigger, key, subject, body, at, delivered, failed` of `alerts`.
pub(super) fn alert(row: &(impl StoreRow + ?Sized)) -> Result<AlertRecord, StoreError> {
    Ok(AlertRecord {
        trigger: row.text(0)?,
        key: row.text(1)?,
        subject: row.text(2)?,
        body: row.text(3)?,
        at: timestamp(row.integer(4)?, "alerts", "at")?,
        delivered: json(&row.text(5)?, "alerts", "delivered")?,
        failed: json(&row.text(6)?, "alerts", "failed")?,
    })
}

/// The `fields_changed` column of the audit log: the field names as a JSON array.
pub(super) fn audit_fields_json(entry: &AuditEntry) -> Result<String, StoreError> {
    serde_json::to_string(&entry.fields_changed).map_err(|error| StoreError::Corrupt {
        table: "audit_log",
        column: "fields_changed",
        detail: error.to_string(),
    })
}

/// `pipeline, pipeline_version, source_id, target, target_id, operation, fields_changed, at`
/// of `audit_log`.
pub(super) fn audit_entry(row: &(impl StoreRow + ?Sized)) -> Result<AuditEntry, StoreError> {
    let operation = row.text(5)?;
    Ok(AuditEntry {
        pipeline: row.text(0)?,
        pipeline_version: row.text(1)?,
        source_id: row.text(2)?,
        target: row.text(3)?,
        target_id: row.optional_text(4)?,
        operation: Operation::parse(&operation).ok_or_else(|| StoreError::Corrupt {
            table: "audit_log",
            column: "operation",
            detail: format!("unknown operation `{operation}`"),
        })?,
        fields_changed: json(&row.text(6)?, "audit_log", "fields_changed")?,
        at: timestamp(row.integer(7)?, "audit_log", "at")?,
    })
}

/// `at, what, error_code, error_message, note` of `dead_letter_history`.
pub(super) fn dead_letter_step(
    row: &(impl StoreRow + ?Sized),
) -> Result<DeadLetterStep, StoreError> {
    let at = timestamp(row.integer(0)?, "dead_letter_history", "at")?;
    let what = row.text(1)?;
    if what == "failed" {
        return Ok(DeadLetterStep::Failed {
            at,
            error_code: row.optional_text(2)?.unwrap_or_default(),
            error_message: row.optional_text(3)?.unwrap_or_default(),
        });
    }
    Ok(DeadLetterStep::Closed {
        at,
        resolution: resolution(&what, "dead_letter_history", "what")?,
        note: row.optional_text(4)?,
    })
}

fn resolution(
    text: &str,
    table: &'static str,
    column: &'static str,
) -> Result<Resolution, StoreError> {
    Resolution::parse(text).ok_or_else(|| StoreError::Corrupt {
        table,
        column,
        detail: format!("`{text}` is no resolution"),
    })
}

/// `id, pipeline, source_id, record_json, error_code, error_message, attempts, first_seen,
/// last_seen, resolved_at, resolution, resolution_note` of `dead_letters`.
pub(super) fn dead_letter(row: &(impl StoreRow + ?Sized)) -> Result<DeadLetter, StoreError> {
    const TABLE: &str = "dead_letters";
    Ok(DeadLetter {
        id: row.integer(0)?,
        pipeline: row.text(1)?,
        source_id: row.text(2)?,
        record_json: row.text(3)?,
        error_code: row.text(4)?,
        error_message: row.text(5)?,
        attempts: row.integer(6)?,
        first_seen: timestamp(row.integer(7)?, TABLE, "first_seen")?,
        last_seen: timestamp(row.integer(8)?, TABLE, "last_seen")?,
        resolved_at: optional_timestamp(row.optional_integer(9)?, TABLE, "resolved_at")?,
        resolution: row
            .optional_text(10)?
            .map(|text| resolution(&text, TABLE, "resolution"))
            .transpose()?,
        resolution_note: row.optional_text(11)?,
    })
}

/// The `fields_changed` column of `idempotency_records`.
pub(super) fn idempotency_fields_json(fields: &[String]) -> String {
    serde_json::Value::from(fields.to_vec()).to_string()
}

/// `key, pipeline, source_id, target, request_hash, response_status, response_body,
/// created_at, operation, fields_changed` of `idempotency_records`.
pub(super) fn idempotency_record(
    row: &(impl StoreRow + ?Sized),
) -> Result<IdempotencyRecord, StoreError> {
    const TABLE: &str = "idempotency_records";
    let response_status = row
        .optional_integer(5)?
        .map(|status| {
            u16::try_from(status).map_err(|_| StoreError::Corrupt {
                table: TABLE,
                column: "response_status",
                detail: format!("{status} is not an HTTP status"),
            })
        })
        .transpose()?;
    Ok(IdempotencyRecord {
        key: row.text(0)?,
        pipeline: row.text(1)?,
        source_id: row.text(2)?,
        target: row.text(3)?,
        request_hash: row.text(4)?,
        response_status,
        response_body: row.optional_text(6)?,
        created_at: timestamp(row.integer(7)?, TABLE, "created_at")?,
        operation: row
            .optional_text(8)?
            .map(|text| {
                Operation::parse(&text).ok_or_else(|| StoreError::Corrupt {
                    table: TABLE,
                    column: "operation",
                    detail: format!("`{text}` is not an operation"),
                })
            })
            .transpose()?,
        fields_changed: json(&row.text(9)?, TABLE, "fields_changed")?,
    })
}

/// `id, started_at, finished_at, origin, pipelines, mismatches, errors, report` of
/// `reconcile_reports`.
pub(super) fn reconcile_record(
    row: &(impl StoreRow + ?Sized),
) -> Result<ReconcileRecord, StoreError> {
    const TABLE: &str = "reconcile_reports";
    Ok(ReconcileRecord {
        id: row.integer(0)?,
        started_at: timestamp(row.integer(1)?, TABLE, "started_at")?,
        finished_at: timestamp(row.integer(2)?, TABLE, "finished_at")?,
        origin: row.text(3)?,
        pipelines: json(&row.text(4)?, TABLE, "pipelines")?,
        mismatches: unsigned(row.integer(5)?, TABLE, "mismatches")?,
        errors: unsigned(row.integer(6)?, TABLE, "errors")?,
        report: row.text(7)?,
    })
}

/// An inbox event's columns, in the order [`stored_event`] reads them.
pub(super) const STORED_EVENT_COLUMNS: &str = "connection, event_id, event_type, created, body,
    received_at, state, attempts, claimed_by, lease_until, not_before, last_error, processed_at,
    object_key";

/// [`STORED_EVENT_COLUMNS`] of `inbox`, starting at column `first`.
pub(super) fn stored_event(
    row: &(impl StoreRow + ?Sized),
    first: usize,
) -> Result<StoredEvent, StoreError> {
    const TABLE: &str = "inbox";
    let state = row.text(first + 6)?;
    let state = InboxState::parse(&state).ok_or_else(|| StoreError::Corrupt {
        table: TABLE,
        column: "state",
        detail: format!("unknown state `{state}`"),
    })?;
    Ok(StoredEvent {
        event: InboxEvent {
            connection: row.text(first)?,
            event_id: row.text(first + 1)?,
            event_type: row.text(first + 2)?,
            created: row.integer(first + 3)?,
            body: row.text(first + 4)?,
            received_at: timestamp(row.integer(first + 5)?, TABLE, "received_at")?,
            object_key: row.optional_text(first + 13)?,
        },
        state,
        attempts: row.integer(first + 7)?,
        claimed_by: row.optional_text(first + 8)?,
        lease_until: optional_timestamp(row.optional_integer(first + 9)?, TABLE, "lease_until")?,
        not_before: optional_timestamp(row.optional_integer(first + 10)?, TABLE, "not_before")?,
        last_error: row.optional_text(first + 11)?,
        processed_at: optional_timestamp(row.optional_integer(first + 12)?, TABLE, "processed_at")?,
    })
}
