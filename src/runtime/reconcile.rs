//! Reconciling a record-sync pipeline: every source record against its target, and the target
//! collection against the store's cross references.
//!
//! The source side is a dry-run backfill: each record is read, mapped and planned against its
//! target exactly as `ferry run` would, and the plan is the verdict (unchanged: in sync; create:
//! missing; update: drift). Nothing is written to a target or to the store, and no cursor
//! moves. The target side is the target collection, listed through its connector's poll.

use std::collections::HashSet;

use serde::Serialize;
use serde_json::Value;

use super::job::Job;
use super::report::PlannedWrite;
use super::runner::{Progress, RunError, RunOptions, Runner};
use crate::connectors::{ConnectorError, PollOptions};
use crate::store::{Operation, StoreError};

/// What a reconcile found for one source record, or one target record (orphans).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Class {
    InSync,
    /// No cross reference, and nothing matches: a run would create it.
    Missing,
    /// The store links the record to a target id the target no longer has.
    BrokenCrossReference,
    /// The target no longer holds what the pipeline would write.
    FieldDrift,
    /// In the target, and no cross reference of the pipeline points to it.
    Orphan,
    /// The pipeline fails this record (a run would dead-letter it), so it was not compared.
    WouldFail,
}

impl Class {
    pub fn as_str(self) -> &'static str {
        match self {
            Class::InSync => "in_sync",
            Class::Missing => "missing",
            Class::BrokenCrossReference => "broken_cross_reference",
            Class::FieldDrift => "field_drift",
            Class::Orphan => "orphan",
            Class::WouldFail => "would_fail",
        }
    }
}

/// One mismatch: a row of the report. Drift gives one row per drifted field.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Mismatch {
    pub pipeline: String,
    pub class: Class,
    pub source_id: Option<String>,
    pub target_id: Option<String>,
    pub field: Option<String>,
    /// What the target holds at `field`.
    pub target_value: Option<Value>,
    /// What the pipeline would write at `field`.
    pub pipeline_value: Option<Value>,
    pub detail: Option<String>,
}

/// Counts for one pipeline. Drift counts records, not fields.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ReconcileSummary {
    pub pipeline: String,
    pub source: String,
    pub target: String,
    /// Source records read.
    pub read: u64,
    pub in_sync: u64,
    pub missing: u64,
    pub broken_cross_reference: u64,
    pub field_drift: u64,
    /// `None` when the target could not be listed (see `orphans_not_listed`).
    pub orphans: Option<u64>,
    pub would_fail: u64,
    /// Records the pipeline leaves out on purpose (filtered, skipped, deleted at the source,
    /// or left to another record of the same target by `on conflict newest by`).
    pub not_compared: u64,
    /// Target records listed.
    pub target_listed: Option<u64>,
    /// Why orphans could not be looked for.
    pub orphans_not_listed: Option<String>,
}

impl ReconcileSummary {
    pub fn mismatches(&self) -> u64 {
        self.missing
            + self.broken_cross_reference
            + self.field_drift
            + self.orphans.unwrap_or(0)
            + self.would_fail
    }
}

/// One pipeline's reconcile.
#[derive(Debug, Clone)]
pub struct Reconciled {
    pub summary: ReconcileSummary,
    pub rows: Vec<Mismatch>,
}

#[derive(Debug, thiserror::Error)]
pub enum ReconcileError {
    #[error(
        "pipeline `{pipeline}` is not a record sync ({reason}); reconcile compares pipelines that upsert one target record per source record"
    )]
    NotRecordSync { pipeline: String, reason: String },
    #[error("pipeline `{pipeline}`: the source `{collection}` could not be read: {error}")]
    Source {
        pipeline: String,
        collection: String,
        error: Box<ConnectorError>,
    },
    #[error("pipeline `{pipeline}`: the target `{collection}` could not be read: {error}")]
    Target {
        pipeline: String,
        collection: String,
        error: Box<ConnectorError>,
    },
    #[error("pipeline `{pipeline}`: the store failed: {error}")]
    Store { pipeline: String, error: StoreError },
    #[error("pipeline `{pipeline}`: {reason}")]
    Setup { pipeline: String, reason: String },
}

