//! The run loop: poll a batch of pages, map and deliver its records concurrently, then make the
//! batch's cross references, audit entries, dead letters and cursor durable in one transaction.

use std::collections::HashMap;
use std::sync::Arc;

use futures_util::stream::{self, StreamExt};
use jiff::Timestamp;

use super::claims::MatchClaims;
use super::deliver::DeliveryError;
use super::job::Job;
use super::listing::Listing;
use super::record::Fate;
use super::report::{PipelineReport, PlannedWrite, WouldFail};
use crate::connectors::client::PassProgress;
use crate::connectors::{
    Connector, ConnectorError, PollOptions, PostedLedger, SourcePage, SourceRecord,
};
use crate::project::{Secret, redact};
use crate::store::{CrossReferenceSnapshot, FinishedEvents, RecordsRead, Store, StoreError};

/// The store's mark of a pipeline's backfill that has not drained its source yet, and of one
/// that has.
const BACKFILL_RUNNING: &str = "running";
const BACKFILL_DONE: &str = "done";

/// How long a run that lost its lock (see [`Runner::keep_run_lock`]) waits for the store to
/// take it again: a server restart, or a cut network coming back.
const LOCK_PATIENCE: std::time::Duration = std::time::Duration::from_secs(60);

/// How a run reads and writes.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Read the source from its start, ignoring the stored cursor.
    pub backfill: bool,
    /// With no stored cursor, start here.
    pub since: Option<Timestamp>,
    /// Plan the writes against the targets' current state; write nothing, store nothing.
    pub dry_run: bool,
    pub page_size: usize,
    /// Records delivered at once (records with the same id stay in order).
    pub concurrency: usize,
    /// When another run of the pipeline holds its lock on the store: wait for it to end
    /// (`true`), or stop with `StoreError::RunLocked` (`false`).
    pub wait_for_lock: bool,
    /// Read the source's whole history where the API keeps less of it as the stream (Stripe's
    /// events, from their objects' lists): a reconcile's.
    pub history: bool,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            backfill: false,
            since: None,
            dry_run: false,
            page_size: 100,
            concurrency: 8,
            wait_for_lock: false,
            history: false,
        }
    }
}

/// Why a run stopped before reaching the end of its source. The cursor stays at the last batch
/// made durable, so the next run resumes there.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// Reading the source failed.
    #[error("pipeline `{pipeline}`: {error}")]
    Source {
        pipeline: String,
        error: Box<ConnectorError>,
    },
    /// A target (or a connection a map fetches from) failed.
    #[error("pipeline `{pipeline}`: {error}")]
    Connector {
        pipeline: String,
        error: Box<ConnectorError>,
    },
    #[error("pipeline `{pipeline}`: the store failed: {error}")]
    Store { pipeline: String, error: StoreError },
    #[error("pipeline `{pipeline}`: {reason}")]
    Setup { pipeline: String, reason: String },
}

/// This machine's name, for telling a second run which process holds a lock.
fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|name| name.trim().to_string())
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "this machine".to_string())
}

/// Called after each durable batch (progress bars, logs), and after each page read.
pub trait Progress: Send + Sync {
    fn batch(&self, report: &PipelineReport);

    /// A page of the source was read (whether its records are then delivered or not).
    fn polled(&self, _page: &SourcePage) {}

    /// How far the source's pass stands, when the source tells (after `polled`).
    fn position(&self, _progress: PassProgress) {}
}

impl Progress for () {
    fn batch(&self, _report: &PipelineReport) {}
}

