//! Idempotency records: the key, the request it was used for, and the response once known.

use sqlx::postgres::PgConnection;

use super::finished::{column, last_per_key};
use super::millis;
use crate::store::rows;
use crate::store::{IdempotencyRecord, SettledWrites, StoreError};

pub use crate::store::portable::idempotency::*;

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
