//! Cursors: how far each pipeline has read each source.

use jiff::Timestamp;
use sqlx::postgres::PgConnection;

use super::millis;
use crate::store::StoreError;

pub async fn get(
    conn: &mut PgConnection,
    pipeline: &str,
    source: &str,
) -> Result<Option<String>, StoreError> {
    let value = sqlx::query_scalar("SELECT value FROM cursors WHERE pipeline = $1 AND source = $2")
        .bind(pipeline)
        .bind(source)
        .fetch_optional(conn)
        .await?;
    Ok(value)
}

pub async fn set(
    conn: &mut PgConnection,
    pipeline: &str,
    source: &str,
    value: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO cursors (pipeline, source, value, updated_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (pipeline, source) DO UPDATE
         SET value = excluded.value, updated_at = excluded.updated_at",
    )
    .bind(pipeline)
    .bind(source)
    .bind(value)
    .bind(millis(Timestamp::now()))
    .execute(conn)
    .await?;
    Ok(())
}
