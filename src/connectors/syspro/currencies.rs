//! The currency table (TblCurrency through COMFND): the rates Syspro converts a customer's
//! currency into the company's local currency with, so a pipeline can book a foreign payout at
//! Syspro's own rate (`fetch(syspro.currencies, "USD")`).
//!
//! UNVERIFIED: TblCurrency's column names ([`COLUMNS`]), that `BuyExchangeRate` is the rate
//! Accounts Receivable converts money received at, and `MulDiv` (M: local = foreign x rate, D:
//! local = foreign / rate). The emulator serves the same columns.

use serde_json::Value;

use super::find::rows_where;
use super::schema::CURRENCY;
use super::session::Session;
use super::values::read_props;
use crate::connectors::{ConnectorError, TargetRecord};

pub const TABLE: &str = "TblCurrency";
pub const COLUMNS: &[&str] = &[
    "Currency",
    "Description",
    "BuyExchangeRate",
    "SellExchangeRate",
    "MulDiv",
];

/// The currency `code`, or `None` when Syspro has no such currency.
pub async fn get(session: &Session, code: &str) -> Result<Option<TargetRecord>, ConnectorError> {
    let rows = rows_where(session, TABLE, COLUMNS, ("Currency", code), "Currency", 1).await?;
    Ok(rows.first().map(|row| TargetRecord {
        id: code.to_string(),
        data: Value::Object(read_props(row, CURRENCY)),
        etag: None,
    }))
}
