//! One inbox event run through the pipelines that handle it. An event older than what was
//! already applied to its object is run with the object as it is now (fetched again), so a late
//! delivery never overwrites newer state.

use std::collections::HashMap;
use std::time::Duration;

use jiff::Timestamp;
use serde_json::Value;

use super::App;
use super::metrics::name;
use crate::connectors::{ConnectorError, SourceRecord, Webhooks};
use crate::runtime::{Delivery, Job, Processed, ReadAhead};
use crate::store::{InboxOutcome, ObjectVersion, StoreError, StoredEvent};

/// Why an inbox event's body cannot be read: the event fails for good.
#[derive(Debug, thiserror::Error)]
#[error("the stored body is not JSON: {0}")]
pub struct NotJson(#[from] serde_json::Error);

/// Why the current version of an event's object could not be found: the event is retried.
#[derive(Debug, thiserror::Error)]
pub enum RefetchError {
    /// Reading the version already applied to the object.
    #[error("{0}")]
    Store(#[from] StoreError),
    /// Reading the object again from its system.
    #[error("{0}")]
    Connector(#[from] ConnectorError),
}

/// An event read from the inbox, before it is processed: what the worker must know to schedule
/// it (its pipelines and the object it locks).
pub struct Intake<'a> {
    pub stored: StoredEvent,
    pub jobs: Vec<&'a Job>,
    /// How the event's system sends webhooks (None: it no longer does, and no pipeline reads
    /// the event).
    webhooks: Option<&'static Webhooks>,
    /// The body as JSON, or why it is not JSON.
    data: Result<Value, NotJson>,
    object_id: Option<String>,
    /// The lock of the event's object: `connection/object id` (or the event id).
    pub lock_key: Option<String>,
}

/// What processing an event came to, for its worker's commit group.
pub struct Outcome<'a> {
    pub deliveries: Vec<(&'a Job, Delivery)>,
    pub version: Option<ObjectVersion>,
    pub outcome: InboxOutcome,
    /// The pipelines that took the event to an outcome of their own (delivered, filtered,
    /// skipped or dead-lettered): each read one record.
    pub read: Vec<&'a Job>,
}

impl<'a> Intake<'a> {
    pub fn of(app: &'a App, stored: StoredEvent) -> Self {
        let event = &stored.event;
        let data = serde_json::from_str::<Value>(&event.body).map_err(NotJson);
        let jobs = match &data {
            Ok(_) => app.jobs_for(&event.connection, &event.event_type),
            Err(_) => Vec::new(),
        };
        let webhooks = app.webhooks(&event.connection);
        let object_id = data
            .as_ref()
            .ok()
            .zip(webhooks)
            .and_then(|(data, webhooks)| webhooks.object_id(data));
        let lock_key = (!jobs.is_empty()).then(|| {
            super::receive::object_key(
                &event.connection,
                object_id.as_deref().unwrap_or(&event.event_id),
            )
        });
        Intake {
            stored,
            jobs,
            webhooks,
            data,
            object_id,
            lock_key,
        }
    }

    /// Whether a pipeline of the event reads cross references: such an event must see the
    /// writes of the events before it, so it is not processed beside them.
    pub fn reads_cross_references(&self) -> bool {
        self.jobs
            .iter()
            .any(|job| !job.compiled.xref_collections.is_empty())
    }

    /// The object whose version gates the event, if any: (connection, object id).
    pub fn versioned_object(&self) -> Option<(&str, &str)> {
        let id = self.object_id.as_deref()?;
        (!self.jobs.is_empty()).then_some((self.stored.event.connection.as_str(), id))
    }

    /// The record the event will deliver as its body gives it (its object may be read again
    /// before it is delivered, keeping its id): what [`read_wave`] reads ahead for.
    fn record(&self) -> Option<SourceRecord> {
        let data = self.data.as_ref().ok()?;
        Some(self.record_of(self.webhooks?, data.clone()))
    }

    /// The record the event delivers, with `data` as its object.
    fn record_of(&self, webhooks: &Webhooks, data: Value) -> SourceRecord {
        let event = &self.stored.event;
        SourceRecord {
            id: webhooks.record_id(&event.event_id, &data),
            deleted: (webhooks.deletes)(&event.event_type),
            data,
        }
    }

    /// Runs the event through its pipelines; nothing is written to the store yet, except the
    /// dead letters of an event in another API version. `applied` holds the versions of the
    /// wave's objects read beforehand (None: read this event's now).
    pub async fn process(&self, app: &'a App, wave: Option<&WaveReads>) -> Outcome<'a> {
        let done = |outcome| Outcome {
            deliveries: Vec::new(),
            version: None,
            outcome,
            read: Vec::new(),
        };
        let event = &self.stored.event;
        let data = match &self.data {
            Ok(data) => data,
            Err(error) => {
                let error = error.to_string();
                return done(InboxOutcome::Failed { error });
            }
        };
        let Some(webhooks) = self.webhooks.filter(|_| !self.jobs.is_empty()) else {
            return done(InboxOutcome::Done);
        };
        if let Some(reason) = version_mismatch(app, webhooks, &event.connection, data) {
            for job in &self.jobs {
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
                    return done(retry(&self.stored, error.to_string()));
                }
                metrics::counter!(name::EVENTS_DEAD_LETTERED, "pipeline" => job.name.clone())
                    .increment(1);
            }
            tracing::warn!(event = %event.event_id, "{reason}");
            return Outcome {
                read: self.jobs.clone(),
                ..done(InboxOutcome::Done)
            };
        }
        let data = match fresher(
            app,
            webhooks,
            &event.connection,
            self.object_id.as_deref(),
            (event.created, &event.event_id),
            data.clone(),
            wave.and_then(|wave| wave.versions.as_ref()),
        )
        .await
        {
            Ok(data) => data,
            Err(error) => return done(retry(&self.stored, error.to_string())),
        };
        let record = self.record_of(webhooks, data);
        let mut deliveries = Vec::with_capacity(self.jobs.len());
        let mut outcome = InboxOutcome::Done;
        for job in &self.jobs {
            let delivered = match wave.and_then(|wave| wave.ahead.get(&job.name)) {
                Some(ahead) => {
                    app.runner
                        .deliver_read_ahead(job, record.clone(), ahead)
                        .await
                }
                None => app.runner.deliver_one(job, record.clone()).await,
            };
            match delivered {
                Ok(delivery) => {
                    if let Processed::DeadLettered { code, .. } = &delivery.processed {
                        metrics::counter!(name::EVENTS_DEAD_LETTERED, "pipeline" => job.name.clone())
                            .increment(1);
                        tracing::warn!(pipeline = %job.name, event = %event.event_id, code = %code, "event dead-lettered");
                    } else {
                        metrics::counter!(name::EVENTS_PROCESSED, "pipeline" => job.name.clone())
                            .increment(1);
                    }
                    deliveries.push((*job, delivery));
                }
                Err(error) => {
                    metrics::counter!(name::EVENTS_FAILED, "pipeline" => job.name.clone())
                        .increment(1);
                    outcome = retry(&self.stored, error.to_string());
                    break;
                }
            }
        }
        // The version is recorded with the deliveries that applied it (none: nothing applied).
        let version = self
            .object_id
            .clone()
            .filter(|_| !deliveries.is_empty())
            .map(|id| {
                ObjectVersion::new(
                    event.connection.clone(),
                    id,
                    event.created,
                    event.event_id.clone(),
                )
            });
        Outcome {
            read: deliveries.iter().map(|(job, _)| *job).collect(),
            deliveries,
            version,
            outcome,
        }
    }
}

/// Versions already applied, by (connection, object id).
pub type AppliedVersions = HashMap<(String, String), ObjectVersion>;

/// What the events of a wave read from the store, read for all of them at once: the versions
/// already applied to their objects, and each pipeline's [`ReadAhead`]. The wave holds its
/// objects' locks, so none of it changes before its events commit. Whatever cannot be read
/// this way each event reads on its own.
pub struct WaveReads {
    versions: Option<AppliedVersions>,
    ahead: HashMap<String, ReadAhead>,
}

/// [`WaveReads`] for `intakes`.
pub async fn read_wave(app: &App, intakes: &[Intake<'_>]) -> WaveReads {
    let (versions, ahead) =
        futures_util::join!(applied_versions(app, intakes), read_ahead(app, intakes));
    WaveReads { versions, ahead }
}

/// Reads the applied versions of the events' objects in one go; None if that fails (each event
/// then reads its own).
async fn applied_versions(app: &App, intakes: &[Intake<'_>]) -> Option<AppliedVersions> {
    let objects: Vec<(&str, &str)> = intakes
        .iter()
        .filter_map(Intake::versioned_object)
        .collect();
    match app.store.object_versions(&objects).await {
        Ok(found) => Some(
            found
                .into_iter()
                .map(|v| ((v.connection.clone(), v.object_id.clone()), v))
                .collect(),
        ),
        Err(error) => {
            tracing::warn!("cannot read the objects' versions together: {error}");
            None
        }
    }
}

/// Each pipeline's [`ReadAhead`] for the events it handles, by pipeline name; a pipeline whose
/// reads fail is left out (its events then read on their own).
async fn read_ahead(app: &App, intakes: &[Intake<'_>]) -> HashMap<String, ReadAhead> {
    let mut records = HashMap::<&str, (&Job, Vec<SourceRecord>)>::new();
    for intake in intakes {
        let Some(record) = intake.record() else {
            continue;
        };
        for job in &intake.jobs {
            records
                .entry(job.name.as_str())
                .or_insert_with(|| (*job, Vec::new()))
                .1
                .push(record.clone());
        }
    }
    let reads = records
        .into_values()
        .map(|(job, records)| async move { (job, app.runner.read_ahead(job, &records).await) });
    let mut ahead = HashMap::new();
    for (job, read) in futures_util::future::join_all(reads).await {
        match read {
            Ok(read) => {
                ahead.insert(job.name.clone(), read);
            }
            Err(error) => {
                tracing::warn!(pipeline = %job.name, "cannot read ahead for the wave's events: {error}")
            }
        }
    }
    ahead
}

/// The event's object, or the object as it is now when a newer version was already applied,
/// or another event of the same second (which of the two is newer cannot be told).
async fn fresher(
    app: &App,
    webhooks: &Webhooks,
    connection: &str,
    object_id: Option<&str>,
    (created, event_id): (i64, &str),
    mut data: Value,
    read: Option<&AppliedVersions>,
) -> Result<Value, RefetchError> {
    let Some(id) = object_id else {
        return Ok(data);
    };
    let applied = match read {
        Some(read) => read.get(&(connection.to_string(), id.to_string())).cloned(),
        None => app.store.object_version(connection, id).await?,
    };
    let newest = applied.is_none_or(|applied| {
        applied.version < created || (applied.version == created && applied.event_id == event_id)
    });
    if newest {
        return Ok(data);
    }
    let Some(collection) = webhooks.refetch_collection(&data) else {
        return Ok(data);
    };
    let Some(connector) = app.runner.connector_named(connection) else {
        return Ok(data);
    };
    tracing::info!(
        object = id,
        "an event arrived after a newer one or one of the same second; reading the object again"
    );
    if let Some(current) = connector.get(&collection, id).await? {
        webhooks.replace_object(&mut data, current.data);
    }
    Ok(data)
}

/// Why an event's API version is not the one the connection expects, if it is not.
fn version_mismatch(
    app: &App,
    webhooks: &Webhooks,
    connection: &str,
    data: &Value,
) -> Option<String> {
    let check = webhooks.api_version.as_ref()?;
    let expected = app.endpoint_of(connection)?.api_version.as_deref()?;
    (check.mismatch)(data, expected, connection)
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
