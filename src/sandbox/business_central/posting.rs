//! `journals({id})/Microsoft.NAV.post`: every line of the journal becomes general ledger
//! entries, or none does. Business Central posts the whole batch in one transaction, so one bad
//! line refuses the lot and the journal is left as it was.
//!
//! The checks and their messages follow the base application's `Gen. Jnl.-Post Batch` and
//! `Gen. Jnl.-Check Line` as far as their labels are public: "There is nothing to post." (the
//! API page's own error), "Document X is out of balance by Y." per document number and posting
//! date, `TestField` failures, and a missing G/L account. The emulator posts `G/L Account`
//! lines only (with an optional `G/L Account` balancing account); real Business Central also
//! posts customer, vendor and bank lines to their own ledgers.

use axum::http::StatusCode;
use rust_decimal::Decimal;
use serde_json::{Map, Value, json};

use super::error::{DIALOG, FIELD_VALIDATION, ODataError};
use super::schema::{ACCOUNTS, GENERAL_LEDGER_ENTRIES, JOURNAL_LINES, JOURNALS};
use super::store::{Company, Entity, Ids, blank, decimal_value};

const GL_ACCOUNT: &str = "G/L Account";

/// A fault the next journal post meets, for tests of what a client does when posting fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JournalPostFault {
    /// Answer 500 without posting.
    Refused,
    /// Post, then answer 500: the client cannot tell that the journal was posted.
    Lost,
}

/// One general ledger entry about to be written.
struct Posting {
    account_id: String,
    account_number: String,
    posting_date: String,
    document_number: String,
    description: String,
    amount: Decimal,
}

/// Posts journal `journal_id`; its lines leave the journal as general ledger entries.
pub fn post_journal(
    company: &mut Company,
    ids: &mut Ids,
    journal_id: &str,
    now: &str,
) -> Result<(), ODataError> {
    let batch = company
        .find(&JOURNALS, journal_id)
        .map(|j| j.text("code").to_string())
        .unwrap_or_default();
    let mut lines: Vec<&Entity> = company
        .entities(&JOURNAL_LINES)
        .filter(|l| l.text("journalId").eq_ignore_ascii_case(journal_id))
        .collect();
    if lines.is_empty() {
        return Err(ODataError::new(
            StatusCode::BAD_REQUEST,
            DIALOG,
            "There is nothing to post.",
        ));
    }
    lines.sort_by_key(|l| l.fields.get("lineNumber").and_then(Value::as_i64));
    let mut postings = Vec::new();
    for line in &lines {
        let test_field = |field: &str| {
            ODataError::new(
                StatusCode::BAD_REQUEST,
                FIELD_VALIDATION,
                format!(
                    "{field} must have a value in Gen. Journal Line: Journal Template Name=GENERAL, Journal Batch Name={batch}, Line No.={}. It cannot be zero or empty.",
                    line.fields
                        .get("lineNumber")
                        .and_then(Value::as_i64)
                        .unwrap_or(0)
                ),
            )
        };
        if line.text("accountNumber").is_empty() {
            return Err(test_field("Account No."));
        }
        let amount = line.decimal("amount");
        if amount.is_zero() {
            return Err(test_field("Amount"));
        }
        let mut sides = vec![(line.text("accountType"), line.text("accountNumber"), amount)];
        if !line.text("balancingAccountNumber").is_empty() {
            sides.push((
                line.text("balanceAccountType"),
                line.text("balancingAccountNumber"),
                -amount,
            ));
        }
        for (account_type, number, amount) in sides {
            let account = gl_account(company, account_type, number)?;
            postings.push(Posting {
                account_id: account.id().to_string(),
                account_number: number.to_string(),
                posting_date: line.text("postingDate").to_string(),
                document_number: line.text("documentNumber").to_string(),
                description: line.text("description").to_string(),
                amount,
            });
        }
    }
    check_balance(&postings)?;
    let line_ids: Vec<String> = lines.iter().map(|l| l.id().to_string()).collect();
    let mut next_entry = company
        .entities(&GENERAL_LEDGER_ENTRIES)
        .filter_map(|e| e.fields.get("entryNumber").and_then(Value::as_i64))
        .max()
        .unwrap_or(0);
    for posting in postings {
        next_entry += 1;
        let mut fields = blank(&GENERAL_LEDGER_ENTRIES);
        let (debit, credit) = if posting.amount.is_sign_positive() {
            (posting.amount, Decimal::ZERO)
        } else {
            (Decimal::ZERO, -posting.amount)
        };
        let values = [
            ("id", json!(ids.guid())),
            ("entryNumber", json!(next_entry)),
            ("postingDate", json!(posting.posting_date)),
            ("documentNumber", json!(posting.document_number)),
            ("accountId", json!(posting.account_id)),
            ("accountNumber", json!(posting.account_number)),
            ("description", json!(posting.description)),
            ("debitAmount", decimal_value(debit)),
            ("creditAmount", decimal_value(credit)),
            ("lastModifiedDateTime", json!(now)),
        ];
        set_all(&mut fields, values);
        let entity = Entity {
            seq: ids.next_seq(),
            version: ids.next_version(),
            fields,
        };
        company.insert(&GENERAL_LEDGER_ENTRIES, entity);
        if let Some(account) = company.find_mut(&ACCOUNTS, &posting.account_id) {
            let change = account.decimal("netChange") + posting.amount;
            account
                .fields
                .insert("netChange".into(), decimal_value(change));
        }
    }
    for id in line_ids {
        company.remove(&JOURNAL_LINES, &id);
    }
    Ok(())
}

