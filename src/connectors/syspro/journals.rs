//! General ledger journals (GENTJL, Transaction/Post) for `post` on `glJournalLines`
//! (`Posting::Journal`): a record's lines are posted together as one normal journal, balanced to
//! the cent, and found in the general ledger (COMFND on GenTransaction) by their `Reference`.
//!
//! GENTJL takes a journal whole: Syspro has no draft journal that ferry could add lines to one
//! call at a time. So the lines a record writes wait in the client ([`Pending`]) until
//! `post_journal` sends them in one GENTJL call. A process killed before that loses them with
//! nothing in Syspro, and the next attempt writes them again: the ledger says they were not
//! posted. A post whose answer was lost is found in the ledger by its reference and never sent
//! twice.
//!
//! UNVERIFIED: whether `EntryAmount` is signed (sent signed here, debits positive), the
//! GenTransaction columns in [`COLUMNS`], and GENTJL's XmlOut beyond `Item/Transaction/Key` and
//! `StatusOfItems`.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use rust_decimal::Decimal;
use serde_json::Value;

use super::find::rows_where;
use super::session::{Call, Session};
use super::values::{wire_text, write_field};
use super::wire::{bad_response, check_document, refused};
use super::xml;
use crate::connectors::{
    ConnectorError, MatchKey, PostedDifference, PostedJournal, PostingLine, TargetRecord,
};
use crate::value::json::decimal_json;

const PARAMETERS: &str = include_str!("templates/gentjl_parameters.xml");
const DOCUMENT: &str = include_str!("templates/gentjl_document.xml");
const ENDPOINT: &str = "GENTJL (Transaction/Post)";

/// The general ledger's transactions; the emulator serves the same columns.
pub const TABLE: &str = "GenTransaction";
pub const COLUMNS: &[&str] = &[
    "GlJournal",
    "GlYear",
    "GlPeriod",
    "EntryNumber",
    "LedgerCode",
    "Reference",
    "JournalDate",
    "EntryAmount",
    "Comment",
];

/// Lines written and not posted yet, by id (`Reference/EntryNumber`).
#[derive(Debug, Default)]
pub struct Pending {
    lines: Mutex<HashMap<String, Value>>,
}

impl Pending {
    fn lines(&self) -> std::sync::MutexGuard<'_, HashMap<String, Value>> {
        self.lines.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn get(&self, id: &str) -> Option<TargetRecord> {
        self.lines().get(id).map(|fields| TargetRecord {
            id: id.to_string(),
            data: fields.clone(),
            etag: None,
        })
    }

    /// The pending line with these match keys (`Reference` and `EntryNumber`).
    pub fn find(&self, keys: &[MatchKey]) -> Result<Option<TargetRecord>, ConnectorError> {
        let fields: Value = keys
            .iter()
            .map(|key| (key.path.clone(), key.value.clone()))
            .collect::<serde_json::Map<_, _>>()
            .into();
        Ok(self.get(&line_id(&fields)?))
    }

    /// Keeps a written line until its journal is posted.
    pub fn write(&self, fields: &Value) -> Result<TargetRecord, ConnectorError> {
        let id = line_id(fields)?;
        self.lines().insert(id.clone(), fields.clone());
        Ok(TargetRecord {
            id,
            data: fields.clone(),
            etag: None,
        })
    }

    pub fn discard(&self, id: &str) {
        self.lines().remove(id);
    }
}

fn text(fields: &Value, name: &str) -> Option<String> {
    fields
        .get(name)
        .and_then(|v| wire_text(v).ok().flatten())
        .filter(|t| !t.is_empty())
}

/// A line's id: its journal's reference and its entry number.
fn line_id(fields: &Value) -> Result<String, ConnectorError> {
    match (text(fields, "Reference"), text(fields, "EntryNumber")) {
        (Some(reference), Some(entry)) => Ok(format!("{reference}/{entry}")),
        _ => Err(ferry_refusal(
            "a journal line needs its `Reference` and `EntryNumber`".into(),
            "syspro_journal_line_key",
        )),
    }
}

