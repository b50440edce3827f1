//! The embedded backend: one SQLite file, `.ferry/state.db` by default.
//!
//! Durability: WAL with `synchronous=FULL`, so a commit has reached the disk (not only the OS)
//! before it returns. With NORMAL a power cut could lose the last commits and the cursor they
//! moved, which would break the promise that a cursor moves only after its writes are durable.
//!
//! Times are kept as unix milliseconds (UTC) and returned as [`jiff::Timestamp`]; JSON is text.
//!
//! Writers take turns (see [`Sqlite`]), and a [`Batch`](super::Batch) holds SQLite's write lock
//! from `BEGIN IMMEDIATE` to its commit. Each statement is a function of one file per table
//! family, taking a `&mut SqliteConnection`; `session.rs` offers them as
//! [`Statements`](super::Statements).

mod activity;
mod checkpoint;
mod copy;
mod cross_reference;
mod finished;
mod idempotency;
mod inbox;
mod object_version;
mod run_lock;
mod scan;
mod session;

use super::portable::{
    alert, audit, cursor, dead_letter, last_event, lease, reconcile_report, record_seen,
};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;
use sqlx::SqlSafeStr;
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use tokio::sync::Mutex;

use super::RunLock;
use super::backend::{Answer, Backend, Snapshot, Statements, Transaction};
use super::error::StoreError;
use session::Session;

/// The SQLite backend: a pool of connections to one database, and the writers' turn.
pub(super) struct Sqlite {
    pool: SqlitePool,
    /// Writers take turns here, first come first served, before they ask for SQLite's write
    /// lock. A writer that finds that lock taken is put to sleep by SQLite and retries after
    /// 1 ms, then longer, up to 100 ms a time: with webhooks acknowledged and workers finishing
    /// events side by side, an acknowledgement could wait hundreds of milliseconds for a lock
    /// freed after one. Readers never wait here (WAL).
    turn: Arc<Mutex<()>>,
    /// The background WAL checkpoints of a file database; they stop with the backend.
    _checkpoints: Option<checkpoint::Checkpoints>,
    locks: run_lock::LockPlace,
}

impl Sqlite {
    /// Opens the database at a `sqlite:` URL (`sqlite://path` or `sqlite::memory:`); see
    /// [`open`].
    pub(super) async fn open(url: &str) -> Result<Sqlite, StoreError> {
        let (pool, checkpoints) = open(url).await?;
        Ok(Sqlite {
            pool,
            turn: Arc::new(Mutex::new(())),
            _checkpoints: checkpoints,
            locks: run_lock::LockPlace::for_database(database_file(url)),
        })
    }
}

impl Backend for Sqlite {
    fn reader(&self) -> Answer<'_, Box<dyn Statements>> {
        Box::pin(async move {
            let connection = self.pool.acquire().await?;
            Ok(Box::new(Session {
                connection,
                turn: None,
            }) as Box<dyn Statements>)
        })
    }

    fn writer(&self) -> Answer<'_, Box<dyn Statements>> {
        Box::pin(async move {
            let turn = self.turn.clone().lock_owned().await;
            let connection = self.pool.acquire().await?;
            Ok(Box::new(Session {
                connection,
                turn: Some(turn),
            }) as Box<dyn Statements>)
        })
    }

    fn begin(&self) -> Answer<'_, Box<dyn Transaction>> {
        Box::pin(async move {
            let turn = self.turn.clone().lock_owned().await;
            // IMMEDIATE takes the write lock at once: a deferred transaction that reads first
            // could fail to upgrade under a concurrent writer instead of waiting its turn.
            let connection = self.pool.begin_with("BEGIN IMMEDIATE").await?;
            Ok(Box::new(Session {
                connection,
                turn: Some(turn),
            }) as Box<dyn Transaction>)
        })
    }

    fn lock_run<'a>(
        &'a self,
        pipeline: &'a str,
        holder: &'a str,
        wait: bool,
    ) -> Answer<'a, RunLock> {
        Box::pin(self.locks.lock(pipeline, holder, wait))
    }

    /// One machine's file, used by one `ferry serve` at a time.
    fn shared(&self) -> bool {
        false
    }

    fn close(&self) -> BoxFuture<'_, ()> {
        Box::pin(self.pool.close())
    }

    fn snapshot(&self) -> Answer<'_, Box<dyn Snapshot>> {
        Box::pin(async move {
            // A deferred transaction: its first read fixes what every later one sees (WAL),
            // and it never takes the write lock, so writers are not held up.
            let transaction = self.pool.begin().await?;
            Ok(Box::new(copy::SqliteSnapshot { transaction }) as Box<dyn Snapshot>)
        })
    }
}

/// How long a writer waits for another writer's transaction before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// Readers run beside the one writer SQLite allows; a few connections are plenty.
const MAX_CONNECTIONS: u32 = 4;

