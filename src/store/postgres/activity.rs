//! Records read per pipeline and hour, and the dashboard's activity per hour.

use sqlx::postgres::PgConnection;
use std::collections::HashMap;

use super::finished::{column, last_per_key};
use crate::store::portable::activity::hour_of;
use crate::store::{RecordsRead, StoreError};

pub use crate::store::portable::activity::{per_hour, read_per_pipeline};

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
