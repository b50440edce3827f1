//! The dashboard's activity: records read, audit entries and failures per hour.

use std::collections::HashMap;

use jiff::Timestamp;

use super::Param::Integer;
use super::Sql;
use crate::store::rows::{millis, timestamp};
use crate::store::{HourActivity, StoreError};

pub(crate) const HOUR_MILLIS: i64 = 3_600_000;

/// The start of the hour of `at`, unix milliseconds.
pub(crate) fn hour_of(at: Timestamp) -> i64 {
    millis(at).div_euclid(HOUR_MILLIS) * HOUR_MILLIS
}

/// Per hour since `since`, oldest first; hours with nothing left out. (`CAST ... AS BIGINT`:
/// PostgreSQL's SUM of BIGINT is NUMERIC, SQLite's an integer already.)
pub async fn per_hour(
    conn: &mut impl Sql,
    since: Timestamp,
) -> Result<Vec<HourActivity>, StoreError> {
    let rows = conn
        .fetch_all(
            "SELECT hour, CAST(SUM(read) AS BIGINT), CAST(SUM(audited) AS BIGINT),
                    CAST(SUM(failed) AS BIGINT)
             FROM (
                 SELECT hour / $2 AS hour, read, 0 AS audited, 0 AS failed
                 FROM records_read WHERE hour >= $3
                 UNION ALL
                 SELECT at / $2, 0, 1, 0 FROM audit_log WHERE at >= $1
                 UNION ALL
                 SELECT at / $2, 0, 0, 1 FROM dead_letter_history
                 WHERE what = 'failed' AND at >= $1
             ) AS activity GROUP BY hour ORDER BY hour",
            &[
                Integer(millis(since)),
                Integer(HOUR_MILLIS),
                Integer(hour_of(since)),
            ],
        )
        .await?;
    let count = |n: i64| u64::try_from(n).unwrap_or_default();
    rows.iter()
        .map(|row| {
            Ok(HourActivity {
                hour: timestamp(row.integer(0)? * HOUR_MILLIS, "audit_log", "at")?,
                read: count(row.integer(1)?),
                audited: count(row.integer(2)?),
                dead_lettered: count(row.integer(3)?),
            })
        })
        .collect()
}

/// The records each pipeline read since the hour of `since`.
pub async fn read_per_pipeline(
    conn: &mut impl Sql,
    since: Timestamp,
) -> Result<HashMap<String, u64>, StoreError> {
    let rows = conn
        .fetch_all(
            "SELECT pipeline, CAST(SUM(read) AS BIGINT) FROM records_read WHERE hour >= $1
             GROUP BY pipeline",
            &[Integer(hour_of(since))],
        )
        .await?;
    rows.iter()
        .map(|row| {
            Ok((
                row.text(0)?,
                u64::try_from(row.integer(1)?).unwrap_or_default(),
            ))
        })
        .collect()
}
