//! Dead letters: one per pipeline and source record, counting how often it failed. (Triggers
//! write each letter's history: see the migrations.)

use jiff::Timestamp;
use sqlx::AssertSqlSafe;

use super::Param::{self, Bool, Integer, OptionalInteger, OptionalText, Text};
use super::Sql;
use crate::store::rows::{self, millis};
use crate::store::{DeadLetter, DeadLetterFilter, DeadLetterStep, Resolution, StoreError};

const COLUMNS: &str = "id, pipeline, source_id, record_json, error_code, error_message, attempts,
                       first_seen, last_seen, resolved_at, resolution, resolution_note";

/// Files a failure. A record that failed before gets one more attempt, its latest copy and
/// error, and is reopened if it had been closed; its `first_seen` stays.
pub async fn put(
    conn: &mut impl Sql,
    pipeline: &str,
    source_id: &str,
    record_json: &str,
    error_code: &str,
    error_message: &str,
) -> Result<i64, StoreError> {
    let row = conn
        .fetch_one(
            "INSERT INTO dead_letters
                 (pipeline, source_id, record_json, error_code, error_message, attempts,
                  first_seen, last_seen, resolved_at)
             VALUES ($1, $2, $3, $4, $5, 1, $6, $6, NULL)
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
            &[
                Text(pipeline),
                Text(source_id),
                Text(record_json),
                Text(error_code),
                Text(error_message),
                Integer(millis(Timestamp::now())),
            ],
        )
        .await?;
    Ok(row.integer(0)?)
}

/// The conditions of `filter`, on parameters $1 (pipeline), $2 (include resolved) and $3
/// (failed after). Each is written out only when it filters, so that the planner sees which
/// columns a query needs: a count, or a page's ids, then comes from `dead_letters_by_pipeline`
/// alone.
fn conditions(filter: &DeadLetterFilter) -> String {
    let pipeline = match filter.pipeline {
        Some(_) => "pipeline = $1",
        None => "$1 IS NULL",
    };
    let open = match filter.include_resolved {
        true => "$2",
        false => "NOT $2 AND resolved_at IS NULL",
    };
    let failed_after = match filter.failed_after {
        Some(_) => "last_seen > $3",
        None => "$3 IS NULL",
    };
    format!("{pipeline} AND {open} AND {failed_after}")
}

fn filter_params(filter: &DeadLetterFilter) -> [Param<'_>; 3] {
    [
        OptionalText(filter.pipeline.as_deref()),
        Bool(filter.include_resolved),
        OptionalInteger(filter.failed_after.map(millis)),
    ]
}

pub async fn list(
    conn: &mut impl Sql,
    filter: &DeadLetterFilter,
) -> Result<Vec<DeadLetter>, StoreError> {
    let order = if filter.newest_first { "DESC" } else { "ASC" };
    // The page's ids first: sorting ids is cheap, sorting letters with their records is not.
    let sql = format!(
        "SELECT {COLUMNS} FROM dead_letters WHERE id IN (
             SELECT id FROM dead_letters WHERE {} ORDER BY id {order} LIMIT $4 OFFSET $5)
         ORDER BY id {order}",
        conditions(filter)
    );
    let [pipeline, include_resolved, failed_after] = filter_params(filter);
    let rows = conn
        .fetch_all(
            AssertSqlSafe(sql),
            &[
                pipeline,
                include_resolved,
                failed_after,
                // No limit: the most rows there can be (SQLite reads a negative limit as none,
                // PostgreSQL refuses it).
                Integer(filter.limit.map_or(i64::MAX, i64::from)),
                Integer(i64::from(filter.offset)),
            ],
        )
        .await?;
    rows.iter()
        .map(|row| rows::dead_letter(row.as_ref()))
        .collect()
}

pub async fn count(conn: &mut impl Sql, filter: &DeadLetterFilter) -> Result<u64, StoreError> {
    let sql = format!(
        "SELECT COUNT(*) FROM dead_letters WHERE {}",
        conditions(filter)
    );
    let row = conn
        .fetch_one(AssertSqlSafe(sql), &filter_params(filter))
        .await?;
    Ok(u64::try_from(row.integer(0)?).unwrap_or_default())
}

pub async fn by_id(conn: &mut impl Sql, id: i64) -> Result<Option<DeadLetter>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM dead_letters WHERE id = $1");
    let row = conn
        .fetch_optional(AssertSqlSafe(sql), &[Integer(id)])
        .await?;
    row.map(|row| rows::dead_letter(row.as_ref())).transpose()
}

/// Marks a letter replayed. Resolving twice keeps the first time and resolution.
pub async fn resolve(conn: &mut impl Sql, id: i64) -> Result<(), StoreError> {
    let changed = conn
        .execute(
            "UPDATE dead_letters SET resolved_at = COALESCE(resolved_at, $2),
                                     resolution = COALESCE(resolution, 'replayed')
             WHERE id = $1",
            &[Integer(id), Integer(millis(Timestamp::now()))],
        )
        .await?;
    if changed == 0 {
        return Err(StoreError::DeadLetterNotFound(id));
    }
    Ok(())
}

/// Resolves the open letter of a record that has since been delivered by a normal run.
pub async fn resolve_delivered(
    conn: &mut impl Sql,
    pipeline: &str,
    source_id: &str,
) -> Result<u64, StoreError> {
    conn.execute(
        "UPDATE dead_letters SET resolved_at = $3, resolution = 'delivered'
         WHERE pipeline = $1 AND source_id = $2 AND resolved_at IS NULL",
        &[
            Text(pipeline),
            Text(source_id),
            Integer(millis(Timestamp::now())),
        ],
    )
    .await
}

/// Closes an open letter without delivering its record, keeping `reason`.
pub async fn discard(conn: &mut impl Sql, id: i64, reason: &str) -> Result<(), StoreError> {
    let changed = conn
        .execute(
            "UPDATE dead_letters
             SET resolved_at = $2, resolution = 'discarded', resolution_note = $3
             WHERE id = $1 AND resolved_at IS NULL",
            &[Integer(id), Integer(millis(Timestamp::now())), Text(reason)],
        )
        .await?;
    if changed == 1 {
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
pub async fn history(conn: &mut impl Sql, id: i64) -> Result<Vec<DeadLetterStep>, StoreError> {
    let rows = conn
        .fetch_all(
            "SELECT at, what, error_code, error_message, note FROM dead_letter_history
             WHERE letter_id = $1 ORDER BY id",
            &[Integer(id)],
        )
        .await?;
    rows.iter()
        .map(|row| rows::dead_letter_step(row.as_ref()))
        .collect()
}
