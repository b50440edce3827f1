//! Objects fetched for `fetch(...)` and `fetch_all(...)`: what one record fetched (kept for its
//! every step), over a cache shared by the records of one batch of `ferry run`, and the loop that
//! maps a record again after each fetch. Events of `ferry serve` and replays read afresh, so an
//! event never sees an object older than what the API held when it was processed.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::deliver::DeliveryError;
use super::job::Job;
use super::runner::Runner;
use crate::connectors::ConnectorError;
use crate::diagnostics::{Code, Span};
use crate::lang::{Outcome, RecordError, RunEnv};
use crate::value::json::from_json;
use crate::value::{CrossReferences, FetchRequest, Related, Value};

/// The longest a batch's records reuse a fetched object (the cache is also cleared per batch).
const FRESH_FOR: Duration = Duration::from_secs(60);
/// Entries kept at most; past this the stale ones go, then everything.
const CAPACITY: usize = 10_000;
/// Fetches one record may need in a chain (a charge's customer, then the customer's invoices).
const MAX_FETCHES: usize = 16;

/// Fetched objects by request; `None` for an object the API does not have.
#[derive(Default)]
pub struct RelatedCache {
    entries: Mutex<HashMap<FetchRequest, (Instant, Option<Value>)>>,
}

impl RelatedCache {
    /// Forgets everything: a new batch reads afresh.
    pub(super) fn clear(&self) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.clear();
        }
    }

    fn insert(&self, request: FetchRequest, value: Option<Value>) {
        let Ok(mut entries) = self.entries.lock() else {
            return;
        };
        if entries.len() >= CAPACITY {
            entries.retain(|_, (at, _)| at.elapsed() < FRESH_FOR);
            if entries.len() >= CAPACITY {
                entries.clear();
            }
        }
        entries.insert(request, (Instant::now(), value));
    }
}

impl Related for RelatedCache {
    fn fetched(&self, request: &FetchRequest) -> Option<Option<Value>> {
        let entries = self.entries.lock().ok()?;
        let (at, value) = entries.get(request)?;
        (at.elapsed() < FRESH_FOR).then(|| value.clone())
    }
}

/// The answers one record has had, over the batch's when it may reuse them.
pub(super) struct Fetched<'a> {
    own: HashMap<FetchRequest, Option<Value>>,
    shared: Option<&'a RelatedCache>,
}

impl<'a> Fetched<'a> {
    pub(super) fn new(shared: Option<&'a RelatedCache>) -> Self {
        Fetched {
            own: HashMap::new(),
            shared,
        }
    }
}

impl Related for Fetched<'_> {
    fn fetched(&self, request: &FetchRequest) -> Option<Option<Value>> {
        match self.own.get(request) {
            Some(value) => Some(value.clone()),
            None => self.shared?.fetched(request),
        }
    }
}

impl Runner {
    /// Maps `record` through `job`, fetching what its `fetch` calls need first. `Err` when a
    /// fetch failed for a reason that is not the record's (the network, credentials).
    pub(super) async fn map_record(
        &self,
        job: &Job,
        step: usize,
        record: &Value,
        cross_references: &dyn CrossReferences,
        now: jiff::Timestamp,
        fetched: &mut Fetched<'_>,
    ) -> Result<Outcome, DeliveryError> {
        for _ in 0..MAX_FETCHES {
            let env = RunEnv {
                now,
                cross_references,
                related: &*fetched,
            };
            let request = match job.compiled.run_step(step, record, &env) {
                Outcome::NeedsFetch(request) => request,
                other => return Ok(other),
            };
            match self.fetch(job, &request).await {
                Ok(value) => {
                    if let Some(shared) = fetched.shared {
                        shared.insert(request.clone(), value.clone());
                    }
                    fetched.own.insert(request, value);
                }
                Err(error) if super::runner::is_record_fault(&error) => {
                    return Ok(Outcome::Failed(RecordError::new(
                        Code::FetchNotAvailable,
                        Span::default(),
                        format!("fetching {request}: {error}"),
                    )));
                }
                Err(error) => return Err(error.into()),
            }
        }
        Ok(Outcome::Failed(RecordError::new(
            Code::FetchNotAvailable,
            Span::default(),
            format!("the record needs more than {MAX_FETCHES} fetches"),
        )))
    }

    async fn fetch(
        &self,
        job: &Job,
        request: &FetchRequest,
    ) -> Result<Option<Value>, ConnectorError> {
        let (connection, stream) = request
            .collection
            .split_once('.')
            .unwrap_or((request.collection.as_str(), ""));
        let connector = self.connector_named(connection).ok_or_else(|| {
            ConnectorError::Unsupported(format!(
                "pipeline `{}` fetches from `{connection}`, which this environment of ferry.yaml has no connection for",
                job.name
            ))
        })?;
        tracing::debug!(pipeline = %job.name, %request, "fetching");
        let fetched = connector
            .fetch(stream, request.id.as_deref(), &request.filters)
            .await?;
        Ok(fetched.as_ref().map(from_json))
    }
}
