//! `post` on Business Central's journal sinks, the posting capability of the client contract:
//! `journalLines` (`Posting::Journal`) go in a general journal, posted with
//! `journals({id})/Microsoft.NAV.post`, and leave it as general ledger entries;
//! `customerPayments` (`Posting::Payments`) go in a customer payment journal, posted with
//! `customerPaymentJournals({id})/Microsoft.NAV.post`, and each leaves it as a customer ledger
//! entry applied to its invoice. Exactly once, whatever crashes:
//!
//! - The ledger is asked first: the general ledger for a record's documents (document number
//!   and posting date, which every journal line needs), the customer ledger for a payment by
//!   the match keys its entry keeps (such as `externalDocumentNumber`).
//! - A journal is posted only while it holds the record's lines alone, since posting posts every
//!   line of it. Other lines in a general journal are a refusal (the record is dead-lettered);
//!   in a customer payment journal they are most often another record's, left by a process
//!   killed between writing and posting them, so the journal is busy and the record waits.
//! - A post whose answer was lost may have happened: the ledger tells.
//!
//! For `ferry reconcile`, lines found posted are compared with the ledger in amount: a general
//! journal's lines with the net of its document's general ledger entries on each account, a
//! payment with its customer ledger entry.
//!
//! The requests themselves are in `journal.rs`.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use rust_decimal::Decimal;
use serde_json::Value;

use super::client::{BusinessCentralClient, CUSTOMER_LEDGER_ENTRIES, JOURNAL_LINES};
use super::journal::CUSTOMER_PAYMENTS;
use crate::connectors::{
    ConnectorError, MatchKey, PostedDifference, PostedJournal, PostedLedger, PostingLine,
    TargetRecord,
};
use crate::connectors::client::Client;
use crate::value::json::decimal_json;

/// The fields of a customer payment that its customer ledger entry keeps.
const PAYMENT_ENTRY_FIELDS: &[&str] = &[
    "externalDocumentNumber",
    "documentNumber",
    "customerNumber",
    "postingDate",
    "description",
];

const POST_JOURNAL: &str = "business central: post the journal";
const POST_PAYMENT_JOURNAL: &str = "business central: post the customer payment journal";

/// The journal a sink's lines are written to.
#[derive(Debug, PartialEq)]
enum Journal {
    General,
    CustomerPayments,
}

impl Journal {
    fn of(collection: &str) -> Result<Journal, ConnectorError> {
        match collection {
            JOURNAL_LINES => Ok(Journal::General),
            CUSTOMER_PAYMENTS => Ok(Journal::CustomerPayments),
            _ => Err(ConnectorError::Unsupported(format!(
                "business central: `{collection}` has no journal to post"
            ))),
        }
    }
}

/// A document of the general journal: its number and posting date.
type Document = (String, String);

/// Whether the ledger can tell that `lines` were posted.
pub(super) fn check_posting(collection: &str, lines: &[PostingLine]) -> Result<(), ConnectorError> {
    match Journal::of(collection)? {
        Journal::General => documents(lines).map(drop),
        Journal::CustomerPayments => entry_keys(lines).map(drop),
    }
}

/// A ledger entry of `lines`, when an earlier run posted them.
pub(super) async fn posted_entry(
    client: &BusinessCentralClient,
    collection: &str,
    lines: &[PostingLine],
) -> Result<Option<TargetRecord>, ConnectorError> {
    match Journal::of(collection)? {
        Journal::General => ledger_entry(client, &documents(lines)?).await,
        Journal::CustomerPayments => payment_entry(client, &entry_keys(lines)?).await,
    }
}

/// How the ledger's entries of posted `lines` differ from them in amount.
pub(super) async fn posted_differences(
    client: &BusinessCentralClient,
    collection: &str,
    lines: &[PostingLine],
) -> Result<Vec<PostedDifference>, ConnectorError> {
    match Journal::of(collection)? {
        Journal::General => {
            let mut entries = BTreeMap::new();
            for document in documents(lines)? {
                let filters = [
                    ("documentNumber".to_string(), document.0.clone()),
                    ("postingDate".to_string(), document.1.clone()),
                ];
                let found = Client::list_all(client, GENERAL_LEDGER_ENTRIES, &filters).await?;
                entries.insert(document, found);
            }
            journal_differences(lines, |document| {
                entries.get(document).cloned().unwrap_or_default()
            })
        }
        Journal::CustomerPayments => {
            let mut entries = Vec::new();
            for keys in entry_keys(lines)? {
                let filters = payment_filters(&keys);
                entries.push(Client::list_all(client, CUSTOMER_LEDGER_ENTRIES, &filters).await?);
            }
            let mut entries = entries.into_iter();
            payment_differences(lines, |_| entries.next().unwrap_or_default())
        }
    }
}

