//! A worker's processed events, finished together: their cross references, audit entries, dead
//! letters, object versions, inbox outcomes and records read (one count per pipeline) go into
//! one transaction, with the worker's next claim and whatever else the store writes at that
//! moment (events being acknowledged, other workers' groups), so one disk flush finishes a
//! whole claim. SQLite has one writer and each
//! flush takes milliseconds, so a flush per event would cap processing far below what webhooks
//! bring in.
//!
//! The group holds the object locks of its events until it commits, so no other worker sees an
//! object's events out of order. It commits early before taking a lock held elsewhere (so two
//! workers never wait on each other) and before an event whose pipelines read cross references
//! that the group has yet to write.

use std::collections::{BTreeMap, HashSet};
use std::time::{Duration, Instant};

use tokio::sync::MutexGuard;

use super::App;
use super::event::Outcome;
use crate::runtime::Job;
use crate::store::{FinishedEvents, InboxState, RecordsRead, StoredEvent};

/// How long a worker keeps trying to commit its processed events while the store fails, before
/// it leaves them to their lease: well within the lease, so that they are still its own.
const COMMIT_PATIENCE: Duration = Duration::from_secs(60);

/// One processed event waiting for the group's commit.
struct Finished<'a> {
    connection: String,
    event_id: String,
    done: Outcome<'a>,
}

pub struct CommitGroup<'a> {
    app: &'a App,
    worker: &'a str,
    finished: Vec<Finished<'a>>,
    locks: Vec<MutexGuard<'a, ()>>,
    /// The stripes `locks` hold, and the objects (lock keys) of the group's events.
    stripes: HashSet<usize>,
    keys: HashSet<String>,
}

impl<'a> CommitGroup<'a> {
    pub fn new(app: &'a App, worker: &'a str) -> Self {
        CommitGroup {
            app,
            worker,
            finished: Vec::new(),
            locks: Vec::new(),
            stripes: HashSet::new(),
            keys: HashSet::new(),
        }
    }

    /// Takes the lock of `key`'s object for the rest of the group. Commits first when the group
    /// already holds an event of that object (its writes, unseen until the commit, would be
    /// missed), or when another worker holds the stripe (so no two workers wait on each other).
    pub async fn lock(&mut self, key: &str) {
        if self.keys.contains(key) {
            self.commit().await;
        }
        let stripe = self.app.locks.stripe_of(key);
        if !self.stripes.contains(&stripe) {
            let mutex = self.app.locks.get(stripe);
            let guard = match mutex.try_lock() {
                Ok(guard) => guard,
                Err(_) => {
                    self.commit().await;
                    mutex.lock().await
                }
            };
            self.locks.push(guard);
            self.stripes.insert(stripe);
        }
        self.keys.insert(key.to_string());
    }

    /// Takes the lock of `key`'s object (if any) for the rest of the group when that needs no
    /// commit first (see [`CommitGroup::lock`] and [`CommitGroup::before_reading`]); false,
    /// changing nothing, when it would.
    pub fn try_take(&mut self, jobs: &[&Job], key: Option<&str>) -> bool {
        if jobs.iter().any(|job| self.writes_read_by(job)) {
            return false;
        }
        let Some(key) = key else {
            return true;
        };
        if self.keys.contains(key) {
            return false;
        }
        let stripe = self.app.locks.stripe_of(key);
        if !self.stripes.contains(&stripe) {
            let Ok(guard) = self.app.locks.get(stripe).try_lock() else {
                return false;
            };
            self.locks.push(guard);
            self.stripes.insert(stripe);
        }
        self.keys.insert(key.to_string());
        true
    }

    /// Commits first if `job` reads cross references into a collection the group writes to.
    pub async fn before_reading(&mut self, job: &Job) {
        if self.writes_read_by(job) {
            self.commit().await;
        }
    }

    /// Whether the group holds writes to a collection whose cross references `job` reads.
    fn writes_read_by(&self, job: &Job) -> bool {
        let reads = &job.compiled.xref_collections;
        !reads.is_empty()
            && self.finished.iter().any(|finished| {
                finished.done.deliveries.iter().any(|(_, delivery)| {
                    delivery.link().is_some_and(|link| {
                        reads.contains(&link.source_collection)
                            || reads.contains(&link.target_collection)
                    })
                })
            })
    }

    pub fn push(&mut self, connection: &str, event_id: &str, done: Outcome<'a>) {
        self.finished.push(Finished {
            connection: connection.to_string(),
            event_id: event_id.to_string(),
            done,
        });
    }

