//! `Microsoft.NAV.post` on a draft sales invoice or credit memo: the document opens, its amounts
//! go to the general ledger in local currency at the currency's exchange rate, and a customer
//! ledger entry in the document's currency holds what is left to pay. A credit memo whose
//! `invoiceId` names an invoice with an open entry is applied to it.

use rust_decimal::Decimal;
use serde_json::Value;

use super::currency;
use super::error::{INVALID_TABLE_RELATION, ODataError};
use super::ledger::{self, Posting, Receivable};
use super::rules::lines_of;
use super::schema::{EntitySet, SALES_CREDIT_MEMOS, SALES_INVOICES};
use super::store::Company;
use super::store::Ids;
use axum::http::StatusCode;

/// Posts the draft document `id` of `set`.
pub fn post_document(
    company: &mut Company,
    ids: &mut Ids,
    set: &EntitySet,
    id: &str,
    now: &str,
) -> Result<(), ODataError> {
    let Some(line_set) = lines_of(set) else {
        return Err(ODataError::not_found(
            "The action Microsoft.NAV.post is not bound to this entity set.",
        ));
    };
    let Some(document) = company.find(set, id) else {
        return Err(ODataError::not_found(
            "The specified document was not found.",
        ));
    };
    if document.text("status") != "Draft" {
        return Err(ODataError::bad_request(format!(
            "The document {} has already been posted.",
            document.text("number")
        )));
    }
    if document.text("customerNumber").is_empty() {
        return Err(ODataError::bad_request(
            "Sell-to Customer No. must have a value in Sales Header.",
        ));
    }
    let credit = set.name == SALES_CREDIT_MEMOS.name;
    let lines: Vec<(String, Decimal)> = company
        .entities(line_set)
        .filter(|l| {
            l.text("documentId").eq_ignore_ascii_case(id) && !l.decimal("quantity").is_zero()
        })
        .map(|l| {
            let account = match (l.text("lineType"), credit) {
                ("Account", _) => l.text("lineObjectNumber").to_string(),
                (_, false) => ledger::SALES.to_string(),
                (_, true) => ledger::SALES_RETURNS.to_string(),
            };
            (account, l.decimal("amountExcludingTax"))
        })
        .collect();
    if lines.is_empty() {
        return Err(ODataError::bad_request("There is nothing to post."));
    }
    let code = currency::shown(document.text("currencyCode")).to_string();
    if currency::rate(&code).is_none() {
        return Err(ODataError::new(
            StatusCode::BAD_REQUEST,
            INVALID_TABLE_RELATION,
            format!(
                "The field Currency Code of table Sales Header contains a value ({code}) that cannot be found in the related table (Currency)."
            ),
        ));
    }
    let number = document.text("number").to_string();
    let customer_number = document.text("customerNumber").to_string();
    let posting_date = document.text("postingDate").to_string();
    let external = document.text("externalDocumentNumber").to_string();
    let invoice_number = document.text("invoiceNumber").to_string();
    let total = document.decimal("totalAmountIncludingTax");
    let total_lcy = currency::to_lcy(total, &code);
    let tax_lcy = currency::to_lcy(document.decimal("totalTaxAmount"), &code);
    let (document_type, description) = if credit {
        ("Credit Memo", format!("Credit Memo {number}"))
    } else {
        ("Invoice", format!("Invoice {number}"))
    };
    // Revenue per line, the rounding (and any document discount) on the largest line, so that
    // the document balances in local currency.
    let mut revenue: Vec<(String, Decimal)> = lines
        .iter()
        .map(|(account, net)| (account.clone(), currency::to_lcy(*net, &code)))
        .collect();
    let rest = total_lcy - tax_lcy - revenue.iter().map(|(_, a)| *a).sum::<Decimal>();
    if let Some(largest) = revenue.iter_mut().max_by_key(|(_, a)| a.abs()) {
        largest.1 += rest;
    }
    let sign = if credit { -Decimal::ONE } else { Decimal::ONE };
    let posting = |account: &str, amount: Decimal| Posting {
        account_number: account.to_string(),
        posting_date: posting_date.clone(),
        document_type,
        document_number: number.clone(),
        description: description.clone(),
        amount: sign * amount,
    };
    let mut postings = vec![posting(ledger::RECEIVABLES, total_lcy)];
    postings.extend(
        revenue
            .iter()
            .filter(|(_, amount)| !amount.is_zero())
            .map(|(account, amount)| posting(account, -*amount)),
    );
    if !tax_lcy.is_zero() {
        postings.push(posting(ledger::SALES_TAX, -tax_lcy));
    }
    // The invoice a credit memo settles, when it still has something left to pay.
    let settles = match credit && !invoice_number.is_empty() {
        true => ledger::open_invoice_entry(company, &invoice_number).map(|entry| {
            (
                entry.fields.get("entryNumber").and_then(Value::as_i64),
                currency::shown(entry.text("currencyCode")).to_string(),
            )
        }),
        false => None,
    };
    if let Some((_, invoice_currency)) = &settles
        && *invoice_currency != code
    {
        return Err(ODataError::bad_request(format!(
            "The currency of Credit Memo {number} ({code}) must be equal to the currency of Invoice {invoice_number} ({invoice_currency}) it is applied to."
        )));
    }
    ledger::write_postings(company, ids, &postings, now)?;
    let entry = ledger::open_entry(
        company,
        ids,
        Receivable {
            customer_number: customer_number.clone(),
            posting_date: posting_date.clone(),
            document_type,
            document_number: number.clone(),
            external_document_number: external,
            description,
            currency: code,
            amount: sign * total,
            amount_lcy: sign * total_lcy,
        },
        now,
    );
    if let Some(document) = company.find_mut(set, id) {
        document
            .fields
            .insert("status".into(), Value::String("Open".into()));
        ledger::mark(document, ids, now);
    }
    ledger::sync_document(company, ids, set, &number, now);
    if let Some((Some(invoice_entry), _)) = settles {
        ledger::apply(company, ids, entry, invoice_entry, now);
        ledger::sync_document(company, ids, &SALES_INVOICES, &invoice_number, now);
        ledger::sync_document(company, ids, set, &number, now);
    }
    ledger::refresh_balance(company, ids, &customer_number, now);
    Ok(())
}
