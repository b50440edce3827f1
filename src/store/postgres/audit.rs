//! The audit log: append-only, one row per write.

use sqlx::postgres::PgConnection;

use super::finished::column;
use super::millis;
use crate::store::rows;
use crate::store::{AuditEntry, AuditFilter, StoreError};

pub async fn append(conn: &mut PgConnection, entry: &AuditEntry) -> Result<(), StoreError> {
    let fields = rows::audit_fields_json(entry)?;
    sqlx::query(
        "INSERT INTO audit_log
             (pipeline, pipeline_version, source_id, target, target_id, operation,
              fields_changed, at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
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

pub async fn list(
    conn: &mut PgConnection,
    filter: &AuditFilter,
) -> Result<Vec<AuditEntry>, StoreError> {
    let order = if filter.newest_first { "DESC" } else { "ASC" };
    // Each condition is written out only when it filters, so that the planner can use the index of
    // the column searched (`$2 IS NULL OR source_id = $2` would hide it).
    let searched = [
        (filter.pipeline.is_some(), "pipeline = $1", "$1 IS NULL"),
        (filter.source_id.is_some(), "source_id = $2", "$2 IS NULL"),
        (filter.target_id.is_some(), "target_id = $3", "$3 IS NULL"),
        (filter.since.is_some(), "at >= $4", "$4 IS NULL"),
        (filter.until.is_some(), "at < $5", "$5 IS NULL"),
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
         ORDER BY id {order} LIMIT $6 OFFSET $7",
        conditions.join(" AND ")
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(&filter.pipeline)
        .bind(&filter.source_id)
        .bind(&filter.target_id)
        .bind(filter.since.map(millis))
        .bind(filter.until.map(millis))
        .bind(filter.limit.map(i64::from))
        .bind(i64::from(filter.offset))
        .fetch_all(conn)
        .await?;
    rows.iter().map(rows::audit_entry).collect()
}