fn ferry_refusal(message: String, code: &str) -> ConnectorError {
    ConnectorError::Api {
        endpoint: format!("syspro {ENDPOINT}"),
        status: 400,
        kind: Some("ferry".into()),
        code: Some(code.into()),
        param: None,
        message,
    }
}

fn amount(fields: &Value) -> Result<Decimal, ConnectorError> {
    text(fields, "EntryAmount")
        .and_then(|t| t.parse::<Decimal>().ok())
        .ok_or_else(|| {
            ferry_refusal(
                "a journal line needs an `EntryAmount`".into(),
                "syspro_journal_amount",
            )
        })
}

/// The record's one journal reference; lines under one reference, one date, balanced to the
/// cent, or the record is refused with the figures.
pub fn check_posting(lines: &[PostingLine]) -> Result<String, ConnectorError> {
    let mut references = lines.iter().map(|l| text(&l.fields, "Reference"));
    let reference = references.next().flatten().ok_or_else(|| {
        ferry_refusal(
            "a journal line needs its `Reference`".into(),
            "syspro_journal_reference",
        )
    })?;
    let dates: std::collections::BTreeSet<_> =
        lines.iter().map(|l| text(&l.fields, "JournalDate")).collect();
    if references.any(|r| r.as_deref() != Some(&reference)) || dates.len() != 1 {
        return Err(ferry_refusal(
            format!("journal {reference}: a record's lines are one journal, under one Reference and one JournalDate"),
            "syspro_journal_mixed",
        ));
    }
    let (mut debits, mut credits) = (Decimal::ZERO, Decimal::ZERO);
    for line in lines {
        match amount(&line.fields)? {
            value if value >= Decimal::ZERO => debits += value,
            value => credits -= value,
        }
    }
    if debits != credits {
        return Err(ferry_refusal(
            format!(
                "journal {reference} does not balance: debits {debits}, credits {credits} (difference {})",
                debits - credits
            ),
            "syspro_journal_unbalanced",
        ));
    }
    Ok(reference)
}

/// The journal the ledger holds under `reference`, if it was posted.
pub async fn posted_entry(
    session: &Session,
    lines: &[PostingLine],
) -> Result<Option<TargetRecord>, ConnectorError> {
    let reference = check_posting(lines)?;
    let rows = rows_where(session, TABLE, COLUMNS, ("Reference", &reference), "EntryNumber", 1000).await?;
    let Some(first) = rows.first() else {
        return Ok(None);
    };
    let journal = first.text_of("GlJournal").ok_or_else(|| {
        bad_response("COMFND (Query/Query)", "a GenTransaction row has no `GlJournal`")
    })?;
    Ok(Some(TargetRecord {
        id: journal.to_string(),
        data: serde_json::json!({ "GlJournal": journal, "Reference": reference }),
        etag: None,
    }))
}

/// How the ledger's entries under the lines' reference differ from them, ledger code by code.
pub async fn posted_differences(
    session: &Session,
    lines: &[PostingLine],
) -> Result<Vec<PostedDifference>, ConnectorError> {
    let reference = check_posting(lines)?;
    let rows = rows_where(session, TABLE, COLUMNS, ("Reference", &reference), "EntryNumber", 1000).await?;
    let mut posted: BTreeMap<String, Decimal> = BTreeMap::new();
    for row in &rows {
        let value = row.text_of("EntryAmount").unwrap_or_default();
        let value = value.parse::<Decimal>().map_err(|_| {
            bad_response("COMFND (Query/Query)", format!("GenTransaction/EntryAmount '{value}' is not an amount"))
        })?;
        *posted.entry(row.text_of("LedgerCode").unwrap_or_default().to_string()).or_default() += value;
    }
    let mut expected: BTreeMap<String, Decimal> = BTreeMap::new();
    for line in lines {
        *expected.entry(text(&line.fields, "LedgerCode").unwrap_or_default()).or_default() += amount(&line.fields)?;
    }
    let codes: std::collections::BTreeSet<&String> = posted.keys().chain(expected.keys()).collect();
    Ok(codes
        .into_iter()
        .filter(|code| posted.get(*code) != expected.get(*code))
        .map(|code| PostedDifference {
            field: format!("amount of ledger code {code}"),
            posted: posted.get(code).map(decimal_json).unwrap_or(Value::Null),
            expected: expected.get(code).map(decimal_json).unwrap_or(Value::Null),
            currency: None,
        })
        .collect())
}

