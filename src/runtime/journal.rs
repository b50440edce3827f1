//! `post` on a Business Central `journalLines` sink: once all of a record's lines are written,
//! the journal is posted (`journals({id})/Microsoft.NAV.post`), and its lines leave it as
//! general ledger entries. Exactly once, whatever crashes:
//!
//! - Before writing, the ledger is asked whether it holds the record's documents (document
//!   number and posting date). If it does, the journal was posted by an earlier run whose
//!   outcome was lost: nothing is written or posted again.
//! - Lines written before a crash are still in the journal: the next attempt finds them by
//!   their match keys, writes none twice, and posts.
//! - A post whose answer was lost may have happened: the ledger tells.
//!
//! Posting posts every line of the journal, so a runner lets one record at a time write to and
//! post a journal, and posts only when the journal holds the record's lines alone. A record
//! that fails (a refused line or post) takes its lines out of the journal again, so that they
//! do not block the next record's post.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde_json::Value;
use tokio::sync::OwnedMutexGuard;

use super::deliver::{Delivered, DeliveryError};
use super::job::{Job, Step};
use super::record::{Written, written};
use super::report::PlannedWrite;
use super::runner::Runner;
use crate::check::Posting;
use crate::connectors::business_central::BusinessCentralClient;
use crate::connectors::{Connector, ConnectorError, TargetRecord};
use crate::store::{AuditEntry, CrossReferenceSnapshot, Operation};