/// The ledger `collection` posts to, read whole: the general journal documents' entries, or
/// every payment's customer ledger entry.
pub(super) async fn read_ledger(
    client: &BusinessCentralClient,
    collection: &str,
) -> Result<Option<Arc<dyn PostedLedger>>, ConnectorError> {
    let ledger: Arc<dyn PostedLedger> = match Journal::of(collection)? {
        Journal::General => {
            let filters = [("documentType".to_string(), JOURNAL_DOCUMENT.to_string())];
            let entries = client
                .list_matching(GENERAL_LEDGER_ENTRIES, &filters, None)
                .await?;
            let mut by_document: HashMap<Document, Vec<Value>> = HashMap::new();
            for entry in entries {
                by_document.entry(document_of(&entry)).or_default().push(entry);
            }
            Arc::new(GeneralLedger { by_document })
        }
        Journal::CustomerPayments => {
            let filters = [("documentType".to_string(), "Payment".to_string())];
            let entries = client
                .list_matching(CUSTOMER_LEDGER_ENTRIES, &filters, None)
                .await?;
            Arc::new(PaymentLedger {
                entries,
                indexes: Mutex::new(HashMap::new()),
            })
        }
    };
    Ok(Some(ledger))
}

/// A general journal's document type in the ledger: Business Central's blank option.
const JOURNAL_DOCUMENT: &str = " ";
const GENERAL_LEDGER_ENTRIES: &str = "generalLedgerEntries";

/// The general ledger's journal entries, by document.
#[derive(Debug)]
struct GeneralLedger {
    by_document: HashMap<Document, Vec<Value>>,
}

impl PostedLedger for GeneralLedger {
    fn posted_entry(&self, lines: &[PostingLine]) -> Result<Option<TargetRecord>, ConnectorError> {
        let entry = documents(lines)?
            .iter()
            .find_map(|document| self.by_document.get(document)?.first().cloned());
        entry
            .map(|entry| ledger_record(entry, GENERAL_LEDGER_ENTRIES))
            .transpose()
    }

    fn posted_differences(
        &self,
        lines: &[PostingLine],
    ) -> Result<Vec<PostedDifference>, ConnectorError> {
        journal_differences(lines, |document| {
            self.by_document.get(document).cloned().unwrap_or_default()
        })
    }
}

/// Entries by their values at a set of paths: values -> positions in the ledger.
type EntryIndex = HashMap<Vec<String>, Vec<usize>>;

/// Every payment's customer ledger entry, with an index per set of keys asked by (paths ->
/// index).
#[derive(Debug)]
struct PaymentLedger {
    entries: Vec<Value>,
    indexes: Mutex<HashMap<Vec<String>, EntryIndex>>,
}

impl PaymentLedger {
    /// The entries whose values at the keys' paths are the keys' values.
    fn matching(&self, keys: &[MatchKey]) -> Vec<Value> {
        let paths: Vec<String> = keys.iter().map(|key| key.path.clone()).collect();
        let wanted: Vec<String> = keys.iter().map(|key| key_text(&key.value)).collect();
        let mut indexes = self.indexes.lock().unwrap_or_else(|e| e.into_inner());
        let index = indexes.entry(paths.clone()).or_insert_with(|| {
            let mut index = EntryIndex::new();
            for (at, entry) in self.entries.iter().enumerate() {
                let values = paths
                    .iter()
                    .map(|path| key_text(entry.get(path).unwrap_or(&Value::Null)))
                    .collect();
                index.entry(values).or_default().push(at);
            }
            index
        });
        index
            .get(&wanted)
            .map(|found| found.iter().map(|at| self.entries[*at].clone()).collect())
            .unwrap_or_default()
    }
}

impl PostedLedger for PaymentLedger {
    fn posted_entry(&self, lines: &[PostingLine]) -> Result<Option<TargetRecord>, ConnectorError> {
        for keys in entry_keys(lines)? {
            if let Some(entry) = self.matching(&keys).into_iter().next() {
                return ledger_record(entry, CUSTOMER_LEDGER_ENTRIES).map(Some);
            }
        }
        Ok(None)
    }

