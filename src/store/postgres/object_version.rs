//! Object versions: the newest change to each object that a worker applied.

use sqlx::Row;
use sqlx::postgres::PgConnection;

use super::finished::column;
use crate::store::{ObjectVersion, StoreError};

pub use crate::store::portable::object_version::*;

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
