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
use serde_json::Value;

use super::error::{DIALOG, FIELD_VALIDATION, ODataError};
use super::ledger::{self, Posting};
use super::schema::{ACCOUNTS, JOURNAL_LINES, JOURNALS};
use super::store::{Company, Entity, Ids};

const GL_ACCOUNT: &str = "G/L Account";

/// A fault the next journal post meets, for tests of what a client does when posting fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JournalPostFault {
    /// Answer 500 without posting.
    Refused,
    /// Post, then answer 500: the client cannot tell that the journal was posted.
    Lost,
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
        return Err(nothing_to_post());
    }
    lines.sort_by_key(|l| l.fields.get("lineNumber").and_then(Value::as_i64));
    let mut postings = Vec::new();
    for line in &lines {
        let test_field = |field: &str| empty_field(field, "GENERAL", &batch, line);
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
            gl_account(company, account_type, number)?;
            postings.push(Posting {
                account_number: number.to_string(),
                posting_date: line.text("postingDate").to_string(),
                document_type: " ",
                document_number: line.text("documentNumber").to_string(),
                description: line.text("description").to_string(),
                amount,
            });
        }
    }
    let balance: Vec<_> = postings
        .iter()
        .map(|p| {
            (
                p.posting_date.as_str(),
                p.document_number.as_str(),
                p.amount,
            )
        })
        .collect();
    check_balance(&balance)?;
    let line_ids: Vec<String> = lines.iter().map(|l| l.id().to_string()).collect();
    ledger::write_postings(company, ids, &postings, now)?;
    for id in line_ids {
        company.remove(&JOURNAL_LINES, &id);
    }
    Ok(())
}

/// The posting G/L account numbered `number`, which must exist and accept postings.
pub(super) fn gl_account<'a>(
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
pub(super) fn check_balance(postings: &[(&str, &str, Decimal)]) -> Result<(), ODataError> {
    let mut documents: Vec<(&str, &str, Decimal)> = Vec::new();
    for &(date, number, amount) in postings {
        match documents
            .iter_mut()
            .find(|(d, n, _)| (*d, *n) == (date, number))
        {
            Some((_, _, sum)) => *sum += amount,
            None => documents.push((date, number, amount)),
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

/// The API page's answer to posting an empty journal.
pub(super) fn nothing_to_post() -> ODataError {
    ODataError::new(StatusCode::BAD_REQUEST, DIALOG, "There is nothing to post.")
}

/// `Gen. Jnl.-Check Line`'s TestField failure for a journal line's empty `field`.
pub(super) fn empty_field(field: &str, template: &str, batch: &str, line: &Entity) -> ODataError {
    ODataError::new(
        StatusCode::BAD_REQUEST,
        FIELD_VALIDATION,
        format!(
            "{field} must have a value in Gen. Journal Line: Journal Template Name={template}, Journal Batch Name={batch}, Line No.={}. It cannot be zero or empty.",
            line.fields
                .get("lineNumber")
                .and_then(Value::as_i64)
                .unwrap_or(0)
        ),
    )
}
