//! One delivering run per pipeline and store. Two `ferry run`s of one pipeline on one store
//! would read the same cursor and deliver every record twice (only the targets' idempotency
//! keys and match keys stopped duplicates), so a run holds its pipeline's lock while it
//! delivers, and a second one refuses, or waits with `--wait`. How the lock is held is the
//! backend's affair (SQLite: a file lock beside the database).

/// Held while a run delivers; dropping it lets the next run in.
#[must_use = "the lock is released when this is dropped"]
pub struct RunLock {
    _held: Box<dyn Send + Sync>,
}

impl RunLock {
    /// A lock that lasts as long as `held` does.
    pub(super) fn holding(held: impl Send + Sync + 'static) -> RunLock {
        RunLock {
            _held: Box::new(held),
        }
    }
}
