//! Seeded drift in Business Central's ledgers, made as an accountant makes it: posted entries
//! are never edited or deleted, so a change reverses them (Reverse Transaction). Each reversal
//! posts entries of the opposite amount under the same document, and the ledger stays balanced.
//!
//! - `generalLedgerEntries`: a document a general journal posted (a payout's journal) is
//!   reversed whole; its net on every account becomes zero.
//! - `customerLedgerEntries`: a posted payment (a charge's, or a refund's) is reversed: an
//!   entry of the opposite amount under its document and external document number, and its
//!   general ledger entries reversed with it.
//!
//! Only changes: ledger entries are not deleted, and entries added by hand are a journal
//! posted, which is no drift of a pipeline's.

use std::collections::HashSet;

use jiff::Timestamp;
use rand::Rng;
use rand::rngs::StdRng;
use serde_json::{Value, json};

use super::ledger::{self, Posting, Receivable};
use super::schema::{CUSTOMER_LEDGER_ENTRIES, GENERAL_LEDGER_ENTRIES};
use super::store::{Company, Ids, format_time};
use crate::sandbox::drift::{DriftAction, DriftError, DriftKind, DriftPlan, Drifted};

/// The ledgers that drift by reversal.
pub const LEDGERS: &[&str] = &["generalLedgerEntries", "customerLedgerEntries"];

/// A general journal's document type: Business Central's blank option.
const JOURNAL_DOCUMENT: &str = " ";

/// Reverses `plan.change` documents (or payments) of `ledger` that ferry posted, picked at
/// random; refuses deletes and additions.
pub fn reverse(
    company: &mut Company,
    ids: &mut Ids,
    not_ferrys: &HashSet<String>,
    ledger_name: &str,
    plan: &DriftPlan,
    rng: &mut StdRng,
) -> Drifted {
    if plan.delete > 0 || plan.add > 0 || !plan.fields.is_empty() {
        return Err(DriftError::OnlyReversal {
            system: "business_central".to_string(),
            collection: ledger_name.to_string(),
        });
    }
    let now = format_time(Timestamp::now());
    let documents = match ledger_name {
        "generalLedgerEntries" => journal_documents(company, not_ferrys),
        _ => payment_documents(company, not_ferrys),
    };
    let picked = pick(documents, plan.change, rng).map_err(|available| {
        DriftError::TooFewRecords {
            system: "business_central".to_string(),
            collection: ledger_name.to_string(),
            available,
            asked: plan.change,
            with: " posted by ferry".to_string(),
            to: "to reverse",
        }
    })?;
    let mut actions = Vec::new();
    for document in picked {
        let reversed = match ledger_name {
            "generalLedgerEntries" => reverse_journal(company, ids, &document, &now),
            _ => reverse_payment(company, ids, &document, &now),
        };
        actions.push(DriftAction {
            action: DriftKind::Changed,
            collection: ledger_name.to_string(),
            id: document.number.clone(),
            field: Some("reversed".to_string()),
            before: Some(json!({
                "documentNumber": document.number,
                "postingDate": document.date,
                "externalDocumentNumber": document.external,
            })),
            after: Some(json!({ "reversingEntries": reversed })),
        });
    }
    Ok(actions)
}

/// A posted document: its number and date, and for a payment its external document number.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Document {
    number: String,
    date: String,
    external: Option<String>,
}

/// The general journal documents ferry posted and nobody reversed, in posting order.
fn journal_documents(company: &Company, not_ferrys: &HashSet<String>) -> Vec<Document> {
    let mut seen = Vec::new();
    for entry in company.entities(&GENERAL_LEDGER_ENTRIES) {
        if entry.text("documentType") != JOURNAL_DOCUMENT || not_ferrys.contains(entry.id()) {
            continue;
        }
        let document = Document {
            number: entry.text("documentNumber").to_string(),
            date: entry.text("postingDate").to_string(),
            external: None,
        };
        if !seen.contains(&document) {
            seen.push(document);
        }
    }
    seen.retain(|document| !reversed(company, &GENERAL_LEDGER_ENTRIES, &document.number));
    seen
}

