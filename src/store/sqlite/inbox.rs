//! The webhook inbox: put before the acknowledgement, claimed under a lease, finished once.

use std::time::Duration;

use jiff::Timestamp;
use sqlx::Row;
use sqlx::sqlite::SqliteConnection;

use super::millis;
use crate::store::rows;
use crate::store::{InboxEvent, InboxPut, StoreError, StoredEvent};

pub use crate::store::portable::inbox::*;

/// Rows per INSERT statement: 7 parameters each stays far below SQLite's 32,766.
const ROWS_PER_INSERT: usize = 500;

/// Puts every event on one connection (the caller's transaction), in order: one multi-row
/// INSERT per [`ROWS_PER_INSERT`] events rather than one statement each, since every statement
/// is a round trip to the connection's thread. An id that appears twice is inserted once; its
/// later copies, like ids already stored, are duplicates.
pub async fn put_many(
    conn: &mut SqliteConnection,
    events: &[InboxEvent],
) -> Result<Vec<InboxPut>, StoreError> {
    let mut outcomes = Vec::with_capacity(events.len());
    for chunk in events.chunks(ROWS_PER_INSERT) {
        let mut sql = String::with_capacity(130 + chunk.len() * 31);
        sql.push_str(
            "INSERT INTO inbox (connection, event_id, event_type, created, body, received_at, object_key) VALUES ",
        );
        for index in 0..chunk.len() {
            sql.push_str(if index == 0 {
                "(?, ?, ?, ?, ?, ?, ?)"
            } else {
                ", (?, ?, ?, ?, ?, ?, ?)"
            });
        }
        sql.push_str(
            " ON CONFLICT (connection, event_id) DO NOTHING RETURNING connection, event_id",
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).persistent(false);
        for event in chunk {
            query = query
                .bind(&event.connection)
                .bind(&event.event_id)
                .bind(&event.event_type)
                .bind(event.created)
                .bind(&event.body)
                .bind(millis(event.received_at))
                .bind(&event.object_key);
        }
        let rows = query.fetch_all(&mut *conn).await?;
        let mut inserted = std::collections::HashSet::with_capacity(rows.len());
        for row in &rows {
            let connection: String = row.try_get(0)?;
            let event_id: String = row.try_get(1)?;
            inserted.insert((connection, event_id));
        }
        for event in chunk {
            // The first copy of an inserted id takes the insert; any later copy is a duplicate.
            let key = (event.connection.clone(), event.event_id.clone());
            outcomes.push(if inserted.remove(&key) {
                InboxPut::Inserted
            } else {
                InboxPut::Duplicate
            });
        }
    }
    Ok(outcomes)
}

/// Claims up to `limit` events for `worker`: pending ones whose retry time has come, and
/// processing ones whose lease ran out (their worker died or hung). Oldest `created` first,
/// then received order.
///
/// An event whose object has another event held under a live lease is passed over: two events
/// of one object are never processed at once, by any worker.
///
/// One UPDATE statement takes SQLite's write lock before it reads, so two claimers never see
/// the same row as claimable, nor an object as free.
pub async fn claim(
    conn: &mut SqliteConnection,
    worker: &str,
    limit: u32,
    lease: Duration,
) -> Result<Vec<StoredEvent>, StoreError> {
    let now = millis(Timestamp::now());
    let lease_millis = i64::try_from(lease.as_millis()).unwrap_or(i64::MAX);
    // The repeated `state IN (...)` term lets SQLite walk the `inbox_open` partial index, in
    // claim order; INDEXED BY keeps it from the `inbox_open_state` index, which would read and
    // sort every open event.
    let sql = format!(
        "UPDATE inbox
         SET state = 'processing', claimed_by = ?1, lease_until = ?2,
             attempts = attempts + 1, not_before = NULL
         WHERE seq IN (
             SELECT seq FROM inbox AS candidate INDEXED BY inbox_open
             WHERE state IN ('pending', 'processing')
               AND ((state = 'pending' AND (not_before IS NULL OR not_before <= ?3))
                    OR (state = 'processing' AND lease_until <= ?3))
               AND (object_key IS NULL OR NOT EXISTS (
                    SELECT 1 FROM inbox AS held
                    WHERE held.object_key = candidate.object_key
                      AND held.state = 'processing' AND held.lease_until > ?3))
             ORDER BY created, seq
             LIMIT ?4)
         RETURNING seq, {}",
        rows::STORED_EVENT_COLUMNS
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(worker)
        .bind(now.saturating_add(lease_millis))
        .bind(now)
        .bind(i64::from(limit))
        .fetch_all(conn)
        .await?;
    // RETURNING gives rows in no promised order.
    let mut claimed = rows
        .iter()
        .map(|row| {
            let seq: i64 = row.try_get(0)?;
            Ok((seq, rows::stored_event(row, 1)?))
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    claimed.sort_by_key(|(seq, stored)| (stored.event.created, *seq));
    Ok(claimed.into_iter().map(|(_, stored)| stored).collect())
}
