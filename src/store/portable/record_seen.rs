//! The last version read of a source record, for mapping its deletion (see the migration
//! `0013_records_seen.sql`).

use jiff::Timestamp;

use super::Param::{Integer, Text};
use super::Sql;
use crate::store::StoreError;
use crate::store::rows::millis;

pub async fn get(
    conn: &mut impl Sql,
    source: &str,
    source_id: &str,
) -> Result<Option<String>, StoreError> {
    let row = conn
        .fetch_optional(
            "SELECT record_json FROM records_seen WHERE source = $1 AND source_id = $2",
            &[Text(source), Text(source_id)],
        )
        .await?;
    Ok(row.map(|row| row.text(0)).transpose()?)
}

pub async fn put(
    conn: &mut impl Sql,
    source: &str,
    source_id: &str,
    record_json: &str,
) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO records_seen (source, source_id, record_json, seen_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (source, source_id) DO UPDATE
         SET record_json = excluded.record_json, seen_at = excluded.seen_at",
        &[
            Text(source),
            Text(source_id),
            Text(record_json),
            Integer(millis(Timestamp::now())),
        ],
    )
    .await?;
    Ok(())
}
