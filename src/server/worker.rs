//! Workers drain the inbox: claim events under a lease, run them through the pipelines that
//! handle their type, and finish them. An event older than what was already applied to its
//! object is run with the object as it is now (fetched again), so a late delivery never
//! overwrites newer state. Events of one object are processed one at a time. The events of a
//! claim are finished together, with their writes, in one transaction (see [`CommitGroup`]).

use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use serde_json::Value;
use tokio::sync::Mutex;

use super::App;
use super::commit_group::CommitGroup;
use super::metrics::name;
use crate::connectors::SourceRecord;
use crate::runtime::{Job, Processed};
use crate::store::{InboxOutcome, ObjectVersion, StoredEvent};

/// Events a worker claims at once: the most it finishes in one transaction.
const CLAIM: u32 = 64;
/// How long a claim holds an event before another worker may take it over.
const LEASE: Duration = Duration::from_secs(120);

/// A worker's name in the inbox: its process id, so that a restarted ferry can tell the events
/// a killed process held from those a live one is working on.
pub fn name(index: usize) -> String {
    format!("pid{}/worker-{index}", std::process::id())
}

/// The process id in a worker's [`name`], if it has one.
fn process_of(worker: &str) -> Option<u32> {
    worker.strip_prefix("pid")?.split_once('/')?.0.parse().ok()
}

/// Whether the process named by a worker is known to be gone (Linux: no `/proc/<pid>`); where
/// that cannot be told, its events wait for their lease to run out.
fn process_gone(worker: &str) -> bool {
    let proc = std::path::Path::new("/proc");
    match process_of(worker) {
        Some(pid) if pid != std::process::id() && proc.join("self").exists() => {
            !proc.join(pid.to_string()).exists()
        }
        _ => false,
    }
}

/// On start: events that workers of a killed process held go back to the queue at once rather
/// than after their lease.
pub async fn release_orphans(store: &crate::store::Store) {
    let holders = match store.inbox_holders().await {
        Ok(holders) => holders,
        Err(error) => {
            tracing::warn!(
                "cannot list the inbox's held events: {error}; their leases will run out"
            );
            return;
        }
    };
    for worker in holders.iter().filter(|w| process_gone(w)) {
        match store.inbox_release(worker).await {
            Ok(count) => {
                tracing::info!(worker = %worker, count, "took back the events of a stopped process")
            }
            Err(error) => tracing::warn!(worker = %worker, "cannot take back its events: {error}"),
        }
    }
}
/// Locks striped by object id: events of one object never run side by side. A worker holds
/// the stripes of a whole claim until it commits (see [`CommitGroup`]), so there are plenty.
const STRIPES: usize = 8192;

pub struct ObjectLocks {
    stripes: Vec<Mutex<()>>,
}

impl ObjectLocks {
    pub fn new() -> Self {
        ObjectLocks {
            stripes: (0..STRIPES).map(|_| Mutex::new(())).collect(),
        }
    }

    /// The stripe of `key`: an index for [`ObjectLocks::get`].
    pub(super) fn stripe_of(&self, key: &str) -> usize {
        let hash = key.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
        (hash % self.stripes.len() as u64) as usize
    }

    pub(super) fn get(&self, stripe: usize) -> &Mutex<()> {
        &self.stripes[stripe % self.stripes.len()]
    }
}

impl Default for ObjectLocks {
    fn default() -> Self {
        Self::new()
    }
}

