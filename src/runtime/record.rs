//! One record through a job: map it (fetching what it needs), then deliver each sink record
//! it gives: one, or one per item for `map to X for item in LIST`.

use jiff::Timestamp;
use serde_json::Value;

use super::claims::MatchClaims;
use super::conflict::{self, Claim};
use super::deliver::{self, Delivered, DeliveryError, Plan};
use super::job::{Job, Step};
use super::journal;
use super::related::Fetched;
use super::report::PlannedWrite;
use super::runner::{Runner, is_record_fault};
use crate::connectors::{Connector, ConnectorError, SourceRecord, TargetRecord};
use crate::diagnostics::Code;
use crate::lang::Outcome;
use crate::lang::from_json_projected;
use crate::store::{
    AuditEntry, CrossReference, CrossReferenceSnapshot, FinishedEvents, IdempotencyRecord,
    NewDeadLetter, Operation, SettledWrites, TargetKeys,
};
use crate::value::CrossReferences;
use crate::value::json::to_json;

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
    /// The write's entry, after those of earlier writes a crash cut off.
    pub audit: Vec<AuditEntry>,
    pub operation: Operation,
    /// Set when idempotency records of this sink record were in flight.
    pub settled: Option<SettledWrites>,
}

/// Stores the cross references and audit entries of `writes`; adds the writes they settle to
/// `settled`, for one statement per batch.
impl Fate {
    /// Adds the fate's cross references, audit entries and settled writes to `writes`, with
    /// the record's open dead letter resolved (delivered) or its new dead letter (failed).
    pub(super) fn add_to(&self, pipeline: &str, writes: &mut FinishedEvents) {
        match self {
            Fate::Delivered {
                source_id,
                writes: written,
            } => {
                add_written(written, writes);
                writes
                    .delivered
                    .push((pipeline.to_string(), source_id.clone()));
            }
            Fate::DeadLetter {
                source_id,
                record_json,
                code,
                message,
                writes: written,
            } => {
                add_written(written, writes);
                writes.dead_letters.push(NewDeadLetter {
                    pipeline: pipeline.to_string(),
                    source_id: source_id.clone(),
                    record_json: record_json.clone(),
                    error_code: code.clone(),
                    error_message: message.clone(),
                });
            }
            Fate::Filtered | Fate::Skipped | Fate::DeletedAtSource | Fate::Planned(_) => {}
        }
    }
}

fn add_written(written: &[Written], writes: &mut FinishedEvents) {
    for write in written {
        writes.cross_references.push(write.link.clone());
        writes.audit.extend(write.audit.iter().cloned());
        writes.settled.extend(write.settled.iter().cloned());
    }
}

