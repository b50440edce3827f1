//! The shared backend: one PostgreSQL database for every ferry process of a fleet (`ferry
//! serve` on several machines, `ferry run`s beside them).
//!
//! The schema keeps SQLite's representation: times are unix milliseconds (UTC) in BIGINT, JSON
//! is text. A store then moves from one to the other row by row, and the checksums of the two
//! compare (`ferry store migrate`).
//!
//! Writers run side by side (no turn to take): a [`Batch`](super::Batch) is a plain
//! transaction, and the statements that must not interleave say so themselves (the inbox
//! claim's `FOR UPDATE SKIP LOCKED`, upserts that compare versions). Run locks are session
//! advisory locks (`run_lock.rs`), and a connection's request budget is one row that every process
//! reserves its slots from (`rate_limit.rs`). Each statement is a function of one file per table family,
//! taking a `&mut PgConnection`; `session.rs` offers them as [`Statements`](super::Statements).

mod activity;
mod audit;
mod copy;
mod cross_reference;
mod finished;
mod idempotency;
mod inbox;
mod object_version;
mod rate_limit;
mod run_lock;
mod scan;
mod session;

use super::portable::{
    alert, cursor, dead_letter, last_event, lease, reconcile_report, record_seen,
};
use std::str::FromStr;
use std::time::Duration;

use futures_util::future::BoxFuture;
use sqlx::Connection;
use sqlx::SqlSafeStr;
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPool, PgPoolOptions};

use super::RunLock;
use super::backend::{Answer, Backend, Filling, Snapshot, Statements, Transaction};
use super::error::{StoreError, shown_url};
use session::Session;

/// The PostgreSQL backend: a pool of connections to one database.
pub(super) struct Postgres {
    pool: PgPool,
    /// Where run locks' own connections go (each lock holds one for as long as it lives).
    options: PgConnectOptions,
    /// The URL as it may be shown (no password), for messages.
    shown: String,
}

/// Connections per process: the endpoints, the writer task, the workers and the readers of
/// the dashboard share them. Several processes share one server, whose default allows 100.
const MAX_CONNECTIONS: u32 = 10;
/// How long a statement waits for a free connection, or for the server to answer a connect,
/// before it fails (and the caller retries: a worker, a run's next batch).
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(30);
/// How long opening the store waits for the server's first answer. A refused port fails at
/// once, but a host that drops packets would hold a starting command silently.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

impl Postgres {
    /// Connects to the database at a `postgres://` URL and brings its schema up to date.
    pub(super) async fn open(url: &str) -> Result<Postgres, StoreError> {
        let shown = shown_url(url);
        let options = PgConnectOptions::from_str(url)
            .map_err(|source| StoreError::Open {
                url: shown.clone(),
                source,
            })?
            // A statement's plan for the values it is given each time. The store's tables
            // start empty and grow by thousands of rows a minute; the generic plan PostgreSQL
            // would otherwise keep for a connection's prepared statement, chosen while a table
            // was nearly empty (a sequential scan), stays with it as the table grows (6 ms
            // instead of 0.1 ms a lookup after 30,000 events).
            .options([("plan_cache_mode", "force_custom_plan")]);
        probe(&options, &shown).await?;
        let pool = PgPoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options.clone())
            .await
            .map_err(|source| connect_error(&shown, source))?;
        migrate(&pool, &shown).await?;
        Ok(Postgres {
            pool,
            options,
            shown,
        })
    }
}

impl Backend for Postgres {
    fn reader(&self) -> Answer<'_, Box<dyn Statements>> {
        Box::pin(async move {
            let connection = self.pool.acquire().await?;
            Ok(Box::new(Session { connection }) as Box<dyn Statements>)
        })
    }

    fn writer(&self) -> Answer<'_, Box<dyn Statements>> {
        self.reader()
    }

    fn begin(&self) -> Answer<'_, Box<dyn Transaction>> {
        Box::pin(async move {
            let connection = self.pool.begin().await?;
            Ok(Box::new(Session { connection }) as Box<dyn Transaction>)
        })
    }

    fn lock_run<'a>(
        &'a self,
        pipeline: &'a str,
        holder: &'a str,
        wait: bool,
    ) -> Answer<'a, RunLock> {
        Box::pin(run_lock::lock(
            &self.options,
            &self.shown,
            pipeline,
            holder,
            wait,
        ))
    }

    fn reserve_request<'a>(
        &'a self,
        key: &'a str,
        interval: Duration,
        tolerance: Duration,
    ) -> Answer<'a, Option<Duration>> {
        Box::pin(async move {
            let mut connection = self.pool.acquire().await?;
            let wait = rate_limit::reserve(&mut connection, key, interval, tolerance).await?;
            Ok(Some(wait))
        })
    }

    /// The fleet's database.
    fn shared(&self) -> bool {
        true
    }

    fn close(&self) -> BoxFuture<'_, ()> {
        Box::pin(self.pool.close())
    }

    fn snapshot(&self) -> Answer<'_, Box<dyn Snapshot>> {
        Box::pin(async move {
            let transaction = self
                .pool
                .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                .await?;
            Ok(Box::new(copy::PostgresSnapshot { transaction }) as Box<dyn Snapshot>)
        })
    }

    fn fill(&self) -> Answer<'_, Box<dyn Filling>> {
        Box::pin(async move {
            let transaction = self.pool.begin().await?;
            Ok(Box::new(copy::PostgresFilling {
                transaction,
                shown: self.shown.clone(),
            }) as Box<dyn Filling>)
        })
    }
}

