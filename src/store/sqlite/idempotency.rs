//! Idempotency records: the key, the request it was used for, and the response once known.

use jiff::Timestamp;
use sqlx::Row;
use sqlx::sqlite::SqliteConnection;

use super::finished::{ROWS, statement};
use super::millis;
use crate::store::rows;
use crate::store::{IdempotencyRecord, Operation, SettledWrites, StoreError};

const COLUMNS: &str = "key, pipeline, source_id, target, request_hash, response_status, \
                       response_body, created_at, operation, fields_changed";

pub async fn get(
    conn: &mut SqliteConnection,
    key: &str,
) -> Result<Option<IdempotencyRecord>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM idempotency_records WHERE key = ?1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(key)
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(rows::idempotency_record).transpose()
}

/// Records a key, or fills in its response. The first `created_at` is kept, since a key's
/// lifetime at the API starts at its first use; a different request hash is refused.
pub async fn put(
    conn: &mut SqliteConnection,
    record: &IdempotencyRecord,
) -> Result<(), StoreError> {
    let done = sqlx::query(
        "INSERT INTO idempotency_records
             (key, pipeline, source_id, target, request_hash, response_status, response_body,
              created_at, operation, fields_changed)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
         ON CONFLICT (key) DO UPDATE
         SET response_status = excluded.response_status,
             response_body = excluded.response_body
         WHERE idempotency_records.request_hash = excluded.request_hash",
    )
    .bind(&record.key)
    .bind(&record.pipeline)
    .bind(&record.source_id)
    .bind(&record.target)
    .bind(&record.request_hash)
    .bind(record.response_status.map(i64::from))
    .bind(&record.response_body)
    .bind(millis(record.created_at))
    .bind(record.operation.map(Operation::as_str))
    .bind(rows::idempotency_fields_json(&record.fields_changed))
    .execute(conn)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::IdempotencyConflict {
            key: record.key.clone(),
        });
    }
    Ok(())
}

/// Records of `pipeline`'s writes still waiting for an outcome, oldest first.
/// With `before`, only those recorded before it (to the millisecond, which is what is kept).
pub async fn in_flight(
    conn: &mut SqliteConnection,
    pipeline: &str,
    before: Option<Timestamp>,
) -> Result<Vec<IdempotencyRecord>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM idempotency_records
         WHERE pipeline = ?1 AND response_status IS NULL AND created_at < ?2
         ORDER BY created_at"
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(pipeline)
        .bind(before.map_or(i64::MAX, |before| millis(before).saturating_add(1)))
        .fetch_all(conn)
        .await?;
    rows.iter().map(rows::idempotency_record).collect()
}

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

/// Deletes the settled records created before `cutoff`; returns how many went. Unsettled ones
/// stay until a delivery of their record audits them.
pub async fn prune(conn: &mut SqliteConnection, cutoff_millis: i64) -> Result<u64, StoreError> {
    let done = sqlx::query(
        "DELETE FROM idempotency_records WHERE created_at < ?1 AND response_status IS NOT NULL",
    )
    .bind(cutoff_millis)
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}
