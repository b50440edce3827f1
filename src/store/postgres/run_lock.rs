//! Run locks (see [`RunLock`]) on PostgreSQL: a session advisory lock per pipeline, taken on a
//! connection of its own that the lock keeps. Runners on any machine see it; it goes with the
//! connection, so a runner killed with SIGKILL (or cut off from the server) lets the next one
//! in without clearing anything by hand. Who holds it is written beside it, for the message.

use std::time::Duration;

use jiff::Timestamp;
use sqlx::Connection;
use sqlx::postgres::{PgConnectOptions, PgConnection};

use super::millis;
use crate::store::{RunLock, StoreError};

/// How often a waiting run looks again.
const RETRY: Duration = Duration::from_millis(200);

/// The advisory lock's key: the pipeline's name, hashed by the server, in a key space of
/// ferry's run locks. Advisory locks are the database's, not the schema's: the schema is in
/// the key, so that stores in two schemas of one database do not lock each other out.
const TRY_LOCK: &str = "SELECT pg_try_advisory_lock(
    hashtextextended('ferry run lock: ' || current_schema() || '.' || $1, 0))";

/// Takes `pipeline`'s lock for `holder`; with `wait`, waits until the run holding it ends.
pub(super) async fn lock(
    options: &PgConnectOptions,
    shown: &str,
    pipeline: &str,
    holder: &str,
    wait: bool,
) -> Result<RunLock, StoreError> {
    let mut connection = PgConnection::connect_with(options)
        .await
        .map_err(|source| StoreError::Open {
            url: shown.to_string(),
            source,
        })?;
    loop {
        let taken: bool = sqlx::query_scalar(TRY_LOCK)
            .bind(pipeline)
            .fetch_one(&mut connection)
            .await?;
        if taken {
            sqlx::query(
                "INSERT INTO run_lock_holders (pipeline, holder, since) VALUES ($1, $2, $3)
                 ON CONFLICT (pipeline) DO UPDATE SET holder = excluded.holder,
                                                      since = excluded.since",
            )
            .bind(pipeline)
            .bind(holder)
            .bind(millis(Timestamp::now()))
            .execute(&mut connection)
            .await?;
            return Ok(RunLock::holding(HeldLock {
                connection: tokio::sync::Mutex::new(connection),
                pipeline: pipeline.to_string(),
            }));
        }
        let holding: Option<String> =
            sqlx::query_scalar("SELECT holder FROM run_lock_holders WHERE pipeline = $1")
                .bind(pipeline)
                .fetch_optional(&mut connection)
                .await?;
        let holding = holding.unwrap_or_else(|| "another runner".to_string());
        if !wait {
            return Err(StoreError::RunLocked {
                pipeline: pipeline.to_string(),
                holder: holding,
            });
        }
        tracing::info!(pipeline, holder = %holding, "waiting for the run that holds the pipeline's lock");
        tokio::time::sleep(RETRY).await;
    }
}

/// The lock's connection: closing it (dropping it) ends the session, and the server lets the
/// lock go with it.
struct HeldLock {
    connection: tokio::sync::Mutex<PgConnection>,
    pipeline: String,
}

/// How long a check of the lock's connection may take. A server that does not answer may
/// have ended the session already; the run stops rather than wait on it.
const CHECK_PATIENCE: Duration = Duration::from_secs(10);

impl crate::store::run_lock::Held for HeldLock {
    /// The session still lives, so the lock is still its own: a session lock goes only with
    /// an unlock (never sent) or with the session.
    fn check(&self) -> futures_util::future::BoxFuture<'_, Result<(), StoreError>> {
        Box::pin(async move {
            let mut connection = self.connection.lock().await;
            let reason = match tokio::time::timeout(CHECK_PATIENCE, connection.ping()).await {
                Ok(Ok(())) => return Ok(()),
                Ok(Err(error)) => error.to_string(),
                Err(_) => format!("no answer in {} s", CHECK_PATIENCE.as_secs()),
            };
            Err(StoreError::RunLockLost {
                pipeline: self.pipeline.clone(),
                reason,
            })
        })
    }
}
