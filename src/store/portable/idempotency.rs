//! Idempotency records: the key, the request it was used for, and the response once known.

use jiff::Timestamp;
use sqlx::AssertSqlSafe;

use super::Param::{Integer, OptionalInteger, OptionalText, Text};
use super::Sql;
use crate::store::rows::{self, millis};
use crate::store::{IdempotencyRecord, Operation, StoreError};

const COLUMNS: &str = "key, pipeline, source_id, target, request_hash, response_status, \
                       response_body, created_at, operation, fields_changed";

pub async fn get(conn: &mut impl Sql, key: &str) -> Result<Option<IdempotencyRecord>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM idempotency_records WHERE key = $1");
    let row = conn
        .fetch_optional(AssertSqlSafe(sql), &[Text(key)])
        .await?;
    row.map(|row| rows::idempotency_record(row.as_ref()))
        .transpose()
}

/// Records a key, or fills in its response. The first `created_at` is kept, since a key's
/// lifetime at the API starts at its first use; a different request hash is refused.
pub async fn put(conn: &mut impl Sql, record: &IdempotencyRecord) -> Result<(), StoreError> {
    let fields = rows::idempotency_fields_json(&record.fields_changed);
    let changed = conn
        .execute(
            "INSERT INTO idempotency_records
                 (key, pipeline, source_id, target, request_hash, response_status, response_body,
                  created_at, operation, fields_changed)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
             ON CONFLICT (key) DO UPDATE
             SET response_status = excluded.response_status,
                 response_body = excluded.response_body
             WHERE idempotency_records.request_hash = excluded.request_hash",
            &[
                Text(&record.key),
                Text(&record.pipeline),
                Text(&record.source_id),
                Text(&record.target),
                Text(&record.request_hash),
                OptionalInteger(record.response_status.map(i64::from)),
                OptionalText(record.response_body.as_deref()),
                Integer(millis(record.created_at)),
                OptionalText(record.operation.map(Operation::as_str)),
                Text(&fields),
            ],
        )
        .await?;
    if changed == 0 {
        return Err(StoreError::IdempotencyConflict {
            key: record.key.clone(),
        });
    }
    Ok(())
}

/// Records of `pipeline`'s writes still waiting for an outcome, oldest first.
/// With `before`, only those recorded before it (to the millisecond, which is what is kept).
pub async fn in_flight(
    conn: &mut impl Sql,
    pipeline: &str,
    before: Option<Timestamp>,
) -> Result<Vec<IdempotencyRecord>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM idempotency_records
         WHERE pipeline = $1 AND response_status IS NULL AND created_at < $2
         ORDER BY created_at"
    );
    let before = before.map_or(i64::MAX, |before| millis(before).saturating_add(1));
    let rows = conn
        .fetch_all(AssertSqlSafe(sql), &[Text(pipeline), Integer(before)])
        .await?;
    rows.iter()
        .map(|row| rows::idempotency_record(row.as_ref()))
        .collect()
}

/// Deletes the settled records created before `cutoff`; returns how many went. Unsettled ones
/// stay until a delivery of their record audits them.
pub async fn prune(conn: &mut impl Sql, cutoff_millis: i64) -> Result<u64, StoreError> {
    conn.execute(
        "DELETE FROM idempotency_records WHERE created_at < $1 AND response_status IS NOT NULL",
        &[Integer(cutoff_millis)],
    )
    .await
}
