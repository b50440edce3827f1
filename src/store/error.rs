//! What can go wrong with the state store.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "unsupported store URL `{0}`: use `sqlite://path`, `sqlite::memory:` or \
         `postgres://user@host/database`"
    )]
    UnsupportedUrl(String),
    #[error("cannot create the store's folder {}: {source}", path.display())]
    CreateFolder {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot open the store at `{url}`: {source}")]
    Open { url: String, source: sqlx::Error },
    #[error("the store at `{store}` has no such database: {detail}")]
    MissingDatabase { store: String, detail: String },
    #[error(
        "the store at `{store}` refused ferry: {detail}; the role needs to connect and to \
         create tables in the database"
    )]
    NoRights { store: String, detail: String },
    #[error(
        "the store at `{store}` was written by a newer ferry (schema version {found}; this \
         ferry knows up to {known}); upgrade ferry, nothing was changed"
    )]
    NewerSchema {
        store: String,
        found: i64,
        known: i64,
    },
    #[error(
        "only a PostgreSQL store can be filled by `ferry store migrate`: pass `--to \
         postgres://user@host/database`"
    )]
    NotACopyTarget,
    #[error(
        "the store at `{store}` already holds rows in `{table}`; `ferry store migrate` copies \
         into an empty store only, and changed nothing"
    )]
    TargetNotEmpty { store: String, table: String },
    #[error(
        "the store holds a table `{0}` this ferry does not know how to copy; nothing was copied"
    )]
    UnknownTable(String),
    #[error("copying `{table}` failed, so nothing was copied: {source}")]
    CopyFailed {
        table: &'static str,
        source: Box<StoreError>,
    },
    #[error(
        "cannot bring the schema of the store at `{store}` up to date (a failed step keeps \
         nothing): {source}"
    )]
    Migrate {
        store: String,
        source: sqlx::migrate::MigrateError,
    },
    #[error(
        "cannot reach the store at `{store}`: {detail}; check its host and port, and that the \
         server is running"
    )]
    Unreachable { store: String, detail: String },
    #[error("store query failed: {0}")]
    Database(#[from] sqlx::Error),
    /// A row the store itself wrote no longer reads back: a bug or a hand-edited database.
    #[error("the store holds an unreadable value in {table}.{column}: {detail}")]
    Corrupt {
        table: &'static str,
        column: &'static str,
        detail: String,
    },
    #[error("no dead letter with id {0}")]
    DeadLetterNotFound(i64),
    #[error(
        "dead letter {id} is already closed ({resolution}); a new failure of its record reopens it"
    )]
    DeadLetterClosed { id: i64, resolution: &'static str },
    #[error("idempotency key `{key}` was already used for a different request")]
    IdempotencyConflict { key: String },
    #[error(
        "pipeline `{pipeline}` is already being run on this store ({holder}); wait for it to \
         finish, or pass --wait to start when it does"
    )]
    RunLocked { pipeline: String, holder: String },
    #[error(
        "the run of pipeline `{pipeline}` lost its lock: its connection to the store ended \
         ({reason}). It stops before its next batch, since another run may hold the lock now; \
         run it again to go on from its last stored batch"
    )]
    RunLockLost { pipeline: String, reason: String },
    #[error("cannot take a run lock in {}: {source}", path.display())]
    Lock {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The writer task that writes for many callers has stopped (the store is closing).
    #[error("the store's writer has stopped")]
    WriterStopped,
    /// The writer task's transaction failed; every caller of the group gets the same error.
    #[error(transparent)]
    Shared(std::sync::Arc<StoreError>),
}

/// A migration that failed, in the store's words: an applied migration this ferry does not
/// have is a newer ferry's (sqlx finds it before it applies anything).
pub(super) fn migrate_failed(
    store: &str,
    known: i64,
    source: sqlx::migrate::MigrateError,
) -> StoreError {
    match source {
        sqlx::migrate::MigrateError::VersionMissing(found) if found > known => {
            StoreError::NewerSchema {
                store: store.to_string(),
                found,
                known,
            }
        }
        source => StoreError::Migrate {
            store: store.to_string(),
            source,
        },
    }
}

/// The URL as it may be shown: a password in it (a PostgreSQL URL) is replaced by `***`, even
/// in a URL that does not parse.
pub fn shown_url(url: &str) -> String {
    crate::formats::url_password::hide_passwords(url)
}
