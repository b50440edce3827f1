//! The audit log: append-only, one row per write.

use sqlx::AssertSqlSafe;

use super::Param::{Integer, OptionalInteger, OptionalText, Text};
use super::Sql;
use crate::store::rows::{self, millis};
use crate::store::{AuditEntry, AuditFilter, StoreError};

pub async fn append(conn: &mut impl Sql, entry: &AuditEntry) -> Result<(), StoreError> {
    let fields = rows::audit_fields_json(entry)?;
    conn.execute(
        "INSERT INTO audit_log
             (pipeline, pipeline_version, source_id, target, target_id, operation,
              fields_changed, at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        &[
            Text(&entry.pipeline),
            Text(&entry.pipeline_version),
            Text(&entry.source_id),
            Text(&entry.target),
            OptionalText(entry.target_id.as_deref()),
            Text(entry.operation.as_str()),
            Text(&fields),
            Integer(millis(entry.at)),
        ],
    )
    .await?;
    Ok(())
}

pub async fn list(
    conn: &mut impl Sql,
    filter: &AuditFilter,
) -> Result<Vec<AuditEntry>, StoreError> {
    let order = if filter.newest_first { "DESC" } else { "ASC" };
    // Each condition is written out only when it filters, so that the planner can use the
    // index of the column searched (`$2 IS NULL OR source_id = $2` would hide it).
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
    let rows = conn
        .fetch_all(
            AssertSqlSafe(sql),
            &[
                OptionalText(filter.pipeline.as_deref()),
                OptionalText(filter.source_id.as_deref()),
                OptionalText(filter.target_id.as_deref()),
                OptionalInteger(filter.since.map(millis)),
                OptionalInteger(filter.until.map(millis)),
                // No limit: the most rows there can be (SQLite reads a negative limit as none,
                // PostgreSQL refuses it).
                Integer(filter.limit.map_or(i64::MAX, i64::from)),
                Integer(i64::from(filter.offset)),
            ],
        )
        .await?;
    rows.iter()
        .map(|row| rows::audit_entry(row.as_ref()))
        .collect()
}
