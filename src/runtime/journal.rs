//! `post` on a journal sink, one whose schema says `Posting::Journal` or `Posting::Payments`:
//! once a record's lines are written, the journal that holds them is posted, and they leave it as
//! ledger entries. Exactly once, whatever crashes:
//!
//! - Before writing, the ledger is asked whether it holds the record's lines. For
//!   `Posting::Journal` a record's lines are found posted together; for `Posting::Payments` each
//!   line on its own (a record's refunds are paid out one by one as they are made, so some of
//!   them may be posted and others new). Lines found posted were posted by an earlier run whose
//!   outcome was lost: they are linked as found, not written or posted again.
//! - Lines written before a crash are still in the journal: the next attempt finds them by
//!   their match keys, writes none twice, and posts.
//! - A post whose answer was lost may have happened: the connector asks the ledger.
//!
//! Posting posts every line of a journal, so a runner lets one record at a time write to and
//! post a journal sink, and the connector posts only while the journal holds that record's lines
//! alone. A record that fails takes its lines out of the journal again, so that they do not block
//! the next record's post. What the ledger and the journal are in the target system is the
//! connector's business: these are the posting calls of the client contract
//! (`check_posting`, `posted_entry`, `post_journal`, `discard_line`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde_json::Value;
use tokio::sync::OwnedMutexGuard;

use super::deliver::{Delivered, DeliveryError, match_keys};
use super::job::{Job, Step};
use super::record::{Written, written};
use super::report::PlannedWrite;
use super::runner::{Runner, is_record_fault};
use crate::check::Posting;
use crate::connectors::{Connector, ConnectorError, PostedDifference, PostingLine, TargetRecord};
use crate::store::{AuditEntry, CrossReferenceSnapshot, Operation};

/// One lock per journal sink, so that one record at a time writes and posts its lines.
#[derive(Default)]
pub(super) struct JournalTurns {
    locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

/// How `step` posts a journal after writing a record's lines, when it does.
pub(super) fn journal_posting(step: &Step) -> Option<Posting> {
    step.post
        .filter(|posting| matches!(posting, Posting::Journal | Posting::Payments))
}

/// Whether each line is found posted on its own (its own ledger entry), rather than the
/// record's lines together.
fn one_by_one(posting: Posting) -> bool {
    posting == Posting::Payments
}

/// What a journal sink is told of the mapped lines: their fields and match keys.
pub(super) fn posting_lines(step: &Step, outputs: &[(String, Value)]) -> Vec<PostingLine> {
    outputs
        .iter()
        .map(|(_, fields)| PostingLine {
            fields: fields.clone(),
            keys: match_keys(step, fields),
        })
        .collect()
}

/// What the ledger holds of a record's lines, asked before any of them is written.
#[derive(Default)]
pub(super) struct InLedger {
    /// Lines an earlier run posted, linked as found.
    pub posted: Vec<Written>,
    /// In a dry run, the lines found posted: nothing to do.
    pub planned: Vec<PlannedWrite>,
    /// The lines to write and post.
    pub unposted: Vec<(String, Value)>,
    /// Every line was found posted: nothing is written or posted.
    pub all_posted: bool,
    /// The record's fault (a line the ledger cannot be asked about, or a question it refused),
    /// which dead-letters it with the lines found posted so far.
    pub fault: Option<ConnectorError>,
}

impl Runner {
    /// Waits for `step`'s journal to be free and holds it until the guard drops.
    pub(super) async fn journal_turn(&self, step: &Step) -> OwnedMutexGuard<()> {
        let lock = self
            .journal_turns()
            .locks
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(step.sink.collection())
            .or_default()
            .clone();
        lock.lock_owned().await
    }

