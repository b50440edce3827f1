//! Records read per pipeline and hour, and the dashboard's activity per hour.

use std::collections::HashMap;

use jiff::Timestamp;
use sqlx::postgres::PgConnection;

use super::finished::{column, last_per_key};
use super::{millis, timestamp};
use crate::store::{HourActivity, RecordsRead, StoreError};

const HOUR_MILLIS: i64 = 3_600_000;

fn hour_of(at: Timestamp) -> i64 {
    millis(at).div_euclid(HOUR_MILLIS) * HOUR_MILLIS
}

/// Adds each count to its pipeline's hour. Counts of one pipeline and hour are summed first:
/// PostgreSQL refuses an upsert that touches one row twice.
pub async fn add_read(conn: &mut PgConnection, read: &[RecordsRead]) -> Result<(), StoreError> {
    if read.is_empty() {
        return Ok(());
    }
    let mut sums: HashMap<(&str, i64), i64> = HashMap::new();
    for count in read {
        let records = i64::try_from(count.records).unwrap_or(i64::MAX);
        let sum = sums
            .entry((count.pipeline.as_str(), hour_of(count.at)))
            .or_default();
        *sum = sum.saturating_add(records);
    }
    let rows: Vec<((&str, i64), i64)> = sums.into_iter().collect();
    let rows = last_per_key(&rows, |(key, _)| *key);
    sqlx::query(
        "INSERT INTO records_read (pipeline, hour, read)
         SELECT * FROM UNNEST($1::text[], $2::bigint[], $3::bigint[])
         ON CONFLICT (pipeline, hour) DO UPDATE SET read = records_read.read + excluded.read",
    )
    .bind(column(&rows, |((pipeline, _), _)| pipeline.to_string()))
    .bind(column(&rows, |((_, hour), _)| *hour))
    .bind(column(&rows, |(_, read)| *read))
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn per_hour(
    conn: &mut PgConnection,
    since: Timestamp,
) -> Result<Vec<HourActivity>, StoreError> {
    let rows: Vec<(i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT hour, SUM(read)::BIGINT, SUM(audited)::BIGINT, SUM(failed)::BIGINT FROM (
             SELECT hour / $2 AS hour, read, 0 AS audited, 0 AS failed
             FROM records_read WHERE hour >= $3
             UNION ALL
             SELECT at / $2, 0, 1, 0 FROM audit_log WHERE at >= $1
             UNION ALL
             SELECT at / $2, 0, 0, 1 FROM dead_letter_history WHERE what = 'failed' AND at >= $1
         ) AS activity GROUP BY hour ORDER BY hour",
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

pub async fn read_per_pipeline(
    conn: &mut PgConnection,
    since: Timestamp,
) -> Result<HashMap<String, u64>, StoreError> {
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT pipeline, SUM(read)::BIGINT FROM records_read WHERE hour >= $1 GROUP BY pipeline",
    )
    .bind(hour_of(since))
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(pipeline, read)| (pipeline, u64::try_from(read).unwrap_or_default()))
        .collect())
}
