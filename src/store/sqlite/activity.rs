//! What the pipelines did per hour, for the dashboard's chart: records read (counted in their
//! own table as batches and workers' claims commit), audit entries written, and failures (from
//! the dead letters' history).

use sqlx::sqlite::SqliteConnection;

use super::finished::{ROWS, statement};
use crate::store::portable::activity::hour_of;
use crate::store::{RecordsRead, StoreError};

pub use crate::store::portable::activity::{per_hour, read_per_pipeline};

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
