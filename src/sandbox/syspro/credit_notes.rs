//! ARSTIN: AR credit notes, as Syspro's rules say.
//!
//! - `TransactionType` C; invoices (I) and debit notes (D) are not modelled and are refused.
//! - `Customer` on file; `InvoiceValue` positive with at most two decimals (Syspro negates a
//!   credit note itself, so a negative value is an error); `InvoiceDate` a date; `Reference`
//!   given.
//! - `PostToExistingInvoice` Y: `Invoice` is an invoice of that customer, and the credits
//!   posted to it cannot exceed its value; its balance goes down by the credit. N: a new credit
//!   note document under `Invoice` (which must be new), open for minus its value.
//! - The document is applied whole or not at all; errors sit in `<ErrorDescription>` in the
//!   item.
//! - Each credit note posts to the general ledger in the local currency (`ledger.rs`): sales
//!   debited, receivables control credited.

use indexmap::IndexMap;
use rust_decimal::Decimal;

use super::data::{ArInvoice, SysproData};
use super::invoices::adjust_balance;
use crate::connectors::syspro::xml::{Element, write_element};

/// Posts every `<Item>` of an ARSTIN document; the XmlOut.
pub fn post(data: &mut SysproData, document: &Element) -> String {
    let items: Vec<&Element> = document.children_named("Item").collect();
    let problems: Vec<Vec<String>> = items.iter().map(|item| check(data, item)).collect();
    let valid = !items.is_empty() && problems.iter().all(Vec::is_empty);
    let mut out = String::from("<PostArInvoices>");
    let (mut processed, mut invalid) = (0, 0);
    for (item, messages) in items.iter().zip(&problems) {
        out.push_str("<Item>");
        for name in ["Customer", "Invoice", "Reference"] {
            write_element(&mut out, name, item.text_of(name).unwrap_or_default());
        }
        for message in messages {
            write_element(&mut out, "ErrorDescription", message);
        }
        if valid {
            let journal = apply(data, item);
            write_element(&mut out, "Journal", &journal);
            processed += 1;
        } else if !messages.is_empty() {
            invalid += 1;
        }
        out.push_str("</Item>");
    }
    let counts = [("ItemsProcessed", processed), ("ItemsInvalid", invalid)];
    super::status::close(&mut out, "PostArInvoices", items.len(), &counts);
    out
}

fn credited(data: &SysproData, invoice: &str) -> Decimal {
    data.credits
        .iter()
        .filter(|row| row["Invoice"] == invoice)
        .filter_map(|row| row["InvoiceValue"].parse::<Decimal>().ok())
        .sum()
}

fn check(data: &SysproData, item: &Element) -> Vec<String> {
    let mut messages = Vec::new();
    let text = |name: &str| item.text_of(name).unwrap_or_default();
    match text("TransactionType") {
        "C" => {}
        "I" | "D" => messages.push(format!(
            "TransactionType '{}': the sandbox posts only credit notes (C)",
            text("TransactionType")
        )),
        other => messages.push(format!("TransactionType '{other}' is not I, D or C")),
    }
    let customer = text("Customer");
    if !data.customers.contains_key(customer) {
        messages.push(format!("Customer '{customer}' not on file"));
    }
    if text("Reference").is_empty() {
        messages.push("Reference is required".into());
    }
    if let Some(date) = item.text_of("InvoiceDate")
        && date.parse::<jiff::civil::Date>().is_err()
    {
        messages.push(format!("InvoiceDate '{date}' is not a valid date (YYYY-MM-DD)"));
    }
    let value = match text("InvoiceValue").parse::<Decimal>() {
        Ok(value) if value <= Decimal::ZERO => {
            messages.push(format!(
                "InvoiceValue '{value}' must be positive: Syspro negates a credit note itself"
            ));
            return messages;
        }
        Ok(value) if value.scale() > 2 => {
            messages.push(format!("InvoiceValue '{value}' has more than 2 decimals"));
            return messages;
        }
        Ok(value) => value,
        Err(_) => {
            messages.push(format!("InvoiceValue '{}' is not a number", text("InvoiceValue")));
            return messages;
        }
    };
    if let Err(reason) =
        super::ledger::to_local(data, &super::ledger::currency_of(data, customer), value)
    {
        messages.push(reason);
    }
    let invoice = text("Invoice");
    let existing = data.invoices.get(invoice);
    if text("PostToExistingInvoice") == "Y" {
        match existing {
            Some(found) if found.get("Customer") == customer && found.get("DocumentType") == "I" => {
                let open = found.get("InvoiceValue").parse::<Decimal>().unwrap_or_default()
                    - credited(data, invoice);
                if value > open {
                    messages.push(format!(
                        "InvoiceValue '{value}' is more than the '{open}' of invoice '{invoice}' not yet credited"
                    ));
                }
            }
            _ => messages.push(format!(
                "Invoice '{invoice}' not found for customer '{customer}'"
            )),
        }
    } else if invoice.is_empty() || existing.is_some() {
        messages.push(format!(
            "Invoice '{invoice}' must be a new document number when PostToExistingInvoice is not Y"
        ));
    }
    messages
}

/// Books a checked credit note; the journal number.
fn apply(data: &mut SysproData, item: &Element) -> String {
    let text = |name: &str| item.text_of(name).unwrap_or_default().to_string();
    let value = text("InvoiceValue").parse::<Decimal>().unwrap_or_default();
    let invoice = text("Invoice");
    let date = item
        .text_of("InvoiceDate")
        .map(str::to_string)
        .unwrap_or_else(|| jiff::Zoned::now().date().to_string());
    data.next_invoice_journal += 1;
    let journal = data.next_invoice_journal.to_string();
    match data.invoices.get_mut(&invoice) {
        Some(found) if text("PostToExistingInvoice") == "Y" => {
            let balance = found.balance() - value;
            found.set_balance(balance);
        }
        _ => {
            let mut fields = IndexMap::new();
            for (name, field) in [
                ("Invoice", invoice.clone()),
                ("DocumentType", "C".into()),
                ("Customer", text("Customer")),
                ("InvoiceDate", date.clone()),
                ("InvoiceValue", (-value).to_string()),
                ("InvoiceBal1", (-value).to_string()),
            ] {
                fields.insert(name.to_string(), field);
            }
            data.invoices.insert(invoice.clone(), ArInvoice { fields });
        }
    }
    let mut row = IndexMap::new();
    for (name, field) in [
        ("Reference", text("Reference")),
        ("Customer", text("Customer")),
        ("Invoice", invoice),
        ("TransactionType", "C".into()),
        ("InvoiceValue", value.to_string()),
        ("InvoiceDate", date.clone()),
        ("Journal", journal.clone()),
    ] {
        row.insert(name.to_string(), field);
    }
    data.credits.push(row);
    adjust_balance(data, &text("Customer"), -value);
    let currency = super::ledger::currency_of(data, &text("Customer"));
    // Checked: the currency has a rate.
    let local = super::ledger::to_local(data, &currency, value).unwrap_or_default();
    super::ledger::post(
        data,
        &text("Reference"),
        &date,
        &format!("AR credit note journal {journal}"),
        &[(super::ledger::SALES, local), (super::ledger::RECEIVABLES, -local)],
    );
    journal
}
