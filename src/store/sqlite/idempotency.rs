//! Idempotency records: the key, the request it was used for, and the response once known.

use sqlx::Row;
use sqlx::sqlite::{SqliteConnection, SqliteRow};

use super::{millis, timestamp};
use crate::store::{IdempotencyRecord, StoreError};

pub async fn get(
    conn: &mut SqliteConnection,
    key: &str,
) -> Result<Option<IdempotencyRecord>, StoreError> {
    let row = sqlx::query(
        "SELECT key, pipeline, source_id, target, request_hash, response_status, response_body,
                created_at
         FROM idempotency_records WHERE key = ?1",
    )
    .bind(key)
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(record).transpose()
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
              created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
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
    .execute(conn)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::IdempotencyConflict {
            key: record.key.clone(),
        });
    }
    Ok(())
}

/// Deletes the records created before `cutoff`; returns how many went.
pub async fn prune(conn: &mut SqliteConnection, cutoff_millis: i64) -> Result<u64, StoreError> {
    let done = sqlx::query("DELETE FROM idempotency_records WHERE created_at < ?1")
        .bind(cutoff_millis)
        .execute(conn)
        .await?;
    Ok(done.rows_affected())
}

fn record(row: &SqliteRow) -> Result<IdempotencyRecord, StoreError> {
    let status: Option<i64> = row.try_get(5)?;
    let response_status = status
        .map(|status| {
            u16::try_from(status).map_err(|_| StoreError::Corrupt {
                table: "idempotency_records",
                column: "response_status",
                detail: format!("{status} is not an HTTP status"),
            })
        })
        .transpose()?;
    Ok(IdempotencyRecord {
        key: row.try_get(0)?,
        pipeline: row.try_get(1)?,
        source_id: row.try_get(2)?,
        target: row.try_get(3)?,
        request_hash: row.try_get(4)?,
        response_status,
        response_body: row.try_get(6)?,
        created_at: timestamp(row.try_get(7)?, "idempotency_records", "created_at")?,
    })
}
