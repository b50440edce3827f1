//! ARSTPY: AR payments posted and applied to invoices, as Syspro's rules say.
//!
//! - `Customer` must be on file, `JournalNotation` given, `PaymentValue` not zero with at most
//!   two decimals, `PaymentDate` a date (today when left out), `Bank` a bank on file (the
//!   operator's default bank when left out).
//! - Each `InvoiceToPay` must name an invoice of that customer, of its `TransactionType`, and its
//!   `GrossPaymentValue` cannot exceed the invoice's balance.
//! - A negative payment is money paid back to the customer (a refund): each of its
//!   `GrossPaymentValue`s is negative too and cannot exceed the credit open on its document
//!   (a negative balance, left by a credit note); the balance goes back up towards zero.
//! - Each payment posts to the general ledger in the local currency (`ledger.rs`): the bank's
//!   cash account debited, receivables control credited (the other way round for a refund).
//! - `AutoCorrectPaymentValue`: N (the default) refuses a payment not distributed in full, Y
//!   makes the payment what was distributed, U keeps the remainder as an unapplied payment on a
//!   generated `_CRDnn` document.
//! - The document is applied whole or not at all (`ApplyIfEntireDocumentValid`); each error sits
//!   in an `<ErrorDescription>` next to the element at fault. Adjustments and miscellaneous
//!   receipts are not modelled and are refused.

use indexmap::IndexMap;
use rust_decimal::Decimal;

use super::data::{ArInvoice, SysproData};
use super::invoices::adjust_balance;
use crate::connectors::syspro::xml::{Element, write_element};

/// One payment as checked: what it applies, and the errors of its `Payment` and of each
/// `InvoiceToPay`.
struct Checked {
    customer: String,
    reference: String,
    date: String,
    bank: String,
    payment_type: String,
    value: Decimal,
    /// The value in the local currency, and the bank's cash account.
    local: Decimal,
    cash_account: String,
    applied: Vec<(String, Decimal)>,
    unapplied: Decimal,
    payment_errors: Vec<String>,
    invoice_errors: Vec<(String, Vec<String>)>,
}

impl Checked {
    fn is_valid(&self) -> bool {
        self.payment_errors.is_empty() && self.invoice_errors.iter().all(|(_, e)| e.is_empty())
    }
}

/// Posts every `<Item><Payment>` of an ARSTPY document; the XmlOut.
pub fn post(data: &mut SysproData, parameters: Option<&Element>, document: &Element) -> String {
    let auto_correct = parameters
        .and_then(|p| p.at(&["Parameters", "AutoCorrectPaymentValue"]))
        .map(|e| e.text.to_ascii_uppercase())
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| "N".into());
    let mut out = String::from("<PostArPayment>");
    if !["N", "Y", "U"].contains(&auto_correct.as_str()) {
        out.push_str("<Parameters>");
        write_element(
            &mut out,
            "ErrorDescription",
            &format!("AutoCorrectPaymentValue '{auto_correct}' is not N, Y or U"),
        );
        out.push_str("</Parameters>");
        finish(&mut out, 1, 0, 1);
        return out;
    }
    let items: Vec<&Element> = document.children_named("Item").collect();
    let checked: Vec<Option<Checked>> = items
        .iter()
        .map(|item| item.child("Payment").map(|p| check(data, p, &auto_correct)))
        .collect();
    let all_valid = !items.is_empty() && checked.iter().all(|c| c.as_ref().is_some_and(Checked::is_valid));
    let (mut processed, mut invalid) = (0, 0);
    for (item, checked) in items.iter().zip(&checked) {
        out.push_str("<Item>");
        match checked {
            None => {
                let what = item.children.first().map(|c| c.name.as_str()).unwrap_or("nothing");
                write_element(
                    &mut out,
                    "ErrorDescription",
                    &format!("Item holds {what}; the sandbox posts only Payment"),
                );
                invalid += 1;
            }
            Some(payment) => {
                out.push_str("<Payment>");
                write_element(&mut out, "Customer", &payment.customer);
                write_element(&mut out, "Reference", &payment.reference);
                for message in &payment.payment_errors {
                    write_element(&mut out, "ErrorDescription", message);
                }
                for (invoice, messages) in payment.invoice_errors.iter().filter(|(_, m)| !m.is_empty()) {
                    out.push_str("<InvoiceToPay>");
                    write_element(&mut out, "Invoice", invoice);
                    for message in messages {
                        write_element(&mut out, "ErrorDescription", message);
                    }
                    out.push_str("</InvoiceToPay>");
                }
                out.push_str("</Payment>");
                if all_valid {
                    let journal = apply(data, payment);
                    write_element(&mut out, "Journal", &journal);
                    processed += 1;
                } else if !payment.is_valid() {
                    invalid += 1;
                }
            }
        }
        out.push_str("</Item>");
    }
    finish(&mut out, items.len(), processed, invalid);
    out
}

