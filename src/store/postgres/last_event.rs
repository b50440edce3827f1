//! The last event of each connection: where a catch-up from the sender's event list starts.

use jiff::Timestamp;
use sqlx::Row;
use sqlx::postgres::PgConnection;

use super::millis;
use crate::store::{LastEvent, StoreError};

pub async fn get(
    conn: &mut PgConnection,
    connection: &str,
) -> Result<Option<LastEvent>, StoreError> {
    let row = sqlx::query("SELECT event_id, created FROM last_events WHERE connection = $1")
        .bind(connection)
        .fetch_optional(conn)
        .await?;
    row.map(|row| {
        Ok(LastEvent {
            event_id: row.try_get(0)?,
            created: row.try_get(1)?,
        })
    })
    .transpose()
}

/// Moves the position to `last` if it was created later than the one kept; returns whether it
/// moved. Never moving back means a catch-up never lists from further back than needed; an event
/// of the same second keeps the first, so at worst a few events are listed twice (and dropped as
/// duplicates by the inbox).
pub async fn advance(
    conn: &mut PgConnection,
    connection: &str,
    last: &LastEvent,
) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "INSERT INTO last_events (connection, event_id, created, updated_at)
         VALUES ($1, $2, $3, $4)
         ON CONFLICT (connection) DO UPDATE
         SET event_id = excluded.event_id, created = excluded.created,
             updated_at = excluded.updated_at
         WHERE excluded.created > last_events.created",
    )
    .bind(connection)
    .bind(&last.event_id)
    .bind(last.created)
    .bind(millis(Timestamp::now()))
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}
