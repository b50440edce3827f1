//! The books behind posting: general ledger entries in the local currency, customer ledger
//! entries in the document's currency beside it, and applying payments and credit memos to the
//! invoices they settle.
//!
//! The posting setup is fixed: a customer's invoices go to receivables ([`RECEIVABLES`]); an
//! invoice's item lines to [`SALES`] and a credit memo's to [`SALES_RETURNS`]; `Account` lines to
//! the G/L account they name; tax to [`SALES_TAX`]. A customer's `balanceDue` is the sum of its
//! open entries' remaining amounts in local currency, so currencies are never added at face value.

use axum::http::StatusCode;
use rust_decimal::Decimal;
use serde_json::{Map, Value, json};

use super::currency;
use super::error::{DIALOG, ODataError};
use super::posting::gl_account;
use super::schema::{
    ACCOUNTS, CUSTOMER_LEDGER_ENTRIES, CUSTOMERS, EntitySet, GENERAL_LEDGER_ENTRIES,
    SALES_CREDIT_MEMOS, SALES_INVOICES,
};
use super::store::{Company, Entity, Ids, blank, decimal_value};

/// Receivables (Customer Posting Group's Receivables Account).
pub const RECEIVABLES: &str = "13100";
/// Sales of items (General Posting Setup's Sales Account).
pub const SALES: &str = "40100";
/// Item lines of credit memos (General Posting Setup's Sales Credit Memo Account).
pub const SALES_RETURNS: &str = "40900";
/// Tax on sales.
pub const SALES_TAX: &str = "22100";

/// One general ledger entry about to be written; `amount` in local currency, debit positive.
#[derive(Debug, Clone)]
pub struct Posting {
    pub account_number: String,
    pub posting_date: String,
    pub document_type: &'static str,
    pub document_number: String,
    pub description: String,
    pub amount: Decimal,
}

/// Checks every posting's account before anything is written, then writes them all.
/// A posting dated outside General Ledger Setup's allowed range is refused, as Business Central
/// refuses it (a closed period).
fn check_posting_date(company: &Company, date: &str) -> Result<(), ODataError> {
    let before = company
        .allow_posting_from
        .as_deref()
        .is_some_and(|from| date < from);
    let after = company
        .allow_posting_to
        .as_deref()
        .is_some_and(|to| date > to);
    if before || after {
        return Err(ODataError::new(
            StatusCode::BAD_REQUEST,
            DIALOG,
            "The Posting Date is not within your range of allowed posting dates.",
        ));
    }
    Ok(())
}

pub fn write_postings(
    company: &mut Company,
    ids: &mut Ids,
    postings: &[Posting],
    now: &str,
) -> Result<(), ODataError> {
    let mut accounts = Vec::with_capacity(postings.len());
    for posting in postings {
        check_posting_date(company, &posting.posting_date)?;
        let account = gl_account(company, "G/L Account", &posting.account_number)?;
        accounts.push(account.id().to_string());
    }
    let mut next = last_entry_number(company, &GENERAL_LEDGER_ENTRIES);
    for (posting, account_id) in postings.iter().zip(accounts) {
        next += 1;
        let (debit, credit) = if posting.amount.is_sign_negative() {
            (Decimal::ZERO, -posting.amount)
        } else {
            (posting.amount, Decimal::ZERO)
        };
        let values = [
            ("entryNumber", json!(next)),
            ("postingDate", json!(posting.posting_date)),
            ("documentNumber", json!(posting.document_number)),
            ("documentType", json!(posting.document_type)),
            ("accountId", json!(account_id)),
            ("accountNumber", json!(posting.account_number)),
            ("description", json!(posting.description)),
            ("debitAmount", decimal_value(debit)),
            ("creditAmount", decimal_value(credit)),
            ("lastModifiedDateTime", json!(now)),
        ];
        insert(company, ids, &GENERAL_LEDGER_ENTRIES, values);
        if let Some(account) = company.find_mut(&ACCOUNTS, &account_id) {
            let change = account.decimal("netChange") + posting.amount;
            account
                .fields
                .insert("netChange".into(), decimal_value(change));
        }
    }
    Ok(())
}

/// A customer ledger entry about to be opened; `amount` in `currency`, positive for what the
/// customer owes.
pub struct Receivable {
    pub customer_number: String,
    pub posting_date: String,
    pub document_type: &'static str,
    pub document_number: String,
    pub external_document_number: String,
    pub description: String,
    pub currency: String,
    pub amount: Decimal,
    pub amount_lcy: Decimal,
}