/// The connectors and store of one environment.
pub struct Runner {
    store: Store,
    connectors: HashMap<String, Arc<Connector>>,
    secrets: Vec<Secret>,
    related: super::related::RelatedCache,
    /// In-flight writes that are this runner's own are not lost unless their request failed.
    started: Timestamp,
    failed_writes: std::sync::Mutex<std::collections::HashSet<String>>,
    /// Each pipeline's writes in flight as its page (or event) began: (target, link id) ->
    /// records.
    in_flight: std::sync::Mutex<HashMap<String, InFlight>>,
    /// Pipelines with no write in flight left from before `started`.
    settled_from_before: std::sync::Mutex<std::collections::HashSet<String>>,
    /// `ferry serve` of a fleet (see [`Runner::in_fleet`]).
    in_fleet: bool,
    /// Match keys held by records delivered one at a time, side by side.
    claims: MatchClaims,
    /// One record at a time writes and posts a journal (`post` on a journal sink).
    journal_turns: super::journal::JournalTurns,
    /// Target collections listed whole (a reconcile's), by collection (`stripe.customers`).
    listings: HashMap<String, Arc<Listing>>,
    /// Ledgers read whole (a reconcile's), by the journal sink's collection.
    ledgers: HashMap<String, Arc<dyn PostedLedger>>,
}

type InFlight = HashMap<(String, String), Vec<crate::store::IdempotencyRecord>>;

impl Runner {
    /// `secrets` are masked out of everything the runner stores or logs.
    pub fn new(
        store: Store,
        connectors: HashMap<String, Arc<Connector>>,
        secrets: Vec<Secret>,
    ) -> Self {
        Runner {
            store,
            connectors,
            secrets,
            related: Default::default(),
            started: Timestamp::now(),
            failed_writes: Default::default(),
            in_flight: Default::default(),
            settled_from_before: Default::default(),
            in_fleet: false,
            claims: Default::default(),
            journal_turns: Default::default(),
            listings: HashMap::new(),
            ledgers: HashMap::new(),
        }
    }

    /// A runner of the same store and connections that plans against `listings` and asks
    /// `ledgers` (by target collection) instead of asking the API record by record. Only for
    /// dry runs: a listing grows stale as soon as anything writes.
    pub(super) fn planning_against(
        &self,
        listings: HashMap<String, Arc<Listing>>,
        ledgers: HashMap<String, Arc<dyn PostedLedger>>,
    ) -> Runner {
        let mut runner = Runner::new(
            self.store.clone(),
            self.connectors.clone(),
            self.secrets.clone(),
        );
        runner.listings = listings;
        runner.ledgers = ledgers;
        runner
    }

    /// The same runner in one `ferry serve` of a fleet sharing its store: any process may
    /// have left writes in flight, at any time, so they are read for every event, and one left
    /// by an earlier attempt at the record is lost whenever it was sent. The worker processes a
    /// record's events one at a time across the fleet, and commits an event's writes before it
    /// takes the next of its object, so no write of the record awaits a commit elsewhere.
    pub fn in_fleet(mut self) -> Runner {
        self.in_fleet = true;
        self
    }

    pub(super) fn listing(&self, collection: &str) -> Option<&Listing> {
        self.listings.get(collection).map(Arc::as_ref)
    }

    pub(super) fn ledger(&self, collection: &str) -> Option<&dyn PostedLedger> {
        self.ledgers.get(collection).map(Arc::as_ref)
    }

    /// Reads `pipeline`'s writes in flight (usually none: only a crash or a failed request
    /// leaves one), for [`Runner::lost_writes`] while a page or an event is delivered.
    /// While none of this runner's requests has failed only an earlier process's records can
    /// be lost, and those are only ever settled, never added: once none is left, there is
    /// nothing to read for each event.
    pub(super) async fn load_in_flight(&self, pipeline: &str) -> Result<(), StoreError> {
        let none_failed = self.failed_writes().is_empty();
        let records = if !none_failed || self.in_fleet {
            self.store.writes_in_flight(pipeline).await?
        } else if self.settled_from_before(pipeline) {
            Vec::new()
        } else {
            let records = self
                .store
                .writes_in_flight_before(pipeline, self.started)
                .await?;
            if records.is_empty() {
                self.lock_settled_from_before().insert(pipeline.to_string());
            }
            records
        };
        let mut by_record = HashMap::<_, Vec<_>>::new();
        for record in records {
            by_record
                .entry((record.target.clone(), record.source_id.clone()))
                .or_default()
                .push(record);
        }
        let mut in_flight = self
            .in_flight
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if by_record.is_empty() {
            in_flight.remove(pipeline);
        } else {
            in_flight.insert(pipeline.to_string(), by_record);
        }
        Ok(())
    }

