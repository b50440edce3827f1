//! The embedded backend: one SQLite file, `.ferry/state.db` by default.
//!
//! Durability: WAL with `synchronous=FULL`, so a commit has reached the disk (not only the OS)
//! before it returns. With NORMAL a power cut could lose the last commits and the cursor they
//! moved, which would break the promise that a cursor moves only after its writes are durable.

pub mod audit;
pub mod checkpoint;
pub mod cross_reference;
pub mod cursor;
pub mod dead_letter;
pub mod finished;
pub mod idempotency;
pub mod inbox;
pub mod last_event;
pub mod object_version;
pub mod scan;

use std::str::FromStr;
use std::time::Duration;

use jiff::Timestamp;
use sqlx::SqlSafeStr;
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use super::error::StoreError;

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
pub async fn open(url: &str) -> Result<(SqlitePool, Option<checkpoint::Checkpoints>), StoreError> {
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
    migrator().run(&pool).await?;
    let checkpoints = (!in_memory).then(|| checkpoint::Checkpoints::start(pool.clone()));
    Ok((pool, checkpoints))
}

/// The database file `url` names; `None` for an in-memory database.
pub fn database_file(url: &str) -> Option<std::path::PathBuf> {
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

pub(crate) fn millis(at: Timestamp) -> i64 {
    at.as_millisecond()
}

pub(crate) fn timestamp(
    millis: i64,
    table: &'static str,
    column: &'static str,
) -> Result<Timestamp, StoreError> {
    Timestamp::from_millisecond(millis).map_err(|error| StoreError::Corrupt {
        table,
        column,
        detail: error.to_string(),
    })
}