/// Opens a customer ledger entry; returns its entry number.
pub fn open_entry(company: &mut Company, ids: &mut Ids, entry: Receivable, now: &str) -> i64 {
    let number = last_entry_number(company, &CUSTOMER_LEDGER_ENTRIES) + 1;
    let values = [
        ("entryNumber", json!(number)),
        ("postingDate", json!(entry.posting_date)),
        ("documentType", json!(entry.document_type)),
        ("documentNumber", json!(entry.document_number)),
        (
            "externalDocumentNumber",
            json!(entry.external_document_number),
        ),
        ("customerNumber", json!(entry.customer_number)),
        ("description", json!(entry.description)),
        ("currencyCode", json!(currency::shown(&entry.currency))),
        ("amount", decimal_value(entry.amount)),
        ("amountLocalCurrency", decimal_value(entry.amount_lcy)),
        ("remainingAmount", decimal_value(entry.amount)),
        (
            "remainingAmountLocalCurrency",
            decimal_value(entry.amount_lcy),
        ),
        ("open", json!(!entry.amount.is_zero())),
        ("lastModifiedDateTime", json!(now)),
    ];
    insert(company, ids, &CUSTOMER_LEDGER_ENTRIES, values);
    number
}

/// The open customer ledger entry of invoice `number`, if it has one.
pub fn open_invoice_entry<'a>(company: &'a Company, number: &str) -> Option<&'a Entity> {
    company.entities(&CUSTOMER_LEDGER_ENTRIES).find(|e| {
        e.text("documentType") == "Invoice"
            && e.text("documentNumber") == number
            && e.fields.get("open") == Some(&Value::Bool(true))
    })
}

/// The customer ledger entry of posted invoice `number`, open or closed.
pub fn invoice_entry<'a>(company: &'a Company, number: &str) -> Option<&'a Entity> {
    company
        .entities(&CUSTOMER_LEDGER_ENTRIES)
        .find(|e| e.text("documentType") == "Invoice" && e.text("documentNumber") == number)
}

/// The entry numbers of the open credit memo entries of `customer` in `currency` that correct
/// invoice `invoice_number`, oldest first: what a refund of that invoice pays out.
pub fn open_credit_memos_of(
    company: &Company,
    customer: &str,
    currency: &str,
    invoice_number: &str,
) -> Vec<(i64, String)> {
    let corrects = |memo_number: &str| {
        company
            .find_by(&SALES_CREDIT_MEMOS, "number", memo_number)
            .is_some_and(|memo| memo.text("invoiceNumber") == invoice_number)
    };
    let mut entries: Vec<(i64, String)> = company
        .entities(&CUSTOMER_LEDGER_ENTRIES)
        .filter(|e| {
            e.text("documentType") == "Credit Memo"
                && e.fields.get("open") == Some(&Value::Bool(true))
                && e.text("customerNumber") == customer
                && e.text("currencyCode") == currency
                && corrects(e.text("documentNumber"))
        })
        .filter_map(|e| {
            let number = e.fields.get("entryNumber").and_then(Value::as_i64)?;
            Some((number, e.text("documentNumber").to_string()))
        })
        .collect();
    entries.sort();
    entries
}

/// Applies entry `credit` (a payment or credit memo, negative) to entry `debit` (an invoice):
/// both remaining amounts move towards zero by the smaller of the two, and an entry that reaches
/// zero is closed. Both must be in the same currency.
pub fn apply(company: &mut Company, ids: &mut Ids, credit: i64, debit: i64, now: &str) {
    let remaining = |company: &Company, number: i64| {
        entry_by_number(company, number).map(|e| {
            (
                e.id().to_string(),
                e.decimal("remainingAmount"),
                e.decimal("remainingAmountLocalCurrency"),
            )
        })
    };
    let (Some(credit), Some(debit)) = (remaining(company, credit), remaining(company, debit))
    else {
        return;
    };
    let applied = (-credit.1).min(debit.1);
    if applied <= Decimal::ZERO {
        return;
    }
    for (id, rest, rest_lcy, change) in [
        (credit.0, credit.1, credit.2, applied),
        (debit.0, debit.1, debit.2, -applied),
    ] {
        let left = rest + change;
        // Closing an entry clears its local amount too, whatever rounding left behind.
        let left_lcy = if left.is_zero() {
            Decimal::ZERO
        } else {
            let share = lcy_share(rest, rest_lcy, applied);
            if change.is_sign_negative() {
                rest_lcy - share
            } else {
                rest_lcy + share
            }
        };
        if let Some(entry) = company.find_mut(&CUSTOMER_LEDGER_ENTRIES, &id) {
            entry
                .fields
                .insert("remainingAmount".into(), decimal_value(left));
            entry.fields.insert(
                "remainingAmountLocalCurrency".into(),
                decimal_value(left_lcy),
            );
            entry
                .fields
                .insert("open".into(), Value::Bool(!left.is_zero()));
            mark(entry, ids, now);
        }
    }
}

