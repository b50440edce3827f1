//! How the receivables post to the general ledger, and the currency table they convert with.
//!
//! Syspro keeps its general ledger in the company's local currency (AUD in the sandbox). An AR
//! invoice, credit note or payment in a customer's currency is converted at the currency table's
//! rate (`TblCurrency`: `BuyExchangeRate`, `MulDiv` M multiply or D divide, for amounts received)
//! and rounded to the cent, halves away from zero, once per document; the document's two sides
//! take the same converted amount, so every integration journal balances. The accounts are the
//! site's AR integration setup (the sandbox's stand-in: receivables control 1200, sales 4000, and
//! each bank's cash account).
//!
//! UNVERIFIED: TblCurrency's column names and which rate (buy or sell) AR uses; that Syspro
//! rounds each document once (rather than each line); the integration's journal rows are
//! GenTransaction rows like a GENTJL journal's.

use indexmap::IndexMap;
use rust_decimal::{Decimal, RoundingStrategy};

use super::data::SysproData;

/// The company's local currency: the general ledger's.
pub const LOCAL_CURRENCY: &str = "AUD";
/// Receivables control, debited by invoices and credited by payments and credit notes.
pub const RECEIVABLES: &str = "1200";
/// Sales, credited by invoices and debited by credit notes.
pub const SALES: &str = "4000";

/// TblCurrency's columns, as the connector reads them.
pub use crate::connectors::syspro::currencies::COLUMNS as CURRENCY_COLUMNS;

/// One row of the currency table.
pub fn currency_row(code: &str, description: &str, buy: &str, sell: &str, mul_div: &str) -> IndexMap<String, String> {
    CURRENCY_COLUMNS
        .iter()
        .zip([code, description, buy, sell, mul_div])
        .map(|(column, value)| (column.to_string(), value.to_string()))
        .collect()
}

/// `amount` of `currency` in the local currency at the rate for money received, to the cent;
/// why not, when the currency has no usable rate.
pub fn to_local(data: &SysproData, currency: &str, amount: Decimal) -> Result<Decimal, String> {
    let currency = if currency.is_empty() { LOCAL_CURRENCY } else { currency };
    if currency.eq_ignore_ascii_case(LOCAL_CURRENCY) {
        return Ok(amount);
    }
    let row = data
        .currency_table
        .get(&currency.to_ascii_uppercase())
        .ok_or_else(|| format!("Currency '{currency}' has no exchange rate"))?;
    let rate = row
        .get("BuyExchangeRate")
        .and_then(|r| r.parse::<Decimal>().ok())
        .filter(|r| *r > Decimal::ZERO)
        .ok_or_else(|| format!("Currency '{currency}' has no exchange rate"))?;
    let local = match row.get("MulDiv").map(String::as_str) {
        Some("D") => amount.checked_div(rate),
        _ => amount.checked_mul(rate),
    }
    .ok_or_else(|| format!("{amount} {currency} cannot be converted"))?;
    Ok(local.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero))
}

/// The currency of customer `code` (the local one when it has none).
pub fn currency_of(data: &SysproData, code: &str) -> String {
    match data.customers.get(code).map(|c| c.get("Currency")) {
        Some(currency) if !currency.is_empty() => currency.to_ascii_uppercase(),
        _ => LOCAL_CURRENCY.to_string(),
    }
}

/// Posts one integration journal: `(ledger code, signed local amount)` lines, debits positive,
/// that sum to zero; lines of zero are left out.
pub fn post(data: &mut SysproData, reference: &str, date: &str, comment: &str, lines: &[(&str, Decimal)]) {
    let lines: Vec<&(&str, Decimal)> = lines.iter().filter(|(_, amount)| !amount.is_zero()).collect();
    if lines.is_empty() {
        return;
    }
    data.next_gl_journal += 1;
    let journal = data.next_gl_journal.to_string();
    let (year, period) = match date.parse::<jiff::civil::Date>() {
        Ok(day) => (day.year().to_string(), day.month().to_string()),
        Err(_) => (String::new(), String::new()),
    };
    for (index, (code, amount)) in lines.into_iter().enumerate() {
        let mut row = IndexMap::new();
        for (name, value) in [
            ("GlJournal", journal.clone()),
            ("GlYear", year.clone()),
            ("GlPeriod", period.clone()),
            ("EntryNumber", (index + 1).to_string()),
            ("LedgerCode", code.to_string()),
            ("Reference", reference.to_string()),
            ("JournalDate", date.to_string()),
            ("EntryAmount", amount.to_string()),
            ("Comment", comment.to_string()),
        ] {
            row.insert(name.to_string(), value);
        }
        data.gl.push(row);
    }
}