/// Whether `url` names an in-memory database, which has no WAL to checkpoint.
fn is_in_memory(url: &str) -> bool {
    url.contains(":memory:") || url.contains("mode=memory")
}

/// Opens (creating if missing) the database at a `sqlite:` URL and brings its schema up to date.
/// A file database comes with the background checkpoints of its WAL, which run while the
/// returned [`checkpoint::Checkpoints`] (or a clone) lives.
async fn open(url: &str) -> Result<(SqlitePool, Option<checkpoint::Checkpoints>), StoreError> {
    let options = SqliteConnectOptions::from_str(url)
        .map_err(|source| StoreError::Open {
            url: url.to_string(),
            source,
        })?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .busy_timeout(BUSY_TIMEOUT)
        .foreign_keys(true);
    let in_memory = is_in_memory(url);
    let options = if in_memory {
        options
    } else {
        create_parent_folder(options.get_filename())?;
        options.pragma(
            "wal_autocheckpoint",
            checkpoint::LAST_RESORT_PAGES.to_string(),
        )
    };
    // An in-memory database lives as long as its connection: keep exactly one, forever.
    let pool_options = if in_memory {
        SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
    } else {
        SqlitePoolOptions::new().max_connections(MAX_CONNECTIONS)
    };
    let pool = pool_options
        .connect_with(options)
        .await
        .map_err(|source| StoreError::Open {
            url: url.to_string(),
            source,
        })?;
    let migrator = migrator();
    let known = migrator.iter().map(|m| m.version).max().unwrap_or_default();
    migrator
        .run(&pool)
        .await
        .map_err(|source| super::error::migrate_failed(url, known, source))?;
    let checkpoints = (!in_memory).then(|| checkpoint::Checkpoints::start(pool.clone()));
    Ok((pool, checkpoints))
}

/// The database file `url` names; `None` for an in-memory database.
fn database_file(url: &str) -> Option<std::path::PathBuf> {
    if is_in_memory(url) {
        return None;
    }
    let options = SqliteConnectOptions::from_str(url).ok()?;
    Some(options.get_filename().to_path_buf())
}

fn create_parent_folder(file: &std::path::Path) -> Result<(), StoreError> {
    match file.parent() {
        Some(folder) if !folder.as_os_str().is_empty() => {
            std::fs::create_dir_all(folder).map_err(|source| StoreError::CreateFolder {
                path: folder.to_path_buf(),
                source,
            })
        }
        _ => Ok(()),
    }
}

/// The schema's history, embedded in the binary. Append new files; never edit an applied one
/// (the migrator refuses a database whose applied migrations' checksums changed).
fn migrator() -> Migrator {
    let migrations = vec![
        migration(
            1,
            "state",
            include_str!("../migrations/sqlite/0001_state.sql"),
        ),
        migration(
            2,
            "inbox",
            include_str!("../migrations/sqlite/0002_inbox.sql"),
        ),
        migration(
            3,
            "cross_references_by_source",
            include_str!("../migrations/sqlite/0003_cross_references_by_source.sql"),
        ),
        migration(
            4,
            "inbox_open_state",
            include_str!("../migrations/sqlite/0004_inbox_open_state.sql"),
        ),
        migration(
            5,
            "writes_in_flight",
            include_str!("../migrations/sqlite/0005_writes_in_flight.sql"),
        ),
        migration(
            6,
            "cross_reference_keys",
            include_str!("../migrations/sqlite/0006_cross_reference_keys.sql"),
        ),
        migration(
            7,
            "dead_letter_history",
            include_str!("../migrations/sqlite/0007_dead_letter_history.sql"),
        ),
        migration(
            8,
            "alerts",
            include_str!("../migrations/sqlite/0008_alerts.sql"),
        ),
        migration(
            9,
            "dashboard_search",
            include_str!("../migrations/sqlite/0009_dashboard_search.sql"),
        ),
        migration(
            10,
            "reconcile_reports",
            include_str!("../migrations/sqlite/0010_reconcile_reports.sql"),
        ),
        migration(
            11,
            "dashboard_at_scale",
            include_str!("../migrations/sqlite/0011_dashboard_at_scale.sql"),
        ),
        migration(
            12,
            "records_read",
            include_str!("../migrations/sqlite/0012_records_read.sql"),
        ),
        migration(
            13,
            "records_seen",
            include_str!("../migrations/sqlite/0013_records_seen.sql"),
        ),
        migration(
            14,
            "fleet",
            include_str!("../migrations/sqlite/0014_fleet.sql"),
        ),
    ];
    Migrator::with_migrations(migrations)
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

super::portable::sql_on!(sqlx::sqlite::SqliteConnection, sqlx::Sqlite);
super::rows::store_row!(sqlx::sqlite::SqliteRow);
