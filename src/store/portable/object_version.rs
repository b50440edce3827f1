//! Object versions: the newest change to each object that a worker applied.

use jiff::Timestamp;

use super::Param::{Integer, Text};
use super::Sql;
use crate::store::rows::millis;
use crate::store::{ObjectVersion, StoreError};

pub async fn get(
    conn: &mut impl Sql,
    connection: &str,
    object_id: &str,
) -> Result<Option<ObjectVersion>, StoreError> {
    let row = conn
        .fetch_optional(
            "SELECT version, event_id FROM object_versions
             WHERE connection = $1 AND object_id = $2",
            &[Text(connection), Text(object_id)],
        )
        .await?;
    row.map(|row| {
        Ok(ObjectVersion::new(
            connection,
            object_id,
            row.integer(0)?,
            row.text(1)?,
        ))
    })
    .transpose()
}

/// Records `version` unless the kept one is newer; returns whether it was recorded. An equal
/// version is recorded: events of the same second cannot be ordered, so neither is skipped.
pub async fn advance(conn: &mut impl Sql, version: &ObjectVersion) -> Result<bool, StoreError> {
    let changed = conn
        .execute(
            "INSERT INTO object_versions (connection, object_id, version, event_id, updated_at)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (connection, object_id) DO UPDATE
             SET version = excluded.version, event_id = excluded.event_id,
                 updated_at = excluded.updated_at
             WHERE excluded.version >= object_versions.version",
            &[
                Text(&version.connection),
                Text(&version.object_id),
                Integer(version.version),
                Text(&version.event_id),
                Integer(millis(Timestamp::now())),
            ],
        )
        .await?;
    Ok(changed == 1)
}