/// The operation that sums up a record's writes: a create if any, else an update if any.
pub(super) fn strongest(operations: impl IntoIterator<Item = Operation>) -> Operation {
    let operations: Vec<Operation> = operations.into_iter().collect();
    let has = |operation| operations.contains(&operation);
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
        record: SourceRecord,
        snapshot: &CrossReferenceSnapshot,
        now: Timestamp,
        dry_run: bool,
        claims: &MatchClaims,
        reuse_fetched: bool,
    ) -> Result<Fate, DeliveryError> {
        let Some(record) = self.completed(job, record, dry_run).await? else {
            return Ok(Fate::DeletedAtSource);
        };
        let dead_letter = |code: String, message: String, writes: Vec<Written>| Fate::DeadLetter {
            source_id: record.id.clone(),
            record_json: self.redacted(&record.data.to_string()),
            code,
            message: self.redacted(&message),
            writes,
        };
        let input = from_json_projected(&record.data, &job.reads);
        let mut writes: Vec<Written> = Vec::new();
        let mut planned = Vec::new();
        // Links the earlier steps made for this record, for `xref` in the later ones.
        let mut made: Vec<CrossReference> = Vec::new();
        let mut fetched = Fetched::new(reuse_fetched.then_some(self.related()));
        for (index, step) in job.steps.iter().enumerate() {
            let known = Overlay {
                made: CrossReferenceSnapshot::from_links(made.iter().cloned()),
                stored: snapshot,
            };
            let mapped = match self
                .map_record(job, index, &input, &known, now, &mut fetched)
                .await?
            {
                Outcome::Mapped(value) => value,
                Outcome::Filtered => return Ok(Fate::Filtered),
                Outcome::Skipped(reason) if index == 0 => {
                    tracing::debug!(pipeline = %job.name, source_id = %record.id, "skipped: {reason}");
                    return Ok(Fate::Skipped);
                }
                Outcome::Skipped(reason) => {
                    tracing::debug!(pipeline = %job.name, step = %step.name, source_id = %record.id, "later steps skipped: {reason}");
                    break;
                }
                Outcome::Failed(error) => {
                    return Ok(dead_letter(error.code.to_string(), error.message, writes));
                }
                Outcome::NeedsFetch(request) => {
                    return Ok(dead_letter(
                        Code::FetchNotAvailable.to_string(),
                        format!("{request} was not fetched"),
                        writes,
                    ));
                }
            };
            let Some(link_id) = job.link_id(step, &record.id, &record.data) else {
                return Ok(dead_letter(
                    "no_link_id".into(),
                    format!(
                        "the record has no `{}` to cross-reference it by",
                        step.link.field
                    ),
                    writes,
                ));
            };
            let Some(sink) = self.sink_of(step) else {
                return Err(DeliveryError::Connector(
                    crate::connectors::ConnectorError::Unsupported(format!(
                        "pipeline `{}`: no connection for `{}`",
                        job.name, step.sink.connection
                    )),
                ));
            };
            let mut outputs: Vec<(String, Value)> = match (&mapped, job.compiled.maps_each(index)) {
                (crate::value::Value::List(items), true) => items
                    .iter()
                    .enumerate()
                    .map(|(n, item)| {
                        let item = to_json(item);
                        (item_link_id(&link_id, step, n, &item), item)
                    })
                    .collect(),
                _ => vec![(link_id, to_json(&mapped))],
            };
            // `post` on a journal sink: one record at a time, the ledger asked first.
            let posting = journal::journal_posting(step);
            let _turn = match posting {
                Some(_) => Some(self.journal_turn(step).await),
                None => None,
            };
            if let Some(posting) = posting {
                let ledger = self
                    .ask_ledger(job, step, &sink, snapshot, posting, outputs, dry_run)
                    .await?;
                made.extend(ledger.posted.iter().map(|line| line.link.clone()));
                writes.extend(ledger.posted);
                planned.extend(ledger.planned);
                if let Some(error) = ledger.fault {
                    return Ok(dead_letter(error.code(), error.to_string(), writes));
                }
                if ledger.all_posted {
                    continue;
                }
                outputs = ledger.unposted;
            }
            let lines = match posting {
                Some(_) => journal::posting_lines(step, &outputs),
                None => Vec::new(),
            };
            let first_line = writes.len();
            let mut failure = None;
            let stamp = conflict::stamp(job, step, &record.data);
            let sink_collection = step.sink.collection();
            for (link_id, fields) in outputs {
                let _claim = claims.claim(step, &fields).await;
                let (plan, found) = match deliver::plan(
                    step,
                    &sink,
                    self.listing(&sink_collection),
                    self.store(),
                    snapshot,
                    &link_id,
                    &fields,
                )
                .await
                {
                    Ok(planned) => planned,
                    Err(DeliveryError::Connector(error)) if is_record_fault(&error) => {
                        failure = Some(error);
                        break;
                    }
                    Err(error) => return Err(error),
                };
                let mut take_over = Vec::new();
                if let Plan::Update { current, .. } | Plan::Unchanged { current } = &plan {
                    let claim = self
                        .target_claim(
                            step,
                            found,
                            &current.id,
                            &link_id,
                            &fields,
                            stamp.as_deref(),
                            claims,
                        )
                        .await?;
                    match claim {
                        Claim::Free => {}
                        Claim::TakeOver { from } => take_over = from,
                        Claim::Yield { to } if dry_run => {
                            tracing::debug!(pipeline = %job.name, source_id = %link_id, target_id = %current.id, holder = %to, "a newer source record keeps this target; it would be left alone");
                            continue;
                        }
                        Claim::Yield { to } => {
                            tracing::info!(pipeline = %job.name, source_id = %link_id, target_id = %current.id, holder = %to, "a newer source record keeps this target; left alone");
                            continue;
                        }
                        Claim::Refuse { reason } => {
                            return Ok(dead_letter("match_conflict".into(), reason, writes));
                        }
                    }
                }
                // A create may replace a deleted target. The links of a page, or of the records
                // read ahead (`Runner::read_ahead`), are in the snapshot; any other record asks
                // the store.
                let linked = match snapshot.page_link(&sink_collection, &link_id) {
                    Some(known) => known.map(str::to_string),
                    None if matches!(plan, Plan::Create { .. }) => {
                        self.store().target_id(&sink_collection, &link_id).await?
                    }
                    None => None,
                };
                let broken_link =
                    deliver::broken_link(&plan, linked.as_deref()).map(str::to_string);
                if dry_run {
                    let target = match &plan {
                        Plan::Create { .. } => TargetRecord {
                            id: "(to be created)".to_string(),
                            data: Value::Null,
                            etag: None,
                        },
                        Plan::Update { current, .. } | Plan::Unchanged { current } => {
                            current.clone()
                        }
                    };
                    made.push(link(step, &link_id, &target));
                    planned.push(planned_write(
                        job,
                        step,
                        &record,
                        &link_id,
                        plan,
                        broken_link,
                    ));
                    continue;
                }
                let written = self
                    .write(
                        job,
                        step,
                        &sink,
                        link_id.clone(),
                        plan,
                        broken_link.as_deref(),
                    )
                    .await?;
                match written {
                    Ok(mut write) => {
                        write.link.source_stamp = stamp.clone();
                        claims.wrote(
                            &sink_collection,
                            &write.link.target_id,
                            &link_id,
                            stamp.clone(),
                        );
                        // The newer record keeps the target: the older one's link goes.
                        for holder in &take_over {
                            self.store()
                                .delete_cross_reference(
                                    &step.link.collection,
                                    holder,
                                    &sink_collection,
                                )
                                .await?;
                        }
                        made.push(write.link.clone());
                        writes.push(write);
                    }
                    Err((write, error)) => {
                        writes.extend(write);
                        failure = Some(error);
                        break;
                    }
                }
            }
            if let Some(posting) = posting
                && !dry_run
            {
                let written = &mut writes[first_line..];
                failure = self
                    .post_or_discard(job, step, &sink, posting, &lines, written, failure)
                    .await?;
            }
            if let Some(error) = failure {
                return Ok(dead_letter(error.code(), error.to_string(), writes));
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

    /// Sends a planned write (recorded in flight first) and posts its document. `Ok(Err)` when
    /// the target refused it for this record's sake, with the write if only the post failed.
    async fn write(
        &self,
        job: &Job,
        step: &Step,
        sink: &Connector,
        link_id: String,
        plan: Plan,
        broken_link: Option<&str>,
    ) -> Result<Result<Written, (Option<Written>, ConnectorError)>, DeliveryError> {
        let in_flight = deliver::in_flight(job, step, &link_id, &plan, broken_link);
        let mut lost = match plan {
            Plan::Create { .. } => Vec::new(),
            _ => self.lost_writes(&job.name, &step.sink.collection(), &link_id),
        };
        // The same write sent again is audited once, as this delivery; this runner's writes
        // awaiting their batch's commit are not lost.
        lost.retain(|record| {
            Some(&record.key) != in_flight.as_ref().map(|r| &r.key) && self.write_lost(record)
        });
        if let Some(record) = &in_flight {
            self.store().put_in_flight(record.clone()).await?;
        }
        let settles = in_flight.is_some() || !lost.is_empty();
        let mut delivered = match deliver::apply(step, sink, plan, in_flight.as_ref()).await {
            Ok(delivered) => delivered,
            Err(error) if is_record_fault(&error) => {
                // Refused: the write had no effect, so it is no longer in flight.
                if let Some(record) = in_flight {
                    let refused = IdempotencyRecord {
                        response_status: Some(400),
                        response_body: Some(self.redacted(&error.code())),
                        ..record
                    };
                    self.store().put_idempotency(&refused).await?;
                }
                return Ok(Err((None, error)));
            }
            Err(error) => {
                if let Some(record) = in_flight {
                    self.failed_writes().insert(record.key);
                }
                return Err(error.into());
            }
        };
        if !lost.is_empty() {
            let mut failed = self.failed_writes();
            for record in &lost {
                failed.remove(&record.key);
            }
        }
        let posted = deliver::post_if_draft(step, sink, &mut delivered).await;
        let write = written(job, step, link_id, delivered, &lost, settles);
        match posted {
            Ok(()) => Ok(Ok(write)),
            Err(error) if is_record_fault(&error) => Ok(Err((Some(write), error))),
            Err(error) => {
                // Written but not posted: the next attempt finds the draft and audits the write.
                if let Some(record) = in_flight {
                    self.failed_writes().insert(record.key);
                }
                Err(error.into())
            }
        }
    }

    /// The client `step` writes through (the run checked that it exists).
    fn sink_of(&self, step: &Step) -> Option<std::sync::Arc<Connector>> {
        self.connector_named(&step.sink.connector_key(false))
            .cloned()
    }
}

/// The link id of one record of `map to X for item in LIST`: the record's link id and the item's
/// match key values (`ch_1#re_2`), so that an item keeps its link when items are added before it
/// or leave the list; its position (`ch_1#3`) only when a match key has no value.
fn item_link_id(link_id: &str, step: &Step, position: usize, item: &Value) -> String {
    let values: Option<Vec<String>> = step
        .match_keys
        .iter()
        .map(|key| match item.get(key)? {
            Value::String(text) if !text.is_empty() => Some(text.clone()),
            Value::Number(number) => Some(number.to_string()),
            _ => None,
        })
        .collect();
    match values {
        Some(values) if !values.is_empty() => format!("{link_id}#{}", values.join("/")),
        _ => format!("{link_id}#{}", position + 1),
    }
}

/// Cross references made by the earlier steps of this record, over those stored before.
struct Overlay<'a> {
    made: CrossReferenceSnapshot,
    stored: &'a CrossReferenceSnapshot,
}

impl CrossReferences for Overlay<'_> {
    fn target_id(&self, collection: &str, id: &str) -> Option<String> {
        self.made
            .target_id(collection, id)
            .or_else(|| self.stored.target_id(collection, id))
    }

    fn target_key(&self, collection: &str, key: &str, id: &str) -> Option<String> {
        self.made
            .target_key(collection, key, id)
            .or_else(|| self.stored.target_key(collection, key, id))
    }
}

