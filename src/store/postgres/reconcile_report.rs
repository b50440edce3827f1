//! Reconcile reports: one row per `ferry reconcile` or scheduled reconcile.

use sqlx::Row;
use sqlx::postgres::{PgConnection, PgRow};

use super::{millis, timestamp};
use crate::store::{ReconcileRecord, StoreError};

const TABLE: &str = "reconcile_reports";

pub async fn put(conn: &mut PgConnection, record: &ReconcileRecord) -> Result<i64, StoreError> {
    let pipelines =
        serde_json::to_string(&record.pipelines).map_err(|error| StoreError::Corrupt {
            table: TABLE,
            column: "pipelines",
            detail: error.to_string(),
        })?;
    let id = sqlx::query_scalar(
        "INSERT INTO reconcile_reports
           (started_at, finished_at, origin, pipelines, mismatches, errors, report)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(millis(record.started_at))
    .bind(millis(record.finished_at))
    .bind(&record.origin)
    .bind(pipelines)
    .bind(count(record.mismatches))
    .bind(count(record.errors))
    .bind(&record.report)
    .fetch_one(conn)
    .await?;
    Ok(id)
}

/// The newest `limit` reports, newest first, without their JSON.
pub async fn recent(
    conn: &mut PgConnection,
    limit: u32,
) -> Result<Vec<ReconcileRecord>, StoreError> {
    let rows = sqlx::query(
        "SELECT id, started_at, finished_at, origin, pipelines, mismatches, errors, ''
         FROM reconcile_reports ORDER BY id DESC LIMIT $1",
    )
    .bind(i64::from(limit))
    .fetch_all(conn)
    .await?;
    rows.iter().map(record).collect()
}

pub async fn by_id(
    conn: &mut PgConnection,
    id: i64,
) -> Result<Option<ReconcileRecord>, StoreError> {
    let row = sqlx::query(
        "SELECT id, started_at, finished_at, origin, pipelines, mismatches, errors, report
         FROM reconcile_reports WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(record).transpose()
}

/// When the newest report of `origin` started: a schedule's last run.
pub async fn last_started(
    conn: &mut PgConnection,
    origin: &str,
) -> Result<Option<jiff::Timestamp>, StoreError> {
    let at: Option<i64> =
        sqlx::query_scalar("SELECT MAX(started_at) FROM reconcile_reports WHERE origin = $1")
            .bind(origin)
            .fetch_one(conn)
            .await?;
    at.map(|at| timestamp(at, TABLE, "started_at")).transpose()
}

fn count(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

fn record(row: &PgRow) -> Result<ReconcileRecord, StoreError> {
    let pipelines: String = row.try_get(4)?;
    let unsigned = |column: &'static str, value: i64| {
        u64::try_from(value).map_err(|error| StoreError::Corrupt {
            table: TABLE,
            column,
            detail: error.to_string(),
        })
    };
    Ok(ReconcileRecord {
        id: row.try_get(0)?,
        started_at: timestamp(row.try_get(1)?, TABLE, "started_at")?,
        finished_at: timestamp(row.try_get(2)?, TABLE, "finished_at")?,
        origin: row.try_get(3)?,
        pipelines: serde_json::from_str(&pipelines).map_err(|error| StoreError::Corrupt {
            table: TABLE,
            column: "pipelines",
            detail: error.to_string(),
        })?,
        mismatches: unsigned("mismatches", row.try_get(5)?)?,
        errors: unsigned("errors", row.try_get(6)?)?,
        report: row.try_get(7)?,
    })
}