/// The payments ferry posted and nobody reversed, in posting order.
fn payment_documents(company: &Company, not_ferrys: &HashSet<String>) -> Vec<Document> {
    let payments = company
        .entities(&CUSTOMER_LEDGER_ENTRIES)
        .filter(|e| e.text("documentType") == "Payment" && !not_ferrys.contains(e.id()))
        .map(|e| Document {
            number: e.text("documentNumber").to_string(),
            date: e.text("postingDate").to_string(),
            external: Some(e.text("externalDocumentNumber").to_string()),
        })
        .collect::<Vec<_>>();
    payments
        .into_iter()
        .filter(|d| !reversed(company, &CUSTOMER_LEDGER_ENTRIES, &d.number))
        .collect()
}

/// Whether drift reversed document `number` of `set` already.
fn reversed(company: &Company, set: &super::schema::EntitySet, number: &str) -> bool {
    company.entities(set).any(|e| {
        e.text("documentNumber") == number && e.text("description").starts_with("Reversal of ")
    })
}

/// `count` of `documents`, a uniform sample in their order; the number available if too few.
fn pick(
    mut documents: Vec<Document>,
    count: usize,
    rng: &mut StdRng,
) -> Result<Vec<Document>, usize> {
    if count > documents.len() {
        return Err(documents.len());
    }
    for i in 0..documents.len() {
        let j = rng.random_range(i..documents.len());
        documents.swap(i, j);
    }
    documents.truncate(count);
    documents.sort();
    Ok(documents)
}

/// Posts the opposite of every general ledger entry of `document` of `document_type`; the new
/// entries' numbers.
fn reverse_entries(
    company: &mut Company,
    ids: &mut Ids,
    document: &Document,
    document_type: &'static str,
    now: &str,
) -> Vec<i64> {
    let postings: Vec<Posting> = company
        .entities(&GENERAL_LEDGER_ENTRIES)
        .filter(|e| {
            e.text("documentNumber") == document.number
                && e.text("postingDate") == document.date
                && e.text("documentType") == document_type
        })
        .map(|e| Posting {
            account_number: e.text("accountNumber").to_string(),
            posting_date: document.date.clone(),
            document_type,
            document_number: document.number.clone(),
            description: format!(
                "Reversal of entry {}",
                e.fields.get("entryNumber").unwrap_or(&Value::Null)
            ),
            amount: e.decimal("creditAmount") - e.decimal("debitAmount"),
        })
        .collect();
    let first = next_entry_number(company);
    // The accounts and dates were good when the entries were posted; a refusal now would be a
    // bug of the emulator's, and drift then reverses nothing.
    if ledger::write_postings(company, ids, &postings, now).is_err() {
        return Vec::new();
    }
    (first..first + postings.len() as i64).collect()
}

fn next_entry_number(company: &Company) -> i64 {
    company
        .entities(&GENERAL_LEDGER_ENTRIES)
        .filter_map(|e| e.fields.get("entryNumber").and_then(Value::as_i64))
        .max()
        .unwrap_or(0)
        + 1
}

fn reverse_journal(company: &mut Company, ids: &mut Ids, document: &Document, now: &str) -> Value {
    json!(reverse_entries(company, ids, document, JOURNAL_DOCUMENT, now))
}