/// One worker's loop, until `stop` turns true; it finishes the event in hand first.
pub async fn run(app: Arc<App>, worker: String, mut stop: tokio::sync::watch::Receiver<bool>) {
    let mut claimed = Vec::new();
    loop {
        if *stop.borrow() {
            return;
        }
        app.heartbeat();
        if claimed.is_empty() {
            claimed = match app.store.inbox_claim(&worker, CLAIM, LEASE).await {
                Ok(claimed) => claimed,
                Err(error) => {
                    tracing::error!(worker = %worker, "cannot claim inbox events: {error}");
                    Vec::new()
                }
            };
        }
        if claimed.is_empty() {
            tokio::select! {
                _ = app.wake.notified() => {}
                _ = tokio::time::sleep(Duration::from_millis(500)) => {}
                _ = stop.changed() => {}
            }
            continue;
        }
        let mut group = CommitGroup::new(&app, &worker);
        for stored in std::mem::take(&mut claimed) {
            process(&app, &stored, &mut group).await;
        }
        // The next claim shares the finishing transaction (one disk flush for both), unless
        // the server is stopping: what is claimed is processed before the worker stops.
        let next = if *stop.borrow() { 0 } else { CLAIM };
        claimed = group.commit_and_claim(next, LEASE).await;
    }
}

/// Runs one event through every pipeline that handles it and adds it, with its outcome, to
/// `group`.
async fn process<'a>(app: &'a App, stored: &StoredEvent, group: &mut CommitGroup<'a>) {
    let event = &stored.event;
    let finish = |group: &mut CommitGroup<'a>, outcome| {
        group.push(
            &event.connection,
            &event.event_id,
            Vec::new(),
            None,
            outcome,
        );
    };
    let data: Value = match serde_json::from_str(&event.body) {
        Ok(data) => data,
        Err(error) => {
            let error = format!("the stored body is not JSON: {error}");
            return finish(group, InboxOutcome::Failed { error });
        }
    };
    let jobs: Vec<&Job> = app.jobs_for(&event.connection, &event.event_type);
    if jobs.is_empty() {
        return finish(group, InboxOutcome::Done);
    }
    if let Some(reason) = version_mismatch(app, &event.connection, &data) {
        for job in &jobs {
            if let Err(error) = app
                .store
                .dead_letter(
                    &job.name,
                    &event.event_id,
                    &event.body,
                    "api_version_mismatch",
                    &reason,
                )
                .await
            {
                return finish(group, retry(stored, error.to_string()));
            }
            metrics::counter!(name::EVENTS_DEAD_LETTERED, "pipeline" => job.name.clone())
                .increment(1);
        }
        tracing::warn!(event = %event.event_id, "{reason}");
        return finish(group, InboxOutcome::Done);
    }
    for job in &jobs {
        group.before_reading(job).await;
    }
    let object_id = object_id(&data, event.event_type.starts_with("party/"));
    let lock_key = format!(
        "{}/{}",
        event.connection,
        object_id.as_deref().unwrap_or(&event.event_id)
    );
    group.lock(&lock_key).await;
    let data = match fresher(
        app,
        &event.connection,
        object_id.as_deref(),
        (event.created, &event.event_id),
        data,
    )
    .await
    {
        Ok(data) => data,
        Err(error) => return finish(group, retry(stored, error)),
    };
    let record = SourceRecord {
        id: record_id(
            &event.event_id,
            &data,
            event.event_type.starts_with("party/"),
        ),
        deleted: event.event_type == "party/deleted",
        data,
    };
    let mut deliveries = Vec::with_capacity(jobs.len());
    let mut outcome = InboxOutcome::Done;
    for job in jobs {
        match app.runner.deliver_one(job, record.clone()).await {
            Ok(delivery) => {
                if let Processed::DeadLettered { code, .. } = &delivery.processed {
                    metrics::counter!(name::EVENTS_DEAD_LETTERED, "pipeline" => job.name.clone())
                        .increment(1);
                    tracing::warn!(pipeline = %job.name, event = %event.event_id, code = %code, "event dead-lettered");
                } else {
                    metrics::counter!(name::EVENTS_PROCESSED, "pipeline" => job.name.clone())
                        .increment(1);
                }
                deliveries.push((job, delivery));
            }
            Err(error) => {
                metrics::counter!(name::EVENTS_FAILED, "pipeline" => job.name.clone()).increment(1);
                outcome = retry(stored, error.to_string());
                break;
            }
        }
    }
    // The version is recorded with the deliveries that applied it (none: nothing applied).
    let version = object_id.filter(|_| !deliveries.is_empty()).map(|id| {
        ObjectVersion::new(
            event.connection.clone(),
            id,
            event.created,
            event.event_id.clone(),
        )
    });
    group.push(
        &event.connection,
        &event.event_id,
        deliveries,
        version,
        outcome,
    );
}

