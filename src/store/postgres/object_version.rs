//! Object versions: the newest change to each object that a worker applied.

use jiff::Timestamp;
use sqlx::Row;
use sqlx::postgres::PgConnection;

use super::finished::column;
use super::millis;
use crate::store::{ObjectVersion, StoreError};

pub async fn get(
    conn: &mut PgConnection,
    connection: &str,
    object_id: &str,
) -> Result<Option<ObjectVersion>, StoreError> {
    let row = sqlx::query(
        "SELECT version, event_id FROM object_versions WHERE connection = $1 AND object_id = $2",
    )
    .bind(connection)
    .bind(object_id)
    .fetch_optional(conn)
    .await?;
    row.map(|row| {
        Ok(ObjectVersion::new(
            connection,
            object_id,
            row.try_get(0)?,
            row.try_get::<String, _>(1)?,
        ))
    })
    .transpose()
}

/// The versions kept for any of `objects` (connection, object id), in one statement per
/// [`ROWS`] objects; objects without one are left out.
pub async fn get_many(
    conn: &mut PgConnection,
    objects: &[(&str, &str)],
) -> Result<Vec<ObjectVersion>, StoreError> {
    let mut found = Vec::new();
    let rows = sqlx::query(
        "SELECT connection, object_id, version, event_id FROM object_versions
         WHERE (connection, object_id) IN (SELECT * FROM UNNEST($1::text[], $2::text[]))",
    )
    .bind(column(objects, |(connection, _)| connection.to_string()))
    .bind(column(objects, |(_, object_id)| object_id.to_string()))
    .fetch_all(&mut *conn)
    .await?;
    for row in rows {
        found.push(ObjectVersion::new(
            row.try_get::<String, _>(0)?,
            row.try_get::<String, _>(1)?,
            row.try_get(2)?,
            row.try_get::<String, _>(3)?,
        ));
    }
    Ok(found)
}

/// Records `version` unless the kept one is newer; returns whether it was recorded. An equal
/// version is recorded: events of the same second cannot be ordered, so neither is skipped.
pub async fn advance(conn: &mut PgConnection, version: &ObjectVersion) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "INSERT INTO object_versions (connection, object_id, version, event_id, updated_at)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (connection, object_id) DO UPDATE
         SET version = excluded.version, event_id = excluded.event_id,
             updated_at = excluded.updated_at
         WHERE excluded.version >= object_versions.version",
    )
    .bind(&version.connection)
    .bind(&version.object_id)
    .bind(version.version)
    .bind(&version.event_id)
    .bind(millis(Timestamp::now()))
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}
