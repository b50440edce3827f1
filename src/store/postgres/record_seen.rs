//! The last version read of a source record, for mapping its deletion (see the migration
//! `0013_records_seen.sql`).

use jiff::Timestamp;
use sqlx::Row;
use sqlx::postgres::PgConnection;

use super::millis;
use crate::store::StoreError;

pub async fn get(
    conn: &mut PgConnection,
    source: &str,
    source_id: &str,
) -> Result<Option<String>, StoreError> {
    let row =
        sqlx::query("SELECT record_json FROM records_seen WHERE source = $1 AND source_id = $2")
            .bind(source)
            .bind(source_id)
            .fetch_optional(conn)
            .await?;
    row.map(|row| Ok(row.try_get(0)?)).transpose()
}

pub async fn put(
    conn: &mut PgConnection,
    source: &str,
    source_id: &str,
    record_json: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO records_seen (source, source_id, record_json, seen_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (source, source_id) DO UPDATE
         SET record_json = excluded.record_json, seen_at = excluded.seen_at",
    )
    .bind(source)
    .bind(source_id)
    .bind(record_json)
    .bind(millis(Timestamp::now()))
    .execute(conn)
    .await?;
    Ok(())
}