/// The event's object, or the object as it is now when a newer version was already applied,
/// or another event of the same second (which of the two is newer cannot be told).
async fn fresher(
    app: &App,
    connection: &str,
    object_id: Option<&str>,
    (created, event_id): (i64, &str),
    mut data: Value,
) -> Result<Value, String> {
    let Some(id) = object_id else {
        return Ok(data);
    };
    let applied = app
        .store
        .object_version(connection, id)
        .await
        .map_err(|e| e.to_string())?;
    let newest = applied.is_none_or(|applied| {
        applied.version < created || (applied.version == created && applied.event_id == event_id)
    });
    if newest {
        return Ok(data);
    }
    let Some(kind) = data.pointer("/data/object/object").and_then(Value::as_str) else {
        return Ok(data);
    };
    let Some(connector) = app.runner.connector_named(connection) else {
        return Ok(data);
    };
    let collection = format!("{kind}s");
    tracing::info!(
        object = id,
        "an event arrived after a newer one or one of the same second; reading the object again"
    );
    match connector.get(&collection, id).await {
        Ok(Some(current)) => {
            if let Some(object) = data.pointer_mut("/data/object") {
                *object = current.data;
            }
            Ok(data)
        }
        Ok(None) => Ok(data),
        Err(error) => Err(error.to_string()),
    }
}

/// Why an event's API version is not the one the connection expects, if it is not.
fn version_mismatch(app: &App, connection: &str, data: &Value) -> Option<String> {
    let expected = app.stripe_endpoint(connection)?.api_version.as_deref()?;
    let got = data
        .get("api_version")
        .and_then(Value::as_str)
        .unwrap_or("none");
    (got != expected).then(|| {
        format!(
            "the event is rendered in Stripe API version {got}, but connection `{connection}` expects {expected}: set the webhook endpoint's API version to {expected} in Stripe's dashboard, then replay"
        )
    })
}

fn object_id(data: &Value, is_party: bool) -> Option<String> {
    let object = if is_party {
        Some(data)
    } else {
        data.pointer("/data/object")
    }?;
    match object.get("id")? {
        Value::String(id) => Some(id.clone()),
        Value::Number(id) => Some(id.to_string()),
        _ => None,
    }
}

fn record_id(event_id: &str, data: &Value, is_party: bool) -> String {
    if is_party {
        object_id(data, true).unwrap_or_else(|| event_id.to_string())
    } else {
        event_id.to_string()
    }
}

/// Back to the inbox after a pause that grows with the attempts (up to ten minutes).
fn retry(stored: &StoredEvent, error: impl Into<String>) -> InboxOutcome {
    let attempts = u32::try_from(stored.attempts.clamp(1, 10)).unwrap_or(10);
    let pause = Duration::from_secs((1u64 << attempts).min(600));
    let error = error.into();
    tracing::warn!(event = %stored.event.event_id, attempts = stored.attempts, "event will be retried: {error}");
    InboxOutcome::Retry {
        error,
        not_before: Timestamp::now()
            .checked_add(pause)
            .unwrap_or_else(|_| Timestamp::now()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_worker_name_carries_its_process() {
        assert_eq!(process_of(&name(3)), Some(std::process::id()));
        assert_eq!(process_of("worker-0"), None);
        assert!(!process_gone(&name(0)), "this process is alive");
        assert!(
            !process_gone("worker-0"),
            "an unknown process is left to its lease"
        );
        if std::path::Path::new("/proc/self").exists() {
            // Above Linux's largest process id (2^22).
            assert!(process_gone("pid4999999/worker-0"));
        }
    }
}
