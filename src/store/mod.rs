//! State that survives crashes: cursors, cross references, idempotency records, dead letters,
//! the audit log, and the webhook inbox with its object versions.
//!
//! [`Store`] is the only door. It dispatches on [`Backend`]; today that is SQLite (embedded, one
//! file). PostgreSQL plugs in as a second variant: a `postgres/` folder mirroring `sqlite/`
//! (one file per table family taking a `&mut PgConnection`), its own `migrations/postgres/`,
//! and one more arm in each `match` here and in [`Batch`]. Callers do not change.
//!
//! Times are kept as unix milliseconds (UTC) and returned as [`jiff::Timestamp`]; JSON is text.
//!
//! Secrets: the store keeps records and errors exactly as given. Callers redact credentials
//! before they hand anything over; [`Store::contains_text`] lets tests prove it.

mod batch;
mod error;
mod finished;
mod inbox;
mod records;
mod run_lock;
mod snapshot;
mod sqlite;
mod writer;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use sqlx::sqlite::SqlitePool;
use tokio::sync::Mutex;

pub use batch::Batch;
pub use error::{StoreError, shown_url};
pub use finished::{FinishedEvents, NewDeadLetter};
pub use inbox::{
    InboxEvent, InboxOutcome, InboxPut, InboxState, InboxStats, LastEvent, ObjectVersion,
    StoredEvent,
};
pub use records::{
    AuditEntry, AuditFilter, CommitBatch, CrossReference, CursorUpdate, DeadLetter,
    DeadLetterFilter, IdempotencyRecord, Operation, SettledWrites, TargetKeys, pipeline_version,
};
pub use run_lock::RunLock;
pub use snapshot::CrossReferenceSnapshot;
pub use writer::Finished;

/// Where the store lives unless `ferry.yaml` says otherwise.
pub const DEFAULT_URL: &str = "sqlite://.ferry/state.db";

/// The database behind the store.
#[derive(Clone)]
pub enum Backend {
    Sqlite(SqlitePool),
}

/// The state store. Cheap to clone: clones share one connection pool.
#[derive(Clone)]
pub struct Store {
    backend: Backend,
    /// Writers take turns here, first come first served, before they ask for SQLite's write
    /// lock. A writer that finds that lock taken is put to sleep by SQLite and retries after
    /// 1 ms, then longer, up to 100 ms a time: with webhooks acknowledged and workers finishing
    /// events side by side, an acknowledgement could wait hundreds of milliseconds for a lock
    /// freed after one. Readers never wait here (WAL).
    turn: Arc<Mutex<()>>,
    /// Where inbox events, writes in flight and workers' finished events are written in
    /// groups; none on the writer task's own handle.
    writer: Option<writer::Writer>,
    /// The background WAL checkpoints of a file database; they stop with the last clone.
    _checkpoints: Option<sqlite::checkpoint::Checkpoints>,
    locks: run_lock::LockPlace,
}

/// As `with_connection!`, for a statement that writes: it waits for the writers' turn first.
macro_rules! with_writer {
    ($store:expr, |$conn:ident| $body:expr) => {{
        let _turn = $store.turn.lock().await;
        with_connection!($store, |$conn| $body)
    }};
}

/// Runs `$body` with `$conn` bound to a pooled connection of whichever backend is open.
macro_rules! with_connection {
    ($store:expr, |$conn:ident| $body:expr) => {
        match &$store.backend {
            Backend::Sqlite(pool) => {
                let mut connection = pool.acquire().await?;
                let $conn = &mut *connection;
                $body.await
            }
        }
    };
}

