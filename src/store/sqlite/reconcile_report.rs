//! Reconcile reports: one row per `ferry reconcile` or scheduled reconcile.

use sqlx::sqlite::SqliteConnection;

use super::{millis, timestamp};
use crate::store::rows;
use crate::store::{ReconcileRecord, StoreError};

const TABLE: &str = "reconcile_reports";

pub async fn put(conn: &mut SqliteConnection, record: &ReconcileRecord) -> Result<i64, StoreError> {
    let pipelines =
        serde_json::to_string(&record.pipelines).map_err(|error| StoreError::Corrupt {
            table: TABLE,
            column: "pipelines",
            detail: error.to_string(),
        })?;
    let id = sqlx::query_scalar(
        "INSERT INTO reconcile_reports
           (started_at, finished_at, origin, pipelines, mismatches, errors, report)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING id",
    )
    .bind(millis(record.started_at))
    .bind(millis(record.finished_at))
    .bind(&record.origin)
    .bind(pipelines)
    .bind(rows::signed(record.mismatches))
    .bind(rows::signed(record.errors))
    .bind(&record.report)
    .fetch_one(conn)
    .await?;
    Ok(id)
}

/// The newest `limit` reports, newest first, without their JSON.
pub async fn recent(
    conn: &mut SqliteConnection,
    limit: u32,
) -> Result<Vec<ReconcileRecord>, StoreError> {
    let rows = sqlx::query(
        "SELECT id, started_at, finished_at, origin, pipelines, mismatches, errors, ''
         FROM reconcile_reports ORDER BY id DESC LIMIT ?1",
    )
    .bind(i64::from(limit))
    .fetch_all(conn)
    .await?;
    rows.iter().map(rows::reconcile_record).collect()
}

pub async fn by_id(
    conn: &mut SqliteConnection,
    id: i64,
) -> Result<Option<ReconcileRecord>, StoreError> {
    let row = sqlx::query(
        "SELECT id, started_at, finished_at, origin, pipelines, mismatches, errors, report
         FROM reconcile_reports WHERE id = ?1",
    )
    .bind(id)
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(rows::reconcile_record).transpose()
}

/// When the newest report of `origin` started: a schedule's last run.
pub async fn last_started(
    conn: &mut SqliteConnection,
    origin: &str,
) -> Result<Option<jiff::Timestamp>, StoreError> {
    let at: Option<i64> =
        sqlx::query_scalar("SELECT MAX(started_at) FROM reconcile_reports WHERE origin = ?1")
            .bind(origin)
            .fetch_one(conn)
            .await?;
    at.map(|at| timestamp(at, TABLE, "started_at")).transpose()
}
