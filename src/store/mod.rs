//! State that survives crashes: cursors, cross references, idempotency records, dead letters,
//! the audit log, and the webhook inbox with its object versions.
//!
//! [`Store`] is the only door, and [`Batch`] its transactions. Neither knows the database: each
//! statement is written once, by the backend, behind the [`Statements`] trait, and the backend
//! (chosen by the URL in `backend::open`) owns its connections, its transactions and how its
//! writers take turns. Today that is SQLite (`sqlite/`: embedded, one file); docs/store.md says
//! how another plugs in. Callers do not change.
//!
//! Secrets: the store keeps records and errors exactly as given. Callers redact credentials
//! before they hand anything over; [`Store::contains_text`] lets tests prove it.

mod backend;
mod batch;
mod copy;
mod error;
mod finished;
mod inbox;
mod portable;
mod postgres;
mod records;
mod rows;
mod run_lock;
mod snapshot;
mod sqlite;
mod writer;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;

use backend::Backend;
pub use backend::{Answer, Statements};
pub use batch::Batch;
pub use copy::{CopyReport, TableCheck, TableDigest};
pub use error::{StoreError, shown_url};
pub use finished::{FinishedEvents, NewDeadLetter};
pub use inbox::{
    InboxEvent, InboxOutcome, InboxPut, InboxState, InboxStats, LastEvent, ObjectVersion,
    StoredEvent,
};
pub use records::{
    AlertRecord, AuditEntry, AuditFilter, CommitBatch, CrossReference, CursorUpdate, DeadLetter,
    DeadLetterFilter, DeadLetterStep, HourActivity, IdempotencyRecord, Operation, ReconcileRecord,
    RecordsRead, Resolution, SettledWrites, TargetKeys, pipeline_version,
};
pub use run_lock::RunLock;
pub use snapshot::CrossReferenceSnapshot;
pub use writer::Finished;

/// Where the store lives unless `ferry.yaml` says otherwise.
pub const DEFAULT_URL: &str = "sqlite://.ferry/state.db";

/// The state store. Cheap to clone: clones share one backend (one connection pool).
///
/// A method that reads runs on a connection of its own, beside the writers; one that writes
/// runs alone, once it is its turn to write. For several writes kept together, see
/// [`Store::begin`].
#[derive(Clone)]
pub struct Store {
    backend: Arc<dyn Backend>,
    /// Where inbox events, writes in flight and workers' finished events are written in
    /// groups; none on the writer task's own handle.
    writer: Option<writer::Writer>,
}