/// One connection, made once and closed: the pool retries a failed connect until its acquire
/// timeout and then only says it timed out, so a wrong host, port, database or role is told
/// here, at once, in the server's words.
async fn probe(options: &PgConnectOptions, shown: &str) -> Result<(), StoreError> {
    match tokio::time::timeout(CONNECT_TIMEOUT, PgConnection::connect_with(options)).await {
        Err(_) => Err(StoreError::Unreachable {
            store: shown.to_string(),
            detail: format!("no answer within {}s", CONNECT_TIMEOUT.as_secs()),
        }),
        Ok(Err(source)) => Err(connect_error(shown, source)),
        Ok(Ok(connection)) => {
            // Closing politely only spares the server a log line; a failure changes nothing.
            let _ = connection.close().await;
            Ok(())
        }
    }
}

/// A failed connect, told by what the server said: the database missing, the role refused, or
/// the server out of reach.
fn connect_error(shown: &str, source: sqlx::Error) -> StoreError {
    if let sqlx::Error::Io(error) = &source {
        return StoreError::Unreachable {
            store: shown.to_string(),
            detail: error.to_string(),
        };
    }
    let code = source
        .as_database_error()
        .and_then(|error| error.code().map(|code| code.into_owned()));
    match code.as_deref() {
        // invalid_catalog_name
        Some("3D000") => StoreError::MissingDatabase {
            store: shown.to_string(),
            detail: database_message(&source),
        },
        // invalid_authorization_specification, invalid_password, insufficient_privilege
        Some("28000" | "28P01" | "42501") => StoreError::NoRights {
            store: shown.to_string(),
            detail: database_message(&source),
        },
        _ => StoreError::Open {
            url: shown.to_string(),
            source,
        },
    }
}

fn database_message(error: &sqlx::Error) -> String {
    error
        .as_database_error()
        .map_or_else(|| error.to_string(), |error| error.message().to_string())
}

/// Applies the migrations this ferry has and the database lacks, each in a transaction of its
/// own (a failed one leaves nothing behind), under the migrator's advisory lock (processes
/// starting together migrate once). A database migrated by a newer ferry is refused before
/// anything is changed.
async fn migrate(pool: &PgPool, shown: &str) -> Result<(), StoreError> {
    let migrator = migrator();
    let known = migrator.iter().map(|m| m.version).max().unwrap_or_default();
    let applied: Option<i64> =
        match sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success")
            .fetch_one(pool)
            .await
        {
            Ok(applied) => applied,
            // undefined_table: a new database, nothing applied yet.
            Err(error)
                if error
                    .as_database_error()
                    .and_then(|e| e.code())
                    .is_some_and(|code| code == "42P01") =>
            {
                None
            }
            Err(error) => return Err(connect_error(shown, error)),
        };
    if let Some(applied) = applied.filter(|applied| *applied > known) {
        return Err(StoreError::NewerSchema {
            store: shown.to_string(),
            found: applied,
            known,
        });
    }
    migrator.run(pool).await.map_err(|error| match error {
        sqlx::migrate::MigrateError::Execute(source) => match connect_error(shown, source) {
            StoreError::Open { source, .. } => super::error::migrate_failed(
                shown,
                known,
                sqlx::migrate::MigrateError::Execute(source),
            ),
            refused => refused,
        },
        other => super::error::migrate_failed(shown, known, other),
    })
}

/// The schema's history, embedded in the binary. Append new files; never edit an applied one.
fn migrator() -> Migrator {
    Migrator::with_migrations(vec![
        migration(
            1,
            "store",
            include_str!("../migrations/postgres/0001_store.sql"),
        ),
        migration(
            2,
            "fleet",
            include_str!("../migrations/postgres/0002_fleet.sql"),
        ),
        migration(
            3,
            "inbox body apart",
            include_str!("../migrations/postgres/0003_inbox_body_apart.sql"),
        ),
    ])
}

fn migration(version: i64, description: &'static str, sql: &'static str) -> Migration {
    Migration::new(
        version,
        description.into(),
        MigrationType::Simple,
        sql.into_sql_str(),
        false,
    )
}

use super::rows::millis;

super::portable::sql_on!(sqlx::postgres::PgConnection, sqlx::Postgres);
super::rows::store_row!(sqlx::postgres::PgRow);
