//! The webhook inbox: put before the acknowledgement, claimed under a lease, finished once.

use std::time::Duration;

use jiff::Timestamp;
use sqlx::Row;
use sqlx::postgres::{PgConnection, PgRow};

use super::finished::column;
use super::{millis, timestamp};
use crate::store::{
    InboxEvent, InboxOutcome, InboxPut, InboxState, InboxStats, StoreError, StoredEvent,
};

const COLUMNS: &str = "connection, event_id, event_type, created, body, received_at, state,
                       attempts, claimed_by, lease_until, not_before, last_error, processed_at,
                       object_key";

/// Stores an event unless the connection already has one with its id. The statement text is a
/// constant, so the connection's statement cache prepares it once for a whole batch.
pub async fn put(conn: &mut PgConnection, event: &InboxEvent) -> Result<InboxPut, StoreError> {
    let done = sqlx::query(
        "INSERT INTO inbox (connection, event_id, event_type, created, body, received_at,
                            object_key)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (connection, event_id) DO NOTHING",
    )
    .bind(&event.connection)
    .bind(&event.event_id)
    .bind(&event.event_type)
    .bind(event.created)
    .bind(&event.body)
    .bind(millis(event.received_at))
    .bind(&event.object_key)
    .execute(conn)
    .await?;
    Ok(if done.rows_affected() == 0 {
        InboxPut::Duplicate
    } else {
        InboxPut::Inserted
    })
}

/// Puts every event on one connection (the caller's transaction), in order, in one statement
/// (the columns bound as arrays). An id that appears twice is inserted once; its later copies,
/// like ids already stored, are duplicates.
pub async fn put_many(
    conn: &mut PgConnection,
    events: &[InboxEvent],
) -> Result<Vec<InboxPut>, StoreError> {
    let rows = sqlx::query(
        "INSERT INTO inbox (connection, event_id, event_type, created, body, received_at,
                            object_key)
         SELECT c, e, t, cr, b, r, o
         FROM UNNEST($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::bigint[],
                     $7::text[])
              WITH ORDINALITY AS u(c, e, t, cr, b, r, o, n)
         ORDER BY n
         ON CONFLICT (connection, event_id) DO NOTHING RETURNING connection, event_id",
    )
    .bind(column(events, |e| e.connection.clone()))
    .bind(column(events, |e| e.event_id.clone()))
    .bind(column(events, |e| e.event_type.clone()))
    .bind(column(events, |e| e.created))
    .bind(column(events, |e| e.body.clone()))
    .bind(column(events, |e| millis(e.received_at)))
    .bind(column(events, |e| e.object_key.clone()))
    .fetch_all(&mut *conn)
    .await?;
    let mut inserted = std::collections::HashSet::with_capacity(rows.len());
    for row in &rows {
        let connection: String = row.try_get(0)?;
        let event_id: String = row.try_get(1)?;
        inserted.insert((connection, event_id));
    }
    Ok(events
        .iter()
        .map(|event| {
            // The first copy of an inserted id takes the insert; any later copy is a duplicate.
            let key = (event.connection.clone(), event.event_id.clone());
            if inserted.remove(&key) {
                InboxPut::Inserted
            } else {
                InboxPut::Duplicate
            }
        })
        .collect())
}

/// Claims up to `limit` events for `worker`: pending ones whose retry time has come, and
/// processing ones whose lease ran out (their worker died or hung). Oldest `created` first,
/// then received order. An event whose object has another event held under a live lease is
/// passed over: two events of one object are never processed at once, on any machine.
///
/// Claims take turns on a transaction-level advisory lock, taken by a statement of its own
/// before the claiming UPDATE: under READ COMMITTED that UPDATE's snapshot starts after the
/// turn, so it sees the objects the previous claim took. In one statement the snapshot would
/// predate the lock, and two claims could each take an event of one object. The caller runs
/// this in a transaction (the turn ends with it); claims are short and never wait for rows
/// (`FOR UPDATE SKIP LOCKED` passes over events a finishing transaction has locked).
pub async fn claim(
    conn: &mut PgConnection,
    worker: &str,
    limit: u32,
    lease: Duration,
) -> Result<Vec<StoredEvent>, StoreError> {
    let now = millis(Timestamp::now());
    let lease_millis = i64::try_from(lease.as_millis()).unwrap_or(i64::MAX);
    sqlx::query(CLAIM_TURN).execute(&mut *conn).await?;
    let rows = sqlx::query(CLAIM)
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
            Ok((seq, stored_event(row, 1)?))
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    claimed.sort_by_key(|(seq, stored)| (stored.event.created, *seq));
    Ok(claimed.into_iter().map(|(_, stored)| stored).collect())
}

/// The claims' turn: one key for the whole store, in a key space of ferry's own.
const CLAIM_TURN: &str = "SELECT pg_advisory_xact_lock(hashtextextended('ferry inbox claim', 0))";

const CLAIM: &str = "UPDATE inbox
     SET state = 'processing', claimed_by = $1, lease_until = $2,
         attempts = attempts + 1, not_before = NULL
     WHERE seq IN (
         SELECT seq FROM inbox AS candidate
         WHERE state IN ('pending', 'processing')
           AND ((state = 'pending' AND (not_before IS NULL OR not_before <= $3))
                OR (state = 'processing' AND lease_until <= $3))
           AND (object_key IS NULL OR NOT EXISTS (
                SELECT 1 FROM inbox AS held
                WHERE held.object_key = candidate.object_key
                  AND held.state = 'processing' AND held.lease_until > $3))
         ORDER BY created, seq
         LIMIT $4
         FOR UPDATE SKIP LOCKED)
     RETURNING seq, connection, event_id, event_type, created, body, received_at, state,
               attempts, claimed_by, lease_until, not_before, last_error, processed_at,
               object_key";

