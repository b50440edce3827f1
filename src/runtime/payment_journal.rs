//! `post` on a Business Central `customerPayments` sink: once a record's payment lines are
//! written, their customer payment journal is posted
//! (`customerPaymentJournals({id})/Microsoft.NAV.post`), and each payment leaves the journal as a
//! customer ledger entry applied to its invoice. Exactly once, as [`super::journal`] does for
//! general journals:
//!
//! - Before writing, the customer ledger is asked for a payment with the record's match keys
//!   (those a ledger entry keeps, such as `externalDocumentNumber`). If it holds one, an earlier
//!   run posted it: nothing is written or posted again.
//! - A line written before a crash is still in the journal: the next attempt finds it by its
//!   match keys, writes it once, and posts.
//! - A post whose answer was lost may have happened: the ledger tells.
//!
//! Posting posts every line of the journal, so one record at a time writes to and posts it, and
//! only when the journal holds that record's lines alone; a journal holding other lines is busy,
//! and the record takes its lines out again and is tried later. A record that fails takes its
//! lines out of the journal again.

use serde_json::Value;

use super::deliver::match_keys;
use super::job::{Job, Step};
use super::record::Written;
use super::runner::Runner;
use crate::check::Posting;
use crate::connectors::business_central::{BusinessCentralClient, PAYMENT_ENTRY_FIELDS};
use crate::connectors::{Connector, ConnectorError, MatchKey, TargetRecord};
use crate::store::{AuditEntry, Operation};

/// Whether `step` posts its customer payment journal after writing.
pub(super) fn posts_payments(step: &Step) -> bool {
    step.post == Some(Posting::Payments)
}

/// For each mapped payment, the match keys its customer ledger entry keeps.
pub(super) fn entry_keys(
    step: &Step,
    outputs: &[(String, Value)],
) -> Result<Vec<Vec<MatchKey>>, ConnectorError> {
    let mut all = Vec::with_capacity(outputs.len());
    for (_, fields) in outputs {
        let keys: Vec<MatchKey> = match_keys(step, fields)
            .into_iter()
            .filter(|key| PAYMENT_ENTRY_FIELDS.contains(&key.path.as_str()))
            .collect();
        if keys.is_empty() {
            return Err(refusal(
                "payment_without_entry_key",
                format!(
                    "`post` on customerPayments needs `match on` one of {} with a value, which the posted payment's ledger entry keeps, so that a rerun finds it posted",
                    PAYMENT_ENTRY_FIELDS.join(", ")
                ),
            ));
        }
        all.push(keys);
    }
    Ok(all)
}

/// The journal holds other lines: a 409, which the record waits out (a retry) rather than a
/// refusal. The lines are most often another record's, left by a process killed between writing
/// and posting them; that record's own retry posts them, and then this one's turn comes.
fn journal_busy(message: String) -> ConnectorError {
    ConnectorError::Api {
        endpoint: "business central: post the customer payment journal".into(),
        status: 409,
        kind: Some("ferry".into()),
        code: Some("journal_holds_other_payments".into()),
        param: None,
        message,
    }
}

/// A permanent failure of this record's payments, which sends the record to the dead letters.
fn refusal(code: &str, message: String) -> ConnectorError {
    ConnectorError::Api {
        endpoint: "business central: post the customer payment journal".into(),
        status: 400,
        kind: Some("ferry".into()),
        code: Some(code.into()),
        param: None,
        message,
    }
}

fn client(sink: &Connector) -> Result<&BusinessCentralClient, ConnectorError> {
    sink.client::<BusinessCentralClient>().ok_or_else(|| {
        ConnectorError::Unsupported(
            "only Business Central customer payment journals can be posted".into(),
        )
    })
}

impl Runner {
    /// The ledger entry of an already posted payment of the record, if any.
    pub(super) async fn payment_entry(
        &self,
        sink: &Connector,
        keys: &[Vec<MatchKey>],
    ) -> Result<Option<TargetRecord>, ConnectorError> {
        let client = client(sink)?;
        for keys in keys {
            if let Some(entry) = client.payment_entry(keys).await? {
                return Ok(Some(entry));
            }
        }
        Ok(None)
    }

    /// Posts the journal of the record's payment `lines` once it holds them alone; audits the
    /// post on the first line.
    pub(super) async fn post_payments(
        &self,
        job: &Job,
        step: &Step,
        sink: &Connector,
        keys: &[Vec<MatchKey>],
        lines: &mut [Written],
    ) -> Result<(), ConnectorError> {
        let client = client(sink)?;
        let Some(first) = lines.first() else {
            return Ok(());
        };
        let Some(journal) = client.payment_journal(&first.link.target_id).await? else {
            // The line is gone from the journal: posted by someone, or deleted; the ledger tells.
            return match self.payment_entry(sink, keys).await? {
                Some(_) => Ok(()),
                None => Err(refusal(
                    "payment_line_gone",
                    "the payment line left its journal before ferry posted it, and the ledger has no such payment: replay to write it again".into(),
                )),
            };
        };
        let ours: Vec<&str> = lines.iter().map(|l| l.link.target_id.as_str()).collect();
        let mut foreign: Vec<String> = client
            .payment_lines(&journal)
            .await?
            .into_iter()
            .filter(|id| !ours.iter().any(|o| o.eq_ignore_ascii_case(id)))
            .collect();
        if !foreign.is_empty() {
            foreign.sort();
            return Err(journal_busy(format!(
                "the customer payment journal also holds payment line {}; posting posts every line of a journal, so ferry posts only when it holds this record's payments alone, and tries again later: post or delete those lines in Business Central if they are not ferry's",
                foreign.join(", ")
            )));
        }
        if let Err(error) = client.post_payment_journal(&journal).await {
            // The post may have happened with its answer lost: the ledger tells.
            match self.payment_entry(sink, keys).await {
                Ok(Some(_)) => {}
                _ => return Err(error),
            }
        }
        if let Some(first) = lines.first_mut() {
            let entry = audit(job, &first.link.source_id, step, &journal);
            first.audit.push(entry);
        }
        Ok(())
    }

    /// Takes a failed record's payment lines out of the journal again (best effort).
    pub(super) async fn discard_payments(
        &self,
        job: &Job,
        step: &Step,
        sink: &Connector,
        lines: &mut [Written],
    ) {
        let Ok(client) = client(sink) else { return };
        for line in lines {
            match client.delete_payment(&line.link.target_id).await {
                Ok(()) => {
                    line.operation = Operation::Delete;
                    let mut entry = audit(job, &line.link.source_id, step, &line.link.target_id);
                    entry.operation = Operation::Delete;
                    entry.target = step.sink.collection();
                    entry.fields_changed.clear();
                    line.audit.push(entry);
                }
                Err(error) => {
                    tracing::warn!(line = %line.link.target_id, "a failed record's payment line stays in the journal: {error}");
                }
            }
        }
    }
}

/// The audit entry of a posted customer payment journal (`Update` of `customerPaymentJournals`).
fn audit(job: &Job, source_id: &str, step: &Step, id: &str) -> AuditEntry {
    AuditEntry {
        pipeline: job.name.clone(),
        pipeline_version: job.version.clone(),
        source_id: source_id.to_string(),
        target: format!("{}.customerPaymentJournals", step.sink.connection),
        target_id: Some(id.to_string()),
        operation: Operation::Update,
        fields_changed: vec!["posted".into()],
        at: jiff::Timestamp::now(),
    }
}
