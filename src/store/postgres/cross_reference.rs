//! Cross references, looked up from either side.

use jiff::Timestamp;
use sqlx::Row;
use sqlx::postgres::PgConnection;

use super::millis;
use crate::store::records::keys_from_json;
use crate::store::{CrossReference, StoreError};

pub async fn put(conn: &mut PgConnection, link: &CrossReference) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO cross_references
             (source_collection, source_id, target_collection, target_id, updated_at, target_keys,
              source_stamp)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (source_collection, source_id, target_collection) DO UPDATE
         SET target_id = excluded.target_id, updated_at = excluded.updated_at,
             target_keys = excluded.target_keys, source_stamp = excluded.source_stamp",
    )
    .bind(&link.source_collection)
    .bind(&link.source_id)
    .bind(&link.target_collection)
    .bind(&link.target_id)
    .bind(millis(Timestamp::now()))
    .bind(link.keys_json())
    .bind(&link.source_stamp)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn delete(
    conn: &mut PgConnection,
    source_collection: &str,
    source_id: &str,
    target_collection: &str,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "DELETE FROM cross_references
         WHERE source_collection = $1 AND source_id = $2 AND target_collection = $3",
    )
    .bind(source_collection)
    .bind(source_id)
    .bind(target_collection)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() > 0)
}

pub async fn target_id(
    conn: &mut PgConnection,
    target_collection: &str,
    source_id: &str,
) -> Result<Option<String>, StoreError> {
    // Several source systems may feed one target collection; the newest link wins.
    let id = sqlx::query_scalar(
        "SELECT target_id FROM cross_references
         WHERE target_collection = $1 AND source_id = $2
         ORDER BY updated_at DESC, seq DESC LIMIT 1",
    )
    .bind(target_collection)
    .bind(source_id)
    .fetch_optional(conn)
    .await?;
    Ok(id)
}

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
         ORDER BY updated_at, seq",
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

pub async fn source_id(
    conn: &mut PgConnection,
    source_collection: &str,
    target_id: &str,
) -> Result<Option<String>, StoreError> {
    // Match keys can point two source records at one target record; the newest link wins.
    let id = sqlx::query_scalar(
        "SELECT source_id FROM cross_references
         WHERE source_collection = $1 AND target_id = $2
         ORDER BY updated_at DESC, seq DESC LIMIT 1",
    )
    .bind(source_collection)
    .bind(target_id)
    .fetch_optional(conn)
    .await?;
    Ok(id)
}

/// Every link written to a target collection, oldest first.
pub async fn into_collection(
    conn: &mut PgConnection,
    target_collection: &str,
) -> Result<Vec<CrossReference>, StoreError> {
    linked(conn, INTO, target_collection).await
}

/// Every link out of `source_collection`, to any target collection.
pub async fn from_collection(
    conn: &mut PgConnection,
    source_collection: &str,
) -> Result<Vec<CrossReference>, StoreError> {
    linked(conn, FROM, source_collection).await
}

const INTO: &str = "SELECT source_collection, source_id, target_collection, target_id, target_keys,
        source_stamp
    FROM cross_references WHERE target_collection = $1
    ORDER BY updated_at, seq";

const FROM: &str = "SELECT source_collection, source_id, target_collection, target_id, target_keys,
        source_stamp
    FROM cross_references WHERE source_collection = $1
    ORDER BY updated_at, seq";

/// The links `sql` (`INTO` or `FROM`) selects of `collection`.
async fn linked(
    conn: &mut PgConnection,
    sql: &'static str,
    collection: &str,
) -> Result<Vec<CrossReference>, StoreError> {
    let rows = sqlx::query(sql).bind(collection).fetch_all(conn).await?;
    rows.iter()
        .map(|row| {
            Ok(CrossReference {
                source_collection: row.try_get(0)?,
                source_id: row.try_get(1)?,
                target_collection: row.try_get(2)?,
                target_id: row.try_get(3)?,
                target_keys: keys_from_json(row.try_get(4)?),
                source_stamp: row.try_get(5)?,
            })
        })
        .collect()
}

/// The records of `source_collection` linked to target `target_id` of `target_collection`, with
/// their stamps, in the order they were first linked (a link moved by a later write keeps its
/// row): more than one when two source records matched one target.
pub async fn sources_of(
    conn: &mut PgConnection,
    source_collection: &str,
    target_collection: &str,
    target_id: &str,
) -> Result<Vec<(String, Option<String>)>, StoreError> {
    let rows = sqlx::query(
        "SELECT source_id, source_stamp FROM cross_references
         WHERE target_collection = $1 AND target_id = $2 AND source_collection = $3
         ORDER BY seq",
    )
    .bind(target_collection)
    .bind(target_id)
    .bind(source_collection)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|row| Ok((row.try_get(0)?, row.try_get(1)?)))
        .collect()
}