/// What a reconcile tells as it goes (progress lines).
pub trait ReconcileProgress: Progress {
    fn listing(&self, _target: &str) {}
}

impl ReconcileProgress for () {}

impl Runner {
    /// Reconciles `job`, writing nothing anywhere.
    pub async fn reconcile(
        &self,
        job: &Job,
        progress: &dyn ReconcileProgress,
    ) -> Result<Reconciled, ReconcileError> {
        let step = record_sync_step(job)?;
        let target = step.sink.collection();
        let options = RunOptions {
            backfill: true,
            dry_run: true,
            ..RunOptions::default()
        };
        let (report, planned) = self
            .run(job, &options, progress)
            .await
            .map_err(|error| side_of(job, error))?;
        let mut summary = ReconcileSummary {
            pipeline: job.name.clone(),
            source: job.source.collection(),
            target: target.clone(),
            read: report.read,
            ..ReconcileSummary::default()
        };
        let mut rows = Vec::new();
        let mut accounted: HashSet<String> = HashSet::new();
        for write in &planned {
            if let Some(current) = &write.current {
                accounted.insert(current.id.clone());
            }
            classify(write, &mut summary, &mut rows);
        }
        for failed in &report.would_fail {
            summary.would_fail += 1;
            rows.push(Mismatch {
                pipeline: job.name.clone(),
                class: Class::WouldFail,
                source_id: Some(failed.source_id.clone()),
                target_id: None,
                field: None,
                target_value: None,
                pipeline_value: None,
                detail: Some(format!("{}: {}", failed.code, failed.message)),
            });
        }
        let compared = planned.len() as u64 + summary.would_fail;
        summary.not_compared = report.read.saturating_sub(compared);

        progress.listing(&target);
        let store_error = |error| ReconcileError::Store {
            pipeline: job.name.clone(),
            error,
        };
        match self.list_target(job, step).await {
            Ok(listed) => {
                // Links are read after the listing, so a record created meanwhile is linked.
                let links = self
                    .store()
                    .links_into(&target)
                    .await
                    .map_err(store_error)?;
                accounted.extend(
                    links
                        .into_iter()
                        .filter(|link| link.source_collection == step.link.collection)
                        .map(|link| link.target_id),
                );
                summary.target_listed = Some(listed.len() as u64);
                let orphans: Vec<String> = listed
                    .into_iter()
                    .filter(|id| !accounted.contains(id))
                    .collect();
                summary.orphans = Some(orphans.len() as u64);
                rows.extend(orphans.into_iter().map(|id| Mismatch {
                    pipeline: job.name.clone(),
                    class: Class::Orphan,
                    source_id: None,
                    target_id: Some(id),
                    field: None,
                    target_value: None,
                    pipeline_value: None,
                    detail: Some(format!(
                        "no cross reference from {} points to it",
                        step.link.collection
                    )),
                }));
            }
            Err(ConnectorError::Unsupported(reason)) => {
                summary.orphans_not_listed = Some(reason);
            }
            Err(error) => {
                return Err(ReconcileError::Target {
                    pipeline: job.name.clone(),
                    collection: target,
                    error: Box::new(error),
                });
            }
        }
        Ok(Reconciled { summary, rows })
    }

    /// Every id in the step's target collection, through its connector's poll from the start.
    async fn list_target(
        &self,
        job: &Job,
        step: &super::job::Step,
    ) -> Result<Vec<String>, ConnectorError> {
        let Some(sink) = self.connector_named(&step.sink.connector_key(false)) else {
            return Err(ConnectorError::Unsupported(format!(
                "no connection `{}` in this environment of ferry.yaml",
                step.sink.connection
            )));
        };
        let options = PollOptions {
            event_types: Vec::new(),
            backfill: true,
            since: None,
            page_size: 100,
        };
        let mut ids = Vec::new();
        let mut seen = HashSet::new();
        let mut cursor: Option<String> = None;
        loop {
            let page = sink
                .poll(&step.sink.stream, cursor.as_deref(), &options)
                .await?;
            for record in page.records {
                if !record.deleted && seen.insert(record.id.clone()) {
                    ids.push(record.id);
                }
            }
            if !page.rejected.is_empty() {
                return Err(ConnectorError::BadResponse {
                    endpoint: format!("{}: list {}", job.name, step.sink.collection()),
                    reason: format!("{} records could not be read", page.rejected.len()),
                });
            }
            if page.cursor.is_some() {
                cursor = page.cursor;
            }
            if !page.more {
                return Ok(ids);
            }
        }
    }
}