    fn settled_from_before(&self, pipeline: &str) -> bool {
        self.lock_settled_from_before().contains(pipeline)
    }

    fn lock_settled_from_before(
        &self,
    ) -> std::sync::MutexGuard<'_, std::collections::HashSet<String>> {
        self.settled_from_before
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Writes to `target` for `link_id` whose outcome is unknown (see [`Runner::write_lost`]).
    pub(super) fn lost_writes(
        &self,
        pipeline: &str,
        target: &str,
        link_id: &str,
    ) -> Vec<crate::store::IdempotencyRecord> {
        let in_flight = self
            .in_flight
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        in_flight
            .get(pipeline)
            .and_then(|records| records.get(&(target.to_string(), link_id.to_string())))
            .map(|records| {
                records
                    .iter()
                    .filter(|r| self.write_lost(r))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Whether an in-flight write's outcome is unknown: sent by an earlier process (which a
    /// crash stopped), by this one with a request that failed, or, in a fleet, by any earlier
    /// attempt (see [`Runner::in_fleet`]).
    pub(super) fn write_lost(&self, record: &crate::store::IdempotencyRecord) -> bool {
        self.in_fleet
            || record.created_at < self.started
            || self.failed_writes().contains(&record.key)
    }

    /// Keys of writes this runner sent whose requests failed: their outcome is unknown.
    pub(super) fn failed_writes(
        &self,
    ) -> std::sync::MutexGuard<'_, std::collections::HashSet<String>> {
        self.failed_writes
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(super) fn claims(&self) -> &MatchClaims {
        &self.claims
    }

    pub(super) fn journal_turns(&self) -> &super::journal::JournalTurns {
        &self.journal_turns
    }

    pub(super) fn related(&self) -> &super::related::RelatedCache {
        &self.related
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The client of connection `name` (for files: `file.in` / `file.out`).
    pub fn connector_named(&self, name: &str) -> Option<&Arc<Connector>> {
        self.connectors.get(name)
    }

    /// Ends every connection's session with its system (Syspro's logon) once the run is over.
    /// A failure is only logged: the work is done, and the session ends on its idle timeout.
    pub async fn close_connections(&self) {
        crate::connectors::connector::close_all(&self.connectors).await;
    }

    /// Request counters per connection, sorted by name (files have none).
    pub fn http_stats(&self) -> Vec<(String, crate::connectors::http::HttpStats)> {
        let mut stats: Vec<_> = self
            .connectors
            .iter()
            .filter_map(|(name, connector)| Some((name.clone(), connector.http_stats()?)))
            .collect();
        stats.sort_by(|a, b| a.0.cmp(&b.0));
        stats
    }

    pub(super) fn connector(&self, job: &Job, name: &str) -> Result<&Arc<Connector>, RunError> {
        self.connectors.get(name).ok_or_else(|| RunError::Setup {
            pipeline: job.name.clone(),
            reason: format!("no connection `{name}` in this environment of ferry.yaml"),
        })
    }

    /// The time of the source's changes that `job`'s stored cursor has read up to, when its
    /// source's connector can tell (see `Client::cursor_time`); `None` without a cursor.
    pub async fn cursor_time(&self, job: &Job) -> Result<Option<Timestamp>, StoreError> {
        let Some(source) = self.connectors.get(&job.source.connector_key(true)) else {
            return Ok(None);
        };
        let cursor = self
            .store
            .cursor(&job.name, &job.source.collection())
            .await?;
        Ok(cursor.and_then(|cursor| source.cursor_time(&job.source.stream, &cursor)))
    }

    /// Runs `job` until its source has nothing more to give.
    pub async fn run(
        &self,
        job: &Job,
        options: &RunOptions,
        progress: &dyn Progress,
    ) -> Result<(PipelineReport, Vec<PlannedWrite>), RunError> {
        let source = self.connector(job, &job.source.connector_key(true))?;
        for step in &job.steps {
            self.connector(job, &step.sink.connector_key(false))?;
        }
        let store_error = |error| RunError::Store {
            pipeline: job.name.clone(),
            error,
        };
        // A dry run writes nothing, so it may look while another run delivers.
        let holder = format!(
            "pid {} on {}, since {}",
            std::process::id(),
            hostname(),
            Timestamp::now().strftime("%Y-%m-%d %H:%M:%S UTC")
        );
        let mut lock = if options.dry_run {
            None
        } else {
            Some(
                self.store
                    .lock_run(&job.name, &holder, options.wait_for_lock)
                    .await
                    .map_err(store_error)?,
            )
        };
        if !options.dry_run {
            // Settled writes are kept as long as Stripe keeps their keys.
            self.store
                .prune_idempotency(std::time::Duration::from_secs(24 * 3600))
                .await
                .map_err(store_error)?;
        }
        let source_key = job.source.collection();
        let stored = self
            .store
            .cursor(&job.name, &source_key)
            .await
            .map_err(store_error)?;
        // A backfill stores its cursor with each batch like any run, and marks itself running
        // until the source is drained: run again after a kill, it resumes at its last batch
        // rather than reading (and paying for) the pages it has done.
        let backfill_marker = format!("{source_key}#backfill");
        let mut cursor = if options.backfill {
            let marker = self
                .store
                .cursor(&job.name, &backfill_marker)
                .await
                .map_err(store_error)?;
            let interrupted = marker.as_deref() == Some(BACKFILL_RUNNING) && !options.dry_run;
            if interrupted {
                tracing::info!(pipeline = %job.name, "resuming the backfill a stopped run left at its last stored batch");
            }
            stored.filter(|_| interrupted)
        } else {
            stored
        };
        if options.backfill && !options.dry_run {
            self.store
                .set_cursor(&job.name, &backfill_marker, BACKFILL_RUNNING)
                .await
                .map_err(store_error)?;
        }
        let poll_options = PollOptions {
            event_types: job.events.clone(),
            backfill: options.backfill,
            since: options.since,
            page_size: options.page_size,
            history: options.history,
        };
        let mut report = PipelineReport::new(&job.name);
        let mut planned = Vec::new();
        let poll = |cursor: Option<String>| {
            let poll_options = &poll_options;
            async move {
                let page = source
                    .poll(&job.source.stream, cursor.as_deref(), poll_options)
                    .await
                    .map_err(|error| RunError::Source {
                        pipeline: job.name.clone(),
                        error: Box::new(error),
                    })?;
                progress.polled(&page);
                if let Some(at) = page
                    .cursor
                    .as_deref()
                    .and_then(|cursor| source.cursor_progress(&job.source.stream, cursor))
                {
                    progress.position(at);
                }
                Ok(page)
            }
        };
        let target = batch_target(options);
        let mut batch = read_batch(&poll, cursor.clone(), target).await?;
        loop {
            if let Some(held) = &mut lock {
                self.keep_run_lock(job, held, &holder, &source_key, cursor.as_deref())
                    .await
                    .map_err(store_error)?;
            }
            report.pages += batch.pages;
            let read_error = batch.error.take();
            let more = batch.records.more && read_error.is_none();
            let next_cursor = batch.records.cursor.clone();
            // The next batch is read while this one is delivered: reading moves no cursor, and
            // it is thrown away if this batch stops the run.
            let following = next_cursor.clone().or_else(|| cursor.clone());
            let delivered = self.deliver_batch(
                job,
                batch.records,
                options,
                &mut report,
                &mut planned,
                next_cursor.as_deref(),
            );
            let (stopped, next_batch) = if more {
                let (stopped, next_batch) =
                    tokio::join!(delivered, read_batch(&poll, following, target));
                (stopped?, Some(next_batch))
            } else {
                (delivered.await?, None)
            };
            if let Some(error) = stopped {
                return Err(RunError::Connector {
                    pipeline: job.name.clone(),
                    error: Box::new(error),
                });
            }
            progress.batch(&report);
            if next_cursor.is_some() {
                cursor = next_cursor;
            }
            if let Some(error) = read_error {
                return Err(error);
            }
            match next_batch {
                Some(next_batch) => batch = next_batch?,
                None => {
                    if options.backfill && !options.dry_run {
                        self.store
                            .set_cursor(&job.name, &backfill_marker, BACKFILL_DONE)
                            .await
                            .map_err(store_error)?;
                    }
                    return Ok((report, planned));
                }
            }
        }
    }

    /// Makes sure the run still holds `job`'s lock before it delivers another batch. On a
    /// shared store the lock goes with its connection (the server restarted, the connection
    /// cut), and another run may take it meanwhile. The run then takes the lock again, waiting
    /// for the store for up to [`LOCK_PATIENCE`], and goes on only if the stored cursor is still
    /// the one it last stored (`ours`): no other run read on from it meanwhile. Otherwise it
    /// stops with `StoreError::RunLockLost`; its stored batches are kept.
    async fn keep_run_lock(
        &self,
        job: &Job,
        held: &mut crate::store::RunLock,
        holder: &str,
        source_key: &str,
        ours: Option<&str>,
    ) -> Result<(), StoreError> {
        let lost = match held.check().await {
            Ok(()) => return Ok(()),
            Err(lost) => lost,
        };
        tracing::warn!(pipeline = %job.name, "{lost}; taking the lock again");
        let started = std::time::Instant::now();
        let mut pause = std::time::Duration::from_millis(200);
        let again = loop {
            match self.store.lock_run(&job.name, holder, false).await {
                Ok(again) => break again,
                // Another run holds it now: this one must not read on.
                Err(StoreError::RunLocked { .. }) => return Err(lost),
                Err(error) if started.elapsed() + pause >= LOCK_PATIENCE => {
                    tracing::warn!(pipeline = %job.name, "cannot take the lock again: {error}");
                    return Err(lost);
                }
                Err(error) => {
                    tracing::info!(pipeline = %job.name, "waiting for the store to take the lock again: {error}");
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(std::time::Duration::from_secs(5));
                }
            }
        };
        let stored = self.store.cursor(&job.name, source_key).await?;
        if stored.as_deref() != ours {
            tracing::warn!(pipeline = %job.name, "another run moved the cursor while the lock was lost");
            return Err(lost);
        }
        tracing::info!(pipeline = %job.name, "took the lock again; no other run read on meanwhile");
        *held = again;
        Ok(())
    }

    /// Delivers one batch and commits it; returns the error that stopped delivery early, if any
    /// (the batch's finished records are kept, its cursor is not).
    #[allow(clippy::too_many_arguments)]
    async fn deliver_batch(
        &self,
        job: &Job,
        batch: SourcePage,
        options: &RunOptions,
        report: &mut PipelineReport,
        planned: &mut Vec<PlannedWrite>,
        cursor: Option<&str>,
    ) -> Result<Option<ConnectorError>, RunError> {
        let store_error = |error| RunError::Store {
            pipeline: job.name.clone(),
            error,
        };
        let collections: Vec<&str> = job
            .compiled
            .xref_collections
            .iter()
            .map(String::as_str)
            .collect();
        let mut snapshot = if collections.is_empty() {
            CrossReferenceSnapshot::default()
        } else {
            self.store
                .cross_reference_snapshot(&collections)
                .await
                .map_err(store_error)?
        };
        self.read_page_links(job, &batch.records, &mut snapshot)
            .await
            .map_err(store_error)?;
        let read = (batch.records.len() + batch.rejected.len()) as u64;
        report.read += read;
        // Records of one batch share what they fetch; the next batch reads afresh.
        self.related().clear();
        if !options.dry_run {
            self.load_in_flight(&job.name).await.map_err(store_error)?;
        }
        let mut fates = Vec::new();
        for rejected in &batch.rejected {
            fates.push(Fate::DeadLetter {
                source_id: rejected.id.clone(),
                record_json: self.redacted(&rejected.raw),
                code: "unreadable_record".into(),
                message: self.redacted(&rejected.reason),
                writes: Vec::new(),
            });
        }
        let now = Timestamp::now();
        let groups = group_by_link(job, batch.records);
        let claims = MatchClaims::for_batch();
        let results: Vec<(Vec<Fate>, Option<DeliveryError>)> = stream::iter(groups)
            .map(|group| self.group(job, group, &snapshot, now, options.dry_run, &claims))
            .buffer_unordered(concurrency(job, options))
            .collect()
            .await;
        let mut stop = None;
        for (group_fates, error) in results {
            fates.extend(group_fates);
            match error {
                None => {}
                Some(DeliveryError::Store(error)) => return Err(store_error(error)),
                Some(DeliveryError::Connector(error)) => stop = stop.or(Some(error)),
            }
        }
        let last_outcomes = last_outcomes(&fates);
        let mut writes = FinishedEvents::default();
        for fate in fates {
            match &fate {
                Fate::Filtered => report.filtered += 1,
                Fate::Skipped => report.skipped += 1,
                Fate::DeletedAtSource => report.deleted_at_source += 1,
                Fate::Planned(_) => {}
                Fate::Delivered { writes, .. } => {
                    for write in writes {
                        report.count(write.operation);
                    }
                }
                Fate::DeadLetter {
                    source_id,
                    code,
                    message,
                    writes,
                    ..
                } => {
                    report.dead_lettered += 1;
                    if options.dry_run {
                        report.would_fail.push(WouldFail {
                            source_id: source_id.clone(),
                            code: code.clone(),
                            message: message.clone(),
                        });
                    }
                    for write in writes {
                        report.count(write.operation);
                    }
                    tracing::warn!(pipeline = %job.name, source_id = %source_id, code = %code, "dead-lettered: {message}");
                }
            }
            match fate {
                Fate::Planned(writes) => {
                    for write in writes {
                        report.count(write.operation);
                        planned.push(write);
                    }
                }
                fate => fate.add_to(&job.name, &mut writes),
            }
        }
        // A record given twice in a batch ends as its last version did.
        let ended_delivered = |id: &str| last_outcomes.get(id).copied().unwrap_or(true);
        writes.delivered.retain(|(_, id)| ended_delivered(id));
        writes
            .dead_letters
            .retain(|letter| !ended_delivered(&letter.source_id));
        if !options.dry_run {
            // For the dashboard: every record of the batch was read, including those a stop
            // left undelivered (the next pass reads them again, and counts them again).
            if read > 0 {
                writes.read.push(RecordsRead {
                    pipeline: job.name.clone(),
                    records: read,
                    at: Timestamp::now(),
                });
            }
            // The batch's writes in a few multi-row statements, with its cursor, in one commit.
            let mut transaction = self.store.begin().await.map_err(store_error)?;
            transaction
                .write_finished(&writes, "")
                .await
                .map_err(store_error)?;
            if stop.is_none()
                && let Some(cursor) = cursor
            {
                transaction
                    .set_cursor(&job.name, &job.source.collection(), cursor)
                    .await
                    .map_err(store_error)?;
            }
            transaction.commit().await.map_err(store_error)?;
        }
        Ok(stop)
    }

    /// Delivers records that share a link id, in order; stops at the first error that is not
    /// the record's own fault.
    #[allow(clippy::too_many_arguments)]
    async fn group(
        &self,
        job: &Job,
        records: Vec<SourceRecord>,
        snapshot: &CrossReferenceSnapshot,
        now: Timestamp,
        dry_run: bool,
        claims: &MatchClaims,
    ) -> (Vec<Fate>, Option<DeliveryError>) {
        let mut fates = Vec::new();
        for record in records {
            match self
                .record(job, record, snapshot, now, dry_run, claims, true)
                .await
            {
                Ok(fate) => fates.push(fate),
                Err(error) => return (fates, Some(error)),
            }
        }
        (fates, None)
    }

    pub(super) fn redacted(&self, text: &str) -> String {
        redact(text, &self.secrets)
    }
}

impl Runner {
    /// Reads the links of `records` into each step's sink in one query per step.
    pub(super) async fn read_page_links(
        &self,
        job: &Job,
        records: &[SourceRecord],
        snapshot: &mut CrossReferenceSnapshot,
    ) -> Result<(), StoreError> {
        for step in &job.steps {
            let link_ids: Vec<String> = records
                .iter()
                .filter_map(|record| job.link_id(step, &record.id, &record.data))
                .collect();
            let collection = step.sink.collection();
            let found = self.store.target_ids(&collection, &link_ids).await?;
            snapshot.add_page_links(&collection, link_ids, found);
        }
        Ok(())
    }
}

/// Source id -> whether its last fate in `fates` was a delivery (false: a dead letter).
fn last_outcomes(fates: &[Fate]) -> HashMap<String, bool> {
    let mut last = HashMap::new();
    for fate in fates {
        match fate {
            Fate::Delivered { source_id, .. } => last.insert(source_id.clone(), true),
            Fate::DeadLetter { source_id, .. } => last.insert(source_id.clone(), false),
            _ => None,
        };
    }
    last
}

/// A permanent failure caused by this record (a 400 for its fields, a malformed answer about
/// it), as opposed to one that would fail every record (bad credentials, an unknown stream).
pub(super) fn is_record_fault(error: &ConnectorError) -> bool {
    if !error.is_permanent() {
        return false;
    }
    match error {
        ConnectorError::Unsupported(_) => false,
        ConnectorError::Http(http) => !matches!(http.status(), Some(401 | 403) | None),
        ConnectorError::Api { status, .. } => !matches!(status, 401 | 403),
        _ => true,
    }
}

/// Records delivered at once; a sink on local files takes them one by one so its lines keep
/// the source's order.
fn concurrency(job: &Job, options: &RunOptions) -> usize {
    if job.steps.iter().any(|step| step.sink.is_local_files()) {
        1
    } else {
        options.concurrency.max(1)
    }
}

/// Records that one batch gathers at most from pages smaller than this (a bound on memory).
const MAX_BATCH_RECORDS: usize = 2_000;

/// Records delivered and committed together: several source pages, so that a commit, and the
/// wait for a page's last records while delivery slots stand idle, come once per several pages.
fn batch_target(options: &RunOptions) -> usize {
    let target = (16 * options.concurrency).min(MAX_BATCH_RECORDS);
    options.page_size.max(target)
}

/// Pages read one after another, joined.
struct ReadBatch {
    records: SourcePage,
    pages: u64,
    /// A poll that failed after the first page: the pages before it are delivered, then the
    /// run stops with it.
    error: Option<RunError>,
}

/// Reads pages from `cursor` until they hold `target` records or the source has no more.
async fn read_batch<Poll, Polled>(
    poll: &Poll,
    cursor: Option<String>,
    target: usize,
) -> Result<ReadBatch, RunError>
where
    Poll: Fn(Option<String>) -> Polled,
    Polled: std::future::Future<Output = Result<SourcePage, RunError>>,
{
    let mut records = poll(cursor.clone()).await?;
    let mut batch_cursor = records.cursor.clone().or(cursor);
    let mut pages = 1;
    while records.more && records.records.len() + records.rejected.len() < target {
        let page = match poll(batch_cursor.clone()).await {
            Ok(page) => page,
            Err(error) => {
                return Ok(ReadBatch {
                    records,
                    pages,
                    error: Some(error),
                });
            }
        };
        pages += 1;
        if page.cursor.is_some() {
            records.cursor = page.cursor.clone();
            batch_cursor = page.cursor;
        }
        records.more = page.more;
        records.records.extend(page.records);
        records.rejected.extend(page.rejected);
    }
    Ok(ReadBatch {
        records,
        pages,
        error: None,
    })
}

/// Records in page order, grouped so that records with the same link id are delivered one
/// after the other.
fn group_by_link(job: &Job, records: Vec<SourceRecord>) -> Vec<Vec<SourceRecord>> {
    let mut groups: Vec<Vec<SourceRecord>> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for record in records {
        let key = job
            .first()
            .and_then(|step| job.link_id(step, &record.id, &record.data))
            .unwrap_or_else(|| record.id.clone());
        match index.get(&key) {
            Some(&at) => groups[at].push(record),
            None => {
                index.insert(key, groups.len());
                groups.push(vec![record]);
            }
        }
    }
    groups
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    /// A source of `pages`, each `(record ids, cursor)`, whose poll at `fail_at` fails; it
    /// remembers the cursor each poll was given.
    struct FakeSource {
        pages: Vec<(Vec<&'static str>, Option<&'static str>)>,
        fail_at: Option<usize>,
        polled: Mutex<Vec<Option<String>>>,
    }

    impl FakeSource {
        async fn poll(&self, cursor: Option<String>) -> Result<SourcePage, RunError> {
            let mut polled = self.polled.lock().unwrap();
            let at = polled.len();
            polled.push(cursor);
            if self.fail_at == Some(at) {
                return Err(RunError::Setup {
                    pipeline: "p".into(),
                    reason: format!("poll {at} failed"),
                });
            }
            let (ids, cursor) = &self.pages[at];
            Ok(SourcePage {
                records: ids
                    .iter()
                    .map(|id| SourceRecord {
                        id: id.to_string(),
                        data: serde_json::json!({}),
                        deleted: false,
                    })
                    .collect(),
                cursor: cursor.map(str::to_string),
                more: at + 1 < self.pages.len(),
                rejected: Vec::new(),
            })
        }
    }

    fn source(
        pages: Vec<(Vec<&'static str>, Option<&'static str>)>,
        fail_at: Option<usize>,
    ) -> FakeSource {
        FakeSource {
            pages,
            fail_at,
            polled: Mutex::new(Vec::new()),
        }
    }

    fn ids(batch: &ReadBatch) -> Vec<&str> {
        batch
            .records
            .records
            .iter()
            .map(|r| r.id.as_str())
            .collect()
    }

    #[tokio::test]
    async fn a_batch_joins_pages_until_it_holds_its_target_and_keeps_the_last_cursor() {
        let source = source(
            vec![
                (vec!["1", "2"], Some("c1")),
                (vec!["3"], None),
                (vec!["4", "5"], Some("c3")),
                (vec!["6"], Some("c4")),
            ],
            None,
        );
        let poll = |cursor| source.poll(cursor);
        let batch = read_batch(&poll, Some("c0".into()), 5).await.unwrap();
        assert_eq!(ids(&batch), ["1", "2", "3", "4", "5"]);
        assert_eq!(batch.pages, 3);
        assert_eq!(batch.records.cursor.as_deref(), Some("c3"));
        assert!(batch.records.more, "a fourth page is left");
        assert!(batch.error.is_none());
        let polled = source.polled.lock().unwrap().clone();
        assert_eq!(
            polled,
            [Some("c0".into()), Some("c1".into()), Some("c1".into())],
            "a page without a cursor leaves the one before it in force"
        );
    }

    #[tokio::test]
    async fn a_poll_failing_after_the_first_page_ends_the_batch_with_its_pages_and_the_error() {
        let source = source(
            vec![
                (vec!["1"], Some("c1")),
                (vec!["2"], Some("c2")),
                (vec!["3"], Some("c3")),
            ],
            Some(2),
        );
        let poll = |cursor| source.poll(cursor);
        let batch = read_batch(&poll, None, 100).await.unwrap();
        assert_eq!(ids(&batch), ["1", "2"]);
        assert_eq!(batch.records.cursor.as_deref(), Some("c2"));
        assert!(
            matches!(&batch.error, Some(RunError::Setup { reason, .. }) if reason == "poll 2 failed")
        );
    }

    #[tokio::test]
    async fn a_first_poll_that_fails_is_the_batch_s_error() {
        let source = source(vec![(vec!["1"], Some("c1"))], Some(0));
        let poll = |cursor| source.poll(cursor);
        assert!(read_batch(&poll, None, 100).await.is_err());
    }

    #[test]
    fn a_batch_is_sixteen_deliveries_deep_and_never_smaller_than_a_page() {
        let options = |page_size, concurrency| RunOptions {
            page_size,
            concurrency,
            ..RunOptions::default()
        };
        assert_eq!(batch_target(&options(100, 32)), 512);
        assert_eq!(batch_target(&options(100, 1)), 100);
        assert_eq!(batch_target(&options(100, 1000)), MAX_BATCH_RECORDS);
        assert_eq!(batch_target(&options(5000, 8)), 5000);
    }
}