/// GENTJL's XmlParameters and XmlIn for the record's lines.
pub fn gentjl_documents(lines: &[PostingLine]) -> Result<(String, String), String> {
    let first = lines.first().map(|l| &l.fields).ok_or("a journal needs lines")?;
    let mut header = String::new();
    write_field(&mut header, first, "JournalDate", "JournalDate")?;
    write_field(&mut header, first, "Reference", "Reference")?;
    write_field(&mut header, first, "Reference", "Notation")?;
    let mut details = String::new();
    for line in lines {
        details.push_str("<JournalDetails>");
        for name in ["EntryNumber", "LedgerCode", "Reference", "EntryAmount", "Comment"] {
            write_field(&mut details, &line.fields, name, name)?;
        }
        details.push_str("</JournalDetails>");
    }
    let document = xml::fill(DOCUMENT, &[("header", &header), ("details", &details)]);
    Ok((PARAMETERS.to_string(), document))
}

/// Posts the record's lines as one journal; the posted journal (`glJournals`, its number).
pub async fn post(
    session: &Session,
    pending: &Pending,
    lines: &[PostingLine],
    written: &[String],
) -> Result<Option<PostedJournal>, ConnectorError> {
    check_posting(lines)?;
    let (parameters, document) =
        gentjl_documents(lines).map_err(|reason| refused(ENDPOINT, None, reason))?;
    let call = Call {
        method: "Transaction/Post",
        business_object: "GENTJL",
        parameters: Some(&parameters),
        document: &document,
    };
    let root = session.run(&call).await?;
    check_document(ENDPOINT, &root)?;
    let journal = root
        .at(&["Item", "Transaction", "Key"])
        .and_then(|key| key.text_of("GlJournal"))
        .ok_or_else(|| bad_response(ENDPOINT, "no `Item/Transaction/Key/GlJournal` in XmlOut"))?
        .to_string();
    for id in written {
        pending.discard(id);
    }
    Ok(Some(PostedJournal {
        collection: "glJournals".into(),
        id: journal,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn line(entry: u32, ledger: &str, amount: &str) -> PostingLine {
        PostingLine {
            fields: json!({"Reference": "po_1", "EntryNumber": entry, "LedgerCode": ledger,
                "JournalDate": "2025-11-25", "EntryAmount": serde_json::from_str::<Value>(amount).unwrap(), "Comment": "x"}),
            keys: Vec::new(),
        }
    }

    #[test]
    fn a_journal_balances_to_the_cent_or_is_refused_with_the_figures() {
        let balanced = [line(1, "1100", "96.80"), line(2, "1150", "-100.00"), line(3, "6210", "3.20")];
        assert_eq!(check_posting(&balanced).unwrap(), "po_1");
        let short = [line(1, "1100", "96.79"), line(2, "1150", "-100.00"), line(3, "6210", "3.20")];
        let message = check_posting(&short).unwrap_err().to_string();
        assert!(message.contains("journal po_1 does not balance: debits 99.99, credits 100.00 (difference -0.01)"), "{message}");
    }

    #[test]
    fn the_lines_become_one_gentjl_journal() {
        let lines = [line(1, "1100", "96.80"), line(2, "1150", "-96.80")];
        let (_, document) = gentjl_documents(&lines).unwrap();
        let item = xml::parse(&document).unwrap().child("Item").cloned().unwrap();
        assert_eq!(item.text_of("PostJournal"), Some("Y"));
        assert_eq!(item.text_of("JournalDate"), Some("2025-11-25"));
        let details: Vec<_> = item.children_named("JournalDetails").collect();
        assert_eq!(details.len(), 2);
        assert_eq!(details[1].text_of("EntryAmount"), Some("-96.80"));
    }
}