fn finish(out: &mut String, items: usize, processed: usize, invalid: usize) {
    let counts = [("ItemsProcessed", processed), ("ItemsInvalid", invalid)];
    super::status::close(out, "PostArPayment", items, &counts);
}

/// A non-zero amount of at most two decimals; refunds are negative.
fn amount(messages: &mut Vec<String>, name: &str, text: Option<&str>) -> Decimal {
    let Some(text) = text else {
        messages.push(format!("{name} is required"));
        return Decimal::ZERO;
    };
    match text.parse::<Decimal>() {
        Ok(value) if value.is_zero() => {
            messages.push(format!("{name} '{text}' must not be zero"));
            Decimal::ZERO
        }
        Ok(value) if value.scale() > 2 => {
            messages.push(format!("{name} '{text}' has more than 2 decimals"));
            Decimal::ZERO
        }
        Ok(value) => value,
        Err(_) => {
            messages.push(format!("{name} '{text}' is not a number"));
            Decimal::ZERO
        }
    }
}

fn check(data: &SysproData, payment: &Element, auto_correct: &str) -> Checked {
    let text = |name: &str| payment.text_of(name).unwrap_or_default().to_string();
    let customer = text("Customer");
    let mut errors = Vec::new();
    if customer.is_empty() {
        errors.push("Customer is required".to_string());
    } else if !data.customers.contains_key(&customer) {
        errors.push(format!("Customer '{customer}' not on file"));
    }
    if payment.text_of("JournalNotation").is_none() {
        errors.push("JournalNotation is required".into());
    }
    let mut value = amount(&mut errors, "PaymentValue", payment.text_of("PaymentValue"));
    let date = match payment.text_of("PaymentDate") {
        None => jiff::Zoned::now().date().to_string(),
        Some(date) if date.parse::<jiff::civil::Date>().is_err() => {
            errors.push(format!("PaymentDate '{date}' is not a valid date (YYYY-MM-DD)"));
            date.to_string()
        }
        Some(date) => date.to_string(),
    };
    let payment_type = match payment.text_of("PaymentType").unwrap_or("C") {
        kind @ ("C" | "S" | "O") => kind.to_string(),
        other => {
            errors.push(format!("PaymentType '{other}' is not C, S or O"));
            other.to_string()
        }
    };
    let mut applied = Vec::new();
    let mut invoice_errors = Vec::new();
    for to_pay in payment.children_named("InvoiceToPay") {
        let invoice = to_pay.text_of("Invoice").unwrap_or_default().to_string();
        let mut messages = Vec::new();
        let kind = to_pay.text_of("TransactionType").unwrap_or("I");
        if !["I", "C", "D"].contains(&kind) {
            messages.push(format!("TransactionType '{kind}' is not I, C or D"));
        }
        let gross = amount(&mut messages, "GrossPaymentValue", to_pay.text_of("GrossPaymentValue"));
        if !gross.is_zero() && !value.is_zero() && gross.is_sign_negative() != value.is_sign_negative() {
            messages.push(format!(
                "GrossPaymentValue '{gross}' and PaymentValue '{value}' must have the same sign"
            ));
        }
        match data.invoices.get(&invoice) {
            Some(found) if found.get("Customer") == customer && found.get("DocumentType") == kind => {
                let already: Decimal = applied.iter().filter(|(i, _)| *i == invoice).map(|(_, v)| *v).sum();
                if gross > Decimal::ZERO && gross + already > found.balance() {
                    messages.push(format!(
                        "GrossPaymentValue '{gross}' exceeds the balance '{}' of invoice '{invoice}'",
                        found.balance()
                    ));
                }
                // A refund pays out a credit: no more than the credit open on the document.
                let credit = (Decimal::ZERO - found.balance()).max(Decimal::ZERO);
                if gross < Decimal::ZERO && -(gross + already) > credit {
                    messages.push(format!(
                        "GrossPaymentValue '{gross}' exceeds the credit '{credit}' open on invoice '{invoice}'"
                    ));
                }
            }
            _ => messages.push(format!(
                "Invoice '{invoice}' of type '{kind}' not found for customer '{customer}'"
            )),
        }
        applied.push((invoice.clone(), gross));
        invoice_errors.push((invoice, messages));
    }
    let distributed: Decimal = applied.iter().map(|(_, v)| *v).sum();
    let mut unapplied = Decimal::ZERO;
    if errors.is_empty() && distributed != value {
        match auto_correct {
            "Y" => value = distributed,
            "U" if Decimal::ZERO < distributed && distributed < value => unapplied = value - distributed,
            _ => errors.push(format!(
                "PaymentValue '{value}' is not fully distributed: '{distributed}' is applied to invoices"
            )),
        }
    }
    let bank = match payment.text_of("Bank") {
        Some(bank) if !bank.is_empty() => bank.to_string(),
        _ => data.default_bank.clone(),
    };
    let cash_account = match data.banks.get(&bank) {
        Some(code) => code.clone(),
        None => {
            errors.push(format!("Bank '{bank}' not on file"));
            String::new()
        }
    };
    let local = match super::ledger::to_local(data, &super::ledger::currency_of(data, &customer), value) {
        Ok(local) => local,
        Err(reason) => {
            errors.push(reason);
            Decimal::ZERO
        }
    };
    Checked {
        customer,
        reference: text("Reference"),
        date,
        bank,
        payment_type,
        value,
        local,
        cash_account,
        applied,
        unapplied,
        payment_errors: errors,
        invoice_errors,
    }
}