impl Store {
    /// Opens the store at `url` (`sqlite://path` or `sqlite::memory:`), creating the file and
    /// its folder if missing, and applies any migrations the database has not seen yet.
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        let store = Store {
            backend: backend::open(url).await?,
            writer: None,
        };
        let writer = writer::Writer::start(store.clone());
        Ok(Store {
            writer: Some(writer),
            ..store
        })
    }

    /// Whether other processes, on other machines too, may write this store meanwhile
    /// (PostgreSQL): a `ferry serve` of a fleet then cannot tell its own writes in flight by
    /// their time.
    pub fn shared(&self) -> bool {
        self.backend.shared()
    }

    /// A connection for statements that read.
    async fn reader(&self) -> Result<Box<dyn Statements>, StoreError> {
        self.backend.reader().await
    }

    /// A connection for one statement that writes, once it is this writer's turn.
    async fn writer(&self) -> Result<Box<dyn Statements>, StoreError> {
        self.backend.writer().await
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
        self.backend.lock_run(pipeline, holder, wait).await
    }

    /// Reserves a slot for one request under the fleet-wide budget `key`, which allows one
    /// request every `interval` and lets a caller run up to `tolerance` ahead of that pace (a
    /// burst). Returns how long the caller waits for its slot (zero: go now); every caller gets
    /// a slot, in the order they asked. `None`: this store keeps no fleet-wide budget (SQLite),
    /// and the caller paces alone.
    pub async fn reserve_request(
        &self,
        key: &str,
        interval: Duration,
        tolerance: Duration,
    ) -> Result<Option<Duration>, StoreError> {
        self.backend.reserve_request(key, interval, tolerance).await
    }

    /// Starts a transaction: everything written through the [`Batch`] is kept on
    /// [`Batch::commit`], or none of it (on an error or a drop).
    pub async fn begin(&self) -> Result<Batch, StoreError> {
        Ok(Batch::new(self.backend.begin().await?))
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
        self.reader().await?.cursor(pipeline, source).await
    }

    pub async fn set_cursor(
        &self,
        pipeline: &str,
        source: &str,
        value: &str,
    ) -> Result<(), StoreError> {
        self.writer()
            .await?
            .set_cursor(pipeline, source, value)
            .await
    }

    pub async fn put_cross_reference(
        &self,
        source_collection: &str,
        source_id: &str,
        target_collection: &str,
        target_id: &str,
    ) -> Result<(), StoreError> {
        let link = CrossReference::new(source_collection, source_id, target_collection, target_id);
        self.writer().await?.put_cross_reference(&link).await
    }

    /// Forgets a link, e.g. after the target record was deleted. Returns whether one existed.
    pub async fn delete_cross_reference(
        &self,
        source_collection: &str,
        source_id: &str,
        target_collection: &str,
    ) -> Result<bool, StoreError> {
        self.writer()
            .await?
            .delete_cross_reference(source_collection, source_id, target_collection)
            .await
    }

    /// The id that the record `source_id` got in `target_collection`.
    pub async fn target_id(
        &self,
        target_collection: &str,
        source_id: &str,
    ) -> Result<Option<String>, StoreError> {
        self.reader()
            .await?
            .target_id(target_collection, source_id)
            .await
    }

    /// [`Store::target_id`] for many records: source id -> target id, for those linked.
    pub async fn target_ids(
        &self,
        target_collection: &str,
        source_ids: &[String],
    ) -> Result<HashMap<String, String>, StoreError> {
        self.reader()
            .await?
            .target_ids(target_collection, source_ids)
            .await
    }

    /// The records of `source_collection` linked to `target_id` of `target_collection`, in the
    /// order they were first linked, with their `on conflict newest by` stamps.
    pub async fn sources_of(
        &self,
        source_collection: &str,
        target_collection: &str,
        target_id: &str,
    ) -> Result<Vec<(String, Option<String>)>, StoreError> {
        self.reader()
            .await?
            .sources_of(source_collection, target_collection, target_id)
            .await
    }

    /// The id in `source_collection` of the record that became `target_id`.
    pub async fn source_id(
        &self,
        source_collection: &str,
        target_id: &str,
    ) -> Result<Option<String>, StoreError> {
        self.reader()
            .await?
            .source_id(source_collection, target_id)
            .await
    }

    /// A read-only copy of the links into `target_collections`, for the synchronous evaluator
    /// (see [`CrossReferenceSnapshot`] for why it is a copy).
    pub async fn cross_reference_snapshot(
        &self,
        target_collections: &[&str],
    ) -> Result<CrossReferenceSnapshot, StoreError> {
        let mut links = Vec::new();
        for collection in target_collections {
            let found = self
                .reader()
                .await?
                .cross_references_into(collection)
                .await?;
            links.extend(found);
        }
        Ok(CrossReferenceSnapshot::from_links(links))
    }

    /// Every link into `target_collection`, from any source collection.
    pub async fn links_into(
        &self,
        target_collection: &str,
    ) -> Result<Vec<CrossReference>, StoreError> {
        self.reader()
            .await?
            .cross_references_into(target_collection)
            .await
    }

    /// Every link out of `source_collection`, to any target collection.
    pub async fn links_from(
        &self,
        source_collection: &str,
    ) -> Result<Vec<CrossReference>, StoreError> {
        self.reader()
            .await?
            .cross_references_from(source_collection)
            .await
    }

    pub async fn idempotency(&self, key: &str) -> Result<Option<IdempotencyRecord>, StoreError> {
        self.reader().await?.idempotency(key).await
    }

    pub async fn put_idempotency(&self, record: &IdempotencyRecord) -> Result<(), StoreError> {
        self.writer().await?.put_idempotency(record).await
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
        self.reader().await?.writes_in_flight(pipeline, None).await
    }

    /// As [`Store::writes_in_flight`], only those recorded before `before`.
    pub async fn writes_in_flight_before(
        &self,
        pipeline: &str,
        before: Timestamp,
    ) -> Result<Vec<IdempotencyRecord>, StoreError> {
        self.reader()
            .await?
            .writes_in_flight(pipeline, Some(before))
            .await
    }

    /// Deletes settled idempotency records older than `age` (Stripe forgets keys after 24
    /// hours).
    pub async fn prune_idempotency(&self, age: Duration) -> Result<u64, StoreError> {
        self.writer().await?.prune_idempotency(ago(age)).await
    }

    /// Files a permanent failure; see [`Statements::dead_letter`].
    pub async fn dead_letter(
        &self,
        pipeline: &str,
        source_id: &str,
        record_json: &str,
        error_code: &str,
        error_message: &str,
    ) -> Result<i64, StoreError> {
        self.writer()
            .await?
            .dead_letter(pipeline, source_id, record_json, error_code, error_message)
            .await
    }

    pub async fn dead_letters(
        &self,
        filter: &DeadLetterFilter,
    ) -> Result<Vec<DeadLetter>, StoreError> {
        self.reader().await?.dead_letters(filter).await
    }

    /// How many letters `filter` lists, without its `limit` and `offset`.
    pub async fn count_dead_letters(&self, filter: &DeadLetterFilter) -> Result<u64, StoreError> {
        self.reader().await?.count_dead_letters(filter).await
    }

    pub async fn dead_letter_by_id(&self, id: i64) -> Result<Option<DeadLetter>, StoreError> {
        self.reader().await?.dead_letter_by_id(id).await
    }

    /// Marks a dead letter replayed successfully; it stays listed with `include_resolved`.
    pub async fn resolve_dead_letter(&self, id: i64) -> Result<(), StoreError> {
        self.writer().await?.resolve_dead_letter(id).await
    }

    /// Closes an open dead letter whose record needs no delivery, keeping `reason`. A new
    /// failure of the record opens it again.
    pub async fn discard_dead_letter(&self, id: i64, reason: &str) -> Result<(), StoreError> {
        self.writer().await?.discard_dead_letter(id, reason).await
    }

    /// A dead letter's story: each failure and its closing, oldest first.
    pub async fn dead_letter_history(&self, id: i64) -> Result<Vec<DeadLetterStep>, StoreError> {
        self.reader().await?.dead_letter_history(id).await
    }

    /// Keeps an alert in the alerts' history.
    pub async fn record_alert(&self, alert: &AlertRecord) -> Result<i64, StoreError> {
        self.writer().await?.record_alert(alert).await
    }

    /// When an alert of `key` last reached a channel, for digests.
    pub async fn last_alert_sent(&self, key: &str) -> Result<Option<Timestamp>, StoreError> {
        self.reader().await?.last_alert_sent(key).await
    }

    /// The newest `limit` alerts, newest first.
    pub async fn recent_alerts(&self, limit: u32) -> Result<Vec<AlertRecord>, StoreError> {
        self.reader().await?.recent_alerts(limit).await
    }

    /// Keeps a reconcile's report; its id.
    pub async fn record_reconcile(&self, record: &ReconcileRecord) -> Result<i64, StoreError> {
        self.writer().await?.record_reconcile(record).await
    }

    /// The newest `limit` reconcile reports, newest first, without their JSON.
    pub async fn reconcile_reports(&self, limit: u32) -> Result<Vec<ReconcileRecord>, StoreError> {
        self.reader().await?.reconcile_reports(limit).await
    }

    /// One reconcile report, with its JSON.
    pub async fn reconcile_report(&self, id: i64) -> Result<Option<ReconcileRecord>, StoreError> {
        self.reader().await?.reconcile_report(id).await
    }

    /// When the newest report of `origin` (a `reconcile:` schedule's name) started.
    pub async fn last_reconcile_started(
        &self,
        origin: &str,
    ) -> Result<Option<Timestamp>, StoreError> {
        self.reader().await?.last_reconcile_started(origin).await
    }

    pub async fn audit(&self, entry: &AuditEntry) -> Result<(), StoreError> {
        self.writer().await?.audit(entry).await
    }

    pub async fn audit_entries(&self, filter: &AuditFilter) -> Result<Vec<AuditEntry>, StoreError> {
        self.reader().await?.audit_entries(filter).await
    }

    /// Per hour since `since` (hours with nothing left out), the records read, the audit
    /// entries written and the records dead-lettered (each failure, a letter's repeated
    /// failures too), oldest first. Reads are counted by the hour: the hour of `since` counts
    /// whole.
    pub async fn activity_per_hour(
        &self,
        since: Timestamp,
    ) -> Result<Vec<HourActivity>, StoreError> {
        self.reader().await?.activity_per_hour(since).await
    }

    /// The records each pipeline read since the hour of `since`, by pipeline; pipelines that
    /// read none are left out.
    pub async fn records_read(&self, since: Timestamp) -> Result<HashMap<String, u64>, StoreError> {
        self.reader().await?.records_read(since).await
    }

    /// Stores a verified webhook event durably: once this returns, the event may be
    /// acknowledged. A redelivered event is a [`InboxPut::Duplicate`] and changes nothing.
    /// Events stored at the same moment share one transaction (group commit).
    pub async fn inbox_put(&self, event: &InboxEvent) -> Result<InboxPut, StoreError> {
        match &self.writer {
            Some(writer) => writer.inbox_put(event.clone()).await,
            None => self.writer().await?.inbox_put(event).await,
        }
    }

    /// Writes a worker's finished events (see [`Statements::write_finished`]) and claims up to
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
        self.reader().await?.inbox_holders().await
    }

    /// Hands `worker`'s events back to the queue (its process is gone); how many.
    pub async fn inbox_release(&self, worker: &str) -> Result<u64, StoreError> {
        self.writer().await?.inbox_release(worker).await
    }

    /// Claims up to `limit` events for `worker` for `lease`: pending ones, and those whose
    /// worker let its lease run out. Oldest `created` first, then in received order. Each claim
    /// counts as an attempt. An event whose object has another event held under a live lease
    /// waits: events of one object are processed one at a time, across every process.
    ///
    /// In a transaction of its own: a backend may need more than one statement to keep claims
    /// apart (PostgreSQL takes a turn that lasts until the commit).
    pub async fn inbox_claim(
        &self,
        worker: &str,
        limit: u32,
        lease: Duration,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        let mut batch = self.begin().await?;
        let claimed = batch.inbox_claim(worker, limit, lease).await?;
        batch.commit().await?;
        Ok(claimed)
    }

    /// Takes or renews the lease `name` for `holder` until `ttl` from now: true when `holder`
    /// has it. It is free when nobody holds it, when its holder let it run out, or when its
    /// holder is `replacing` (a process known to be gone). Scheduled work runs on the process
    /// holding its lease, so it runs once across a fleet sharing the store.
    pub async fn try_lease(
        &self,
        name: &str,
        holder: &str,
        ttl: Duration,
        replacing: Option<&str>,
    ) -> Result<bool, StoreError> {
        let until = Timestamp::now()
            .checked_add(ttl)
            .unwrap_or_else(|_| Timestamp::now());
        self.writer()
            .await?
            .try_lease(name, holder, until, replacing)
            .await
    }

    /// Who holds the lease `name`, if anyone does (its lease may have run out).
    pub async fn lease_holder(&self, name: &str) -> Result<Option<String>, StoreError> {
        self.reader().await?.lease_holder(name).await
    }

    /// Gives the lease `name` back, if `holder` has it, so another process need not wait for
    /// it to run out.
    pub async fn release_lease(&self, name: &str, holder: &str) -> Result<(), StoreError> {
        self.writer().await?.release_lease(name, holder).await
    }

    /// Ends `worker`'s attempt; see [`Statements::inbox_finish`] to finish in a [`Batch`] with
    /// the attempt's writes. Returns false, changing nothing, if `worker` no longer holds the
    /// event.
    pub async fn inbox_finish(
        &self,
        connection: &str,
        event_id: &str,
        worker: &str,
        outcome: &InboxOutcome,
    ) -> Result<bool, StoreError> {
        self.writer()
            .await?
            .inbox_finish(connection, event_id, worker, outcome)
            .await
    }

    /// One event with its processing state.
    pub async fn inbox_event(
        &self,
        connection: &str,
        event_id: &str,
    ) -> Result<Option<StoredEvent>, StoreError> {
        self.reader().await?.inbox_event(connection, event_id).await
    }

    pub async fn inbox_stats(&self) -> Result<InboxStats, StoreError> {
        self.reader().await?.inbox_stats().await
    }

    /// Deletes done events processed more than `age` ago. Keep them as long as the sender may
    /// redeliver (Stripe: three days), or a late redelivery is processed a second time.
    pub async fn inbox_prune(&self, age: Duration) -> Result<u64, StoreError> {
        self.writer().await?.inbox_prune(ago(age)).await
    }

    /// The newest version of an object a worker applied; see
    /// [`Statements::set_object_version`].
    pub async fn object_version(
        &self,
        connection: &str,
        object_id: &str,
    ) -> Result<Option<ObjectVersion>, StoreError> {
        self.reader()
            .await?
            .object_version(connection, object_id)
            .await
    }

    /// The versions kept for any of `objects` (connection, object id), in a few statements.
    pub async fn object_versions(
        &self,
        objects: &[(&str, &str)],
    ) -> Result<Vec<ObjectVersion>, StoreError> {
        if objects.is_empty() {
            return Ok(Vec::new());
        }
        self.reader().await?.object_versions(objects).await
    }

    /// Where a catch-up from the connection's event list starts.
    pub async fn last_event(&self, connection: &str) -> Result<Option<LastEvent>, StoreError> {
        self.reader().await?.last_event(connection).await
    }

    /// Moves the catch-up position forward (never back); returns whether it moved. Set it only
    /// once the events up to `last` are in the inbox.
    pub async fn set_last_event(
        &self,
        connection: &str,
        last: &LastEvent,
    ) -> Result<bool, StoreError> {
        self.writer().await?.set_last_event(connection, last).await
    }

    /// The last version read of the record `source_id` of `source` (`connection.stream`), as
    /// JSON: what a deletion that lists only the record's id is mapped from.
    pub async fn record_seen(
        &self,
        source: &str,
        source_id: &str,
    ) -> Result<Option<String>, StoreError> {
        self.reader().await?.record_seen(source, source_id).await
    }

    /// Keeps `record_json` as the last version read of the record.
    pub async fn put_record_seen(
        &self,
        source: &str,
        source_id: &str,
        record_json: &str,
    ) -> Result<(), StoreError> {
        self.writer()
            .await?
            .put_record_seen(source, source_id, record_json)
            .await
    }

    /// Whether `needle` occurs in any text column of any table: the canary-secret tests' probe.
    pub async fn contains_text(&self, needle: &str) -> Result<bool, StoreError> {
        self.reader().await?.contains_text(needle).await
    }

    /// Waits for in-flight work and closes every connection (tests reopen the same file).
    pub async fn close(&self) {
        self.backend.close().await
    }
}

/// The moment `age` ago (the earliest one there is, for an age longer than history).
fn ago(age: Duration) -> Timestamp {
    let age_millis = i64::try_from(age.as_millis()).unwrap_or(i64::MAX);
    let millis = Timestamp::now().as_millisecond().saturating_sub(age_millis);
    Timestamp::from_millisecond(millis).unwrap_or(Timestamp::MIN)
}
