//! Leases on scheduled work: a named lease has one holder at a time, until its time runs out.
//! The holder renews it while it lives; a holder that dies lets it run out.

use jiff::Timestamp;

use super::Param::{Integer, OptionalText, Text};
use super::Sql;
use crate::store::StoreError;
use crate::store::rows::millis;

/// Takes the lease `name` for `holder` until `until` (unix milliseconds), or renews it: when
/// nobody holds it, when `holder` already does, when it ran out, or when its holder is
/// `replacing`. One upsert, so two takers racing for a free lease never both win.
pub async fn take(
    conn: &mut impl Sql,
    name: &str,
    holder: &str,
    until: i64,
    replacing: Option<&str>,
) -> Result<bool, StoreError> {
    let taken = conn
        .fetch_optional(
            "INSERT INTO leases (name, holder, held_until) VALUES ($1, $2, $3)
             ON CONFLICT (name) DO UPDATE
             SET holder = excluded.holder, held_until = excluded.held_until
             WHERE leases.holder = excluded.holder OR leases.held_until <= $4
                   OR leases.holder = $5
             RETURNING holder",
            &[
                Text(name),
                Text(holder),
                Integer(until),
                Integer(millis(Timestamp::now())),
                OptionalText(replacing),
            ],
        )
        .await?;
    Ok(taken.is_some())
}

pub async fn holder(conn: &mut impl Sql, name: &str) -> Result<Option<String>, StoreError> {
    let row = conn
        .fetch_optional("SELECT holder FROM leases WHERE name = $1", &[Text(name)])
        .await?;
    Ok(row.map(|row| row.text(0)).transpose()?)
}

pub async fn release(conn: &mut impl Sql, name: &str, holder: &str) -> Result<(), StoreError> {
    conn.execute(
        "DELETE FROM leases WHERE name = $1 AND holder = $2",
        &[Text(name), Text(holder)],
    )
    .await?;
    Ok(())
}