    /// Writes and commits every event of the group, then lets go of its locks. A commit that
    /// fails (the database restarting, connections cut) is tried again while the worker still
    /// holds the group's events, for up to [`COMMIT_PATIENCE`]; after that nothing of the group
    /// is kept: its events stay claimed until their lease runs out and are then processed
    /// again (deliveries are idempotent).
    pub async fn commit(&mut self) {
        let _ = self.commit_and_claim(0, Duration::ZERO).await;
    }

    /// As [`CommitGroup::commit`], and claims up to `limit` more events for the worker in the
    /// same transaction (0: none); the events claimed.
    pub async fn commit_and_claim(&mut self, limit: u32, lease: Duration) -> Vec<StoredEvent> {
        let mut claimed = Vec::new();
        if !self.finished.is_empty() || limit > 0 {
            match self.write_while_held(limit, lease).await {
                Ok(events) => claimed = events,
                Err(error) => tracing::error!(
                    worker = %self.worker,
                    "cannot commit {} processed event(s): {error}; they will be claimed again",
                    self.finished.len()
                ),
            }
            self.finished.clear();
        }
        self.locks.clear();
        self.stripes.clear();
        self.keys.clear();
        claimed
    }

    /// [`CommitGroup::write`], again after a pause each time it fails, as long as the worker
    /// still holds the group's events. Whether it does is read before each new try: a commit
    /// whose answer was lost may have been kept, and writing the group twice would audit its
    /// writes twice.
    async fn write_while_held(
        &self,
        limit: u32,
        lease: Duration,
    ) -> Result<Vec<StoredEvent>, String> {
        let started = Instant::now();
        let mut pause = Duration::from_millis(100);
        loop {
            let error = match self.write(limit, lease).await {
                Ok(claimed) => return Ok(claimed),
                Err(error) => error,
            };
            loop {
                if started.elapsed() + pause >= COMMIT_PATIENCE {
                    return Err(error);
                }
                tracing::warn!(worker = %self.worker, "cannot commit {} processed event(s) yet: {error}; trying again", self.finished.len());
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(5));
                match self.still_held().await {
                    Ok(true) => break,
                    Ok(false) => {
                        tracing::info!(worker = %self.worker, "the group's events are no longer held by this worker (committed after all, or their lease ran out)");
                        return Ok(Vec::new());
                    }
                    Err(_) => continue,
                }
            }
        }
    }

    /// Whether the worker still holds the group's events (they were claimed, and are
    /// finished, together: the first speaks for all).
    async fn still_held(&self) -> Result<bool, crate::store::StoreError> {
        let Some(first) = self.finished.first() else {
            return Ok(true);
        };
        let stored = self
            .app
            .store
            .inbox_event(&first.connection, &first.event_id)
            .await?;
        Ok(stored.is_some_and(|stored| {
            stored.state == InboxState::Processing
                && stored.claimed_by.as_deref() == Some(self.worker)
        }))
    }

    async fn write(&self, limit: u32, lease: Duration) -> Result<Vec<StoredEvent>, String> {
        let mut writes = FinishedEvents::default();
        let mut read = BTreeMap::<&str, u64>::new();
        for finished in &self.finished {
            let done = &finished.done;
            for (job, delivery) in &done.deliveries {
                delivery.add_to(job, &mut writes);
            }
            writes.object_versions.extend(done.version.iter().cloned());
            writes.outcomes.push((
                finished.connection.clone(),
                finished.event_id.clone(),
                done.outcome.clone(),
            ));
            for job in &done.read {
                *read.entry(&job.name).or_default() += 1;
            }
        }
        // One count per pipeline for the whole group.
        let at = jiff::Timestamp::now();
        writes.read = read
            .into_iter()
            .map(|(pipeline, records)| RecordsRead {
                pipeline: pipeline.to_string(),
                records,
                at,
            })
            .collect();
        let outcomes: Vec<String> = writes
            .outcomes
            .iter()
            .map(|(_, event_id, _)| event_id.clone())
            .collect();
        let finished = self
            .app
            .store
            .finish_and_claim(writes, self.worker, limit, lease)
            .await
            .map_err(|error| error.to_string())?;
        for (event_id, held) in outcomes.iter().zip(finished.held) {
            if !held {
                tracing::warn!(event = %event_id, worker = %self.worker, "the event's lease ran out before it was finished; another worker has it");
            }
        }
        Ok(finished.claimed)
    }
}
