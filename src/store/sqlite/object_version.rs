//! Object versions: the newest change to each object that a worker applied.

use sqlx::Row;
use sqlx::sqlite::SqliteConnection;

use super::finished::{ROWS, statement};
use crate::store::{ObjectVersion, StoreError};

pub use crate::store::portable::object_version::*;

/// The versions kept for any of `objects` (connection, object id), in one statement per
/// [`ROWS`] objects; objects without one are left out.
pub async fn get_many(
    conn: &mut SqliteConnection,
    objects: &[(&str, &str)],
) -> Result<Vec<ObjectVersion>, StoreError> {
    let mut found = Vec::new();
    for group in objects.chunks(ROWS) {
        let mut query = statement(
            "SELECT connection, object_id, version, event_id FROM object_versions
             WHERE (connection, object_id) IN (VALUES",
            group.len(),
            2,
            ")",
        );
        for (connection, object_id) in group {
            query = query.bind(*connection).bind(*object_id);
        }
        for row in query.fetch_all(&mut *conn).await? {
            found.push(ObjectVersion::new(
                row.try_get::<String, _>(0)?,
                row.try_get::<String, _>(1)?,
                row.try_get(2)?,
                row.try_get::<String, _>(3)?,
            ));
        }
    }
    Ok(found)
}