fn link(step: &Step, link_id: &str, target: &TargetRecord) -> CrossReference {
    CrossReference::new(
        step.link.collection.clone(),
        link_id.to_string(),
        step.sink.collection(),
        target.id.clone(),
    )
    .with_keys(target_keys(step, &target.data))
}

/// The keys of the sink's records besides the id, as the target gave them: what
/// `xref(collection.key, id)` reads without asking the target again.
fn target_keys(step: &Step, data: &Value) -> TargetKeys {
    step.keys
        .iter()
        .skip(1)
        .filter_map(|key| {
            let value = match data.get(key)? {
                Value::String(text) if !text.is_empty() => text.clone(),
                Value::Number(number) => number.to_string(),
                _ => return None,
            };
            Some((key.clone(), value))
        })
        .collect()
}

/// A delivered sink record's link and audit entries: first those of `lost` writes (sent before
/// a crash, whose outcome the target now shows), then this delivery's own.
pub(super) fn written(
    job: &Job,
    step: &Step,
    link_id: String,
    delivered: Delivered,
    lost: &[IdempotencyRecord],
    settles: bool,
) -> Written {
    let link = link(step, &link_id, &delivered.target);
    let entry = |operation, fields_changed, at| AuditEntry {
        pipeline: job.name.clone(),
        pipeline_version: job.version.clone(),
        source_id: link_id.clone(),
        target: step.sink.collection(),
        target_id: Some(delivered.target.id.clone()),
        operation,
        fields_changed,
        at,
    };
    let mut audit = Vec::new();
    for record in lost {
        let operation = record.operation.unwrap_or(Operation::Update);
        tracing::info!(pipeline = %job.name, source_id = %link_id, target_id = %delivered.target.id, "audited a {} cut off by a crash", operation.as_str());
        audit.push(entry(
            operation,
            record.fields_changed.clone(),
            record.created_at,
        ));
    }
    if delivered.operation != Operation::Noop {
        audit.push(entry(
            delivered.operation,
            delivered.fields_changed.clone(),
            Timestamp::now(),
        ));
    }
    let settled = settles.then(|| SettledWrites {
        pipeline: job.name.clone(),
        target: step.sink.collection(),
        source_id: link_id.clone(),
        target_id: delivered.target.id.clone(),
    });
    Written {
        link,
        audit,
        operation: delivered.operation,
        settled,
    }
}

fn planned_write(
    job: &Job,
    step: &Step,
    record: &SourceRecord,
    link_id: &str,
    plan: Plan,
    broken_link: Option<String>,
) -> PlannedWrite {
    let operation = plan.operation();
    let source = (operation != Operation::Noop || broken_link.is_some()).then(|| record.clone());
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
        // Only its id is of use: a reconcile of many records keeps every plan until the end.
        Plan::Unchanged { current } => {
            let id_only = TargetRecord {
                data: Value::Null,
                ..current
            };
            (Some(id_only), Value::Null, Vec::new())
        }
    };
    PlannedWrite {
        pipeline: job.name.clone(),
        target: step.sink.collection(),
        link: format!("{} {link_id}", step.link.collection),
        link_id: link_id.to_string(),
        operation,
        current,
        broken_link,
        fields,
        paths,
        source,
        posted_differences: Vec::new(),
    }
}