    /// Asks the ledger which of the record's mapped lines (`outputs`) an earlier run posted.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn ask_ledger(
        &self,
        job: &Job,
        step: &Step,
        sink: &Connector,
        snapshot: &CrossReferenceSnapshot,
        posting: Posting,
        outputs: Vec<(String, Value)>,
        dry_run: bool,
    ) -> Result<InLedger, DeliveryError> {
        let collection = &step.sink.stream;
        let lines = posting_lines(step, &outputs);
        let mut answer = InLedger::default();
        match sink.check_posting(collection, &lines) {
            Ok(()) => {}
            Err(error) if is_record_fault(&error) => {
                answer.fault = Some(error);
                return Ok(answer);
            }
            Err(error) => return Err(error.into()),
        }
        let size = match one_by_one(posting) {
            true => 1,
            false => lines.len().max(1),
        };
        // A reconcile reads the ledger whole, once, and asks it instead of the API.
        let ledger = self.ledger(&step.sink.collection()).filter(|_| dry_run);
        for (outputs, lines) in outputs.chunks(size).zip(lines.chunks(size)) {
            let posted = match ledger {
                Some(ledger) => ledger.posted_entry(lines),
                None => sink.posted_entry(collection, lines).await,
            };
            match posted {
                Ok(None) => answer.unposted.extend_from_slice(outputs),
                Ok(Some(entry)) if dry_run => {
                    // A dry run is a reconcile's: what the ledger holds is compared.
                    let differences = match ledger {
                        Some(ledger) => ledger.posted_differences(lines),
                        None => sink.posted_differences(collection, lines).await,
                    };
                    let differences = match differences {
                        Ok(differences) => differences,
                        Err(error) if is_record_fault(&error) => {
                            answer.fault = Some(error);
                            return Ok(answer);
                        }
                        Err(error) => return Err(error.into()),
                    };
                    answer.planned.extend(Runner::planned_posted(
                        job,
                        step,
                        outputs,
                        &entry,
                        differences,
                    ));
                }
                Ok(Some(entry)) => {
                    let posted = self
                        .posted_lines(job, step, snapshot, outputs, &entry)
                        .await?;
                    answer.posted.extend(posted);
                }
                Err(error) if is_record_fault(&error) => {
                    answer.fault = Some(error);
                    return Ok(answer);
                }
                Err(error) => return Err(error.into()),
            }
        }
        answer.all_posted = !lines.is_empty() && answer.unposted.is_empty();
        Ok(answer)
    }

    /// The record's lines as found posted: unchanged, linked as before (or to the ledger
    /// entry), with the writes a crash cut off audited and settled.
    async fn posted_lines(
        &self,
        job: &Job,
        step: &Step,
        snapshot: &CrossReferenceSnapshot,
        outputs: &[(String, Value)],
        entry: &TargetRecord,
    ) -> Result<Vec<Written>, DeliveryError> {
        let collection = step.sink.collection();
        let mut lines = Vec::new();
        for (link_id, _) in outputs {
            let linked = match snapshot.page_link(&collection, link_id) {
                Some(known) => known.map(str::to_string),
                None => self.store().target_id(&collection, link_id).await?,
            };
            let lost = self.lost_writes(&job.name, &collection, link_id);
            let mut failed = self.failed_writes();
            for record in &lost {
                failed.remove(&record.key);
            }
            drop(failed);
            let delivered = Delivered {
                target: TargetRecord {
                    id: linked.unwrap_or_else(|| entry.id.clone()),
                    data: entry.data.clone(),
                    etag: None,
                },
                operation: Operation::Noop,
                fields_changed: Vec::new(),
            };
            let settles = !lost.is_empty();
            lines.push(written(
                job,
                step,
                link_id.clone(),
                delivered,
                &lost,
                settles,
            ));
        }
        Ok(lines)
    }

    /// What a dry run shows for lines already posted: nothing to write, and how the ledger
    /// differs from them (`differences`, told on the first line).
    fn planned_posted(
        job: &Job,
        step: &Step,
        outputs: &[(String, Value)],
        entry: &TargetRecord,
        mut differences: Vec<PostedDifference>,
    ) -> Vec<PlannedWrite> {
        outputs
            .iter()
            .map(|(link_id, _)| PlannedWrite {
                pipeline: job.name.clone(),
                target: step.sink.collection(),
                link: format!("{} {link_id}", step.link.collection),
                link_id: link_id.clone(),
                operation: Operation::Noop,
                current: Some(entry.clone()),
                broken_link: None,
                fields: Value::Null,
                paths: Vec::new(),
                source: None,
                posted_differences: std::mem::take(&mut differences),
            })
            .collect()
    }

