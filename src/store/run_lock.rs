//! One delivering run per pipeline and store. Two `ferry run`s of one pipeline on one store
//! would read the same cursor and deliver every record twice (only the targets' idempotency
//! keys and match keys stopped duplicates), so a run holds its pipeline's lock while it
//! delivers, and a second one refuses, or waits with `--wait`. How the lock is held is the
//! backend's affair (SQLite: a file lock beside the database).

use futures_util::future::BoxFuture;

use super::StoreError;

/// Held while a run delivers; dropping it lets the next run in.
#[must_use = "the lock is released when this is dropped"]
pub struct RunLock {
    held: Box<dyn Held>,
}

impl RunLock {
    /// A lock that lasts as long as `held` does.
    pub(super) fn holding(held: impl Held + 'static) -> RunLock {
        RunLock {
            held: Box::new(held),
        }
    }

    /// Whether the lock is still this run's: `StoreError::RunLockLost` when it went with its
    /// connection to the server (restarted, or the connection cut), and another run may hold
    /// it now. A run asks before each batch, and stops rather than read a cursor another run
    /// may be reading.
    pub async fn check(&self) -> Result<(), StoreError> {
        self.held.check().await
    }
}

/// What keeps a run lock, per backend.
pub(super) trait Held: Send + Sync {
    /// Ok while the lock is held. A lock held by the process itself (a file lock, a lock in
    /// memory) cannot be lost while it lives.
    fn check(&self) -> BoxFuture<'_, Result<(), StoreError>> {
        Box::pin(async { Ok(()) })
    }
}

impl Held for std::fs::File {}