/// The one step of a pipeline that upserts one target record per source record.
fn record_sync_step(job: &Job) -> Result<&super::job::Step, ReconcileError> {
    let refuse = |reason: &str| ReconcileError::NotRecordSync {
        pipeline: job.name.clone(),
        reason: reason.to_string(),
    };
    // Events (records that wrap the object they are about) are versions, not records.
    if job.object_at.is_some() || !job.events.is_empty() {
        return Err(refuse("it reads events"));
    }
    let [step] = job.steps.as_slice() else {
        return Err(refuse("it writes more than one sink"));
    };
    if job.compiled.maps_each(0) {
        return Err(refuse(
            "it maps one source record to several target records",
        ));
    }
    if step.post.is_some() {
        return Err(refuse("it posts what it writes"));
    }
    if step.sink.is_local_files() {
        return Err(refuse("it writes a file"));
    }
    Ok(step)
}

/// A dry run's error, with the side that failed named.
fn side_of(job: &Job, error: RunError) -> ReconcileError {
    let target = || {
        job.first()
            .map(|step| step.sink.collection())
            .unwrap_or_default()
    };
    match error {
        RunError::Source { pipeline, error } => ReconcileError::Source {
            pipeline,
            collection: job.source.collection(),
            error,
        },
        RunError::Connector { pipeline, error } => ReconcileError::Target {
            pipeline,
            collection: target(),
            error,
        },
        RunError::Store { pipeline, error } => ReconcileError::Store { pipeline, error },
        RunError::Setup { pipeline, reason } => ReconcileError::Setup { pipeline, reason },
    }
}

/// Counts a planned write in `summary` and adds its rows.
fn classify(write: &PlannedWrite, summary: &mut ReconcileSummary, rows: &mut Vec<Mismatch>) {
    let row = |class, target_id: Option<String>, detail: Option<String>| Mismatch {
        pipeline: write.pipeline.clone(),
        class,
        source_id: Some(write.link_id.clone()),
        target_id,
        field: None,
        target_value: None,
        pipeline_value: None,
        detail,
    };
    let current_id = write.current.as_ref().map(|current| current.id.clone());
    if let Some(gone) = &write.broken_link {
        summary.broken_cross_reference += 1;
        let then = match &current_id {
            Some(found) => format!("a run would link it to {found}, found by match key"),
            None => "a run would create it again".to_string(),
        };
        rows.push(row(
            Class::BrokenCrossReference,
            Some(gone.clone()),
            Some(format!("{} no longer has {gone}; {then}", write.target)),
        ));
        return;
    }
    match write.operation {
        Operation::Create => {
            summary.missing += 1;
            rows.push(row(Class::Missing, None, None));
        }
        Operation::Update => {
            summary.field_drift += 1;
            let current = write.current.as_ref().map(|c| &c.data);
            for path in &write.paths {
                rows.push(Mismatch {
                    field: Some(path.clone()),
                    target_value: Some(
                        current.map(|data| value_at(data, path)).unwrap_or_default(),
                    ),
                    pipeline_value: Some(value_at(&write.fields, path)),
                    ..row(Class::FieldDrift, current_id.clone(), None)
                });
            }
        }
        Operation::Noop | Operation::Delete => summary.in_sync += 1,
    }
}

/// The value at a dotted path (`address.city`), null when absent.
fn value_at(value: &Value, path: &str) -> Value {
    path.split('.')
        .try_fold(value, |v, name| v.get(name))
        .cloned()
        .unwrap_or(Value::Null)
}
