//! AR payments: posted with ARSTPY (Transaction/Post), each applied in full to one invoice (the
//! invoice a sales order became, or one named), and found again by their `Reference` or by the
//! `Journal` Syspro posted them in (their id) through COMFND on the ArInvoicePay table (one row
//! per invoice a payment paid).
//!
//! A payment is posted, not saved: Syspro keeps no draft to look at, so a payment whose answer
//! was lost is found by its reference before it is posted again (`match on Reference`), and a
//! posted payment is never changed (a reversal is a Syspro user's decision).
//!
//! UNVERIFIED: ArInvoicePay's columns as named in [`COLUMNS`], and ARSTPY's XmlOut (read only for
//! its errors and counts).

use serde_json::Value;

use super::posted::Posted;
use super::schema::AR_PAYMENT;
use super::session::Session;
use super::values::{wire_text, write_field};
use super::wire::refused;
use super::xml::{self, write_element};
use crate::connectors::{ConnectorError, TargetRecord};

const PARAMETERS: &str = include_str!("templates/arstpy_parameters.xml");
const DOCUMENT: &str = include_str!("templates/arstpy_document.xml");
const ENDPOINT: &str = "ARSTPY (Transaction/Post)";

/// The emulator serves the same columns.
pub const COLUMNS: &[&str] = &[
    "Reference",
    "Customer",
    "Invoice",
    "PaymentValue",
    "PaymentDate",
    "Bank",
    "PaymentType",
    "Journal",
];

/// ARSTPY's XmlParameters and XmlIn for `payment`, applied in full to `invoice`.
pub fn arstpy_documents(payment: &Value, invoice: &str) -> Result<(String, String), String> {
    let mut elements = String::new();
    for name in ["Customer", "PaymentValue", "Reference", "PaymentDate", "Bank", "PaymentType"] {
        write_field(&mut elements, payment, name, name)?;
    }
    // Syspro requires a journal notation; the reference says where the money came from.
    write_field(&mut elements, payment, "Reference", "JournalNotation")?;
    let value = payment
        .get("PaymentValue")
        .map(wire_text)
        .transpose()?
        .flatten()
        .ok_or("`PaymentValue` is required")?;
    let mut to_pay = String::from("<InvoiceToPay>");
    write_element(&mut to_pay, "TransactionType", "I");
    write_element(&mut to_pay, "Invoice", invoice);
    write_element(&mut to_pay, "GrossPaymentValue", &value);
    to_pay.push_str("</InvoiceToPay>");
    let document = xml::fill(DOCUMENT, &[("payment", &elements), ("invoice_to_pay", &to_pay)]);
    Ok((PARAMETERS.to_string(), document))
}

/// ArInvoicePay, where posted payments are found.
pub const PAYMENTS: Posted = Posted {
    endpoint: ENDPOINT,
    business_object: "ARSTPY",
    table: "ArInvoicePay",
    columns: COLUMNS,
    props: AR_PAYMENT,
    amount: "PaymentValue",
};

/// Posts `payment` (its `Invoice`, else the invoice of its `SalesOrder`); the payment as Syspro
/// then holds it.
pub async fn post(session: &Session, payment: &Value) -> Result<TargetRecord, ConnectorError> {
    let against = PAYMENTS.against(session, payment).await?;
    let documents = arstpy_documents(payment, &against.invoice)
        .map_err(|reason| refused(ENDPOINT, None, reason))?;
    PAYMENTS.post(session, documents, &against.reference).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connectors::syspro::xml::Element;
    use serde_json::json;

    #[test]
    fn a_payment_becomes_an_arstpy_document_applied_to_its_invoice() {
        let payment = json!({"Customer": "0000123", "PaymentValue": 125.50, "Reference": "ch_1 & co",
            "PaymentDate": "2025-11-24", "SalesOrder": "000101"});
        let (parameters, document) = arstpy_documents(&payment, "001001").unwrap();
        let parameters = xml::parse(&parameters).unwrap();
        assert_eq!(parameters.at(&["Parameters"]).unwrap().text_of("AutoCorrectPaymentValue"), Some("N"));
        let root = xml::parse(&document).unwrap();
        let payment = root.at(&["Item", "Payment"]).unwrap();
        assert_eq!(payment.text_of("JournalNotation"), Some("ch_1 & co"));
        assert_eq!(payment.text_of("SalesOrder"), None, "not an ARSTPY element");
        let to_pay = payment.child("InvoiceToPay").unwrap();
        assert_eq!(to_pay.text_of("Invoice"), Some("001001"));
        assert_eq!(to_pay.text_of("GrossPaymentValue"), Some("125.5"));
    }

    #[test]
    fn rows_of_one_payment_sum_to_its_value() {
        let rows: Vec<Element> = ["60.25", "65.25"]
            .iter()
            .map(|v| xml::parse(&format!("<Row><Reference>ch_1</Reference><Customer>C1</Customer><PaymentValue>{v}</PaymentValue></Row>")).unwrap())
            .collect();
        let record = PAYMENTS.record(&rows).unwrap().unwrap();
        assert_eq!(record["PaymentValue"].to_string(), "125.50");
        assert_eq!(record["Customer"], json!("C1"));
    }
}
