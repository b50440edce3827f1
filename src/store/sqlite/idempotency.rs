//! Idempotency records: the key, the request it was used for, and the response once known.

use sqlx::Row;
use sqlx::sqlite::SqliteConnection;

use super::finished::{ROWS, statement};
use super::millis;
use crate::store::rows;
use crate::store::{IdempotencyRecord, Operation, SettledWrites, StoreError};

pub use crate::store::portable::idempotency::*;

/// Records writes about to be sent (no response yet), in multi-row statements. A key already
/// recorded for the same request is in flight again; for another request it is a conflict.
pub async fn put_in_flight(
    conn: &mut SqliteConnection,
    records: &[IdempotencyRecord],
) -> Result<(), StoreError> {
    for group in records.chunks(ROWS) {
        let mut query = statement(
            "INSERT INTO idempotency_records
                 (key, pipeline, source_id, target, request_hash, created_at, operation,
                  fields_changed) VALUES",
            group.len(),
            8,
            "ON CONFLICT (key) DO UPDATE SET response_status = NULL, response_body = NULL
             WHERE idempotency_records.request_hash = excluded.request_hash
             RETURNING key",
        );
        for record in group {
            query = query
                .bind(&record.key)
                .bind(&record.pipeline)
                .bind(&record.source_id)
                .bind(&record.target)
                .bind(&record.request_hash)
                .bind(millis(record.created_at))
                .bind(record.operation.map(Operation::as_str))
                .bind(rows::idempotency_fields_json(&record.fields_changed));
        }
        let written: Vec<String> = query
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(|row| row.try_get(0))
            .collect::<Result<_, _>>()?;
        if let Some(conflict) = group.iter().find(|r| !written.contains(&r.key)) {
            return Err(StoreError::IdempotencyConflict {
                key: conflict.key.clone(),
            });
        }
    }
    Ok(())
}

/// Settles every in-flight record of these linked records: their writes are durable.
pub async fn settle(
    conn: &mut SqliteConnection,
    settled: &[SettledWrites],
) -> Result<(), StoreError> {
    for group in settled.chunks(ROWS) {
        let mut query = statement(
            "UPDATE idempotency_records SET response_status = 200, response_body = v.column4
             FROM (VALUES",
            group.len(),
            4,
            ") AS v
             WHERE idempotency_records.response_status IS NULL
               AND idempotency_records.pipeline = v.column1
               AND idempotency_records.target = v.column2
               AND idempotency_records.source_id = v.column3",
        );
        for write in group {
            query = query
                .bind(&write.pipeline)
                .bind(&write.target)
                .bind(&write.source_id)
                .bind(&write.target_id);
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}