/// Applies a checked payment: invoice balances down, one ArInvoicePay row per invoice, the
/// customer's balance down. The journal number.
fn apply(data: &mut SysproData, payment: &Checked) -> String {
    data.next_payment_journal += 1;
    let journal = data.next_payment_journal.to_string();
    let mut applied = payment.applied.clone();
    if !payment.unapplied.is_zero() {
        let number = format!(
            "_CRD{:02}",
            data.invoices.keys().filter(|k| k.starts_with("_CRD")).count() + 1
        );
        let mut fields = IndexMap::new();
        for (name, value) in [
            ("Invoice", number.clone()),
            ("DocumentType", "P".to_string()),
            ("Customer", payment.customer.clone()),
            ("InvoiceDate", payment.date.clone()),
            ("InvoiceValue", Decimal::ZERO.to_string()),
            ("InvoiceBal1", Decimal::ZERO.to_string()),
        ] {
            fields.insert(name.to_string(), value);
        }
        data.invoices.insert(number.clone(), ArInvoice { fields });
        applied.push((number, payment.unapplied));
    }
    for (invoice, gross) in applied {
        if let Some(found) = data.invoices.get_mut(&invoice) {
            let balance = found.balance() - gross;
            found.set_balance(balance);
        }
        let mut row = IndexMap::new();
        for (name, value) in [
            ("Reference", payment.reference.clone()),
            ("Customer", payment.customer.clone()),
            ("Invoice", invoice),
            ("PaymentValue", gross.to_string()),
            ("PaymentDate", payment.date.clone()),
            ("Bank", payment.bank.clone()),
            ("PaymentType", payment.payment_type.clone()),
            ("Journal", journal.clone()),
        ] {
            row.insert(name.to_string(), value);
        }
        data.payments.push(row);
    }
    adjust_balance(data, &payment.customer, -payment.value);
    // The money into the bank, out of receivables (a refund's the other way: its value is
    // negative).
    super::ledger::post(
        data,
        &payment.reference,
        &payment.date,
        &format!("AR payment journal {journal}"),
        &[
            (payment.cash_account.as_str(), payment.local),
            (super::ledger::RECEIVABLES, -payment.local),
        ],
    );
    journal
}