    /// Once the record's `lines` are written (as `written`), posts their journal; when the
    /// record failed (`failure`) or the post was refused, takes them out of the journal again.
    /// The failure that dead-letters the record, if any; `Err` when the post failed in passing
    /// and the record is to be tried again.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn post_or_discard(
        &self,
        job: &Job,
        step: &Step,
        sink: &Connector,
        posting: Posting,
        lines: &[PostingLine],
        written: &mut [Written],
        failure: Option<ConnectorError>,
    ) -> Result<Option<ConnectorError>, DeliveryError> {
        let failure = match failure {
            Some(failure) => failure,
            None => match self.post_journal(job, step, sink, lines, written).await {
                Ok(()) => return Ok(None),
                Err(error) if is_record_fault(&error) => error,
                Err(error) => {
                    // A busy journal, or a post that failed in passing. Lines found posted one
                    // by one come out again, so that they block no one while the record waits
                    // to be tried again (a posted line that only lost its answer is in the
                    // ledger, which the retry asks first); lines posted together stay for the
                    // retry, which finds them by their match keys.
                    if one_by_one(posting) {
                        self.discard_lines(job, step, sink, lines, written).await;
                    }
                    return Err(error.into());
                }
            },
        };
        self.discard_lines(job, step, sink, lines, written).await;
        Ok(Some(failure))
    }

    /// Posts the journal holding the written lines; audits the post on the first line.
    async fn post_journal(
        &self,
        job: &Job,
        step: &Step,
        sink: &Connector,
        lines: &[PostingLine],
        written: &mut [Written],
    ) -> Result<(), ConnectorError> {
        let ids: Vec<String> = written
            .iter()
            .map(|line| line.link.target_id.clone())
            .collect();
        let posted = sink.post_journal(&step.sink.stream, lines, &ids).await?;
        if let (Some(posted), Some(first)) = (posted, written.first_mut()) {
            let journals = format!("{}.{}", step.sink.connection, posted.collection);
            let source_id = &first.link.source_id;
            let entry = audit(job, source_id, (journals, &posted.id), Operation::Update);
            first.audit.push(entry);
        }
        Ok(())
    }

    /// Takes a failed record's lines out of the journal again (best effort: a line left behind
    /// makes the next post refuse or wait with the reason, and a replay finds it by its match
    /// keys).
    async fn discard_lines(
        &self,
        job: &Job,
        step: &Step,
        sink: &Connector,
        lines: &[PostingLine],
        written: &mut [Written],
    ) {
        let collection = step.sink.collection();
        for line in written {
            let id = &line.link.target_id;
            match sink.discard_line(&step.sink.stream, lines, id).await {
                Ok(()) => {
                    line.operation = Operation::Delete;
                    let target = (collection.clone(), id.as_str());
                    let entry = audit(job, &line.link.source_id, target, Operation::Delete);
                    line.audit.push(entry);
                }
                Err(error) => {
                    tracing::warn!(line = %id, "a failed record's line stays in its journal: {error}");
                }
            }
        }
    }
}

/// An audit entry of the journal: posted (an `Update` of the journal, `posted`), or a line
/// taken out again (a `Delete` of the line).
fn audit(
    job: &Job,
    source_id: &str,
    (target, id): (String, &str),
    operation: Operation,
) -> AuditEntry {
    let fields_changed = match operation {
        Operation::Update => vec!["posted".into()],
        _ => Vec::new(),
    };
    AuditEntry {
        pipeline: job.name.clone(),
        pipeline_version: job.version.clone(),
        source_id: source_id.to_string(),
        target,
        target_id: Some(id.to_string()),
        operation,
        fields_changed,
        at: jiff::Timestamp::now(),
    }
}
