//! Leases on scheduled work: a named lease has one holder at a time, until its time runs out.
//! The holder renews it while it lives; a holder that dies lets it run out.

use jiff::Timestamp;
use sqlx::postgres::PgConnection;

use super::millis;
use crate::store::StoreError;

/// Takes the lease `name` for `holder` until `until` (unix milliseconds), or renews it: when
/// nobody holds it, when `holder` already does, when it ran out, or when its holder is
/// `replacing`. One upsert, so two takers racing for a free lease never both win.
pub async fn take(
    conn: &mut PgConnection,
    name: &str,
    holder: &str,
    until: i64,
    replacing: Option<&str>,
) -> Result<bool, StoreError> {
    let now = millis(Timestamp::now());
    let taken: Option<String> = sqlx::query_scalar(
        "INSERT INTO leases (name, holder, held_until) VALUES ($1, $2, $3)
         ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, held_until = excluded.held_until
         WHERE leases.holder = excluded.holder OR leases.held_until <= $4
               OR leases.holder = $5
         RETURNING holder",
    )
    .bind(name)
    .bind(holder)
    .bind(until)
    .bind(now)
    .bind(replacing)
    .fetch_optional(conn)
    .await?;
    Ok(taken.is_some())
}

pub async fn holder(conn: &mut PgConnection, name: &str) -> Result<Option<String>, StoreError> {
    Ok(
        sqlx::query_scalar("SELECT holder FROM leases WHERE name = $1")
            .bind(name)
            .fetch_optional(conn)
            .await?,
    )
}

pub async fn release(conn: &mut PgConnection, name: &str, holder: &str) -> Result<(), StoreError> {
    sqlx::query("DELETE FROM leases WHERE name = $1 AND holder = $2")
        .bind(name)
        .bind(holder)
        .execute(conn)
        .await?;
    Ok(())
}
