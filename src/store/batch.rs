//! A transaction over the store, so a runner's writes and its cursor are kept together or not
//! at all.

use sqlx::Sqlite;
use sqlx::Transaction;
use tokio::sync::OwnedMutexGuard;

use super::{
    AuditEntry, Backend, CrossReference, FinishedEvents, IdempotencyRecord, InboxEvent,
    InboxOutcome, InboxPut, LastEvent, ObjectVersion, SettledWrites, StoreError, StoredEvent,
    sqlite,
};

/// Writes that become durable together on [`Batch::commit`]. Dropping a batch without
/// committing rolls every write back.
///
/// On SQLite a batch holds the database's write lock from `begin` to `commit`: open it after
/// the API calls it records, never across them, or every other writer waits.
pub struct Batch {
    transaction: BackendTransaction,
    /// The writers' turn (see [`Store`](super::Store)), given back when the batch ends.
    _turn: OwnedMutexGuard<()>,
}

enum BackendTransaction {
    Sqlite(Transaction<'static, Sqlite>),
}

/// Runs `$body` with `$conn` bound to the batch's open transaction.
macro_rules! in_transaction {
    ($batch:expr, |$conn:ident| $body:expr) => {
        match &mut $batch.transaction {
            BackendTransaction::Sqlite(transaction) => {
                let $conn = &mut **transaction;
                $body.await
            }
        }
    };
}

impl Batch {
    pub(super) async fn begin(
        backend: &Backend,
        turn: OwnedMutexGuard<()>,
    ) -> Result<Batch, StoreError> {
        let transaction = match backend {
            // IMMEDIATE takes the write lock up front: a deferred transaction that reads first
            // could fail to upgrade under a concurrent writer instead of waiting its turn.
            Backend::Sqlite(pool) => {
                BackendTransaction::Sqlite(pool.begin_with("BEGIN IMMEDIATE").await?)
            }
        };
        Ok(Batch {
            transaction,
            _turn: turn,
        })
    }

    /// Makes every write of the batch durable at once.
    pub async fn commit(self) -> Result<(), StoreError> {
        match self.transaction {
            BackendTransaction::Sqlite(transaction) => transaction.commit().await?,
        }
        Ok(())
    }

    /// Discards every write of the batch (dropping it does the same, later).
    pub async fn rollback(self) -> Result<(), StoreError> {
        match self.transaction {
            BackendTransaction::Sqlite(transaction) => transaction.rollback().await?,
        }
        Ok(())
    }

    pub async fn cursor(
        &mut self,
        pipeline: &str,
        source: &str,
    ) -> Result<Option<String>, StoreError> {
        in_transaction!(self, |conn| sqlite::cursor::get(conn, pipeline, source))
    }

    pub async fn set_cursor(
        &mut self,
        pipeline: &str,
        source: &str,
        value: &str,
    ) -> Result<(), StoreError> {
        in_transaction!(self, |conn| sqlite::cursor::set(
            conn, pipeline, source, value
        ))
    }

    pub async fn put_cross_reference(&mut self, link: &CrossReference) -> Result<(), StoreError> {
        in_transaction!(self, |conn| sqlite::cross_reference::put(conn, link))
    }

    pub async fn target_id(
        &mut self,
        target_collection: &str,
        source_id: &str,
    ) -> Result<Option<String>, StoreError> {
        in_transaction!(self, |conn| sqlite::cross_reference::target_id(
            conn,
            target_collection,
            source_id
        ))
    }

    pub async fn put_idempotency(&mut self, record: &IdempotencyRecord) -> Result<(), StoreError> {
        in_transaction!(self, |conn| sqlite::idempotency::put(conn, record))
    }

    /// Settles the linked records' in-flight writes, with their cross references and audit
    /// entries.
    pub async fn settle_writes(&mut self, settled: &[SettledWrites]) -> Result<(), StoreError> {
        in_transaction!(self, |conn| sqlite::idempotency::settle(conn, settled))
    }

    /// Records writes about to be sent, in one statement.
    pub async fn put_in_flight(&mut self, records: &[IdempotencyRecord]) -> Result<(), StoreError> {
        in_transaction!(self, |conn| sqlite::idempotency::put_in_flight(
            conn, records
        ))
    }

    pub async fn audit(&mut self, entry: &AuditEntry) -> Result<(), StoreError> {
        in_transaction!(self, |conn| sqlite::audit::append(conn, entry))
    }