    fn posted_differences(
        &self,
        lines: &[PostingLine],
    ) -> Result<Vec<PostedDifference>, ConnectorError> {
        payment_differences(lines, |keys| self.matching(keys))
    }
}

/// A match key's value as the ledger's filter compares it: text as it is, else its JSON.
fn key_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

fn payment_filters(keys: &[MatchKey]) -> Vec<(String, String)> {
    let mut filters: Vec<(String, String)> = keys
        .iter()
        .map(|key| (key.path.clone(), key_text(&key.value)))
        .collect();
    filters.push(("documentType".into(), "Payment".into()));
    filters
}

/// A ledger entry as the record `posted_entry` answers.
fn ledger_record(entry: Value, collection: &str) -> Result<TargetRecord, ConnectorError> {
    let id = entry
        .get("id")
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| ConnectorError::BadResponse {
            endpoint: format!("business central: {collection}"),
            reason: "an entry without an `id`".to_string(),
        })?;
    Ok(TargetRecord {
        id,
        data: entry,
        etag: None,
    })
}

/// Per document, the net its general ledger entries (`entries_of` it) post to each account
/// against the sum of its lines' amounts there (a line's amount is a debit when positive). The
/// ledger is in the company's local currency, as API v2.0's journal lines are.
fn journal_differences(
    lines: &[PostingLine],
    entries_of: impl Fn(&Document) -> Vec<Value>,
) -> Result<Vec<PostedDifference>, ConnectorError> {
    let mut differences = Vec::new();
    for document in documents(lines)? {
        let mut expected: BTreeMap<String, Decimal> = BTreeMap::new();
        for line in lines.iter().filter(|l| document_of(&l.fields) == document) {
            let amount = amount_of(&line.fields, "amount", JOURNAL_LINES)?;
            *expected.entry(text(&line.fields, "accountNumber")).or_default() += amount;
        }
        let mut posted: BTreeMap<String, Decimal> = BTreeMap::new();
        for entry in entries_of(&document) {
            let debit = amount_of(&entry, "debitAmount", GENERAL_LEDGER_ENTRIES)?;
            let credit = amount_of(&entry, "creditAmount", GENERAL_LEDGER_ENTRIES)?;
            *posted.entry(text(&entry, "accountNumber")).or_default() += debit - credit;
        }
        let accounts: BTreeSet<&String> = expected.keys().chain(posted.keys()).collect();
        for account in accounts {
            let want = expected.get(account).copied().unwrap_or_default();
            let have = posted.get(account).copied().unwrap_or_default();
            if want != have {
                differences.push(PostedDifference {
                    field: format!(
                        "net amount on G/L account {account} of document {} of {}",
                        document.0, document.1
                    ),
                    posted: decimal_json(&have),
                    expected: decimal_json(&want),
                    currency: None,
                });
            }
        }
    }
    Ok(differences)
}

/// Each payment's customer ledger entries (`entries_of` its keys), whose amounts add up to the
/// payment's with the sign turned (positive for what the customer owes). A reversal in Business
/// Central leaves the payment's entry as it was and adds one of the opposite amount under the
/// same keys, so every entry the keys select is added up.
fn payment_differences(
    lines: &[PostingLine],
    mut entries_of: impl FnMut(&[MatchKey]) -> Vec<Value>,
) -> Result<Vec<PostedDifference>, ConnectorError> {
    let mut differences = Vec::new();
    for (line, keys) in lines.iter().zip(entry_keys(lines)?) {
        let expected = -amount_of(&line.fields, "amount", CUSTOMER_PAYMENTS)?;
        let entries = entries_of(&keys);
        let mut posted = Decimal::ZERO;
        for entry in &entries {
            posted += amount_of(entry, "amount", CUSTOMER_LEDGER_ENTRIES)?;
        }
        if entries.is_empty() || posted != expected {
            let key = keys
                .iter()
                .map(|k| format!("{} {}", k.path, k.value))
                .collect::<Vec<_>>()
                .join(", ");
            differences.push(PostedDifference {
                field: format!("amount of the customer ledger entries of the payment with {key}"),
                posted: match entries.is_empty() {
                    true => Value::Null,
                    false => decimal_json(&posted),
                },
                expected: decimal_json(&expected),
                currency: entries
                    .first()
                    .map(|entry| text(entry, "currencyCode"))
                    .filter(|c| !c.is_empty()),
            });
        }
    }
    Ok(differences)
}

