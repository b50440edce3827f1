//! Cross references, looked up from either side. `rowid` is the order links were first made
//! (SQLite's own rowid; PostgreSQL's column of that name).

use jiff::Timestamp;

use super::Param::{Integer, OptionalText, Text};
use super::{Row, Sql};
use crate::store::CrossReference;
use crate::store::StoreError;
use crate::store::records::keys_from_json;
use crate::store::rows::millis;

pub async fn put(conn: &mut impl Sql, link: &CrossReference) -> Result<(), StoreError> {
    let keys = link.keys_json();
    conn.execute(
        "INSERT INTO cross_references
             (source_collection, source_id, target_collection, target_id, updated_at, target_keys,
              source_stamp)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (source_collection, source_id, target_collection) DO UPDATE
         SET target_id = excluded.target_id, updated_at = excluded.updated_at,
             target_keys = excluded.target_keys, source_stamp = excluded.source_stamp",
        &[
            Text(&link.source_collection),
            Text(&link.source_id),
            Text(&link.target_collection),
            Text(&link.target_id),
            Integer(millis(Timestamp::now())),
            Text(&keys),
            OptionalText(link.source_stamp.as_deref()),
        ],
    )
    .await?;
    Ok(())
}

pub async fn delete(
    conn: &mut impl Sql,
    source_collection: &str,
    source_id: &str,
    target_collection: &str,
) -> Result<bool, StoreError> {
    let deleted = conn
        .execute(
            "DELETE FROM cross_references
             WHERE source_collection = $1 AND source_id = $2 AND target_collection = $3",
            &[
                Text(source_collection),
                Text(source_id),
                Text(target_collection),
            ],
        )
        .await?;
    Ok(deleted > 0)
}

pub async fn target_id(
    conn: &mut impl Sql,
    target_collection: &str,
    source_id: &str,
) -> Result<Option<String>, StoreError> {
    // Several source systems may feed one target collection; the newest link wins.
    let row = conn
        .fetch_optional(
            "SELECT target_id FROM cross_references
             WHERE target_collection = $1 AND source_id = $2
             ORDER BY updated_at DESC, rowid DESC LIMIT 1",
            &[Text(target_collection), Text(source_id)],
        )
        .await?;
    Ok(row.map(|row| row.text(0)).transpose()?)
}

pub async fn source_id(
    conn: &mut impl Sql,
    source_collection: &str,
    target_id: &str,
) -> Result<Option<String>, StoreError> {
    // Match keys can point two source records at one target record; the newest link wins.
    let row = conn
        .fetch_optional(
            "SELECT source_id FROM cross_references
             WHERE source_collection = $1 AND target_id = $2
             ORDER BY updated_at DESC, rowid DESC LIMIT 1",
            &[Text(source_collection), Text(target_id)],
        )
        .await?;
    Ok(row.map(|row| row.text(0)).transpose()?)
}

/// Every link written to a target collection, oldest first.
pub async fn into_collection(
    conn: &mut impl Sql,
    target_collection: &str,
) -> Result<Vec<CrossReference>, StoreError> {
    let rows = conn
        .fetch_all(
            "SELECT source_collection, source_id, target_collection, target_id, target_keys,
                    source_stamp
             FROM cross_references WHERE target_collection = $1
             ORDER BY updated_at, rowid",
            &[Text(target_collection)],
        )
        .await?;
    rows.iter().map(link).collect()
}

/// Every link out of `source_collection`, to any target collection.
pub async fn from_collection(
    conn: &mut impl Sql,
    source_collection: &str,
) -> Result<Vec<CrossReference>, StoreError> {
    let rows = conn
        .fetch_all(
            "SELECT source_collection, source_id, target_collection, target_id, target_keys,
                    source_stamp
             FROM cross_references WHERE source_collection = $1
             ORDER BY updated_at, rowid",
            &[Text(source_collection)],
        )
        .await?;
    rows.iter().map(link).collect()
}

fn link(row: &Row) -> Result<CrossReference, StoreError> {
    Ok(CrossReference {
        source_collection: row.text(0)?,
        source_id: row.text(1)?,
        target_collection: row.text(2)?,
        target_id: row.text(3)?,
        target_keys: keys_from_json(&row.text(4)?),
        source_stamp: row.optional_text(5)?,
    })
}

/// The records of `source_collection` linked to target `target_id` of `target_collection`, with
/// their stamps, in the order they were first linked (a link moved by a later write keeps its
/// row): more than one when two source records matched one target.
pub async fn sources_of(
    conn: &mut impl Sql,
    source_collection: &str,
    target_collection: &str,
    target_id: &str,
) -> Result<Vec<(String, Option<String>)>, StoreError> {
    let rows = conn
        .fetch_all(
            "SELECT source_id, source_stamp FROM cross_references
             WHERE target_collection = $1 AND target_id = $2 AND source_collection = $3
             ORDER BY rowid",
            &[
                Text(target_collection),
                Text(target_id),
                Text(source_collection),
            ],
        )
        .await?;
    rows.iter()
        .map(|row| Ok((row.text(0)?, row.optional_text(1)?)))
        .collect()
}
