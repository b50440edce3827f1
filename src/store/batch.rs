//! A transaction over the store, so a runner's writes and its cursor are kept together or not
//! at all.

use std::ops::{Deref, DerefMut};

use super::StoreError;
use super::backend::{Statements, Transaction};

/// Writes that become durable together on [`Batch::commit`]. Dropping a batch without
/// committing rolls every write back. Every statement of [`Statements`] can be made in a batch
/// (`batch.set_cursor(..)`), on the batch's transaction.
///
/// On SQLite a batch holds the database's write lock from `begin` to `commit`: open it after
/// the API calls it records, never across them, or every other writer waits.
pub struct Batch {
    transaction: Box<dyn Transaction>,
}

impl Batch {
    pub(super) fn new(transaction: Box<dyn Transaction>) -> Batch {
        Batch { transaction }
    }

    /// Makes every write of the batch durable at once.
    pub async fn commit(self) -> Result<(), StoreError> {
        self.transaction.commit().await
    }

    /// Discards every write of the batch (dropping it does the same, later).
    pub async fn rollback(self) -> Result<(), StoreError> {
        self.transaction.rollback().await
    }
}

impl Deref for Batch {
    type Target = dyn Statements;

    fn deref(&self) -> &Self::Target {
        &*self.transaction
    }
}

impl DerefMut for Batch {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut *self.transaction
    }
}
