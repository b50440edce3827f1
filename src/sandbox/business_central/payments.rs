//! `customerPaymentJournals({id})/Microsoft.NAV.post`: every customer payment of the journal is
//! posted, or none is. A payment debits the journal's balancing account and credits
//! receivables, in local currency; its customer ledger entry is applied to the invoice it names
//! (`appliesToInvoiceId`), whose remaining amount drops, and which is `Paid` once nothing is
//! left. A payment larger than the invoice leaves the rest open on the customer, as Business
//! Central does.
//!
//! API v2.0's customer payment has no currency: a payment applied to an invoice is in the
//! invoice's currency (the journal line takes the currency of the entry it applies to), any
//! other in the customer's.
//!
//! A payment with a negative amount is a refund: money paid back out of the customer's balance.
//! It debits receivables and credits the balancing account. Naming the invoice it refunds (which
//! may be closed) gives it that invoice's currency, and it is applied to the open credit memos
//! that correct that invoice, oldest first. (Business Central records this as a journal line of
//! document type Refund applied to the credit memo; API v2.0's customer payment has neither
//! field, so the sandbox reads the sign and the invoice.)

use axum::http::StatusCode;
use rust_decimal::Decimal;
use serde_json::Value;

use super::currency;
use super::error::{DIALOG, ODataError};
use super::ledger::{self, Posting, Receivable};
use super::posting::{check_balance, empty_field, nothing_to_post};
use super::schema::{
    CUSTOMER_PAYMENT_JOURNALS, CUSTOMER_PAYMENTS, CUSTOMERS, SALES_CREDIT_MEMOS, SALES_INVOICES,
};
use super::store::{Company, Ids};

/// One payment line, checked and ready to post.
struct Payment {
    line_id: String,
    customer_number: String,
    posting_date: String,
    document_number: String,
    external_document_number: String,
    description: String,
    currency: String,
    amount: Decimal,
    amount_lcy: Decimal,
    /// The invoice's number and the entry number of its open customer ledger entry.
    applies_to: Option<(String, i64)>,
    /// A refund: the invoice whose credit memos it pays out.
    refunds_invoice: Option<String>,
}

/// Posts the customer payment journal `journal_id`; its lines leave the journal.
pub fn post_payment_journal(
    company: &mut Company,
    ids: &mut Ids,
    journal_id: &str,
    now: &str,
) -> Result<(), ODataError> {
    let (batch, balancing) = company
        .find(&CUSTOMER_PAYMENT_JOURNALS, journal_id)
        .map(|j| {
            (
                j.text("code").to_string(),
                j.text("balancingAccountNumber").to_string(),
            )
        })
        .unwrap_or_default();
    let mut lines: Vec<_> = company
        .entities(&CUSTOMER_PAYMENTS)
        .filter(|l| l.text("journalId").eq_ignore_ascii_case(journal_id))
        .collect();
    if lines.is_empty() {
        return Err(nothing_to_post());
    }
    lines.sort_by_key(|l| l.fields.get("lineNumber").and_then(Value::as_i64));
    let mut payments = Vec::new();
    let mut postings = Vec::new();
    for line in lines {
        let test_field = |field: &str| empty_field(field, "CASHRCPT", &batch, line);
        let customer_number = line.text("customerNumber").to_string();
        if customer_number.is_empty() {
            return Err(test_field("Account No."));
        }
        if line.text("documentNumber").is_empty() {
            return Err(test_field("Document No."));
        }
        let amount = line.decimal("amount");
        if amount.is_zero() {
            return Err(test_field("Amount"));
        }
        let invoice_number = line.text("appliesToInvoiceNumber").to_string();
        let refund = amount.is_sign_negative();
        let refunded_invoice = (refund && !invoice_number.is_empty())
            .then(|| ledger::invoice_entry(company, &invoice_number))
            .flatten();
        let (currency, applies_to) = if let Some(invoice) = refunded_invoice {
            if invoice.text("customerNumber") != customer_number {
                return Err(ODataError::bad_request(format!(
                    "Invoice {invoice_number} belongs to customer {}, not to customer {customer_number}.",
                    invoice.text("customerNumber")
                )));
            }
            (invoice.text("currencyCode").to_string(), None)
        } else if invoice_number.is_empty() {
            let currency = company
                .find_by(&CUSTOMERS, "number", &customer_number)
                .map(|c| c.text("currencyCode").to_string())
                .unwrap_or_default();
            (currency, None)
        } else {
            let entry = ledger::open_invoice_entry(company, &invoice_number).ok_or_else(|| {
                ODataError::new(
                    StatusCode::BAD_REQUEST,
                    DIALOG,
                    format!(
                        "Invoice {invoice_number} has no open entry to apply the payment of line {} to.",
                        line.fields.get("lineNumber").and_then(Value::as_i64).unwrap_or(0)
                    ),
                )
            })?;
            if entry.text("customerNumber") != customer_number {
                return Err(ODataError::bad_request(format!(
                    "Invoice {invoice_number} belongs to customer {}, not to customer {customer_number}.",
                    entry.text("customerNumber")
                )));
            }
            let number = entry
                .fields
                .get("entryNumber")
                .and_then(Value::as_i64)
                .unwrap_or(0);
            (
                entry.text("currencyCode").to_string(),
                Some((invoice_number.clone(), number)),
            )
        };
        let amount_lcy = currency::to_lcy(amount, &currency);
        let payment = Payment {
            line_id: line.id().to_string(),
            customer_number,
            posting_date: line.text("postingDate").to_string(),
            document_number: line.text("documentNumber").to_string(),
            external_document_number: line.text("externalDocumentNumber").to_string(),
            description: line.text("description").to_string(),
            currency,
            amount,
            amount_lcy,
            applies_to,
            refunds_invoice: refunded_invoice.map(|_| invoice_number.clone()),
        };
        let posting = |account: &str, amount: Decimal| Posting {
            account_number: account.to_string(),
            posting_date: payment.posting_date.clone(),
            document_type: "Payment",
            document_number: payment.document_number.clone(),
            description: payment.description.clone(),
            amount,
        };
        postings.push(posting(ledger::RECEIVABLES, -amount_lcy));
        if !balancing.is_empty() {
            postings.push(posting(&balancing, amount_lcy));
        }
        payments.push(payment);
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
    ledger::write_postings(company, ids, &postings, now)?;
    for payment in payments {
        let entry = ledger::open_entry(
            company,
            ids,
            Receivable {
                customer_number: payment.customer_number.clone(),
                posting_date: payment.posting_date,
                document_type: "Payment",
                document_number: payment.document_number,
                external_document_number: payment.external_document_number,
                description: payment.description,
                currency: payment.currency.clone(),
                amount: -payment.amount,
                amount_lcy: -payment.amount_lcy,
            },
            now,
        );
        if let Some((invoice_number, invoice_entry)) = payment.applies_to {
            ledger::apply(company, ids, entry, invoice_entry, now);
            ledger::sync_document(company, ids, &SALES_INVOICES, &invoice_number, now);
        }
        if let Some(invoice_number) = payment.refunds_invoice {
            let memos = ledger::open_credit_memos_of(
                company,
                &payment.customer_number,
                &payment.currency,
                &invoice_number,
            );
            for (memo_entry, memo_number) in memos {
                ledger::apply(company, ids, memo_entry, entry, now);
                ledger::sync_document(company, ids, &SALES_CREDIT_MEMOS, &memo_number, now);
            }
        }
        ledger::refresh_balance(company, ids, &payment.customer_number, now);
        company.remove(&CUSTOMER_PAYMENTS, &payment.line_id);
    }
    Ok(())
}
