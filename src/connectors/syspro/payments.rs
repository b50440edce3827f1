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

use serde_json::{Map, Value};

use super::find::rows_where;
use super::invoices;
use super::schema::AR_PAYMENT;
use super::session::{Call, Session};
use super::values::{read_props, wire_text, write_field};
use super::wire::{bad_response, check_document, refused};
use super::xml::{self, Element, write_element};
use crate::connectors::{ConnectorError, TargetRecord};

const PARAMETERS: &str = include_str!("templates/arstpy_parameters.xml");
const DOCUMENT: &str = include_str!("templates/arstpy_document.xml");
const ENDPOINT: &str = "ARSTPY (Transaction/Post)";

const TABLE: &str = "ArInvoicePay";
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

/// Posts `payment` (its `Invoice`, else the invoice of its `SalesOrder`); the payment as Syspro
/// then holds it.
pub async fn post(session: &Session, payment: &Value) -> Result<TargetRecord, ConnectorError> {
    let text = |name: &str| payment.get(name).and_then(Value::as_str).filter(|t| !t.is_empty());
    let reference = text("Reference")
        .ok_or_else(|| refused(ENDPOINT, Some("Reference".into()), "`Reference` is required".into()))?;
    let customer = text("Customer")
        .ok_or_else(|| refused(ENDPOINT, Some("Customer".into()), "`Customer` is required".into()))?;
    let invoice = match (text("Invoice"), text("SalesOrder")) {
        (Some(invoice), _) => invoice.to_string(),
        (None, Some(order)) => invoices::of_order(session, ENDPOINT, customer, order).await?,
        (None, None) => {
            return Err(refused(
                ENDPOINT,
                Some("Invoice".into()),
                "a payment needs the `Invoice` it pays or the `SalesOrder` that was invoiced".into(),
            ));
        }
    };
    let (parameters, document) =
        arstpy_documents(payment, &invoice).map_err(|reason| refused(ENDPOINT, None, reason))?;
    let call = Call {
        method: "Transaction/Post",
        business_object: "ARSTPY",
        parameters: Some(&parameters),
        document: &document,
    };
    let root = session.run(&call).await?;
    check_document(ENDPOINT, &root)?;
    find_by(session, "Reference", reference).await?.ok_or_else(|| {
        bad_response(ENDPOINT, format!("payment `{reference}` is not on file after posting"))
    })
}

/// The payment whose `column` (`Reference`, or `Journal`: the payment's id, which Syspro
/// assigns) is `value`, if any: its rows summed (one per invoice it paid).
pub async fn find_by(
    session: &Session,
    column: &str,
    value: &str,
) -> Result<Option<TargetRecord>, ConnectorError> {
    let rows = rows_where(session, TABLE, COLUMNS, (column, value), "Invoice", 100).await?;
    let Some(mut record) = payment_record(&rows)? else {
        return Ok(None);
    };
    let id = record
        .get("Journal")
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| bad_response("COMFND (Query/Query)", "an ArInvoicePay row has no `Journal`"))?;
    if let Some(invoice) = record.get("Invoice").and_then(Value::as_str).map(str::to_string)
        && let Some(order) = invoices::order_of(session, &invoice).await?
    {
        record.insert("SalesOrder".into(), Value::String(order));
    }
    Ok(Some(TargetRecord {
        id,
        data: Value::Object(record),
        etag: None,
    }))
}

/// ArInvoicePay rows of one payment as one record: the first row's fields, the values summed.
pub fn payment_record(rows: &[Element]) -> Result<Option<Map<String, Value>>, ConnectorError> {
    let Some(first) = rows.first() else {
        return Ok(None);
    };
    let mut record = read_props(first, AR_PAYMENT);
    let mut total = rust_decimal::Decimal::ZERO;
    for row in rows {
        let text = row.text_of("PaymentValue").unwrap_or_default();
        total += text.parse::<rust_decimal::Decimal>().map_err(|_| {
            bad_response("COMFND (Query/Query)", format!("ArInvoicePay/PaymentValue '{text}' is not an amount"))
        })?;
    }
    let total = serde_json::from_str(&total.to_string())
        .map_err(|error| bad_response("COMFND (Query/Query)", error.to_string()))?;
    record.insert("PaymentValue".into(), Value::Number(total));
    Ok(Some(record))
}

#[cfg(test)]
mod tests {
    use super::*;
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
        let record = payment_record(&rows).unwrap().unwrap();
        assert_eq!(record["PaymentValue"].to_string(), "125.50");
        assert_eq!(record["Customer"], json!("C1"));
    }
}
