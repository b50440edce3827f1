//! Idempotency records: the key, the request it was used for, and the response once known.

use jiff::Timestamp;
use sqlx::postgres::PgConnection;

use super::finished::{column, last_per_key};
use super::millis;
use crate::store::rows;
use crate::store::{IdempotencyRecord, Operation, SettledWrites, StoreError};

const COLUMNS: &str = "key, pipeline, source_id, target, request_hash, response_status, \
                       response_body, created_at, operation, fields_changed";

pub async fn get(
    conn: &mut PgConnection,
    key: &str,
) -> Result<Option<IdempotencyRecord>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM idempotency_records WHERE key = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(key)
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(rows::idempotency_record).transpose()
}

/// Records a key, or fills in its response. The first `created_at` is kept, since a key's
/// lifetime at the API starts at its first use; a different request hash is refused.
pub async fn put(conn: &mut PgConnection, record: &IdempotencyRecord) -> Result<(), StoreError> {
    let done = sqlx::query(
        "INSERT INTO idempotency_records
             (key, pipeline, source_id, target, request_hash, response_status, response_body,
              created_at, operation, fields_changed)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
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
    conn: &mut PgConnection,
    pipeline: &str,
    before: Option<Timestamp>,
) -> Result<Vec<IdempotencyRecord>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM idempotency_records
         WHERE pipeline = $1 AND response_status IS NULL AND created_at < $2
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
    conn: &mut PgConnection,
    records: &[IdempotencyRecord],
) -> Result<(), StoreError> {
    if records.is_empty() {
        return Ok(());
    }
    // A key given twice is recorded once (PostgreSQL refuses to upsert one row twice); both
    // copies must be the same request, or the second is the conflict SQLite would report.
    let kept = last_per_key(records, |record| record.key.as_str());
    for record in records {
        let last = kept.iter().find(|kept| kept.key == record.key);
        if let Some(last) = last.filter(|last| last.request_hash != record.request_hash) {
            return Err(StoreError::IdempotencyConflict {
                key: last.key.clone(),
            });
        }
    }
    let written: Vec<String> = sqlx::query_scalar(
        "INSERT INTO idempotency_records
             (key, pipeline, source_id, target, request_hash, created_at, operation,
              fields_changed)
         SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],
                              $6::bigint[], $7::text[], $8::text[])
         ON CONFLICT (key) DO UPDATE SET response_status = NULL, response_body = NULL
         WHERE idempotency_records.request_hash = excluded.request_hash
         RETURNING key",
    )
    .bind(column(&kept, |r| r.key.clone()))
    .bind(column(&kept, |r| r.pipeline.clone()))
    .bind(column(&kept, |r| r.source_id.clone()))
    .bind(column(&kept, |r| r.target.clone()))
    .bind(column(&kept, |r| r.request_hash.clone()))
    .bind(column(&kept, |r| millis(r.created_at)))
    .bind(column(&kept, |r| {
        r.operation.map(|o| o.as_str().to_string())
    }))
    .bind(column(&kept, |r| {
        rows::idempotency_fields_json(&r.fields_changed)
    }))
    .fetch_all(&mut *conn)
    .await?;
    if let Some(conflict) = kept.iter().find(|r| !written.contains(&r.key)) {
        return Err(StoreError::IdempotencyConflict {
            key: conflict.key.clone(),
        });
    }
    Ok(())
}

/// Settles every in-flight record of these linked records: their writes are durable.
pub async fn settle(conn: &mut PgConnection, settled: &[SettledWrites]) -> Result<(), StoreError> {
    if settled.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "UPDATE idempotency_records SET response_status = 200, response_body = v.target_id
         FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[])
              AS v(pipeline, target, source_id, target_id)
         WHERE idempotency_records.response_status IS NULL
           AND idempotency_records.pipeline = v.pipeline
           AND idempotency_records.target = v.target
           AND idempotency_records.source_id = v.source_id",
    )
    .bind(column(settled, |w| w.pipeline.clone()))
    .bind(column(settled, |w| w.target.clone()))
    .bind(column(settled, |w| w.source_id.clone()))
    .bind(column(settled, |w| w.target_id.clone()))
    .execute(conn)
    .await?;
    Ok(())
}

/// Deletes the settled records created before `cutoff`; returns how many went. Unsettled ones
/// stay until a delivery of their record audits them.
pub async fn prune(conn: &mut PgConnection, cutoff_millis: i64) -> Result<u64, StoreError> {
    let done = sqlx::query(
        "DELETE FROM idempotency_records WHERE created_at < $1 AND response_status IS NOT NULL",
    )
    .bind(cutoff_millis)
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}
