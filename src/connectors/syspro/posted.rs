//! What payments (ARSTPY) and credit notes (ARSTIN) share: each is posted against an invoice
//! (named, or the one a sales order became), and found again by its `Reference` or by the
//! `Journal` Syspro posted it in (its id) through COMFND on the table that records it. A posted
//! transaction is never drafted: a rerun finds it by reference and posts nothing again.

use rust_decimal::Decimal;
use serde_json::{Map, Value};

use super::find::rows_where;
use super::invoices;
use super::session::{Call, Session};
use super::values::read_props;
use super::wire::{bad_response, check_document, refused};
use super::xml::Element;
use crate::connectors::build::Prop;
use crate::connectors::{ConnectorError, TargetRecord};

/// A table of posted transactions, with the record fields its columns hold.
pub struct Posted {
    /// `ARSTPY (Transaction/Post)`, for errors.
    pub endpoint: &'static str,
    pub business_object: &'static str,
    pub table: &'static str,
    pub columns: &'static [&'static str],
    pub props: &'static [Prop],
    /// The amount column, summed over a transaction's rows (one per invoice it touched).
    pub amount: &'static str,
}

/// Who a transaction is for and what it is against.
pub struct Against {
    pub reference: String,
    pub customer: String,
    pub invoice: String,
}

impl Posted {
    /// The reference, customer and invoice of `fields` (its `Invoice`, else the invoice of its
    /// `SalesOrder`); an error naming the missing field otherwise.
    pub async fn against(&self, session: &Session, fields: &Value) -> Result<Against, ConnectorError> {
        let text = |name: &str| fields.get(name).and_then(Value::as_str).filter(|t| !t.is_empty());
        let required = |name: &str| {
            text(name).map(str::to_string).ok_or_else(|| {
                refused(self.endpoint, Some(name.into()), format!("`{name}` is required"))
            })
        };
        let (reference, customer) = (required("Reference")?, required("Customer")?);
        let invoice = match (text("Invoice"), text("SalesOrder")) {
            (Some(invoice), _) => invoice.to_string(),
            (None, Some(order)) => invoices::of_order(session, self.endpoint, &customer, order).await?,
            (None, None) => {
                return Err(refused(
                    self.endpoint,
                    Some("Invoice".into()),
                    "give the `Invoice` or the `SalesOrder` that was invoiced".into(),
                ));
            }
        };
        Ok(Against {
            reference,
            customer,
            invoice,
        })
    }

    /// Posts the documents, then reads the transaction back by `reference`.
    pub async fn post(
        &self,
        session: &Session,
        (parameters, document): (String, String),
        reference: &str,
    ) -> Result<TargetRecord, ConnectorError> {
        let call = Call {
            method: "Transaction/Post",
            business_object: self.business_object,
            parameters: Some(&parameters),
            document: &document,
        };
        let root = session.run(&call).await?;
        check_document(self.endpoint, &root)?;
        self.find_by(session, "Reference", reference).await?.ok_or_else(|| {
            bad_response(
                self.endpoint,
                format!("`{reference}` is not in {} after posting", self.table),
            )
        })
    }

    /// The transaction whose `column` (`Reference` or `Journal`) is `value`, if any, with the
    /// `SalesOrder` its invoice came from.
    pub async fn find_by(
        &self,
        session: &Session,
        column: &str,
        value: &str,
    ) -> Result<Option<TargetRecord>, ConnectorError> {
        let rows = rows_where(session, self.table, self.columns, (column, value), "Invoice", 100).await?;
        let Some(mut record) = self.record(&rows)? else {
            return Ok(None);
        };
        let id = record
            .get("Journal")
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| bad_response("COMFND (Query/Query)", format!("a {} row has no `Journal`", self.table)))?;
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

    /// The rows of one transaction as one record: the first row's fields, the amounts summed.
    pub fn record(&self, rows: &[Element]) -> Result<Option<Map<String, Value>>, ConnectorError> {
        let Some(first) = rows.first() else {
            return Ok(None);
        };
        let mut record = read_props(first, self.props);
        let mut total = Decimal::ZERO;
        for row in rows {
            let text = row.text_of(self.amount).unwrap_or_default();
            total += text.parse::<Decimal>().map_err(|_| {
                bad_response(
                    "COMFND (Query/Query)",
                    format!("{}/{} '{text}' is not an amount", self.table, self.amount),
                )
            })?;
        }
        let total = serde_json::from_str(&total.to_string())
            .map_err(|error| bad_response("COMFND (Query/Query)", error.to_string()))?;
        record.insert(self.amount.into(), Value::Number(total));
        Ok(Some(record))
    }
}