/// A decimal amount of a line or an entry; an entry without one is a bad answer.
fn amount_of(record: &Value, field: &str, collection: &str) -> Result<Decimal, ConnectorError> {
    let bad = |reason: String| ConnectorError::BadResponse {
        endpoint: format!("business central: {collection}"),
        reason,
    };
    match record.get(field) {
        None | Some(Value::Null) => Ok(Decimal::ZERO),
        Some(Value::Number(number)) => {
            let text = number.to_string();
            text.parse::<Decimal>()
                .or_else(|_| Decimal::from_scientific(&text))
                .map_err(|_| bad(format!("`{field}` is not a decimal: {text}")))
        }
        Some(other) => Err(bad(format!("`{field}` is not a number: {other}"))),
    }
}

fn text(record: &Value, field: &str) -> String {
    record
        .get(field)
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string()
}

/// Posts the journal of the written `lines` once it holds them alone.
pub(super) async fn post_journal(
    client: &BusinessCentralClient,
    collection: &str,
    lines: &[PostingLine],
    written: &[String],
) -> Result<Option<PostedJournal>, ConnectorError> {
    match Journal::of(collection)? {
        Journal::General => post_general_journal(client, lines).await.map(Some),
        Journal::CustomerPayments => post_payment_journal(client, lines, written).await,
    }
}

/// Takes the written line `id` out of its journal again.
pub(super) async fn discard_line(
    client: &BusinessCentralClient,
    collection: &str,
    lines: &[PostingLine],
    id: &str,
) -> Result<(), ConnectorError> {
    match Journal::of(collection)? {
        Journal::General => {
            let journal = journal_id(client, lines).await?;
            client.delete_journal_line(&journal, id).await
        }
        Journal::CustomerPayments => client.delete_payment(id).await,
    }
}

async fn post_general_journal(
    client: &BusinessCentralClient,
    lines: &[PostingLine],
) -> Result<PostedJournal, ConnectorError> {
    let documents = documents(lines)?;
    let journal = journal_id(client, lines).await?;
    let held = client.journal_lines(&journal).await?;
    let others = other_documents(&held, &documents);
    if !others.is_empty() {
        return Err(ferry_error(
            POST_JOURNAL,
            400,
            "journal_holds_other_lines",
            format!(
                "the journal also holds lines of document {}; posting posts every line of a journal, so ferry posts only when it holds this record's lines alone: post or delete those lines in Business Central, then replay",
                others.join(", ")
            ),
        ));
    }
    let post = client.post_general_journal(&journal).await;
    unless_in_ledger(post, ledger_entry(client, &documents)).await?;
    Ok(PostedJournal {
        collection: "journals".into(),
        id: journal,
    })
}

async fn post_payment_journal(
    client: &BusinessCentralClient,
    lines: &[PostingLine],
    written: &[String],
) -> Result<Option<PostedJournal>, ConnectorError> {
    let keys = entry_keys(lines)?;
    let Some(first) = written.first() else {
        return Ok(None);
    };
    let Some(journal) = client.payment_journal(first).await? else {
        // The line is gone from the journal: posted by someone, or deleted; the ledger tells.
        return match payment_entry(client, &keys).await? {
            Some(_) => Ok(None),
            None => Err(ferry_error(
                POST_PAYMENT_JOURNAL,
                400,
                "payment_line_gone",
                "the payment line left its journal before ferry posted it, and the ledger has no such payment: replay to write it again".into(),
            )),
        };
    };
    let others = other_payment_lines(client.payment_lines(&journal).await?, written);
    if !others.is_empty() {
        // A 409, which the record waits out (a retry) rather than a refusal: the lines are most
        // often another record's, whose own retry posts them; then this one's turn comes.
        return Err(ferry_error(
            POST_PAYMENT_JOURNAL,
            409,
            "journal_holds_other_payments",
            format!(
                "the customer payment journal also holds payment line {}; posting posts every line of a journal, so ferry posts only when it holds this record's payments alone, and tries again later: post or delete those lines in Business Central if they are not ferry's",
                others.join(", ")
            ),
        ));
    }
    let post = client.post_payment_journal(&journal).await;
    unless_in_ledger(post, payment_entry(client, &keys)).await?;
    Ok(Some(PostedJournal {
        collection: "customerPaymentJournals".into(),
        id: journal,
    }))
}

