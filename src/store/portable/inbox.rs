//! The webhook inbox: put before the acknowledgement, claimed under a lease, finished once.
//! Storing many events at once and claiming are each backend's own (`put_many`, `claim`).

use jiff::Timestamp;
use sqlx::AssertSqlSafe;

use super::Param::{Integer, OptionalInteger, OptionalText, Text};
use super::Sql;
use crate::store::rows::{self, millis, timestamp};
use crate::store::{
    InboxEvent, InboxOutcome, InboxPut, InboxState, InboxStats, StoreError, StoredEvent,
};

/// Stores an event unless the connection already has one with its id. The statement text is a
/// constant, so the connection's statement cache prepares it once for a whole batch.
pub async fn put(conn: &mut impl Sql, event: &InboxEvent) -> Result<InboxPut, StoreError> {
    let inserted = conn
        .execute(
            "INSERT INTO inbox (connection, event_id, event_type, created, body, received_at,
                                object_key)
             VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (connection, event_id) DO NOTHING",
            &[
                Text(&event.connection),
                Text(&event.event_id),
                Text(&event.event_type),
                Integer(event.created),
                Text(&event.body),
                Integer(millis(event.received_at)),
                OptionalText(event.object_key.as_deref()),
            ],
        )
        .await?;
    Ok(if inserted == 0 {
        InboxPut::Duplicate
    } else {
        InboxPut::Inserted
    })
}

/// Workers holding events in `processing`.
pub async fn holders(conn: &mut impl Sql) -> Result<Vec<String>, StoreError> {
    let rows = conn
        .fetch_all(
            "SELECT DISTINCT claimed_by FROM inbox WHERE state = 'processing'",
            &[],
        )
        .await?;
    let holders = rows
        .iter()
        .map(|row| row.optional_text(0))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(holders.into_iter().flatten().collect())
}

/// Hands the events `worker` holds back to the queue at once, as if its lease had run out.
pub async fn release(conn: &mut impl Sql, worker: &str) -> Result<u64, StoreError> {
    conn.execute(
        "UPDATE inbox SET state = 'pending', claimed_by = NULL, lease_until = NULL
         WHERE state = 'processing' AND claimed_by = $1",
        &[Text(worker)],
    )
    .await
}

/// Ends `worker`'s attempt at an event. Returns false, and changes nothing, when the worker no
/// longer holds it: its lease ran out and another worker claimed it, or it was finished.
pub async fn finish(
    conn: &mut impl Sql,
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
    let changed = conn
        .execute(
            "UPDATE inbox
             SET state = $4, claimed_by = NULL, lease_until = NULL, not_before = $5,
                 last_error = COALESCE($6, last_error), processed_at = $7
             WHERE connection = $1 AND event_id = $2 AND state = 'processing'
               AND claimed_by = $3",
            &[
                Text(connection),
                Text(event_id),
                Text(worker),
                Text(state.as_str()),
                OptionalInteger(not_before),
                OptionalText(error),
                OptionalInteger(processed_at),
            ],
        )
        .await?;
    Ok(changed == 1)
}

pub async fn get(
    conn: &mut impl Sql,
    connection: &str,
    event_id: &str,
) -> Result<Option<StoredEvent>, StoreError> {
    let sql = format!(
        "SELECT {} FROM inbox WHERE connection = $1 AND event_id = $2",
        rows::STORED_EVENT_COLUMNS
    );
    let row = conn
        .fetch_optional(AssertSqlSafe(sql), &[Text(connection), Text(event_id)])
        .await?;
    row.map(|row| rows::stored_event(row.as_ref(), 0))
        .transpose()
}

/// Counts through the partial indexes only: the done events, the bulk of the table, are not
/// read.
pub async fn stats(conn: &mut impl Sql) -> Result<InboxStats, StoreError> {
    let open = conn
        .fetch_one(
            "SELECT COUNT(*) FILTER (WHERE state = 'pending'),
                    COUNT(*) FILTER (WHERE state = 'processing'),
                    MIN(CASE WHEN state = 'pending' THEN received_at END)
             FROM inbox WHERE state IN ('pending', 'processing')",
            &[],
        )
        .await?;
    let failed = conn
        .fetch_one("SELECT COUNT(*) FROM inbox WHERE state = 'failed'", &[])
        .await?;
    Ok(InboxStats {
        pending: count(open.integer(0)?)?,
        processing: count(open.integer(1)?)?,
        failed: count(failed.integer(0)?)?,
        oldest_pending_received_at: open
            .optional_integer(2)?
            .map(|at| timestamp(at, "inbox", "received_at"))
            .transpose()?,
    })
}

/// Deletes the done events processed before `cutoff`. Keep them as long as the sender may
/// redeliver (Stripe retries for three days): a pruned id is no longer recognised as a duplicate.
pub async fn prune_done(conn: &mut impl Sql, cutoff_millis: i64) -> Result<u64, StoreError> {
    conn.execute(
        "DELETE FROM inbox WHERE state = 'done' AND processed_at < $1",
        &[Integer(cutoff_millis)],
    )
    .await
}

fn count(value: i64) -> Result<u64, StoreError> {
    u64::try_from(value).map_err(|_| StoreError::Corrupt {
        table: "inbox",
        column: "state",
        detail: format!("a count of {value}"),
    })
}