impl Store {
    /// Opens the store at `url` (`sqlite://path` or `sqlite::memory:`), creating the file and
    /// its folder if missing, and applies any migrations the database has not seen yet.
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        let (backend, checkpoints) = if url.starts_with("sqlite:") {
            let (pool, checkpoints) = sqlite::open(url).await?;
            (Backend::Sqlite(pool), checkpoints)
        } else {
            return Err(StoreError::UnsupportedUrl(shown_url(url)));
        };
        let store = Store {
            backend,
            turn: Arc::new(Mutex::new(())),
            writer: None,
            _checkpoints: checkpoints,
            locks: run_lock::LockPlace::for_database(sqlite::database_file(url)),
        };
        let writer = writer::Writer::start(store.clone());
        Ok(Store {
            writer: Some(writer),
            ..store
        })
    }

    /// Takes `pipeline`'s run lock for as long as the returned guard lives: a second run of it
    /// on this store is refused (`StoreError::RunLocked`, naming `holder`), or with `wait`
    /// waits for this one to end.
    pub async fn lock_run(
        &self,
        pipeline: &str,
        holder: &str,
        wait: bool,
    ) -> Result<RunLock, StoreError> {
        self.locks.lock(pipeline, holder, wait).await
    }

    /// Starts a transaction: everything written through the [`Batch`] is kept on
    /// [`Batch::commit`], or none of it (on an error or a drop).
    pub async fn begin(&self) -> Result<Batch, StoreError> {
        let turn = self.turn.clone().lock_owned().await;
        Batch::begin(&self.backend, turn).await
    }

    /// Makes a runner's batch durable in one transaction: the cursor moves only with its writes.
    pub async fn commit_batch(&self, batch: &CommitBatch) -> Result<(), StoreError> {
        let mut transaction = self.begin().await?;
        for link in &batch.cross_references {
            transaction.put_cross_reference(link).await?;
        }
        for record in &batch.idempotency {
            transaction.put_idempotency(record).await?;
        }
        for entry in &batch.audit {
            transaction.audit(entry).await?;
        }
        if let Some(cursor) = &batch.cursor {
            transaction
                .set_cursor(&cursor.pipeline, &cursor.source, &cursor.value)
                .await?;
        }
        transaction.commit().await
    }

    pub async fn cursor(&self, pipeline: &str, source: &str) -> Result<Option<String>, StoreError> {
        with_connection!(self, |conn| sqlite::cursor::get(conn, pipeline, source))
    }

    pub async fn set_cursor(
        &self,
        pipeline: &str,
        source: &str,
        value: &str,
    ) -> Result<(), StoreError> {
        with_writer!(self, |conn| sqlite::cursor::set(
            conn, pipeline, source, value
        ))
    }

    pub async fn put_cross_reference(
        &self,
        source_collection: &str,
        source_id: &str,
        target_collection: &str,
        target_id: &str,
    ) -> Result<(), StoreError> {
        let link = CrossReference::new(source_collection, source_id, target_collection, target_id);
        with_writer!(self, |conn| sqlite::cross_reference::put(conn, &link))
    }

    /// Forgets a link, e.g. after the target record was deleted. Returns whether one existed.
    pub async fn delete_cross_reference(
        &self,
        source_collection: &str,
        source_id: &str,
        target_collection: &str,
    ) -> Result<bool, StoreError> {
        with_writer!(self, |conn| sqlite::cross_reference::delete(
            conn,
            source_collection,
            source_id,
            target_collection
        ))
    }

    /// The id that the record `source_id` got in `target_collection`.
    pub async fn target_id(
        &self,
        target_collection: &str,
        source_id: &str,
    ) -> Result<Option<String>, StoreError> {
        with_connection!(self, |conn| sqlite::cross_reference::target_id(
            conn,
            target_collection,
            source_id
        ))
    }

    /// [`Store::target_id`] for many records: source id -> target id, for those linked.
    pub async fn target_ids(
        &self,
        target_collection: &str,
        source_ids: &[String],
    ) -> Result<HashMap<String, String>, StoreError> {
        with_connection!(self, |conn| sqlite::cross_reference::target_ids(
            conn,
            target_collection,
            source_ids
        ))
    }

    /// The id in `source_collection` of the record that became `target_id`.
    /// The records of `source_collection` linked to `target_id` of `target_collection`, in the
    /// order they were first linked, with their `on conflict newest by` stamps.
    pub async fn sources_of(
        &self,
        source_collection: &str,
        target_collection: &str,
        target_id: &str,
    ) -> Result<Vec<(String, Option<String>)>, StoreError> {
        with_connection!(self, |conn| sqlite::cross_reference::sources_of(
            conn,
            source_collection,
            target_collection,
            target_id
        ))
    }

    pub async fn source_id(
        &self,
        source_collection: &str,
        target_id: &str,
    ) -> Result<Option<String>, StoreError> {
        with_connection!(self, |conn| sqlite::cross_reference::source_id(
            conn,
            source_collection,
            target_id
        ))
    }

    /// A read-only copy of the links into `target_collections`, for the synchronous evaluator
    /// (see [`CrossReferenceSnapshot`] for why it is a copy).
    pub async fn cross_reference_snapshot(
        &self,
        target_collections: &[&str],
    ) -> Result<CrossReferenceSnapshot, StoreError> {
        let mut links = Vec::new();
        for collection in target_collections {
            let found = with_connection!(self, |conn| {
                sqlite::cross_reference::into_collection(conn, collection)
            })?;
            links.extend(found);
        }
        Ok(CrossReferenceSnapshot::from_links(links))
    }

    pub async fn idempotency(&self, key: &str) -> Result<Option<IdempotencyRecord>, StoreError> {
        with_connection!(self, |conn| sqlite::idempotency::get(conn, key))
    }

    pub async fn put_idempotency(&self, record: &IdempotencyRecord) -> Result<(), StoreError> {
        with_writer!(self, |conn| sqlite::idempotency::put(conn, record))
    }

    /// Records a write about to be sent (an idempotency record without a response), durably,
    /// together with the other deliveries' records of the moment.
    pub async fn put_in_flight(&self, record: IdempotencyRecord) -> Result<(), StoreError> {
        match &self.writer {
            Some(writer) => writer.put_in_flight(record).await,
            None => self.put_idempotency(&record).await,
        }
    }

    /// Idempotency records of `pipeline`'s writes still waiting for an outcome: writes a crash
    /// (or a failed request) may have cut off after they were sent.
    pub async fn writes_in_flight(
        &self,
        pipeline: &str,
    ) -> Result<Vec<IdempotencyRecord>, StoreError> {
        with_connection!(self, |conn| sqlite::idempotency::in_flight(
            conn, pipeline, None
        ))
    }

    /// As [`Store::writes_in_flight`], only those recorded before `before`.
    pub async fn writes_in_flight_before(
        &self,
        pipeline: &str,
        before: Timestamp,
    ) -> Result<Vec<IdempotencyRecord>, StoreError> {
        with_connection!(self, |conn| sqlite::idempotency::in_flight(
            conn,
            pipeline,
            Some(before)
        ))
    }

    /// Deletes settled idempotency records older than `age` (Stripe forgets keys after 24
    /// hours).
    pub async fn prune_idempotency(&self, age: Duration) -> Result<u64, StoreError> {
        let cutoff = cutoff_millis(age);
        with_writer!(self, |conn| sqlite::idempotency::prune(conn, cutoff))
    }

    /// Files a permanent failure; see [`Batch::dead_letter`].
    pub async fn dead_letter(
        &self,
        pipeline: &str,
        source_id: &str,
        record_json: &str,
        error_code: &str,
        error_message: &str,
    ) -> Result<i64, StoreError> {
        with_writer!(self, |conn| sqlite::dead_letter::put(
            conn,
            pipeline,
            source_id,
            record_json,
            error_code,
            error_message
        ))
    }

    pub async fn dead_letters(
        &self,
        filter: &DeadLetterFilter,
    ) -> Result<Vec<DeadLetter>, StoreError> {
        with_connection!(self, |conn| sqlite::dead_letter::list(conn, filter))
    }

    pub async fn dead_letter_by_id(&self, id: i64) -> Result<Option<DeadLetter>, StoreError> {
        with_connection!(self, |conn| sqlite::dead_letter::by_id(conn, id))
    }

    /// Marks a dead letter replayed successfully; it stays listed with `include_resolved`.
    pub async fn resolve_dead_letter(&self, id: i64) -> Result<(), StoreError> {
        with_writer!(self, |conn| sqlite::dead_letter::resolve(conn, id))
    }

    pub async fn audit(&self, entry: &AuditEntry) -> Result<(), StoreError> {
        with_writer!(self, |conn| sqlite::audit::append(conn, entry))
    }

    pub async fn audit_entries(&self, filter: &AuditFilter) -> Result<Vec<AuditEntry>, StoreError> {
        with_connection!(self, |conn| sqlite::audit::list(conn, filter))
    }

    /// Stores a verified webhook event durably: once this returns, the event may be
    /// acknowledged. A redelivered event is a [`InboxPut::Duplicate`] and changes nothing.
    /// Events stored at the same moment share one transaction (group commit).
    pub async fn inbox_put(&self, event: &InboxEvent) -> Result<InboxPut, StoreError> {
        match &self.writer {
            Some(writer) => writer.inbox_put(event.clone()).await,
            None => with_writer!(self, |conn| sqlite::inbox::put(conn, event)),
        }
    }

    /// Writes a worker's finished events (see [`Batch::write_finished`]) and claims up to
    /// `claim` more for it (see [`Store::inbox_claim`]), in one transaction shared with the
    /// other writes of the moment.
    pub async fn finish_and_claim(
        &self,
        writes: FinishedEvents,
        worker: &str,
        claim: u32,
        lease: Duration,
    ) -> Result<Finished, StoreError> {
        let finish = writer::Finish {
            writes,
            worker: worker.to_string(),
            claim,
            lease,
        };
        match &self.writer {
            Some(writer) => writer.finish(finish).await,
            None => {
                let (_, mut finished) = writer::write(self, &[], &[], &[&finish]).await?;
                Ok(finished.remove(0))
            }
        }
    }

    /// Stores many events in one transaction, so one disk flush acknowledges them all (group
    /// commit). The outcomes are in the order of `events`; if any write fails, none is kept.
    pub async fn inbox_put_many(&self, events: &[InboxEvent]) -> Result<Vec<InboxPut>, StoreError> {
        if events.is_empty() {
            return Ok(Vec::new());
        }
        let mut batch = self.begin().await?;
        let outcomes = batch.inbox_put_many(events).await?;
        batch.commit().await?;
        Ok(outcomes)
    }

    /// Workers holding events in `processing`, by the names they claimed them under.
    pub async fn inbox_holders(&self) -> Result<Vec<String>, StoreError> {
        with_connection!(self, |conn| sqlite::inbox::holders(conn))
    }

    /// Hands `worker`'s events back to the queue (its process is gone); how many.
    pub async fn inbox_release(&self, worker: &str) -> Result<u64, StoreError> {
        with_writer!(self, |conn| sqlite::inbox::release(conn, worker))
    }

    /// Claims up to `limit` events for `worker` for `lease`: pending ones, and those whose
    /// worker let its lease run out. Oldest `created` first, then in received order. Each claim
    /// counts as an attempt.
    pub async fn inbox_claim(
        &self,
        worker: &str,
        limit: u32,
        lease: Duration,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        with_writer!(self, |conn| sqlite::inbox::claim(
            conn, worker, limit, lease
        ))
    }

    /// Ends `worker`'s attempt; see [`Batch::inbox_finish`] to finish with the attempt's writes.
    /// Returns false, changing nothing, if `worker` no longer holds the event.
    pub async fn inbox_finish(
        &self,
        connection: &str,
        event_id: &str,
        worker: &str,
        outcome: &InboxOutcome,
    ) -> Result<bool, StoreError> {
        with_writer!(self, |conn| sqlite::inbox::finish(
            conn, connection, event_id, worker, outcome
        ))
    }

    /// One event with its processing state.
    pub async fn inbox_event(
        &self,
        connection: &str,
        event_id: &str,
    ) -> Result<Option<StoredEvent>, StoreError> {
        with_connection!(self, |conn| sqlite::inbox::get(conn, connection, event_id))
    }

    pub async fn inbox_stats(&self) -> Result<InboxStats, StoreError> {
        with_connection!(self, |conn| sqlite::inbox::stats(conn))
    }

    /// Deletes done events processed more than `age` ago. Keep them as long as the sender may
    /// redeliver (Stripe: three days), or a late redelivery is processed a second time.
    pub async fn inbox_prune(&self, age: Duration) -> Result<u64, StoreError> {
        let cutoff = cutoff_millis(age);
        with_writer!(self, |conn| sqlite::inbox::prune_done(conn, cutoff))
    }

    /// The newest version of an object a worker applied; see [`Batch::set_object_version`].
    pub async fn object_version(
        &self,
        connection: &str,
        object_id: &str,
    ) -> Result<Option<ObjectVersion>, StoreError> {
        with_connection!(self, |conn| sqlite::object_version::get(
            conn, connection, object_id
        ))
    }

    /// The versions kept for any of `objects` (connection, object id), in a few statements.
    pub async fn object_versions(
        &self,
        objects: &[(&str, &str)],
    ) -> Result<Vec<ObjectVersion>, StoreError> {
        if objects.is_empty() {
            return Ok(Vec::new());
        }
        with_connection!(self, |conn| sqlite::object_version::get_many(conn, objects))
    }

    /// Where a catch-up from the connection's event list starts.
    pub async fn last_event(&self, connection: &str) -> Result<Option<LastEvent>, StoreError> {
        with_connection!(self, |conn| sqlite::last_event::get(conn, connection))
    }

    /// Moves the catch-up position forward (never back); returns whether it moved. Set it only
    /// once the events up to `last` are in the inbox.
    pub async fn set_last_event(
        &self,
        connection: &str,
        last: &LastEvent,
    ) -> Result<bool, StoreError> {
        with_writer!(self, |conn| sqlite::last_event::advance(
            conn, connection, last
        ))
    }

    /// Whether `needle` occurs in any text column of any table: the canary-secret tests' probe.
    pub async fn contains_text(&self, needle: &str) -> Result<bool, StoreError> {
        with_connection!(self, |conn| sqlite::scan::contains_text(conn, needle))
    }

    /// Waits for in-flight work and closes every connection (tests reopen the same file).
    pub async fn close(&self) {
        match &self.backend {
            Backend::Sqlite(pool) => pool.close().await,
        }
    }
}

/// The unix milliseconds `age` ago.
fn cutoff_millis(age: Duration) -> i64 {
    let age_millis = i64::try_from(age.as_millis()).unwrap_or(i64::MAX);
    Timestamp::now().as_millisecond().saturating_sub(age_millis)
}
