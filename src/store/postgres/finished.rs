//! [`FinishedEvents`] in one statement per table for a whole group of events: each column is
//! bound as an array and `UNNEST` turns them back into rows, so the statement text is constant
//! (prepared once per connection) however many events the group holds.

use std::collections::{HashMap, HashSet};
use std::hash::Hash;

use jiff::Timestamp;
use sqlx::Row;
use sqlx::postgres::PgConnection;

use super::{activity, audit, dead_letter, idempotency, inbox, millis};
use crate::store::{FinishedEvents, InboxOutcome, StoreError};

/// The last of `items` for each key, in the order of those last ones. PostgreSQL refuses an
/// upsert that would touch one row twice, where SQLite applies the rows one after another (the
/// last wins): keeping only the last does what SQLite does.
pub(super) fn last_per_key<'a, T, K: Eq + Hash>(
    items: &'a [T],
    key: impl Fn(&'a T) -> K,
) -> Vec<&'a T> {
    let mut last = HashMap::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        last.insert(key(item), index);
    }
    let mut kept: Vec<usize> = last.into_values().collect();
    kept.sort_unstable();
    kept.into_iter().map(|index| &items[index]).collect()
}

/// Writes everything in `writes` on the caller's transaction. For each of `writes.outcomes`,
/// in order: whether `worker` still held the event (false: the outcome was not recorded).
pub async fn write(
    conn: &mut PgConnection,
    writes: &FinishedEvents,
    worker: &str,
) -> Result<Vec<bool>, StoreError> {
    let now = millis(Timestamp::now());
    let links = last_per_key(&writes.cross_references, |link| {
        (
            link.source_collection.as_str(),
            link.source_id.as_str(),
            link.target_collection.as_str(),
        )
    });
    if !links.is_empty() {
        sqlx::query(
            "INSERT INTO cross_references
                 (source_collection, source_id, target_collection, target_id, updated_at,
                  target_keys, source_stamp)
             SELECT sc, si, tc, ti, $5, tk, ss
             FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $6::text[], $7::text[])
                  AS u(sc, si, tc, ti, tk, ss)
             ON CONFLICT (source_collection, source_id, target_collection) DO UPDATE
             SET target_id = excluded.target_id, updated_at = excluded.updated_at,
                 target_keys = excluded.target_keys, source_stamp = excluded.source_stamp",
        )
        .bind(column(&links, |l| l.source_collection.clone()))
        .bind(column(&links, |l| l.source_id.clone()))
        .bind(column(&links, |l| l.target_collection.clone()))
        .bind(column(&links, |l| l.target_id.clone()))
        .bind(now)
        .bind(column(&links, |l| l.keys_json()))
        .bind(column(&links, |l| l.source_stamp.clone()))
        .execute(&mut *conn)
        .await?;
    }
    audit::append_many(&mut *conn, &writes.audit).await?;
    idempotency::settle(&mut *conn, &writes.settled).await?;
    if !writes.delivered.is_empty() {
        sqlx::query(
            "UPDATE dead_letters SET resolved_at = $1, resolution = 'delivered'
             WHERE resolved_at IS NULL
               AND (pipeline, source_id) IN (SELECT * FROM UNNEST($2::text[], $3::text[]))",
        )
        .bind(now)
        .bind(column(&writes.delivered, |(pipeline, _)| pipeline.clone()))
        .bind(column(&writes.delivered, |(_, source_id)| {
            source_id.clone()
        }))
        .execute(&mut *conn)
        .await?;
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
    // Of two versions of one object, the newer is kept (the later of equal ones), as SQLite's
    // row-by-row `WHERE excluded.version >= version` keeps.
    let mut newest: Vec<&crate::store::ObjectVersion> = Vec::new();
    let mut at: HashMap<(&str, &str), usize> = HashMap::new();
    for version in &writes.object_versions {
        let key = (version.connection.as_str(), version.object_id.as_str());
        match at.get(&key) {
            Some(&index) if newest[index].version > version.version => {}
            Some(&index) => newest[index] = version,
            None => {
                at.insert(key, newest.len());
                newest.push(version);
            }
        }
    }
    if !newest.is_empty() {
        sqlx::query(
            "INSERT INTO object_versions (connection, object_id, version, event_id, updated_at)
             SELECT c, o, v, e, $5
             FROM UNNEST($1::text[], $2::text[], $3::bigint[], $4::text[]) AS u(c, o, v, e)
             ON CONFLICT (connection, object_id) DO UPDATE
             SET version = excluded.version, event_id = excluded.event_id,
                 updated_at = excluded.updated_at
             WHERE excluded.version >= object_versions.version",
        )
        .bind(column(&newest, |v| v.connection.clone()))
        .bind(column(&newest, |v| v.object_id.clone()))
        .bind(column(&newest, |v| v.version))
        .bind(column(&newest, |v| v.event_id.clone()))
        .bind(now)
        .execute(&mut *conn)
        .await?;
    }
    activity::add_read(&mut *conn, &writes.read).await?;
    finish(conn, writes, worker, now).await
}

/// One column of `rows`, for binding as an array.
pub(super) fn column<R, V>(rows: &[R], value: impl Fn(&R) -> V) -> Vec<V> {
    rows.iter().map(value).collect()
}

/// The outcomes: every `Done` in one statement, the rest (retries and failures, rare) one by
/// one.
async fn finish(
    conn: &mut PgConnection,
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
    if !done.is_empty() {
        let rows = sqlx::query(
            "UPDATE inbox
             SET state = 'done', claimed_by = NULL, lease_until = NULL, not_before = NULL,
                 processed_at = $1
             WHERE state = 'processing' AND claimed_by = $2
               AND (connection, event_id) IN (SELECT * FROM UNNEST($3::text[], $4::text[]))
             RETURNING connection, event_id",
        )
        .bind(now)
        .bind(worker)
        .bind(column(&done, |(connection, _, _)| connection.clone()))
        .bind(column(&done, |(_, event_id, _)| event_id.clone()))
        .fetch_all(&mut *conn)
        .await?;
        for row in rows {
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
