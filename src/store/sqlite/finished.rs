//! [`FinishedEvents`] in multi-row statements: one per table for a whole group of events.

use std::collections::HashSet;

use jiff::Timestamp;
use sqlx::Row;
use sqlx::sqlite::{SqliteArguments, SqliteConnection};
use sqlx::{Sqlite, query::Query};

use super::{activity, dead_letter, idempotency, inbox, millis};
use crate::store::rows;
use crate::store::{FinishedEvents, InboxOutcome, StoreError};

/// Rows per statement: at most 8 parameters each stays far below SQLite's 32,766.
pub(super) const ROWS: usize = 500;

type Statement<'q> = Query<'q, Sqlite, SqliteArguments>;

/// `first` followed by `rows` groups of `columns` placeholders, then `last`.
pub(super) fn statement<'q>(first: &str, rows: usize, columns: usize, last: &str) -> Statement<'q> {
    let mut row = String::from("(?");
    row.push_str(&", ?".repeat(columns - 1));
    row.push(')');
    let mut sql = String::with_capacity(first.len() + last.len() + rows * (row.len() + 2));
    sql.push_str(first);
    for index in 0..rows {
        if index > 0 {
            sql.push_str(", ");
        }
        sql.push_str(&row);
    }
    sql.push(' ');
    sql.push_str(last);
    sqlx::query(sqlx::AssertSqlSafe(sql)).persistent(false)
}

/// Writes everything in `writes` on the caller's transaction. For each of `writes.outcomes`,
/// in order: whether `worker` still held the event (false: the outcome was not recorded).
pub async fn write(
    conn: &mut SqliteConnection,
    writes: &FinishedEvents,
    worker: &str,
) -> Result<Vec<bool>, StoreError> {
    let now = millis(Timestamp::now());
    for links in writes.cross_references.chunks(ROWS) {
        let mut query = statement(
            "INSERT INTO cross_references
                 (source_collection, source_id, target_collection, target_id, updated_at,
                  target_keys, source_stamp) VALUES",
            links.len(),
            7,
            "ON CONFLICT (source_collection, source_id, target_collection) DO UPDATE
             SET target_id = excluded.target_id, updated_at = excluded.updated_at,
                 target_keys = excluded.target_keys, source_stamp = excluded.source_stamp",
        );
        for link in links {
            query = query
                .bind(&link.source_collection)
                .bind(&link.source_id)
                .bind(&link.target_collection)
                .bind(&link.target_id)
                .bind(now)
                .bind(link.keys_json())
                .bind(&link.source_stamp);
        }
        query.execute(&mut *conn).await?;
    }
    for entries in writes.audit.chunks(ROWS) {
        let mut query = statement(
            "INSERT INTO audit_log
                 (pipeline, pipeline_version, source_id, target, target_id, operation,
                  fields_changed, at) VALUES",
            entries.len(),
            8,
            "",
        );
        for entry in entries {
            query = query
                .bind(&entry.pipeline)
                .bind(&entry.pipeline_version)
                .bind(&entry.source_id)
                .bind(&entry.target)
                .bind(&entry.target_id)
                .bind(entry.operation.as_str())
                .bind(rows::audit_fields_json(entry)?)
                .bind(millis(entry.at));
        }
        query.execute(&mut *conn).await?;
    }
    idempotency::settle(&mut *conn, &writes.settled).await?;
    for delivered in writes.delivered.chunks(ROWS) {
        let mut query = statement(
            "UPDATE dead_letters SET resolved_at = ?, resolution = 'delivered'
             WHERE resolved_at IS NULL AND (pipeline, source_id) IN (VALUES",
            delivered.len(),
            2,
            ")",
        )
        .bind(now);
        for (pipeline, source_id) in delivered {
            query = query.bind(pipeline).bind(source_id);
        }
        query.execute(&mut *conn).await?;
    }
    for letter in &writes.dead_letters {
        dead_letter::put(
            conn,
            &letter.pipeline,
            &letter.source_id,
            &letter.record_json,
            &letter.error_code,
            &letter.error_message,
        )
        .await?;
    }
    for versions in writes.object_versions.chunks(ROWS) {
        let mut query = statement(
            "INSERT INTO object_versions (connection, object_id, version, event_id, updated_at)
             VALUES",
            versions.len(),
            5,
            "ON CONFLICT (connection, object_id) DO UPDATE
             SET version = excluded.version, event_id = excluded.event_id,
                 updated_at = excluded.updated_at
             WHERE excluded.version >= object_versions.version",
        );
        for version in versions {
            query = query
                .bind(&version.connection)
                .bind(&version.object_id)
                .bind(version.version)
                .bind(&version.event_id)
                .bind(now);
        }
        query.execute(&mut *conn).await?;
    }
    activity::add_read(&mut *conn, &writes.read).await?;
    finish(conn, writes, worker, now).await
}

/// The outcomes: every `Done` in one statement per [`ROWS`], the rest (retries and
/// failures, rare) one by one.
async fn finish(
    conn: &mut SqliteConnection,
    writes: &FinishedEvents,
    worker: &str,
    now: i64,
) -> Result<Vec<bool>, StoreError> {
    let done: Vec<&(String, String, InboxOutcome)> = writes
        .outcomes
        .iter()
        .filter(|(_, _, outcome)| *outcome == InboxOutcome::Done)
        .collect();
    let mut held = HashSet::new();
    for events in done.chunks(ROWS) {
        let mut query = statement(
            "UPDATE inbox
             SET state = 'done', claimed_by = NULL, lease_until = NULL, not_before = NULL,
                 processed_at = ?
             WHERE state = 'processing' AND claimed_by = ?
               AND (connection, event_id) IN (VALUES",
            events.len(),
            2,
            ") RETURNING connection, event_id",
        )
        .bind(now)
        .bind(worker);
        for (connection, event_id, _) in events {
            query = query.bind(connection).bind(event_id);
        }
        for row in query.fetch_all(&mut *conn).await? {
            let connection: String = row.try_get(0)?;
            let event_id: String = row.try_get(1)?;
            held.insert((connection, event_id));
        }
    }
    let mut results = Vec::with_capacity(writes.outcomes.len());
    for (connection, event_id, outcome) in &writes.outcomes {
        results.push(if *outcome == InboxOutcome::Done {
            held.contains(&(connection.clone(), event_id.clone()))
        } else {
            inbox::finish(conn, connection, event_id, worker, outcome).await?
        });
    }
    Ok(results)
}
