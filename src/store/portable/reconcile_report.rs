//! Reconcile reports: one row per `ferry reconcile` or scheduled reconcile.

use super::Param::{Integer, Text};
use super::Sql;
use crate::store::rows::{self, millis, timestamp};
use crate::store::{ReconcileRecord, StoreError};

const TABLE: &str = "reconcile_reports";

pub async fn put(conn: &mut impl Sql, record: &ReconcileRecord) -> Result<i64, StoreError> {
    let pipelines =
        serde_json::to_string(&record.pipelines).map_err(|error| StoreError::Corrupt {
            table: TABLE,
            column: "pipelines",
            detail: error.to_string(),
        })?;
    let row = conn
        .fetch_one(
            "INSERT INTO reconcile_reports
               (started_at, finished_at, origin, pipelines, mismatches, errors, report)
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            &[
                Integer(millis(record.started_at)),
                Integer(millis(record.finished_at)),
                Text(&record.origin),
                Text(&pipelines),
                Integer(rows::signed(record.mismatches)),
                Integer(rows::signed(record.errors)),
                Text(&record.report),
            ],
        )
        .await?;
    Ok(row.integer(0)?)
}

/// The newest `limit` reports, newest first, without their JSON.
pub async fn recent(conn: &mut impl Sql, limit: u32) -> Result<Vec<ReconcileRecord>, StoreError> {
    let rows = conn
        .fetch_all(
            "SELECT id, started_at, finished_at, origin, pipelines, mismatches, errors, ''
             FROM reconcile_reports ORDER BY id DESC LIMIT $1",
            &[Integer(i64::from(limit))],
        )
        .await?;
    rows.iter()
        .map(|row| rows::reconcile_record(row.as_ref()))
        .collect()
}

pub async fn by_id(conn: &mut impl Sql, id: i64) -> Result<Option<ReconcileRecord>, StoreError> {
    let row = conn
        .fetch_optional(
            "SELECT id, started_at, finished_at, origin, pipelines, mismatches, errors, report
             FROM reconcile_reports WHERE id = $1",
            &[Integer(id)],
        )
        .await?;
    row.map(|row| rows::reconcile_record(row.as_ref()))
        .transpose()
}

/// When the newest report of `origin` started: a schedule's last run.
pub async fn last_started(
    conn: &mut impl Sql,
    origin: &str,
) -> Result<Option<jiff::Timestamp>, StoreError> {
    let row = conn
        .fetch_one(
            "SELECT MAX(started_at) FROM reconcile_reports WHERE origin = $1",
            &[Text(origin)],
        )
        .await?;
    row.optional_integer(0)?
        .map(|at| timestamp(at, TABLE, "started_at"))
        .transpose()
}
