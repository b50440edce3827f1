//! The audit log: append-only, one row per write.

use sqlx::postgres::PgConnection;

use super::finished::column;
use super::millis;
use crate::store::rows;
use crate::store::{AuditEntry, StoreError};

pub use crate::store::portable::audit::*;

/// Appends many entries in one statement.
pub async fn append_many(
    conn: &mut PgConnection,
    entries: &[AuditEntry],
) -> Result<(), StoreError> {
    if entries.is_empty() {
        return Ok(());
    }
    let fields = entries
        .iter()
        .map(rows::audit_fields_json)
        .collect::<Result<Vec<_>, _>>()?;
    sqlx::query(
        "INSERT INTO audit_log
             (pipeline, pipeline_version, source_id, target, target_id, operation,
              fields_changed, at)
         SELECT * FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::text[],
                              $6::text[], $7::text[], $8::bigint[])",
    )
    .bind(column(entries, |e| e.pipeline.clone()))
    .bind(column(entries, |e| e.pipeline_version.clone()))
    .bind(column(entries, |e| e.source_id.clone()))
    .bind(column(entries, |e| e.target.clone()))
    .bind(column(entries, |e| e.target_id.clone()))
    .bind(column(entries, |e| e.operation.as_str().to_string()))
    .bind(fields)
    .bind(column(entries, |e| millis(e.at)))
    .execute(conn)
    .await?;
    Ok(())
}
