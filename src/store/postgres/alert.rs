//! The alerts' history: one row per alert sent or tried.

use jiff::Timestamp;
use sqlx::postgres::PgConnection;

use super::{millis, timestamp};
use crate::store::rows;
use crate::store::{AlertRecord, StoreError};

pub async fn put(conn: &mut PgConnection, alert: &AlertRecord) -> Result<i64, StoreError> {
    let json = |value: serde_json::Result<String>| {
        value.map_err(|error| StoreError::Corrupt {
            table: "alerts",
            column: "delivered",
            detail: error.to_string(),
        })
    };
    let id = sqlx::query_scalar(
        "INSERT INTO alerts (trigger, key, subject, body, at, delivered, failed)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(&alert.trigger)
    .bind(&alert.key)
    .bind(&alert.subject)
    .bind(&alert.body)
    .bind(millis(alert.at))
    .bind(json(serde_json::to_string(&alert.delivered))?)
    .bind(json(serde_json::to_string(&alert.failed))?)
    .fetch_one(conn)
    .await?;
    Ok(id)
}

/// When an alert of `key` last reached a channel.
pub async fn last_sent(
    conn: &mut PgConnection,
    key: &str,
) -> Result<Option<Timestamp>, StoreError> {
    let at: Option<i64> =
        sqlx::query_scalar("SELECT MAX(at) FROM alerts WHERE key = $1 AND delivered <> '[]'")
            .bind(key)
            .fetch_one(conn)
            .await?;
    at.map(|at| timestamp(at, "alerts", "at")).transpose()
}

/// The newest `limit` alerts, newest first.
pub async fn recent(conn: &mut PgConnection, limit: u32) -> Result<Vec<AlertRecord>, StoreError> {
    let rows = sqlx::query(
        "SELECT trigger, key, subject, body, at, delivered, failed FROM alerts
         ORDER BY id DESC LIMIT $1",
    )
    .bind(i64::from(limit))
    .fetch_all(conn)
    .await?;
    rows.iter().map(rows::alert).collect()
}
