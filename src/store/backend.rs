//! The seam between the store and a database. A backend (`sqlite/`, `postgres/`) owns its connections,
//! its transactions and how its writers take turns, and writes every statement of
//! [`Statements`] once; [`Store`](super::Store) and [`Batch`](super::Batch) only choose where a
//! statement runs: on a connection of its own, or in a batch's transaction.
//!
//! The backend is chosen by the store URL in [`open`], and nowhere else.

use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;
use futures_util::stream::BoxStream;
use jiff::Timestamp;

use super::{
    AlertRecord, AuditEntry, AuditFilter, CrossReference, DeadLetter, DeadLetterFilter,
    DeadLetterStep, FinishedEvents, HourActivity, IdempotencyRecord, InboxEvent, InboxOutcome,
    InboxPut, InboxStats, LastEvent, ObjectVersion, ReconcileRecord, RunLock, SettledWrites,
    StoreError, StoredEvent, postgres, shown_url, sqlite,
};
use crate::store::copy::{Row, Table};

/// What a statement of the store gives back, once awaited.
pub type Answer<'a, T> = BoxFuture<'a, Result<T, StoreError>>;

/// Opens the backend that `url` names.
pub(super) async fn open(url: &str) -> Result<Arc<dyn Backend>, StoreError> {
    if url.starts_with("sqlite:") {
        return Ok(Arc::new(sqlite::Sqlite::open(url).await?));
    }
    if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        return Ok(Arc::new(postgres::Postgres::open(url).await?));
    }
    Err(StoreError::UnsupportedUrl(shown_url(url)))
}

/// Whether the backend `url` names can be filled by `ferry store migrate` (see
/// [`Backend::fill`]), known before anything is opened or created.
pub(super) fn can_be_filled(url: &str) -> bool {
    url.starts_with("postgres:") || url.starts_with("postgresql:")
}

/// A database that can hold ferry's state.
pub(super) trait Backend: Send + Sync {
    /// A connection for statements that only read; it never waits for writers.
    fn reader(&self) -> Answer<'_, Box<dyn Statements>>;

    /// A connection for one statement that writes, once it is this writer's turn (however the
    /// database lets writers take turns).
    fn writer(&self) -> Answer<'_, Box<dyn Statements>>;

    /// A transaction that may write: kept on [`Transaction::commit`], or none of it.
    fn begin(&self) -> Answer<'_, Box<dyn Transaction>>;

    /// Takes `pipeline`'s run lock; see [`Store::lock_run`](super::Store::lock_run).
    fn lock_run<'a>(
        &'a self,
        pipeline: &'a str,
        holder: &'a str,
        wait: bool,
    ) -> Answer<'a, RunLock>;

    /// Reserves the next request slot of the fleet-wide budget `key` (one request every
    /// `interval`, up to `tolerance` ahead of that pace); see
    /// [`Store::reserve_request`](super::Store::reserve_request). `None`: this backend keeps no
    /// fleet-wide budget (one machine's store: each process paces alone).
    fn reserve_request<'a>(
        &'a self,
        key: &'a str,
        interval: Duration,
        tolerance: Duration,
    ) -> Answer<'a, Option<Duration>> {
        let _ = (key, interval, tolerance);
        Box::pin(async { Ok(None) })
    }

    /// Whether other processes, on other machines too, may share this database (a fleet of
    /// `ferry serve`s): what one process wrote it may not have seen itself.
    fn shared(&self) -> bool;

    /// Waits for in-flight work and closes every connection.
    fn close(&self) -> BoxFuture<'_, ()>;

    /// Every table as of one moment, for `ferry store migrate` to copy and to check.
    fn snapshot(&self) -> Answer<'_, Box<dyn Snapshot>>;

    /// One transaction that fills this store, empty, with another's rows.
    fn fill(&self) -> Answer<'_, Box<dyn Filling>> {
        Box::pin(async { Err(StoreError::NotACopyTarget) })
    }
}

/// A consistent read of a whole store: each table as it was when the snapshot began, however
/// long the reading takes.
pub(super) trait Snapshot: Send {
    /// The store's tables this database holds, leaving out its own bookkeeping (applied
    /// migrations; PostgreSQL's run lock holders and rate limits, which live only while
    /// processes do).
    fn table_names(&mut self) -> Answer<'_, Vec<String>>;

