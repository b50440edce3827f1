//! The last event of each connection: where a catch-up from the sender's event list starts.

use jiff::Timestamp;

use super::Param::{Integer, Text};
use super::Sql;
use crate::store::rows::millis;
use crate::store::{LastEvent, StoreError};

pub async fn get(conn: &mut impl Sql, connection: &str) -> Result<Option<LastEvent>, StoreError> {
    let row = conn
        .fetch_optional(
            "SELECT event_id, created FROM last_events WHERE connection = $1",
            &[Text(connection)],
        )
        .await?;
    row.map(|row| {
        Ok(LastEvent {
            event_id: row.text(0)?,
            created: row.integer(1)?,
        })
    })
    .transpose()
}

/// Moves the position forward, never back; returns whether it moved.
pub async fn advance(
    conn: &mut impl Sql,
    connection: &str,
    last: &LastEvent,
) -> Result<bool, StoreError> {
    let changed = conn
        .execute(
            "INSERT INTO last_events (connection, event_id, created, updated_at)
             VALUES ($1, $2, $3, $4)
             ON CONFLICT (connection) DO UPDATE
             SET event_id = excluded.event_id, created = excluded.created,
                 updated_at = excluded.updated_at
             WHERE excluded.created > last_events.created",
            &[
                Text(connection),
                Text(&last.event_id),
                Integer(last.created),
                Integer(millis(Timestamp::now())),
            ],
        )
        .await?;
    Ok(changed == 1)
}
