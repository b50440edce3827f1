//! The alerts' history: one row per alert sent or tried.

use jiff::Timestamp;

use super::Param::{Integer, Text};
use super::Sql;
use crate::store::rows::{self, millis, timestamp};
use crate::store::{AlertRecord, StoreError};

pub async fn put(conn: &mut impl Sql, alert: &AlertRecord) -> Result<i64, StoreError> {
    let json = |column, value: serde_json::Result<String>| {
        value.map_err(|error| StoreError::Corrupt {
            table: "alerts",
            column,
            detail: error.to_string(),
        })
    };
    let delivered = json("delivered", serde_json::to_string(&alert.delivered))?;
    let failed = json("failed", serde_json::to_string(&alert.failed))?;
    let row = conn
        .fetch_one(
            "INSERT INTO alerts (trigger, key, subject, body, at, delivered, failed)
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            &[
                Text(&alert.trigger),
                Text(&alert.key),
                Text(&alert.subject),
                Text(&alert.body),
                Integer(millis(alert.at)),
                Text(&delivered),
                Text(&failed),
            ],
        )
        .await?;
    Ok(row.integer(0)?)
}

/// When an alert of `key` last reached a channel.
pub async fn last_sent(conn: &mut impl Sql, key: &str) -> Result<Option<Timestamp>, StoreError> {
    let row = conn
        .fetch_one(
            "SELECT MAX(at) FROM alerts WHERE key = $1 AND delivered <> '[]'",
            &[Text(key)],
        )
        .await?;
    row.optional_integer(0)?
        .map(|at| timestamp(at, "alerts", "at"))
        .transpose()
}

pub async fn recent(conn: &mut impl Sql, limit: u32) -> Result<Vec<AlertRecord>, StoreError> {
    let rows = conn
        .fetch_all(
            "SELECT trigger, key, subject, body, at, delivered, failed FROM alerts
             ORDER BY id DESC LIMIT $1",
            &[Integer(i64::from(limit))],
        )
        .await?;
    rows.iter().map(|row| rows::alert(row.as_ref())).collect()
}
