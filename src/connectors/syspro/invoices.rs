//! AR invoices, read through COMFND on the ArInvoice table: which invoice a sales order became,
//! and which sales order an invoice came from. Payments (ARSTPY) and credit notes (ARSTIN) are
//! applied to invoices, while ferry writes sales orders; these lookups join the two.
//!
//! UNVERIFIED: the ArInvoice columns (`Invoice`, `DocumentType`, `Customer`, `SalesOrder`,
//! `InvoiceBal1`); they are the names in [`COLUMNS`], easy to correct.

use super::find::rows_where;
use super::session::Session;
use super::wire::refused;
use super::xml::Element;
use crate::connectors::ConnectorError;

pub const TABLE: &str = "ArInvoice";
/// The emulator serves the same columns.
pub const COLUMNS: &[&str] = &[
    "Invoice",
    "DocumentType",
    "Customer",
    "SalesOrder",
    "InvoiceDate",
    "Currency",
    "InvoiceValue",
    "InvoiceBal1",
];

async fn rows(session: &Session, column: &str, value: &str) -> Result<Vec<Element>, ConnectorError> {
    rows_where(session, TABLE, COLUMNS, (column, value), "Invoice", 10).await
}

/// The invoice (document type I) that `customer`'s sales order `order` became. A permanent
/// error naming `SalesOrder` when there is none yet: Syspro applies payments and credits to
/// invoices, and the record is replayed once the order is invoiced.
pub async fn of_order(
    session: &Session,
    endpoint: &str,
    customer: &str,
    order: &str,
) -> Result<String, ConnectorError> {
    let found = rows(session, "SalesOrder", order).await?;
    found
        .iter()
        .find(|row| row.text_of("DocumentType") == Some("I") && row.text_of("Customer") == Some(customer))
        .and_then(|row| row.text_of("Invoice"))
        .map(str::to_string)
        .ok_or_else(|| {
            refused(
                endpoint,
                Some("SalesOrder".into()),
                format!(
                    "sales order {order} of customer '{customer}' is not invoiced yet: Syspro applies a payment or a credit only to an invoice"
                ),
            )
        })
}

/// The sales order invoice `invoice` came from, if it came from one.
pub async fn order_of(session: &Session, invoice: &str) -> Result<Option<String>, ConnectorError> {
    let found = rows(session, "Invoice", invoice).await?;
    Ok(found
        .first()
        .and_then(|row| row.text_of("SalesOrder"))
        .map(str::to_string))
}
