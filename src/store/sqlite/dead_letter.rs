//! Dead letters: one per pipeline and source record, counting how often it failed.

use jiff::Timestamp;
use sqlx::sqlite::SqliteConnection;

use super::millis;
use crate::store::rows;
use crate::store::{DeadLetter, DeadLetterFilter, DeadLetterStep, Resolution, StoreError};

const COLUMNS: &str = "id, pipeline, source_id, record_json, error_code, error_message, attempts,
                       first_seen, last_seen, resolved_at, resolution, resolution_note";

/// Files a failure. A record that failed before gets one more attempt, its latest copy and
/// error, and is reopened if it had been closed; its `first_seen` stays. (Triggers write the
/// letter's history: see migration 0007.)
pub async fn put(
    conn: &mut SqliteConnection,
    pipeline: &str,
    source_id: &str,
    record_json: &str,
    error_code: &str,
    error_message: &str,
) -> Result<i64, StoreError> {
    let id = sqlx::query_scalar(
        "INSERT INTO dead_letters
             (pipeline, source_id, record_json, error_code, error_message, attempts,
              first_seen, last_seen, resolved_at)
         VALUES (?1, ?2, ?3, ?4, ?5, 1, ?6, ?6, NULL)
         ON CONFLICT (pipeline, source_id) DO UPDATE
         SET record_json = excluded.record_json,
             error_code = excluded.error_code,
             error_message = excluded.error_message,
             attempts = dead_letters.attempts + 1,
             last_seen = excluded.last_seen,
             resolved_at = NULL,
             resolution = NULL,
             resolution_note = NULL
         RETURNING id",
    )
    .bind(pipeline)
    .bind(source_id)
    .bind(record_json)
    .bind(error_code)
    .bind(error_message)
    .bind(millis(Timestamp::now()))
    .fetch_one(conn)
    .await?;
    Ok(id)
}

/// The conditions of `filter`, on parameters ?1 (pipeline), ?2 (include resolved) and ?3
/// (failed after). Each is written out only when it filters, so that SQLite sees which columns
/// a query needs: a count, or a page's ids, then comes from `dead_letters_by_pipeline` alone.
fn conditions(filter: &DeadLetterFilter) -> String {
    let pipeline = match filter.pipeline {
        Some(_) => "pipeline = ?1",
        None => "?1 IS NULL",
    };
    let open = match filter.include_resolved {
        true => "?2",
        false => "NOT ?2 AND resolved_at IS NULL",
    };
    let failed_after = match filter.failed_after {
        Some(_) => "last_seen > ?3",
        None => "?3 IS NULL",
    };
    format!("{pipeline} AND {open} AND {failed_after}")
}

pub async fn list(
    conn: &mut SqliteConnection,
    filter: &DeadLetterFilter,
) -> Result<Vec<DeadLetter>, StoreError> {
    let order = if filter.newest_first { "DESC" } else { "ASC" };
    // The page's ids first: sorting ids is cheap, sorting letters with their records is not.
    let sql = format!(
        "SELECT {COLUMNS} FROM dead_letters WHERE id IN (
             SELECT id FROM dead_letters WHERE {} ORDER BY id {order} LIMIT ?4 OFFSET ?5)
         ORDER BY id {order}",
        conditions(filter)
    );
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(&filter.pipeline)
        .bind(filter.include_resolved)
        .bind(filter.failed_after.map(millis))
        .bind(filter.limit.map_or(-1, i64::from))
        .bind(i64::from(filter.offset))
        .fetch_all(conn)
        .await?;
    rows.iter().map(rows::dead_letter).collect()
}

pub async fn count(
    conn: &mut SqliteConnection,
    filter: &DeadLetterFilter,
) -> Result<u64, StoreError> {
    let sql = format!(
        "SELECT COUNT(*) FROM dead_letters WHERE {}",
        conditions(filter)
    );
    let count: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .bind(&filter.pipeline)
        .bind(filter.include_resolved)
        .bind(filter.failed_after.map(millis))
        .fetch_one(conn)
        .await?;
    Ok(u64::try_from(count).unwrap_or_default())
}

pub async fn by_id(conn: &mut SqliteConnection, id: i64) -> Result<Option<DeadLetter>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM dead_letters WHERE id = ?1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(rows::dead_letter).transpose()
}

/// Marks a letter replayed. Resolving twice keeps the first time and resolution.
pub async fn resolve(conn: &mut SqliteConnection, id: i64) -> Result<(), StoreError> {
    let done = sqlx::query(
        "UPDATE dead_letters SET resolved_at = COALESCE(resolved_at, ?2),
                                 resolution = COALESCE(resolution, 'replayed')
         WHERE id = ?1",
    )
    .bind(id)
    .bind(millis(Timestamp::now()))
    .execute(conn)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::DeadLetterNotFound(id));
    }
    Ok(())
}

/// Resolves the open letter of a record that has since been delivered by a normal run.
pub async fn resolve_delivered(
    conn: &mut SqliteConnection,
    pipeline: &str,
    source_id: &str,
) -> Result<u64, StoreError> {
    let done = sqlx::query(
        "UPDATE dead_letters SET resolved_at = ?3, resolution = 'delivered'
         WHERE pipeline = ?1 AND source_id = ?2 AND resolved_at IS NULL",
    )
    .bind(pipeline)
    .bind(source_id)
    .bind(millis(Timestamp::now()))
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

/// Closes an open letter without delivering its record, keeping `reason`.
pub async fn discard(conn: &mut SqliteConnection, id: i64, reason: &str) -> Result<(), StoreError> {
    let done = sqlx::query(
        "UPDATE dead_letters
         SET resolved_at = ?2, resolution = 'discarded', resolution_note = ?3
         WHERE id = ?1 AND resolved_at IS NULL",
    )
    .bind(id)
    .bind(millis(Timestamp::now()))
    .bind(reason)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 1 {
        return Ok(());
    }
    match by_id(conn, id).await? {
        None => Err(StoreError::DeadLetterNotFound(id)),
        Some(letter) => Err(StoreError::DeadLetterClosed {
            id,
            resolution: letter.resolution.map_or("resolved", Resolution::as_str),
        }),
    }
}

/// The letter's story, oldest first.
pub async fn history(
    conn: &mut SqliteConnection,
    id: i64,
) -> Result<Vec<DeadLetterStep>, StoreError> {
    let rows = sqlx::query(
        "SELECT at, what, error_code, error_message, note FROM dead_letter_history
         WHERE letter_id = ?1 ORDER BY id",
    )
    .bind(id)
    .fetch_all(conn)
    .await?;
    rows.iter().map(rows::dead_letter_step).collect()
}
