//! The audit log: append-only, one row per write.

use sqlx::sqlite::SqliteConnection;

use super::millis;
use crate::store::rows;
use crate::store::{AuditEntry, AuditFilter, StoreError};

pub async fn append(conn: &mut SqliteConnection, entry: &AuditEntry) -> Result<(), StoreError> {
    let fields = rows::audit_fields_json(entry)?;
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
    rows.iter().map(rows::audit_entry).collect()
}
