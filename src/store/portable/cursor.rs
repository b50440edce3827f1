//! Cursors: how far each pipeline has read each source.

use jiff::Timestamp;

use super::Param::{Integer, Text};
use super::Sql;
use crate::store::StoreError;
use crate::store::rows::millis;

pub async fn get(
    conn: &mut impl Sql,
    pipeline: &str,
    source: &str,
) -> Result<Option<String>, StoreError> {
    let row = conn
        .fetch_optional(
            "SELECT value FROM cursors WHERE pipeline = $1 AND source = $2",
            &[Text(pipeline), Text(source)],
        )
        .await?;
    Ok(row.map(|row| row.text(0)).transpose()?)
}

pub async fn set(
    conn: &mut impl Sql,
    pipeline: &str,
    source: &str,
    value: &str,
) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO cursors (pipeline, source, value, updated_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (pipeline, source) DO UPDATE
         SET value = excluded.value, updated_at = excluded.updated_at",
        &[
            Text(pipeline),
            Text(source),
            Text(value),
            Integer(millis(Timestamp::now())),
        ],
    )
    .await?;
    Ok(())
}