/// The local-currency part of `applied` out of an entry with `rest` (`rest_lcy` in LCY) left.
fn lcy_share(rest: Decimal, rest_lcy: Decimal, applied: Decimal) -> Decimal {
    if rest.is_zero() {
        return Decimal::ZERO;
    }
    (rest_lcy.abs() * applied / rest.abs())
        .round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
}

/// Copies the remaining amount of a posted invoice or credit memo's entry onto the document;
/// a document whose entry is closed is `Paid`.
pub fn sync_document(
    company: &mut Company,
    ids: &mut Ids,
    set: &EntitySet,
    number: &str,
    now: &str,
) {
    let entry_type = if set.name == SALES_CREDIT_MEMOS.name {
        "Credit Memo"
    } else {
        "Invoice"
    };
    let Some((remaining, open)) = company
        .entities(&CUSTOMER_LEDGER_ENTRIES)
        .find(|e| e.text("documentType") == entry_type && e.text("documentNumber") == number)
        .map(|e| {
            (
                e.decimal("remainingAmount").abs(),
                e.fields.get("open") == Some(&Value::Bool(true)),
            )
        })
    else {
        return;
    };
    let Some(id) = company
        .find_by(set, "number", number)
        .map(|d| d.id().to_string())
    else {
        return;
    };
    if let Some(document) = company.find_mut(set, &id) {
        if set.name == SALES_INVOICES.name {
            document
                .fields
                .insert("remainingAmount".into(), decimal_value(remaining));
        }
        let status = if open { "Open" } else { "Paid" };
        document.fields.insert("status".into(), json!(status));
        mark(document, ids, now);
    }
}

/// Sets the customer's `balanceDue`: its open entries' remaining amounts in local currency.
pub fn refresh_balance(company: &mut Company, ids: &mut Ids, customer_number: &str, now: &str) {
    let balance: Decimal = company
        .entities(&CUSTOMER_LEDGER_ENTRIES)
        .filter(|e| e.text("customerNumber") == customer_number)
        .map(|e| e.decimal("remainingAmountLocalCurrency"))
        .sum();
    let Some(id) = company
        .find_by(&CUSTOMERS, "number", customer_number)
        .map(|c| c.id().to_string())
    else {
        return;
    };
    if let Some(customer) = company.find_mut(&CUSTOMERS, &id) {
        customer
            .fields
            .insert("balanceDue".into(), decimal_value(balance));
        mark(customer, ids, now);
    }
}

fn entry_by_number(company: &Company, number: i64) -> Option<&Entity> {
    company
        .entities(&CUSTOMER_LEDGER_ENTRIES)
        .find(|e| e.fields.get("entryNumber").and_then(Value::as_i64) == Some(number))
}

fn last_entry_number(company: &Company, set: &EntitySet) -> i64 {
    company
        .entities(set)
        .filter_map(|e| e.fields.get("entryNumber").and_then(Value::as_i64))
        .max()
        .unwrap_or(0)
}

fn insert<const N: usize>(
    company: &mut Company,
    ids: &mut Ids,
    set: &EntitySet,
    values: [(&str, Value); N],
) {
    let mut fields: Map<String, Value> = blank(set);
    fields.insert("id".into(), json!(ids.guid()));
    for (key, value) in values {
        fields.insert(key.to_string(), value);
    }
    let entity = Entity {
        seq: ids.next_seq(),
        version: ids.next_version(),
        fields,
    };
    company.insert(set, entity);
}

/// A new version (so a new etag) and `lastModifiedDateTime`.
pub fn mark(entity: &mut Entity, ids: &mut Ids, now: &str) {
    entity.version = ids.next_version();
    if entity.fields.contains_key("lastModifiedDateTime") {
        entity
            .fields
            .insert("lastModifiedDateTime".into(), json!(now));
    }
}
