//! What the pipelines did per hour, for the dashboard's chart: records read (counted in their
//! own table as batches and workers' claims commit), audit entries written, and failures (from
//! the dead letters' history).

use std::collections::HashMap;

use jiff::Timestamp;
use sqlx::sqlite::SqliteConnection;

use super::finished::{ROWS, statement};
use super::{millis, timestamp};
use crate::store::{HourActivity, RecordsRead, StoreError};

const HOUR_MILLIS: i64 = 3_600_000;

/// The start of the hour of `at`, in unix milliseconds.
fn hour_of(at: Timestamp) -> i64 {
    millis(at).div_euclid(HOUR_MILLIS) * HOUR_MILLIS
}

/// Adds `read` to the hourly counts, in one statement per [`ROWS`] counts.
pub async fn add_read(conn: &mut SqliteConnection, read: &[RecordsRead]) -> Result<(), StoreError> {
    for counts in read.chunks(ROWS) {
        let mut query = statement(
            "INSERT INTO records_read (pipeline, hour, read) VALUES",
            counts.len(),
            3,
            "ON CONFLICT (pipeline, hour) DO UPDATE SET read = read + excluded.read",
        );
        for count in counts {
            query = query
                .bind(&count.pipeline)
                .bind(hour_of(count.at))
                .bind(i64::try_from(count.records).unwrap_or(i64::MAX));
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Records read, audit entries and failures per hour since `since` (reads since its hour).
pub async fn per_hour(
    conn: &mut SqliteConnection,
    since: Timestamp,
) -> Result<Vec<HourActivity>, StoreError> {
    let rows: Vec<(i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT hour, SUM(read), SUM(audited), SUM(failed) FROM (
             SELECT hour / ?2 AS hour, read, 0 AS audited, 0 AS failed
             FROM records_read WHERE hour >= ?3
             UNION ALL
             SELECT at / ?2, 0, 1, 0 FROM audit_log WHERE at >= ?1
             UNION ALL
             SELECT at / ?2, 0, 0, 1 FROM dead_letter_history WHERE what = 'failed' AND at >= ?1
         ) GROUP BY hour ORDER BY hour",
    )
    .bind(millis(since))
    .bind(HOUR_MILLIS)
    .bind(hour_of(since))
    .fetch_all(conn)
    .await?;
    let count = |n: i64| u64::try_from(n).unwrap_or_default();
    rows.into_iter()
        .map(|(hour, read, audited, failed)| {
            Ok(HourActivity {
                hour: timestamp(hour * HOUR_MILLIS, "audit_log", "at")?,
                read: count(read),
                audited: count(audited),
                dead_lettered: count(failed),
            })
        })
        .collect()
}

/// The records each pipeline read since the hour of `since`.
pub async fn read_per_pipeline(
    conn: &mut SqliteConnection,
    since: Timestamp,
) -> Result<HashMap<String, u64>, StoreError> {
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT pipeline, SUM(read) FROM records_read WHERE hour >= ?1 GROUP BY pipeline",
    )
    .bind(hour_of(since))
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(pipeline, read)| (pipeline, u64::try_from(read).unwrap_or_default()))
        .collect())
}