/// A post that failed may have happened with its answer lost (then a second post would find
/// nothing to post): the `ledger` tells, asked only then.
async fn unless_in_ledger(
    post: Result<(), ConnectorError>,
    ledger: impl Future<Output = Result<Option<TargetRecord>, ConnectorError>>,
) -> Result<(), ConnectorError> {
    let Err(error) = post else {
        return Ok(());
    };
    match ledger.await {
        Ok(Some(_)) => Ok(()),
        _ => Err(error),
    }
}

/// The documents the lines make; every line needs both keys.
fn documents(lines: &[PostingLine]) -> Result<Vec<Document>, ConnectorError> {
    let mut documents = Vec::new();
    for line in lines {
        let document = document_of(&line.fields);
        if document.0.is_empty() || document.1.is_empty() {
            return Err(ferry_error(
                POST_JOURNAL,
                400,
                "journal_line_without_document",
                "`post` needs every journal line's documentNumber and postingDate, which tell whether the ledger holds the journal already".into(),
            ));
        }
        if !documents.contains(&document) {
            documents.push(document);
        }
    }
    Ok(documents)
}

/// A journal line's document number and posting date (empty when it has none).
fn document_of(line: &Value) -> Document {
    let text = |key: &str| line.get(key).and_then(Value::as_str).unwrap_or("");
    (text("documentNumber").into(), text("postingDate").into())
}

/// The documents of the `held` journal lines that are not `ours`, as `number of date`, sorted.
fn other_documents(held: &[Value], ours: &[Document]) -> Vec<String> {
    let mut others: Vec<String> = held
        .iter()
        .map(document_of)
        .filter(|document| !ours.contains(document))
        .map(|(number, date)| format!("{number} of {date}"))
        .collect();
    others.sort();
    others.dedup();
    others
}

/// The payment lines of a journal, `held`, that ferry did not write for this record, sorted.
fn other_payment_lines(held: Vec<String>, written: &[String]) -> Vec<String> {
    let mut others: Vec<String> = held
        .into_iter()
        .filter(|id| !written.iter().any(|ours| ours.eq_ignore_ascii_case(id)))
        .collect();
    others.sort();
    others
}