    /// `table`'s rows in key order (text compared byte by byte), read as they are consumed.
    fn rows<'a>(&'a mut self, table: &'static Table) -> BoxStream<'a, Result<Row, StoreError>>;
}

/// One transaction that fills an empty store with rows copied as they are (ids included).
/// Dropping it rolls back: the store stays empty.
pub(super) trait Filling: Send {
    /// Refuses a store that holds a row in any of `tables`, naming the first such table.
    fn ensure_empty(&mut self, tables: &'static [Table]) -> Answer<'_, ()>;

    /// Adds rows of `table`; a table's rows come after those of the tables it refers to.
    fn write_rows<'a>(&'a mut self, table: &'static Table, rows: &'a [Row]) -> Answer<'a, ()>;

    /// Makes new ids start after the copied ones, and keeps everything.
    fn commit(self: Box<Self>) -> Answer<'static, ()>;
}

/// A backend's open transaction. Dropping it rolls it back.
pub(super) trait Transaction: Statements {
    fn commit(self: Box<Self>) -> Answer<'static, ()>;
    fn rollback(self: Box<Self>) -> Answer<'static, ()>;
}

/// Every statement the store makes, written once per backend. A [`Batch`](super::Batch) offers
/// them all, in its transaction; [`Store`](super::Store) offers those that make sense alone.
pub trait Statements: Send {
    fn cursor<'a>(&'a mut self, pipeline: &'a str, source: &'a str) -> Answer<'a, Option<String>>;

    fn set_cursor<'a>(
        &'a mut self,
        pipeline: &'a str,
        source: &'a str,
        value: &'a str,
    ) -> Answer<'a, ()>;

    /// Links two records; writing again for the same source record and target collection
    /// moves the link.
    fn put_cross_reference<'a>(&'a mut self, link: &'a CrossReference) -> Answer<'a, ()>;

    /// Forgets a link. Returns whether one existed.
    fn delete_cross_reference<'a>(
        &'a mut self,
        source_collection: &'a str,
        source_id: &'a str,
        target_collection: &'a str,
    ) -> Answer<'a, bool>;

    /// The id that the record `source_id` got in `target_collection` (the newest link wins).
    fn target_id<'a>(
        &'a mut self,
        target_collection: &'a str,
        source_id: &'a str,
    ) -> Answer<'a, Option<String>>;

    /// [`Statements::target_id`] for many records: source id -> target id, for those linked.
    fn target_ids<'a>(
        &'a mut self,
        target_collection: &'a str,
        source_ids: &'a [String],
    ) -> Answer<'a, std::collections::HashMap<String, String>>;

    /// The id in `source_collection` of the record that became `target_id` (the newest link
    /// wins).
    fn source_id<'a>(
        &'a mut self,
        source_collection: &'a str,
        target_id: &'a str,
    ) -> Answer<'a, Option<String>>;

    /// Every link into `target_collection`, oldest first.
    fn cross_references_into<'a>(
        &'a mut self,
        target_collection: &'a str,
    ) -> Answer<'a, Vec<CrossReference>>;

    /// Every link out of `source_collection`, to any target collection.
    fn cross_references_from<'a>(
        &'a mut self,
        source_collection: &'a str,
    ) -> Answer<'a, Vec<CrossReference>>;

    /// The records of `source_collection` linked to `target_id` of `target_collection`, in the
    /// order they were first linked, with their `on conflict newest by` stamps.
    fn sources_of<'a>(
        &'a mut self,
        source_collection: &'a str,
        target_collection: &'a str,
        target_id: &'a str,
    ) -> Answer<'a, Vec<(String, Option<String>)>>;

    fn idempotency<'a>(&'a mut self, key: &'a str) -> Answer<'a, Option<IdempotencyRecord>>;

    /// Records a key, or fills in its response; a different request under the key is an
    /// [`StoreError::IdempotencyConflict`].
    fn put_idempotency<'a>(&'a mut self, record: &'a IdempotencyRecord) -> Answer<'a, ()>;

    /// Idempotency records of `pipeline`'s writes still waiting for an outcome, oldest first;
    /// with `before`, only those recorded before it.
    fn writes_in_flight<'a>(
        &'a mut self,
        pipeline: &'a str,
        before: Option<Timestamp>,
    ) -> Answer<'a, Vec<IdempotencyRecord>>;

    /// Records writes about to be sent, in few statements.
    fn put_in_flight<'a>(&'a mut self, records: &'a [IdempotencyRecord]) -> Answer<'a, ()>;

    /// Settles the linked records' in-flight writes: their writes are durable.
    fn settle_writes<'a>(&'a mut self, settled: &'a [SettledWrites]) -> Answer<'a, ()>;

    /// Deletes settled idempotency records created before `cutoff`; how many.
    fn prune_idempotency(&mut self, cutoff: Timestamp) -> Answer<'_, u64>;

    /// Files a permanent failure (a record that failed before gets one more attempt, and is
    /// reopened if a replay had resolved it); returns the letter's id. In a batch, it is filed
    /// with the batch's other writes, so a cursor never moves past a record that is neither
    /// written nor dead-lettered.
    fn dead_letter<'a>(
        &'a mut self,
        pipeline: &'a str,
        source_id: &'a str,
        record_json: &'a str,
        error_code: &'a str,
        error_message: &'a str,
    ) -> Answer<'a, i64>;

    fn dead_letters<'a>(&'a mut self, filter: &'a DeadLetterFilter) -> Answer<'a, Vec<DeadLetter>>;

    /// How many letters `filter` lists, without its `limit` and `offset`.
    fn count_dead_letters<'a>(&'a mut self, filter: &'a DeadLetterFilter) -> Answer<'a, u64>;

    fn dead_letter_by_id(&mut self, id: i64) -> Answer<'_, Option<DeadLetter>>;

    /// Marks a dead letter replayed successfully; it stays listed with `include_resolved`.
    fn resolve_dead_letter(&mut self, id: i64) -> Answer<'_, ()>;

    /// Closes an open dead letter without delivering its record, keeping `reason`; refused
    /// for a letter already closed.
    fn discard_dead_letter<'a>(&'a mut self, id: i64, reason: &'a str) -> Answer<'a, ()>;

    /// A dead letter's story: each failure and its closing, oldest first.
    fn dead_letter_history(&mut self, id: i64) -> Answer<'_, Vec<DeadLetterStep>>;

    /// Resolves the open dead letter (if any) of a record a later run delivered.
    fn resolve_delivered<'a>(
        &'a mut self,
        pipeline: &'a str,
        source_id: &'a str,
    ) -> Answer<'a, u64>;

    fn audit<'a>(&'a mut self, entry: &'a AuditEntry) -> Answer<'a, ()>;

    /// Keeps an alert in the alerts' history; returns its id.
    fn record_alert<'a>(&'a mut self, alert: &'a AlertRecord) -> Answer<'a, i64>;

    /// When an alert of `key` last reached a channel.
    fn last_alert_sent<'a>(&'a mut self, key: &'a str) -> Answer<'a, Option<Timestamp>>;

    /// The newest `limit` alerts, newest first.
    fn recent_alerts(&mut self, limit: u32) -> Answer<'_, Vec<AlertRecord>>;

    /// Keeps a reconcile's report; returns its id.
    fn record_reconcile<'a>(&'a mut self, record: &'a ReconcileRecord) -> Answer<'a, i64>;

    /// The newest `limit` reconcile reports, newest first, without their JSON.
    fn reconcile_reports(&mut self, limit: u32) -> Answer<'_, Vec<ReconcileRecord>>;

    /// One reconcile report, with its JSON.
    fn reconcile_report(&mut self, id: i64) -> Answer<'_, Option<ReconcileRecord>>;

    /// When the newest report of `origin` (a schedule's name) started.
    fn last_reconcile_started<'a>(&'a mut self, origin: &'a str) -> Answer<'a, Option<Timestamp>>;

    fn audit_entries<'a>(&'a mut self, filter: &'a AuditFilter) -> Answer<'a, Vec<AuditEntry>>;

    /// Records read, audit entries and failures per hour since `since`, oldest first; empty
    /// hours left out.
    fn activity_per_hour(&mut self, since: Timestamp) -> Answer<'_, Vec<HourActivity>>;

    /// The records each pipeline read since the hour of `since`.
    fn records_read(
        &mut self,
        since: Timestamp,
    ) -> Answer<'_, std::collections::HashMap<String, u64>>;

    /// Stores an event unless its connection already has one with its id.
    fn inbox_put<'a>(&'a mut self, event: &'a InboxEvent) -> Answer<'a, InboxPut>;

    /// Stores events in order; see [`Store::inbox_put_many`](super::Store::inbox_put_many).
    fn inbox_put_many<'a>(&'a mut self, events: &'a [InboxEvent]) -> Answer<'a, Vec<InboxPut>>;

    /// Claims up to `limit` events for `worker` for `lease`: pending ones, and those whose
    /// worker let its lease run out. Oldest `created` first, then in received order. Each
    /// claim counts as an attempt. In a batch, a worker claims its next events as it finishes
    /// the last ones.
    fn inbox_claim<'a>(
        &'a mut self,
        worker: &'a str,
        limit: u32,
        lease: Duration,
    ) -> Answer<'a, Vec<StoredEvent>>;

    /// Ends `worker`'s attempt. Returns false, changing nothing, if `worker` no longer holds
    /// the event (in a batch the caller should then roll back). In a batch, the attempt's
    /// writes are kept with it, so a crash cannot keep the writes and lose the `done`, or the
    /// reverse.
    fn inbox_finish<'a>(
        &'a mut self,
        connection: &'a str,
        event_id: &'a str,
        worker: &'a str,
        outcome: &'a InboxOutcome,
    ) -> Answer<'a, bool>;

    /// Writes a group's cross references, audit entries, dead letters, object versions, inbox
    /// outcomes and records read in a few statements. For each outcome, in order: whether `worker` still
    /// held the event (false: that outcome was not recorded; the other writes were).
    fn write_finished<'a>(
        &'a mut self,
        writes: &'a FinishedEvents,
        worker: &'a str,
    ) -> Answer<'a, Vec<bool>>;

    /// One event with its processing state.
    fn inbox_event<'a>(
        &'a mut self,
        connection: &'a str,
        event_id: &'a str,
    ) -> Answer<'a, Option<StoredEvent>>;

    fn inbox_stats(&mut self) -> Answer<'_, InboxStats>;

    /// Deletes the done events processed before `cutoff`; how many.
    fn inbox_prune(&mut self, cutoff: Timestamp) -> Answer<'_, u64>;

    /// Workers holding events in `processing`, by the names they claimed them under.
    fn inbox_holders(&mut self) -> Answer<'_, Vec<String>>;

    /// Hands `worker`'s events back to the queue; how many.
    fn inbox_release<'a>(&'a mut self, worker: &'a str) -> Answer<'a, u64>;

    /// The newest version of an object a worker applied. In a batch it is read under the
    /// batch's write lock, so a check and a [`Statements::set_object_version`] in the same
    /// batch cannot interleave with another worker's.
    fn object_version<'a>(
        &'a mut self,
        connection: &'a str,
        object_id: &'a str,
    ) -> Answer<'a, Option<ObjectVersion>>;

    /// The versions kept for any of `objects` (connection, object id).
    fn object_versions<'a>(
        &'a mut self,
        objects: &'a [(&'a str, &'a str)],
    ) -> Answer<'a, Vec<ObjectVersion>>;

    /// Records the version a worker applies unless the kept one is newer (an equal one is
    /// recorded: same-second events cannot be ordered); never moves back. Returns whether it
    /// was recorded: a worker that gets false skips its older event and rolls back.
    fn set_object_version<'a>(&'a mut self, version: &'a ObjectVersion) -> Answer<'a, bool>;

    /// Where a catch-up from the connection's event list starts.
    fn last_event<'a>(&'a mut self, connection: &'a str) -> Answer<'a, Option<LastEvent>>;

    /// Moves the catch-up position forward (never back); returns whether it moved. Set it only
    /// once the events up to `last` are in the inbox.
    fn set_last_event<'a>(
        &'a mut self,
        connection: &'a str,
        last: &'a LastEvent,
    ) -> Answer<'a, bool>;

    /// The last version read of the record `source_id` of `source` (`connection.stream`), as
    /// JSON, if one was kept.
    fn record_seen<'a>(
        &'a mut self,
        source: &'a str,
        source_id: &'a str,
    ) -> Answer<'a, Option<String>>;

    /// Keeps `record_json` as the last version read of the record, replacing an older one.
    fn put_record_seen<'a>(
        &'a mut self,
        source: &'a str,
        source_id: &'a str,
        record_json: &'a str,
    ) -> Answer<'a, ()>;

    /// Whether `needle` occurs in any text column of any table.
    fn contains_text<'a>(&'a mut self, needle: &'a str) -> Answer<'a, bool>;

    /// Takes or renews a lease until `until`; see [`Store::try_lease`](super::Store::try_lease).
    fn try_lease<'a>(
        &'a mut self,
        name: &'a str,
        holder: &'a str,
        until: Timestamp,
        replacing: Option<&'a str>,
    ) -> Answer<'a, bool>;

    fn lease_holder<'a>(&'a mut self, name: &'a str) -> Answer<'a, Option<String>>;

    fn release_lease<'a>(&'a mut self, name: &'a str, holder: &'a str) -> Answer<'a, ()>;
}

