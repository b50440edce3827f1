//! The audit log: append-only, one row per write.

use sqlx::Row;
use sqlx::sqlite::{SqliteConnection, SqliteRow};

use super::{millis, timestamp};
use crate::store::{AuditEntry, AuditFilter, Operation, StoreError};

/// The `fields_changed` column: the field names as a JSON array.
pub(super) fn fields_json(entry: &AuditEntry) -> Result<String, StoreError> {
    serde_json::to_string(&entry.fields_changed).map_err(|error| StoreError::Corrupt {
        table: "audit_log",
        column: "fields_changed",
        detail: error.to_string(),
    })
}

pub async fn append(conn: &mut SqliteConnection, entry: &AuditEntry) -> Result<(), StoreError> {
    let fields = fields_json(entry)?;
    sqlx::query(
        "INSERT INTO audit_log
             (pipeline, pipeline_version, source_id, target, target_id, operation,
              fields_changed, at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )
    .bind(&entry.pipeline)
    .bind(&entry.pipeline_version)
    .bind(&entry.source_id)
    .bind(&entry.target)
    .bind(&entry.target_id)
    .bind(entry.operation.as_str())
    .bind(fields)
    .bind(millis(entry.at))
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn list(
    conn: &mut SqliteConnection,
    filter: &AuditFilter,
) -> Result<Vec<AuditEntry>, StoreError> {
    let order = if filter.newest_first { "DESC" } else { "ASC" };
    // Each condition is written out only when it filters, so that SQLite can use the index of
    // the column searched (`?2 IS NULL OR source_id = ?2` would hide it).
    let searched = [
        (filter.pipeline.is_some(), "pipeline = ?1", "?1 IS NULL"),
        (filter.source_id.is_some(), "source_id = ?2", "?2 IS NULL"),
        (filter.target_id.is_some(), "target_id = ?3", "?3 IS NULL"),
        (filter.since.is_some(), "at >= ?4", "?4 IS NULL"),
        (filter.until.is_some(), "at < ?5", "?5 IS NULL"),
    ];
    let conditions: Vec<&str> = searched
        .iter()
        .map(|&(given, condition, unused)| if given { condition } else { unused })
        .collect();
    let sql = format!(
        "SELECT pipeline, pipeline_version, source_id, target, target_id, operation,
                fields_changed, at
         FROM audit_log
         WHERE {}
         ORDER BY id {order} LIMIT ?6 OFFSET ?7",
        conditions.join(" AND ")
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(&filter.pipeline)
        .bind(&filter.source_id)
        .bind(&filter.target_id)
        .bind(filter.since.map(millis))
        .bind(filter.until.map(millis))
        .bind(filter.limit.map_or(-1, i64::from))
        .bind(i64::from(filter.offset))
        .fetch_all(conn)
        .await?;
    rows.iter().map(entry).collect()
}

fn entry(row: &SqliteRow) -> Result<AuditEntry, StoreError> {
    let operation: String = row.try_get(5)?;
    let fields: String = row.try_get(6)?;
    Ok(AuditEntry {
        pipeline: row.try_get(0)?,
        pipeline_version: row.try_get(1)?,
        source_id: row.try_get(2)?,
        target: row.try_get(3)?,
        target_id: row.try_get(4)?,
        operation: Operation::parse(&operation).ok_or_else(|| StoreError::Corrupt {
            table: "audit_log",
            column: "operation",
            detail: format!("unknown operation `{operation}`"),
        })?,
        fields_changed: serde_json::from_str(&fields).map_err(|error| StoreError::Corrupt {
            table: "audit_log",
            column: "fields_changed",
            detail: error.to_string(),
        })?,
        at: timestamp(row.try_get(7)?, "audit_log", "at")?,
    })
}
