//! AR credit notes for refunds: posted with ARSTIN (Transaction/Post), TransactionType C,
//! against the invoice a charge's sales order became (`PostToExistingInvoice` Y), so that
//! invoice's balance goes down by the credit.
//!
//! Why ARSTIN and not SORTCI or SORTCH (sales order credit notes): ferry's orders carry one
//! miscellaneous charge line and no dispatch notes, while SORTCI credits an invoice's dispatch
//! lines by line number and SORTCH opens a credit note order that still has to be invoiced. A
//! Stripe refund is an amount (often part of the charge), which is what an AR credit note is:
//! nothing goes back into stock, and the credit is booked at once.
//!
//! UNVERIFIED: where Syspro records a credit posted to an existing invoice; ferry finds it in
//! the ArTrnDetail table by the columns in [`COLUMNS`]. ARSTIN's XmlOut is read only for its
//! errors and counts.

use serde_json::Value;

use super::posted::Posted;
use super::schema::AR_CREDIT_NOTE;
use super::session::Session;
use super::values::write_field;
use super::wire::refused;
use super::xml::{self, write_element};
use crate::connectors::{ConnectorError, TargetRecord};

const PARAMETERS: &str = include_str!("templates/arstin_parameters.xml");
const DOCUMENT: &str = include_str!("templates/arstin_document.xml");
const ENDPOINT: &str = "ARSTIN (Transaction/Post)";

/// The emulator serves the same columns.
pub const COLUMNS: &[&str] = &[
    "Reference",
    "Customer",
    "Invoice",
    "TransactionType",
    "InvoiceValue",
    "InvoiceDate",
    "Journal",
];

/// ArTrnDetail, where posted credit notes are found.
pub const CREDIT_NOTES: Posted = Posted {
    endpoint: ENDPOINT,
    business_object: "ARSTIN",
    table: "ArTrnDetail",
    columns: COLUMNS,
    props: AR_CREDIT_NOTE,
    amount: "InvoiceValue",
};

/// ARSTIN's XmlParameters and XmlIn for a credit of `credit`'s InvoiceValue against `invoice`.
pub fn arstin_documents(credit: &Value, invoice: &str) -> Result<(String, String), String> {
    let mut item = String::new();
    write_element(&mut item, "TransactionType", "C");
    write_field(&mut item, credit, "Customer", "Customer")?;
    write_element(&mut item, "PostToExistingInvoice", "Y");
    write_element(&mut item, "Invoice", invoice);
    for name in ["InvoiceDate", "Reference", "InvoiceValue"] {
        write_field(&mut item, credit, name, name)?;
    }
    Ok((PARAMETERS.to_string(), xml::fill(DOCUMENT, &[("item", &item)])))
}

/// Posts `credit` against its invoice; the credit note as Syspro then holds it.
pub async fn post(session: &Session, credit: &Value) -> Result<TargetRecord, ConnectorError> {
    let against = CREDIT_NOTES.against(session, credit).await?;
    let documents = arstin_documents(credit, &against.invoice)
        .map_err(|reason| refused(ENDPOINT, None, reason))?;
    CREDIT_NOTES.post(session, documents, &against.reference).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_refund_becomes_a_credit_note_on_the_existing_invoice() {
        let credit = json!({"Reference": "re_1", "Customer": "0000123", "InvoiceValue": 25.50,
            "InvoiceDate": "2025-11-24", "SalesOrder": "000101"});
        let (_, document) = arstin_documents(&credit, "001001").unwrap();
        let item = xml::parse(&document).unwrap().child("Item").cloned().unwrap();
        assert_eq!(item.text_of("TransactionType"), Some("C"));
        assert_eq!(item.text_of("PostToExistingInvoice"), Some("Y"));
        assert_eq!(item.text_of("Invoice"), Some("001001"));
        assert_eq!(item.text_of("InvoiceValue"), Some("25.5"));
        assert_eq!(item.text_of("SalesOrder"), None, "not an ARSTIN element");
    }
}