/// `Statements` for a backend's session type, written once: each statement calls the function
/// of the backend's family modules (`cursor::get`, `inbox::claim`, ..., and `millis`), which
/// the calling file imports, on the session's connection (`self.conn()`). The backends differ in their SQL, never in this dispatch.
macro_rules! statements_on_families {
    ($session:ident, $connection:ty) => {
        impl<C> $crate::store::backend::Statements for $session<C>
        where
            C: std::ops::DerefMut<Target = $connection> + Send,
        {
            fn cursor<'a>(
                &'a mut self,
                pipeline: &'a str,
                source: &'a str,
            ) -> $crate::store::backend::Answer<'a, Option<String>> {
                Box::pin(cursor::get(self.conn(), pipeline, source))
            }

            fn set_cursor<'a>(
                &'a mut self,
                pipeline: &'a str,
                source: &'a str,
                value: &'a str,
            ) -> $crate::store::backend::Answer<'a, ()> {
                Box::pin(cursor::set(self.conn(), pipeline, source, value))
            }

            fn put_cross_reference<'a>(
                &'a mut self,
                link: &'a $crate::store::CrossReference,
            ) -> $crate::store::backend::Answer<'a, ()> {
                Box::pin(cross_reference::put(self.conn(), link))
            }

            fn delete_cross_reference<'a>(
                &'a mut self,
                source_collection: &'a str,
                source_id: &'a str,
                target_collection: &'a str,
            ) -> $crate::store::backend::Answer<'a, bool> {
                Box::pin(cross_reference::delete(
                    self.conn(),
                    source_collection,
                    source_id,
                    target_collection,
                ))
            }

            fn target_id<'a>(
                &'a mut self,
                target_collection: &'a str,
                source_id: &'a str,
            ) -> $crate::store::backend::Answer<'a, Option<String>> {
                Box::pin(cross_reference::target_id(
                    self.conn(),
                    target_collection,
                    source_id,
                ))
            }

            fn target_ids<'a>(
                &'a mut self,
                target_collection: &'a str,
                source_ids: &'a [String],
            ) -> $crate::store::backend::Answer<'a, std::collections::HashMap<String, String>> {
                Box::pin(cross_reference::target_ids(
                    self.conn(),
                    target_collection,
                    source_ids,
                ))
            }

            fn source_id<'a>(
                &'a mut self,
                source_collection: &'a str,
                target_id: &'a str,
            ) -> $crate::store::backend::Answer<'a, Option<String>> {
                Box::pin(cross_reference::source_id(
                    self.conn(),
                    source_collection,
                    target_id,
                ))
            }

            fn cross_references_into<'a>(
                &'a mut self,
                target_collection: &'a str,
            ) -> $crate::store::backend::Answer<'a, Vec<$crate::store::CrossReference>> {
                Box::pin(cross_reference::into_collection(
                    self.conn(),
                    target_collection,
                ))
            }

            fn cross_references_from<'a>(
                &'a mut self,
                source_collection: &'a str,
            ) -> $crate::store::backend::Answer<'a, Vec<$crate::store::CrossReference>> {
                Box::pin(cross_reference::from_collection(
                    self.conn(),
                    source_collection,
                ))
            }

            fn sources_of<'a>(
                &'a mut self,
                source_collection: &'a str,
                target_collection: &'a str,
                target_id: &'a str,
            ) -> $crate::store::backend::Answer<'a, Vec<(String, Option<String>)>> {
                Box::pin(cross_reference::sources_of(
                    self.conn(),
                    source_collection,
                    target_collection,
                    target_id,
                ))
            }

            fn idempotency<'a>(
                &'a mut self,
                key: &'a str,
            ) -> $crate::store::backend::Answer<'a, Option<$crate::store::IdempotencyRecord>> {
                Box::pin(idempotency::get(self.conn(), key))
            }

            fn put_idempotency<'a>(
                &'a mut self,
                record: &'a $crate::store::IdempotencyRecord,
            ) -> $crate::store::backend::Answer<'a, ()> {
                Box::pin(idempotency::put(self.conn(), record))
            }

            fn writes_in_flight<'a>(
                &'a mut self,
                pipeline: &'a str,
                before: Option<jiff::Timestamp>,
            ) -> $crate::store::backend::Answer<'a, Vec<$crate::store::IdempotencyRecord>> {
                Box::pin(idempotency::in_flight(self.conn(), pipeline, before))
            }

            fn put_in_flight<'a>(
                &'a mut self,
                records: &'a [$crate::store::IdempotencyRecord],
            ) -> $crate::store::backend::Answer<'a, ()> {
                Box::pin(idempotency::put_in_flight(self.conn(), records))
            }

            fn settle_writes<'a>(
                &'a mut self,
                settled: &'a [$crate::store::SettledWrites],
            ) -> $crate::store::backend::Answer<'a, ()> {
                Box::pin(idempotency::settle(self.conn(), settled))
            }

            fn prune_idempotency(
                &mut self,
                cutoff: jiff::Timestamp,
            ) -> $crate::store::backend::Answer<'_, u64> {
                Box::pin(idempotency::prune(self.conn(), millis(cutoff)))
            }

            fn dead_letter<'a>(
                &'a mut self,
                pipeline: &'a str,
                source_id: &'a str,
                record_json: &'a str,
                error_code: &'a str,
                error_message: &'a str,
            ) -> $crate::store::backend::Answer<'a, i64> {
                Box::pin(dead_letter::put(
                    self.conn(),
                    pipeline,
                    source_id,
                    record_json,
                    error_code,
                    error_message,
                ))
            }

            fn dead_letters<'a>(
                &'a mut self,
                filter: &'a $crate::store::DeadLetterFilter,
            ) -> $crate::store::backend::Answer<'a, Vec<$crate::store::DeadLetter>> {
                Box::pin(dead_letter::list(self.conn(), filter))
            }

            fn count_dead_letters<'a>(
                &'a mut self,
                filter: &'a $crate::store::DeadLetterFilter,
            ) -> $crate::store::backend::Answer<'a, u64> {
                Box::pin(dead_letter::count(self.conn(), filter))
            }

            fn dead_letter_by_id(
                &mut self,
                id: i64,
            ) -> $crate::store::backend::Answer<'_, Option<$crate::store::DeadLetter>> {
                Box::pin(dead_letter::by_id(self.conn(), id))
            }

            fn resolve_dead_letter(&mut self, id: i64) -> $crate::store::backend::Answer<'_, ()> {
                Box::pin(dead_letter::resolve(self.conn(), id))
            }

            fn discard_dead_letter<'a>(
                &'a mut self,
                id: i64,
                reason: &'a str,
            ) -> $crate::store::backend::Answer<'a, ()> {
                Box::pin(dead_letter::discard(self.conn(), id, reason))
            }

            fn dead_letter_history(
                &mut self,
                id: i64,
            ) -> $crate::store::backend::Answer<'_, Vec<$crate::store::DeadLetterStep>> {
                Box::pin(dead_letter::history(self.conn(), id))
            }

            fn resolve_delivered<'a>(
                &'a mut self,
                pipeline: &'a str,
                source_id: &'a str,
            ) -> $crate::store::backend::Answer<'a, u64> {
                Box::pin(dead_letter::resolve_delivered(
                    self.conn(),
                    pipeline,
                    source_id,
                ))
            }

            fn record_alert<'a>(
                &'a mut self,
                alert: &'a $crate::store::AlertRecord,
            ) -> $crate::store::backend::Answer<'a, i64> {
                Box::pin(alert::put(self.conn(), alert))
            }

            fn last_alert_sent<'a>(
                &'a mut self,
                key: &'a str,
            ) -> $crate::store::backend::Answer<'a, Option<jiff::Timestamp>> {
                Box::pin(alert::last_sent(self.conn(), key))
            }

            fn recent_alerts(
                &mut self,
                limit: u32,
            ) -> $crate::store::backend::Answer<'_, Vec<$crate::store::AlertRecord>> {
                Box::pin(alert::recent(self.conn(), limit))
            }

            fn record_reconcile<'a>(
                &'a mut self,
                record: &'a $crate::store::ReconcileRecord,
            ) -> $crate::store::backend::Answer<'a, i64> {
                Box::pin(reconcile_report::put(self.conn(), record))
            }

            fn reconcile_reports(
                &mut self,
                limit: u32,
            ) -> $crate::store::backend::Answer<'_, Vec<$crate::store::ReconcileRecord>> {
                Box::pin(reconcile_report::recent(self.conn(), limit))
            }

            fn reconcile_report(
                &mut self,
                id: i64,
            ) -> $crate::store::backend::Answer<'_, Option<$crate::store::ReconcileRecord>> {
                Box::pin(reconcile_report::by_id(self.conn(), id))
            }

            fn last_reconcile_started<'a>(
                &'a mut self,
                origin: &'a str,
            ) -> $crate::store::backend::Answer<'a, Option<jiff::Timestamp>> {
                Box::pin(reconcile_report::last_started(self.conn(), origin))
            }

            fn audit<'a>(
                &'a mut self,
                entry: &'a $crate::store::AuditEntry,
            ) -> $crate::store::backend::Answer<'a, ()> {
                Box::pin(audit::append(self.conn(), entry))
            }

            fn audit_entries<'a>(
                &'a mut self,
                filter: &'a $crate::store::AuditFilter,
            ) -> $crate::store::backend::Answer<'a, Vec<$crate::store::AuditEntry>> {
                Box::pin(audit::list(self.conn(), filter))
            }

            fn activity_per_hour(
                &mut self,
                since: jiff::Timestamp,
            ) -> $crate::store::backend::Answer<'_, Vec<$crate::store::HourActivity>> {
                Box::pin(activity::per_hour(self.conn(), since))
            }

            fn records_read(
                &mut self,
                since: jiff::Timestamp,
            ) -> $crate::store::backend::Answer<'_, std::collections::HashMap<String, u64>> {
                Box::pin(activity::read_per_pipeline(self.conn(), since))
            }

            fn inbox_put<'a>(
                &'a mut self,
                event: &'a $crate::store::InboxEvent,
            ) -> $crate::store::backend::Answer<'a, $crate::store::InboxPut> {
                Box::pin(inbox::put(self.conn(), event))
            }

            fn inbox_put_many<'a>(
                &'a mut self,
                events: &'a [$crate::store::InboxEvent],
            ) -> $crate::store::backend::Answer<'a, Vec<$crate::store::InboxPut>> {
                Box::pin(inbox::put_many(self.conn(), events))
            }

            fn inbox_claim<'a>(
                &'a mut self,
                worker: &'a str,
                limit: u32,
                lease: std::time::Duration,
            ) -> $crate::store::backend::Answer<'a, Vec<$crate::store::StoredEvent>> {
                Box::pin(inbox::claim(self.conn(), worker, limit, lease))
            }

            fn inbox_finish<'a>(
                &'a mut self,
                connection: &'a str,
                event_id: &'a str,
                worker: &'a str,
                outcome: &'a $crate::store::InboxOutcome,
            ) -> $crate::store::backend::Answer<'a, bool> {
                Box::pin(inbox::finish(
                    self.conn(),
                    connection,
                    event_id,
                    worker,
                    outcome,
                ))
            }

            fn write_finished<'a>(
                &'a mut self,
                writes: &'a $crate::store::FinishedEvents,
                worker: &'a str,
            ) -> $crate::store::backend::Answer<'a, Vec<bool>> {
                Box::pin(finished::write(self.conn(), writes, worker))
            }

            fn inbox_event<'a>(
                &'a mut self,
                connection: &'a str,
                event_id: &'a str,
            ) -> $crate::store::backend::Answer<'a, Option<$crate::store::StoredEvent>> {
                Box::pin(inbox::get(self.conn(), connection, event_id))
            }

            fn inbox_stats(
                &mut self,
            ) -> $crate::store::backend::Answer<'_, $crate::store::InboxStats> {
                Box::pin(inbox::stats(self.conn()))
            }

            fn inbox_prune(
                &mut self,
                cutoff: jiff::Timestamp,
            ) -> $crate::store::backend::Answer<'_, u64> {
                Box::pin(inbox::prune_done(self.conn(), millis(cutoff)))
            }

            fn inbox_holders(&mut self) -> $crate::store::backend::Answer<'_, Vec<String>> {
                Box::pin(inbox::holders(self.conn()))
            }

            fn inbox_release<'a>(
                &'a mut self,
                worker: &'a str,
            ) -> $crate::store::backend::Answer<'a, u64> {
                Box::pin(inbox::release(self.conn(), worker))
            }

            fn object_version<'a>(
                &'a mut self,
                connection: &'a str,
                object_id: &'a str,
            ) -> $crate::store::backend::Answer<'a, Option<$crate::store::ObjectVersion>> {
                Box::pin(object_version::get(self.conn(), connection, object_id))
            }

            fn object_versions<'a>(
                &'a mut self,
                objects: &'a [(&'a str, &'a str)],
            ) -> $crate::store::backend::Answer<'a, Vec<$crate::store::ObjectVersion>> {
                Box::pin(object_version::get_many(self.conn(), objects))
            }

            fn set_object_version<'a>(
                &'a mut self,
                version: &'a $crate::store::ObjectVersion,
            ) -> $crate::store::backend::Answer<'a, bool> {
                Box::pin(object_version::advance(self.conn(), version))
            }

            fn last_event<'a>(
                &'a mut self,
                connection: &'a str,
            ) -> $crate::store::backend::Answer<'a, Option<$crate::store::LastEvent>> {
                Box::pin(last_event::get(self.conn(), connection))
            }

            fn set_last_event<'a>(
                &'a mut self,
                connection: &'a str,
                last: &'a $crate::store::LastEvent,
            ) -> $crate::store::backend::Answer<'a, bool> {
                Box::pin(last_event::advance(self.conn(), connection, last))
            }

            fn record_seen<'a>(
                &'a mut self,
                source: &'a str,
                source_id: &'a str,
            ) -> $crate::store::backend::Answer<'a, Option<String>> {
                Box::pin(record_seen::get(self.conn(), source, source_id))
            }

            fn put_record_seen<'a>(
                &'a mut self,
                source: &'a str,
                source_id: &'a str,
                record_json: &'a str,
            ) -> $crate::store::backend::Answer<'a, ()> {
                Box::pin(record_seen::put(
                    self.conn(),
                    source,
                    source_id,
                    record_json,
                ))
            }

            fn contains_text<'a>(
                &'a mut self,
                needle: &'a str,
            ) -> $crate::store::backend::Answer<'a, bool> {
                Box::pin(scan::contains_text(self.conn(), needle))
            }

            fn try_lease<'a>(
                &'a mut self,
                name: &'a str,
                holder: &'a str,
                until: jiff::Timestamp,
                replacing: Option<&'a str>,
            ) -> $crate::store::backend::Answer<'a, bool> {
                Box::pin(lease::take(
                    self.conn(),
                    name,
                    holder,
                    millis(until),
                    replacing,
                ))
            }

            fn lease_holder<'a>(
                &'a mut self,
                name: &'a str,
            ) -> $crate::store::backend::Answer<'a, Option<String>> {
                Box::pin(lease::holder(self.conn(), name))
            }

            fn release_lease<'a>(
                &'a mut self,
                name: &'a str,
                holder: &'a str,
            ) -> $crate::store::backend::Answer<'a, ()> {
                Box::pin(lease::release(self.conn(), name, holder))
            }
        }
    };
}
pub(super) use statements_on_families;