/// For each payment line, the match keys its customer ledger entry keeps.
fn entry_keys(lines: &[PostingLine]) -> Result<Vec<Vec<MatchKey>>, ConnectorError> {
    let mut all = Vec::with_capacity(lines.len());
    for line in lines {
        let keys: Vec<MatchKey> = line
            .keys
            .iter()
            .filter(|key| PAYMENT_ENTRY_FIELDS.contains(&key.path.as_str()))
            .cloned()
            .collect();
        if keys.is_empty() {
            return Err(ferry_error(
                POST_PAYMENT_JOURNAL,
                400,
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

/// The journal the lines name (`journalId`), when they name one; else the connection's.
async fn journal_id(
    client: &BusinessCentralClient,
    lines: &[PostingLine],
) -> Result<String, ConnectorError> {
    let named = lines
        .iter()
        .find_map(|line| line.fields.get("journalId").and_then(Value::as_str));
    match named {
        Some(id) => Ok(id.to_string()),
        None => client.journal_id().await,
    }
}

/// A general ledger entry of one of `documents`, when they were posted.
async fn ledger_entry(
    client: &BusinessCentralClient,
    documents: &[Document],
) -> Result<Option<TargetRecord>, ConnectorError> {
    for (number, date) in documents {
        if let Some(entry) = client.ledger_entry(number, date).await? {
            return Ok(Some(entry));
        }
    }
    Ok(None)
}

/// The customer ledger entry of one of the payments (each with its `keys`), when posted.
async fn payment_entry(
    client: &BusinessCentralClient,
    keys: &[Vec<MatchKey>],
) -> Result<Option<TargetRecord>, ConnectorError> {
    for keys in keys {
        if let Some(entry) = client.payment_entry(keys).await? {
            return Ok(Some(entry));
        }
    }
    Ok(None)
}

/// An error of ferry's own about the journal: 400 fails this record permanently (it is
/// dead-lettered), 409 makes it wait.
fn ferry_error(endpoint: &str, status: u16, code: &str, message: String) -> ConnectorError {
    ConnectorError::Api {
        endpoint: endpoint.into(),
        status,
        kind: Some("ferry".into()),
        code: Some(code.into()),
        param: None,
        message,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn line(fields: Value, keys: &[(&str, &str)]) -> PostingLine {
        let keys = keys
            .iter()
            .map(|(path, value)| MatchKey {
                path: (*path).into(),
                value: json!(value),
            })
            .collect();
        PostingLine { fields, keys }
    }

    fn code(error: ConnectorError) -> (u16, String) {
        match error {
            ConnectorError::Api { status, code, .. } => (status, code.unwrap_or_default()),
            other => (0, other.to_string()),
        }
    }

    #[test]
    fn journal_lines_make_their_documents_once() {
        let lines = [
            line(json!({"documentNumber": "PO-1", "postingDate": "2026-03-01"}), &[]),
            line(json!({"documentNumber": "PO-1", "postingDate": "2026-03-01"}), &[]),
            line(json!({"documentNumber": "PO-2", "postingDate": "2026-03-01"}), &[]),
        ];
        let documents = documents(&lines).unwrap();
        assert_eq!(
            documents,
            [
                ("PO-1".to_string(), "2026-03-01".to_string()),
                ("PO-2".to_string(), "2026-03-01".to_string())
            ]
        );
        assert!(check_posting(JOURNAL_LINES, &lines).is_ok());
    }

    #[test]
    fn a_journal_line_without_its_document_is_the_records_fault() {
        let lines = [
            line(json!({"documentNumber": "PO-1", "postingDate": "2026-03-01"}), &[]),
            line(json!({"documentNumber": "PO-1", "postingDate": ""}), &[]),
        ];
        let error = check_posting(JOURNAL_LINES, &lines).unwrap_err();
        assert_eq!(code(error), (400, "journal_line_without_document".into()));
    }

    #[test]
    fn other_documents_in_the_journal_are_named_once_in_order() {
        let held = [
            json!({"documentNumber": "PO-1", "postingDate": "2026-03-01"}),
            json!({"documentNumber": "HAND-2", "postingDate": "2026-03-02"}),
            json!({"documentNumber": "HAND-1", "postingDate": "2026-03-02"}),
            json!({"documentNumber": "HAND-2", "postingDate": "2026-03-02"}),
        ];
        let ours = [("PO-1".to_string(), "2026-03-01".to_string())];
        assert_eq!(
            other_documents(&held, &ours),
            ["HAND-1 of 2026-03-02", "HAND-2 of 2026-03-02"]
        );
        assert!(other_documents(&held[..1], &ours).is_empty());
    }

    #[test]
    fn payments_are_asked_for_by_the_keys_their_ledger_entry_keeps() {
        let lines = [line(
            json!({}),
            &[("externalDocumentNumber", "re_1"), ("amount", "-5")],
        )];
        let keys = entry_keys(&lines).unwrap();
        assert_eq!(keys.len(), 1);
        let paths: Vec<&str> = keys[0].iter().map(|key| key.path.as_str()).collect();
        assert_eq!(paths, ["externalDocumentNumber"]);
        assert!(check_posting(CUSTOMER_PAYMENTS, &lines).is_ok());
    }

    #[test]
    fn a_payment_without_an_entry_key_is_the_records_fault() {
        let lines = [
            line(json!({}), &[("externalDocumentNumber", "re_1")]),
            line(json!({}), &[("amount", "-5")]),
        ];
        let error = check_posting(CUSTOMER_PAYMENTS, &lines).unwrap_err();
        assert_eq!(code(error), (400, "payment_without_entry_key".into()));
    }

    #[test]
    fn other_payment_lines_are_those_not_written_for_the_record() {
        let written = ["AB-1".to_string()];
        let held = vec!["ab-1".to_string(), "cd-2".to_string(), "bc-3".to_string()];
        assert_eq!(other_payment_lines(held, &written), ["bc-3", "cd-2"]);
    }

    #[test]
    fn only_journal_lines_and_customer_payments_post_a_journal() {
        assert_eq!(Journal::of("journalLines").unwrap(), Journal::General);
        assert_eq!(
            Journal::of("customerPayments").unwrap(),
            Journal::CustomerPayments
        );
        let error = check_posting("salesInvoices", &[]).unwrap_err();
        assert!(matches!(error, ConnectorError::Unsupported(_)), "{error}");
    }
}