/// One lock per journal sink, so that one record at a time writes and posts its lines.
#[derive(Default)]
pub(super) struct JournalTurns {
    locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

/// A document of the journal: its number and posting date.
type Document = (String, String);

/// Whether `step` posts a journal after writing its lines.
pub(super) fn posts_journal(step: &Step) -> bool {
    step.post == Some(Posting::Journal)
}

/// The documents the mapped lines make; every line needs both keys.
pub(super) fn documents(outputs: &[(String, Value)]) -> Result<Vec<Document>, ConnectorError> {
    let mut documents = Vec::new();
    for (_, fields) in outputs {
        let text = |key: &str| fields.get(key).and_then(Value::as_str).unwrap_or("");
        let (number, date) = (text("documentNumber"), text("postingDate"));
        if number.is_empty() || date.is_empty() {
            return Err(refusal(
                "journal_line_without_document",
                "`post` needs every journal line's documentNumber and postingDate, which tell whether the ledger holds the journal already".into(),
            ));
        }
        let document = (number.to_string(), date.to_string());
        if !documents.contains(&document) {
            documents.push(document);
        }
    }
    Ok(documents)
}

/// The journal the lines name (`journalId`), when they name one; else the connection's.
pub(super) fn journal_of(outputs: &[(String, Value)]) -> Option<String> {
    outputs
        .iter()
        .find_map(|(_, fields)| fields.get("journalId").and_then(Value::as_str))
        .map(str::to_string)
}

/// The journal `given`, or the connection's.
async fn journal_id(
    client: &BusinessCentralClient,
    given: Option<&str>,
) -> Result<String, ConnectorError> {
    match given {
        Some(id) => Ok(id.to_string()),
        None => client.journal_id().await,
    }
}

/// A permanent failure of this record's journal, which sends the record to the dead letters.
fn refusal(code: &str, message: String) -> ConnectorError {
    ConnectorError::Api {
        endpoint: "business central: post the journal".into(),
        status: 400,
        kind: Some("ferry".into()),
        code: Some(code.into()),
        param: None,
        message,
    }
}

fn client(sink: &Connector) -> Result<&BusinessCentralClient, ConnectorError> {
    sink.client::<BusinessCentralClient>().ok_or_else(|| {
        ConnectorError::Unsupported("only Business Central journals can be posted".into())
    })
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

    /// A ledger entry of one of `documents`, when an earlier run posted them.
    pub(super) async fn ledger_entry(
        &self,
        sink: &Connector,
        documents: &[Document],
    ) -> Result<Option<TargetRecord>, ConnectorError> {
        let client = client(sink)?;
        for (number, date) in documents {
            if let Some(entry) = client.ledger_entry(number, date).await? {
                return Ok(Some(entry));
            }
        }
        Ok(None)
    }

    /// The record's lines as found posted: unchanged, linked as before (or to the ledger
    /// entry), with the writes a crash cut off audited and settled.
    pub(super) async fn posted_lines(
        &self,
        job: &Job,
        step: &Step,
        snapshot: &CrossReferenceSnapshot,
        outputs: Vec<(String, Value)>,
        entry: &TargetRecord,
    ) -> Result<Vec<Written>, DeliveryError> {
        let collection = step.sink.collection();
        let mut lines = Vec::new();
        for (link_id, _) in outputs {
            let linked = match snapshot.page_link(&collection, &link_id) {
                Some(known) => known.map(str::to_string),
                None => self.store().target_id(&collection, &link_id).await?,
            };
            let lost = self.lost_writes(&job.name, &collection, &link_id);
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
            lines.push(written(job, step, link_id, delivered, &lost, settles));
        }
        Ok(lines)
    }

    /// What a dry run shows for lines already posted: nothing to do.
    pub(super) fn planned_posted(
        job: &Job,
        step: &Step,
        outputs: &[(String, Value)],
        entry: &TargetRecord,
    ) -> Vec<PlannedWrite> {
        outputs
            .iter()
            .map(|(link_id, _)| PlannedWrite {
                pipeline: job.name.clone(),
                target: step.sink.collection(),
                link: format!("{} {link_id}", step.link.collection),
                operation: Operation::Noop,
                current: Some(entry.clone()),
                fields: Value::Null,
                paths: Vec::new(),
            })
            .collect()
    }

    /// Posts the journal once it holds `documents`' lines alone; audits the post on `lines`.
    pub(super) async fn post_journal(
        &self,
        job: &Job,
        step: &Step,
        sink: &Connector,
        (journal, documents): (Option<&str>, &[Document]),
        lines: &mut [Written],
    ) -> Result<(), ConnectorError> {
        let client = client(sink)?;
        let journal = journal_id(client, journal).await?;
        let held = client.journal_lines(&journal).await?;
        let foreign: Vec<String> = held
            .iter()
            .filter_map(|line| {
                let text = |key: &str| line.get(key).and_then(Value::as_str).unwrap_or("");
                let document = (text("documentNumber").into(), text("postingDate").into());
                (!documents.contains(&document))
                    .then(|| format!("{} of {}", document.0, document.1))
            })
            .collect();
        if !foreign.is_empty() {
            let mut others = foreign;
            others.sort();
            others.dedup();
            return Err(refusal(
                "journal_holds_other_lines",
                format!(
                    "the journal also holds lines of document {}; posting posts every line of a journal, so ferry posts only when it holds this record's lines alone: post or delete those lines in Business Central, then replay",
                    others.join(", ")
                ),
            ));
        }
        if let Err(error) = client.post_journal(&journal).await {
            // The post may have happened with its answer lost (then a second post finds
            // nothing to post): the ledger tells.
            match self.ledger_entry(sink, documents).await {
                Ok(Some(_)) => {}
                _ => return Err(error),
            }
        }
        if let Some(first) = lines.first_mut() {
            let entry = audit(
                job,
                &first.link.source_id,
                step,
                Operation::Update,
                &journal,
            );
            first.audit.push(entry);
        }
        Ok(())
    }

    /// Takes a failed record's lines out of the journal again (best effort: a line left behind
    /// makes the next post refuse with the reason, and a replay finds it by its match keys).
    pub(super) async fn discard_lines(
        &self,
        job: &Job,
        step: &Step,
        sink: &Connector,
        journal: Option<&str>,
        lines: &mut [Written],
    ) {
        let Ok(client) = client(sink) else { return };
        let Ok(journal) = journal_id(client, journal).await else {
            return;
        };
        for line in lines {
            match client
                .delete_journal_line(&journal, &line.link.target_id)
                .await
            {
                Ok(()) => {
                    line.operation = Operation::Delete;
                    let mut entry = audit(
                        job,
                        &line.link.source_id,
                        step,
                        Operation::Delete,
                        &line.link.target_id,
                    );
                    entry.target = step.sink.collection();
                    entry.fields_changed.clear();
                    line.audit.push(entry);
                }
                Err(error) => {
                    tracing::warn!(line = %line.link.target_id, "a failed record's journal line stays in the journal: {error}");
                }
            }
        }
    }
}

/// An audit entry of the journal: posted (`Update` of `journals`) or a line taken out again.
fn audit(job: &Job, source_id: &str, step: &Step, operation: Operation, id: &str) -> AuditEntry {
    AuditEntry {
        pipeline: job.name.clone(),
        pipeline_version: job.version.clone(),
        source_id: source_id.to_string(),
        target: format!("{}.journals", step.sink.connection),
        target_id: Some(id.to_string()),
        operation,
        fields_changed: vec!["posted".into()],
        at: jiff::Timestamp::now(),
    }
}
