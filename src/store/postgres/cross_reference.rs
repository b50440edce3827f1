//! Cross references, looked up from either side.

use sqlx::Row;
use sqlx::postgres::PgConnection;

use crate::store::StoreError;

pub use crate::store::portable::cross_reference::*;

/// [`target_id`] for many source ids at once: source id -> target id, for those linked.
pub async fn target_ids(
    conn: &mut PgConnection,
    target_collection: &str,
    source_ids: &[String],
) -> Result<std::collections::HashMap<String, String>, StoreError> {
    let mut found = std::collections::HashMap::new();
    let rows = sqlx::query(
        "SELECT source_id, target_id FROM cross_references
         WHERE target_collection = $1 AND source_id = ANY($2)
         ORDER BY updated_at, rowid",
    )
    .bind(target_collection)
    .bind(source_ids)
    .fetch_all(&mut *conn)
    .await?;
    // Oldest first, so the newest link of a source id is the one kept.
    for row in rows {
        found.insert(row.try_get(0)?, row.try_get(1)?);
    }
    Ok(found)
}
