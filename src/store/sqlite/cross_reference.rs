//! Cross references, looked up from either side.

use sqlx::Row;
use sqlx::sqlite::SqliteConnection;

use crate::store::StoreError;

pub use crate::store::portable::cross_reference::*;

/// [`target_id`] for many source ids at once: source id -> target id, for those linked.
pub async fn target_ids(
    conn: &mut SqliteConnection,
    target_collection: &str,
    source_ids: &[String],
) -> Result<std::collections::HashMap<String, String>, StoreError> {
    let mut found = std::collections::HashMap::new();
    for ids in source_ids.chunks(super::finished::ROWS) {
        let mut query = super::finished::statement(
            "SELECT source_id, target_id FROM cross_references
             WHERE target_collection = ? AND source_id IN (VALUES",
            ids.len(),
            1,
            ") ORDER BY updated_at, rowid",
        )
        .bind(target_collection);
        for id in ids {
            query = query.bind(id);
        }
        // Oldest first, so the newest link of a source id is the one kept.
        for row in query.fetch_all(&mut *conn).await? {
            found.insert(row.try_get(0)?, row.try_get(1)?);
        }
    }
    Ok(found)
}
