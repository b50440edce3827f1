//! Fleet-wide request budgets: one GCRA row per key (`rate_limits`), whose `tat` (theoretical
//! arrival time) is the next free slot in microseconds of the server's clock. Every process
//! reserves its requests' slots from the same row, so the fleet keeps one pace; the server's
//! clock is the only one read, so the machines' clocks may disagree.

use std::time::Duration;

use sqlx::postgres::PgConnection;

use crate::store::StoreError;

/// Reserves the next slot of `key`: the slot starts at `tat`, or `tolerance` before now if the
/// row has fallen that far behind (an idle budget allows a burst of `tolerance / interval + 1`
/// requests, no more), and the row moves `interval` past it. The insert, the row lock and the
/// update are one statement, so concurrent reservations queue on the row and each gets its
/// own slot, first come first served. Returns how long until the slot (zero: go now).
///
/// `now` is read once, before the row lock: a reservation that waited for the lock is told a
/// wait a little longer than it needs, never shorter.
pub async fn reserve(
    conn: &mut PgConnection,
    key: &str,
    interval: Duration,
    tolerance: Duration,
) -> Result<Duration, StoreError> {
    let wait_us: i64 = sqlx::query_scalar(
        "WITH clock AS (
             SELECT (EXTRACT(EPOCH FROM clock_timestamp()) * 1000000)::BIGINT AS now_us
         ),
         reserved AS (
             INSERT INTO rate_limits AS budget (key, tat)
             SELECT $1, now_us - $3 + $2 FROM clock
             ON CONFLICT (key) DO UPDATE
                 SET tat = GREATEST(budget.tat, EXCLUDED.tat - $2) + $2
             RETURNING tat
         )
         SELECT reserved.tat - $2 - clock.now_us FROM reserved, clock",
    )
    .bind(key)
    .bind(micros(interval))
    .bind(micros(tolerance))
    .fetch_one(conn)
    .await?;
    Ok(Duration::from_micros(u64::try_from(wait_us).unwrap_or(0)))
}

/// Microseconds, saturating: an interval longer than 292,000 years is no limit anyone sets.
fn micros(duration: Duration) -> i64 {
    i64::try_from(duration.as_micros()).unwrap_or(i64::MAX)
}