/// Workers holding events in `processing`.
pub async fn holders(conn: &mut PgConnection) -> Result<Vec<String>, StoreError> {
    let rows: Vec<Option<String>> =
        sqlx::query_scalar("SELECT DISTINCT claimed_by FROM inbox WHERE state = 'processing'")
            .fetch_all(conn)
            .await?;
    Ok(rows.into_iter().flatten().collect())
}

/// Hands the events `worker` holds back to the queue at once, as if its lease had run out.
pub async fn release(conn: &mut PgConnection, worker: &str) -> Result<u64, StoreError> {
    let done = sqlx::query(
        "UPDATE inbox SET state = 'pending', claimed_by = NULL, lease_until = NULL
         WHERE state = 'processing' AND claimed_by = $1",
    )
    .bind(worker)
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

/// Ends `worker`'s attempt at an event. Returns false, and changes nothing, when the worker no
/// longer holds it: its lease ran out and another worker claimed it, or it was finished.
pub async fn finish(
    conn: &mut PgConnection,
    connection: &str,
    event_id: &str,
    worker: &str,
    outcome: &InboxOutcome,
) -> Result<bool, StoreError> {
    let now = millis(Timestamp::now());
    let (state, error, not_before, processed_at) = match outcome {
        InboxOutcome::Done => (InboxState::Done, None, None, Some(now)),
        InboxOutcome::Failed { error } => (InboxState::Failed, Some(error.as_str()), None, None),
        InboxOutcome::Retry { error, not_before } => (
            InboxState::Pending,
            Some(error.as_str()),
            Some(millis(*not_before)),
            None,
        ),
    };
    let done = sqlx::query(
        "UPDATE inbox
         SET state = $4, claimed_by = NULL, lease_until = NULL, not_before = $5,
             last_error = COALESCE($6, last_error), processed_at = $7
         WHERE connection = $1 AND event_id = $2 AND state = 'processing' AND claimed_by = $3",
    )
    .bind(connection)
    .bind(event_id)
    .bind(worker)
    .bind(state.as_str())
    .bind(not_before)
    .bind(error)
    .bind(processed_at)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn get(
    conn: &mut PgConnection,
    connection: &str,
    event_id: &str,
) -> Result<Option<StoredEvent>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM inbox WHERE connection = $1 AND event_id = $2");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(connection)
        .bind(event_id)
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(|row| stored_event(row, 0)).transpose()
}

/// Counts through the partial indexes only: the done events, the bulk of the table, are not read.
pub async fn stats(conn: &mut PgConnection) -> Result<InboxStats, StoreError> {
    let open = sqlx::query(
        "SELECT COUNT(*) FILTER (WHERE state = 'pending'),
                COUNT(*) FILTER (WHERE state = 'processing'),
                MIN(CASE WHEN state = 'pending' THEN received_at END)
         FROM inbox WHERE state IN ('pending', 'processing')",
    )
    .fetch_one(&mut *conn)
    .await?;
    let failed: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM inbox WHERE state = 'failed'")
        .fetch_one(&mut *conn)
        .await?;
    let oldest: Option<i64> = open.try_get(2)?;
    Ok(InboxStats {
        pending: count(open.try_get(0)?)?,
        processing: count(open.try_get(1)?)?,
        failed: count(failed)?,
        oldest_pending_received_at: oldest
            .map(|at| timestamp(at, "inbox", "received_at"))
            .transpose()?,
    })
}

/// Deletes the done events processed before `cutoff`. Keep them as long as the sender may
/// redeliver (Stripe retries for three days): a pruned id is no longer recognised as a duplicate.
pub async fn prune_done(conn: &mut PgConnection, cutoff_millis: i64) -> Result<u64, StoreError> {
    let done = sqlx::query("DELETE FROM inbox WHERE state = 'done' AND processed_at < $1")
        .bind(cutoff_millis)
        .execute(conn)
        .await?;
    Ok(done.rows_affected())
}

fn count(value: i64) -> Result<u64, StoreError> {
    u64::try_from(value).map_err(|_| StoreError::Corrupt {
        table: "inbox",
        column: "state",
        detail: format!("a count of {value}"),
    })
}

/// Reads [`COLUMNS`] starting at column `first`.
fn stored_event(row: &PgRow, first: usize) -> Result<StoredEvent, StoreError> {
    let at = |offset: usize, column: &'static str| -> Result<Option<Timestamp>, StoreError> {
        let value: Option<i64> = row.try_get(first + offset)?;
        value
            .map(|millis| timestamp(millis, "inbox", column))
            .transpose()
    };
    let state: String = row.try_get(first + 6)?;
    let state = InboxState::parse(&state).ok_or_else(|| StoreError::Corrupt {
        table: "inbox",
        column: "state",
        detail: format!("unknown state `{state}`"),
    })?;
    Ok(StoredEvent {
        event: InboxEvent {
            connection: row.try_get(first)?,
            event_id: row.try_get(first + 1)?,
            event_type: row.try_get(first + 2)?,
            created: row.try_get(first + 3)?,
            body: row.try_get(first + 4)?,
            received_at: timestamp(row.try_get(first + 5)?, "inbox", "received_at")?,
            object_key: row.try_get(first + 13)?,
        },
        state,
        attempts: row.try_get(first + 7)?,
        claimed_by: row.try_get(first + 8)?,
        lease_until: at(9, "lease_until")?,
        not_before: at(10, "not_before")?,
        last_error: row.try_get(first + 11)?,
        processed_at: at(12, "processed_at")?,
    })
}
