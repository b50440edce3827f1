//! One record through a job: map it (fetching what it needs), then deliver each sink record
//! it gives: one, or one per item for `map to X for item in LIST`.

use jiff::Timestamp;
use serde_json::Value;

use super::claims::MatchClaims;
use super::deliver::{self, Delivered, DeliveryError, Plan};
use super::job::Job;
use super::report::PlannedWrite;
use super::runner::{Runner, is_record_fault};
use crate::connectors::{Connector, SourceRecord};
use crate::diagnostics::Code;
use crate::lang::Outcome;
use crate::lang::json_value::{from_json, to_json};
use crate::store::{AuditEntry, Batch, CrossReference, CrossReferenceSnapshot, Operation, StoreError};

/// What became of one record.
pub(super) enum Fate {
    Filtered,
    Skipped,
    DeletedAtSource,
    Delivered {
        /// The source record's id, under which a failure would have been dead-lettered.
        source_id: String,
        writes: Vec<Written>,
    },
    Planned(Vec<PlannedWrite>),
    /// Failed permanently; `writes` are the sink records delivered before the failure, whose
    /// cross references are kept so that a replay finds them.
    DeadLetter {
        source_id: String,
        record_json: String,
        code: String,
        message: String,
        writes: Vec<Written>,
    },
}

/// One sink record written (or found unchanged).
pub(super) struct Written {
    pub link: CrossReference,
    pub audit: Option<AuditEntry>,
    pub operation: Operation,
}

/// Stores the cross references and audit entries of `writes`.
pub(super) async fn record_writes(batch: &mut Batch, writes: &[Written]) -> Result<(), StoreError> {
    for write in writes {
        batch.put_cross_reference(&write.link).await?;
        if let Some(entry) = &write.audit {
            batch.audit(entry).await?;
        }
    }
    Ok(())
}

/// The operation that sums up a record's writes: a create if any, else an update if any.
pub(super) fn strongest(writes: &[Written]) -> Operation {
    let has = |operation| writes.iter().any(|w| w.operation == operation);
    if has(Operation::Create) {
        Operation::Create
    } else if has(Operation::Update) {
        Operation::Update
    } else {
        Operation::Noop
    }
}

impl Runner {
    /// Maps and delivers one record. `Err` only for failures that are not this record's fault
    /// (the network, the store, credentials): the run stops and the record is tried again.
    /// Records that share match keys take turns through `claims`.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn record(
        &self,
        job: &Job,
        sink: &Connector,
        record: SourceRecord,
        snapshot: &CrossReferenceSnapshot,
        now: Timestamp,
        dry_run: bool,
        claims: &MatchClaims,
    ) -> Result<Fate, DeliveryError> {
        if record.deleted {
            tracing::info!(pipeline = %job.name, source_id = %record.id, "deleted at the source; the target is left as it is");
            return Ok(Fate::DeletedAtSource);
        }
        let dead_letter = |code: String, message: String, writes: Vec<Written>| Fate::DeadLetter {
            source_id: record.id.clone(),
            record_json: self.redacted(&record.data.to_string()),
            code,
            message: self.redacted(&message),
            writes,
        };
        let input = from_json(record.data.clone());
        let mapped = match self.map_record(job, &input, snapshot, now).await? {
            Outcome::Mapped(value) => value,
            Outcome::Filtered => return Ok(Fate::Filtered),
            Outcome::Skipped(reason) => {
                tracing::debug!(pipeline = %job.name, source_id = %record.id, "skipped: {reason}");
                return Ok(Fate::Skipped);
            }
            Outcome::Failed(error) => {
                return Ok(dead_letter(error.code.to_string(), error.message, Vec::new()));
            }
            Outcome::NeedsFetch(request) => {
                return Ok(dead_letter(
                    Code::FetchNotAvailable.to_string(),
                    format!("{request} was not fetched"),
                    Vec::new(),
                ));
            }
        };
        let Some(link_id) = job.link_id(&record.id, &record.data) else {
            return Ok(dead_letter(
                "no_link_id".into(),
                format!(
                    "the record has no `{}` to cross-reference it by",
                    job.link.field
                ),
                Vec::new(),
            ));
        };
        let outputs: Vec<(String, Value)> = match (&mapped, job.compiled.maps_each()) {
            (crate::lang::Value::List(items), true) => items
                .iter()
                .enumerate()
                .map(|(index, item)| (format!("{link_id}#{}", index + 1), to_json(item)))
                .collect(),
            _ => vec![(link_id, to_json(&mapped))],
        };
        let mut writes = Vec::new();
        let mut planned = Vec::new();
        for (link_id, fields) in outputs {
            let _claim = claims.claim(job, &fields).await;
            let plan = match deliver::plan(job, sink, self.store(), &link_id, &fields).await {
                Ok(plan) => plan,
                Err(DeliveryError::Connector(error)) if is_record_fault(&error) => {
                    return Ok(dead_letter(error.code(), error.to_string(), writes));
                }
                Err(error) => return Err(error),
            };
            if dry_run {
                planned.push(planned_write(job, &link_id, plan));
                continue;
            }
            match deliver::apply(job, sink, &link_id, plan).await {
                Ok(delivered) => writes.push(written(job, link_id, delivered)),
                Err(error) if is_record_fault(&error) => {
                    return Ok(dead_letter(error.code(), error.to_string(), writes));
                }
                Err(error) => return Err(error.into()),
            }
        }
        if dry_run {
            return Ok(Fate::Planned(planned));
        }
        Ok(Fate::Delivered {
            source_id: record.id.clone(),
            writes,
        })
    }
}

fn written(job: &Job, link_id: String, delivered: Delivered) -> Written {
    let link = CrossReference::new(
        job.link.collection.clone(),
        link_id.clone(),
        job.sink.collection(),
        delivered.target.id.clone(),
    );
    let audit = (delivered.operation != Operation::Noop).then(|| AuditEntry {
        pipeline: job.name.clone(),
        pipeline_version: job.version.clone(),
        source_id: link_id,
        target: job.sink.collection(),
        target_id: Some(delivered.target.id.clone()),
        operation: delivered.operation,
        fields_changed: delivered.fields_changed,
        at: Timestamp::now(),
    });
    Written {
        link,
        audit,
        operation: delivered.operation,
    }
}

fn planned_write(job: &Job, link_id: &str, plan: Plan) -> PlannedWrite {
    let operation = plan.operation();
    let (current, fields, paths) = match plan {
        Plan::Create { fields } => {
            let paths = deliver::leaf_paths(&fields);
            (None, fields, paths)
        }
        Plan::Update {
            current,
            changes,
            paths,
        } => (Some(current), changes, paths),
        Plan::Unchanged { current } => (Some(current), Value::Null, Vec::new()),
    };
    PlannedWrite {
        pipeline: job.name.clone(),
        target: job.sink.collection(),
        link: format!("{} {link_id}", job.link.collection),
        operation,
        current,
        fields,
        paths,
    }
}