/// A payment reversed: the opposite customer ledger entry (open, as a reversal leaves the
/// customer owing again) and its general ledger entries reversed.
fn reverse_payment(company: &mut Company, ids: &mut Ids, document: &Document, now: &str) -> Value {
    let Some(entry) = company.entities(&CUSTOMER_LEDGER_ENTRIES).find(|e| {
        e.text("documentType") == "Payment"
            && e.text("documentNumber") == document.number
            && Some(e.text("externalDocumentNumber")) == document.external.as_deref()
    }) else {
        return Value::Null;
    };
    let number = entry.fields.get("entryNumber").cloned().unwrap_or_default();
    let customer = entry.text("customerNumber").to_string();
    let currency = entry.text("currencyCode");
    let currency = if currency == super::currency::shown("") {
        String::new()
    } else {
        currency.to_string()
    };
    let receivable = Receivable {
        customer_number: customer.clone(),
        posting_date: document.date.clone(),
        document_type: "Payment",
        document_number: document.number.clone(),
        external_document_number: document.external.clone().unwrap_or_default(),
        description: format!("Reversal of entry {number}"),
        currency,
        amount: -entry.decimal("amount"),
        amount_lcy: -entry.decimal("amountLocalCurrency"),
    };
    let general = reverse_entries(company, ids, document, "Payment", now);
    let reversing = ledger::open_entry(company, ids, receivable, now);
    ledger::refresh_balance(company, ids, &customer, now);
    json!({ "customerLedgerEntry": reversing, "generalLedgerEntries": general })
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rust_decimal::Decimal;

    use super::*;
    use crate::sandbox::business_central::store::BcData;
    use crate::sandbox::business_central::{BusinessCentralConfig, BusinessCentralState};

    fn net(company: &Company, number: &str) -> Vec<(String, Decimal)> {
        let mut net: std::collections::BTreeMap<String, Decimal> = Default::default();
        for e in company
            .entities(&GENERAL_LEDGER_ENTRIES)
            .filter(|e| e.text("documentNumber") == number)
        {
            *net.entry(e.text("accountNumber").to_string()).or_default() +=
                e.decimal("debitAmount") - e.decimal("creditAmount");
        }
        net.into_iter().collect()
    }

    #[test]
    fn a_reversed_journal_nets_to_zero_on_every_account_and_the_ledger_stays_balanced() {
        let state = BusinessCentralState::seeded(BusinessCentralConfig::default(), 4);
        let mut data = state.data();
        let date = "2026-03-02";
        let journal = |number: &str, amount: i64| {
            [("10100", amount), ("10950", -amount)].map(|(account, cents)| Posting {
                account_number: account.into(),
                posting_date: date.into(),
                document_type: JOURNAL_DOCUMENT,
                document_number: number.into(),
                description: "payout".into(),
                amount: Decimal::new(cents, 2),
            })
        };
        let BcData { companies, ids, not_ferrys } = &mut *data;
        let company = &mut companies[0];
        ledger::write_postings(company, ids, &journal("po_1", 12550), "now").unwrap();
        ledger::write_postings(company, ids, &journal("po_2", 990), "now").unwrap();
        let plan = DriftPlan {
            change: 1,
            ..DriftPlan::default()
        };
        let mut rng = StdRng::seed_from_u64(7);
        let actions = reverse(company, ids, not_ferrys, "generalLedgerEntries", &plan, &mut rng)
            .unwrap();
        assert_eq!(actions.len(), 1);
        let reversed = actions[0].id.clone();
        let kept = if reversed == "po_1" { "po_2" } else { "po_1" };
        let zero = Decimal::ZERO;
        assert_eq!(
            net(company, &reversed),
            [("10100".to_string(), zero), ("10950".to_string(), zero)]
        );
        assert!(net(company, kept).iter().all(|(_, n)| !n.is_zero()));
        let all: Decimal = company
            .entities(&GENERAL_LEDGER_ENTRIES)
            .map(|e| e.decimal("debitAmount") - e.decimal("creditAmount"))
            .sum();
        assert_eq!(all, zero);

        // The same document is never reversed twice; the other one is left.
        let actions = reverse(company, ids, not_ferrys, "generalLedgerEntries", &plan, &mut rng)
            .unwrap();
        assert_eq!(actions[0].id, kept);
        let error = reverse(company, ids, not_ferrys, "generalLedgerEntries", &plan, &mut rng)
            .unwrap_err();
        assert_eq!(error.code(), crate::diagnostics::Code::DriftTooFewRecords);
        let deleting = DriftPlan {
            delete: 1,
            ..DriftPlan::default()
        };
        let error = reverse(company, ids, not_ferrys, "customerLedgerEntries", &deleting, &mut rng)
            .unwrap_err();
        assert_eq!(error.code(), crate::diagnostics::Code::DriftOnlyReversal);
    }
}