fn set_all<const N: usize>(fields: &mut Map<String, Value>, values: [(&str, Value); N]) {
    for (key, value) in values {
        fields.insert(key.to_string(), value);
    }
}

/// The posting G/L account numbered `number`, which must exist and accept postings.
fn gl_account<'a>(
    company: &'a Company,
    account_type: &str,
    number: &str,
) -> Result<&'a Entity, ODataError> {
    if account_type != GL_ACCOUNT {
        return Err(ODataError::bad_request(format!(
            "The sandbox posts only G/L Account lines; this line's account type is {account_type}."
        )));
    }
    let account = company
        .find_by(&ACCOUNTS, "number", number)
        .ok_or_else(|| ODataError::record_not_found("G/L Account", "No.", number))?;
    let refuse = |field: &str, wanted: &str, current: &str| {
        ODataError::new(
            StatusCode::BAD_REQUEST,
            FIELD_VALIDATION,
            format!(
                "{field} must be equal to '{wanted}'  in G/L Account: No.={number}. Current value is '{current}'."
            ),
        )
    };
    if account.fields.get("blocked") == Some(&Value::Bool(true)) {
        return Err(refuse("Blocked", "No", "Yes"));
    }
    if account.text("accountType") != "Posting" {
        return Err(refuse(
            "Account Type",
            "Posting",
            account.text("accountType"),
        ));
    }
    Ok(account)
}

/// Each document (posting date and document number) must sum to zero.
fn check_balance(postings: &[Posting]) -> Result<(), ODataError> {
    let mut documents: Vec<(&str, &str, Decimal)> = Vec::new();
    for posting in postings {
        let key = (
            posting.posting_date.as_str(),
            posting.document_number.as_str(),
        );
        match documents.iter_mut().find(|(d, n, _)| (*d, *n) == key) {
            Some((_, _, sum)) => *sum += posting.amount,
            None => documents.push((key.0, key.1, posting.amount)),
        }
    }
    match documents.iter().find(|(_, _, sum)| !sum.is_zero()) {
        Some((_, number, sum)) => Err(ODataError::new(
            StatusCode::BAD_REQUEST,
            DIALOG,
            format!(
                "Document {number} is out of balance by {}.",
                sum.normalize()
            ),
        )),
        None => Ok(()),
    }
}