    /// Files a permanent failure in the same transaction as the batch's other writes, so a
    /// cursor never moves past a record that is neither written nor dead-lettered.
    pub async fn dead_letter(
        &mut self,
        pipeline: &str,
        source_id: &str,
        record_json: &str,
        error_code: &str,
        error_message: &str,
    ) -> Result<i64, StoreError> {
        in_transaction!(self, |conn| sqlite::dead_letter::put(
            conn,
            pipeline,
            source_id,
            record_json,
            error_code,
            error_message
        ))
    }

    /// Resolves the open dead letter (if any) of a record a later run delivered.
    pub async fn resolve_delivered(
        &mut self,
        pipeline: &str,
        source_id: &str,
    ) -> Result<u64, StoreError> {
        in_transaction!(self, |conn| sqlite::dead_letter::resolve_delivered(
            conn, pipeline, source_id
        ))
    }

    /// Marks a dead letter replayed, together with the replay's writes.
    pub async fn resolve_dead_letter(&mut self, id: i64) -> Result<(), StoreError> {
        in_transaction!(self, |conn| sqlite::dead_letter::resolve(conn, id))
    }

    pub async fn inbox_put(&mut self, event: &InboxEvent) -> Result<InboxPut, StoreError> {
        in_transaction!(self, |conn| sqlite::inbox::put(conn, event))
    }

    /// Puts events in this transaction; see [`Store::inbox_put_many`](super::Store::inbox_put_many).
    pub async fn inbox_put_many(
        &mut self,
        events: &[InboxEvent],
    ) -> Result<Vec<InboxPut>, StoreError> {
        in_transaction!(self, |conn| sqlite::inbox::put_many(conn, events))
    }

    /// Writes a group's cross references, audit entries, dead letters, object versions and
    /// inbox outcomes in a few statements. For each outcome, in order: whether `worker` still
    /// held the event (false: that outcome was not recorded; the other writes were).
    pub async fn write_finished(
        &mut self,
        writes: &FinishedEvents,
        worker: &str,
    ) -> Result<Vec<bool>, StoreError> {
        in_transaction!(self, |conn| sqlite::finished::write(conn, writes, worker))
    }

    /// Claims events as [`Store::inbox_claim`](super::Store::inbox_claim) does, in this
    /// transaction: a worker claims its next events as it finishes the last ones.
    pub async fn inbox_claim(
        &mut self,
        worker: &str,
        limit: u32,
        lease: std::time::Duration,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        in_transaction!(self, |conn| sqlite::inbox::claim(
            conn, worker, limit, lease
        ))
    }

    /// Ends `worker`'s attempt together with the attempt's writes (cross references, audit,
    /// object version), so a crash cannot keep the writes and lose the `done`, or the reverse.
    /// Returns false if `worker` no longer holds the event; the caller should then roll back.
    pub async fn inbox_finish(
        &mut self,
        connection: &str,
        event_id: &str,
        worker: &str,
        outcome: &InboxOutcome,
    ) -> Result<bool, StoreError> {
        in_transaction!(self, |conn| sqlite::inbox::finish(
            conn, connection, event_id, worker, outcome
        ))
    }

    /// Read under the batch's write lock, so a check and a [`Batch::set_object_version`] in
    /// the same batch cannot interleave with another worker's.
    pub async fn object_version(
        &mut self,
        connection: &str,
        object_id: &str,
    ) -> Result<Option<ObjectVersion>, StoreError> {
        in_transaction!(self, |conn| sqlite::object_version::get(
            conn, connection, object_id
        ))
    }

    /// Records the version a worker applies unless the kept one is newer (an equal one is
    /// recorded: same-second events cannot be ordered); never moves back. Returns whether it
    /// was recorded: a worker that gets false skips its older event and rolls back.
    pub async fn set_object_version(
        &mut self,
        version: &ObjectVersion,
    ) -> Result<bool, StoreError> {
        in_transaction!(self, |conn| sqlite::object_version::advance(conn, version))
    }

    /// Moves the catch-up position with the events it covers; see [`Store::set_last_event`](super::Store::set_last_event).
    pub async fn set_last_event(
        &mut self,
        connection: &str,
        last: &LastEvent,
    ) -> Result<bool, StoreError> {
        in_transaction!(self, |conn| sqlite::last_event::advance(
            conn, connection, last
        ))
    }
}
