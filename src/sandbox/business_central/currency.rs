//! Currencies: the company's local currency (LCY) and the foreign currencies set up with their
//! exchange rates.
//!
//! In Business Central the local currency has no Currency record: a document or customer in LCY
//! has a blank currency code, which API v2.0 shows as the General Ledger Setup's LCY code and
//! takes back from it (`Graph Mgt - General Tools`, `TranslateNAVCurrencyCodeToCurrencyCode` and
//! `TranslateCurrencyCodeToNAVCurrencyCode`). The sandbox stores the code as the API shows it, so
//! `""` and `"AUD"` both read back as `"AUD"`. Any other code must be a Currency record, or the
//! write is refused as a table relation is.
//!
//! A customer's currency may be changed while it has entries: it is only the default for new
//! documents, and each ledger entry keeps its own currency (NAV/Business Central help for the
//! Customer card's Currency Code: "You can change the customer's default currency as
//! necessary"). So the sandbox refuses only a code that is not set up, not the change; the
//! shipped flows never change it (`only on create currencyCode`).
//!
//! The sandbox's exchange rates are fixed here, and served as API v2.0's `currencyExchangeRates`
//! (one rate per currency, relative to the local currency) so pipelines convert as it posts.

use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::{Map, Value};

use super::error::{INVALID_TABLE_RELATION, ODataError};
use axum::http::StatusCode;

/// The local currency (General Ledger Setup's LCY Code).
pub const LCY: &str = "AUD";

/// A currency set up in the company: code, name, symbol, decimal places, and the exchange
/// rate as LCY per unit (the Currency Exchange Rate's `Relational Exch. Rate Amount` over its
/// `Exchange Rate Amount`).
pub struct Currency {
    pub code: &'static str,
    pub name: &'static str,
    pub symbol: &'static str,
    pub decimals: u32,
    /// Australian dollars for one unit of the currency, as text so it stays exact.
    pub rate: &'static str,
}

pub const CURRENCIES: &[Currency] = &[
    currency("NZD", "New Zealand dollar", "$", 2, "0.9120"),
    currency("USD", "US dollar", "$", 2, "1.5240"),
    currency("GBP", "Pound sterling", "£", 2, "1.9310"),
    currency("EUR", "Euro", "€", 2, "1.6480"),
    currency("CAD", "Canadian dollar", "$", 2, "1.1050"),
    currency("SGD", "Singapore dollar", "$", 2, "1.1470"),
    currency("JPY", "Japanese yen", "¥", 0, "0.010150"),
    currency("KWD", "Kuwaiti dinar", "KD", 3, "4.9560"),
];

const fn currency(
    code: &'static str,
    name: &'static str,
    symbol: &'static str,
    decimals: u32,
    rate: &'static str,
) -> Currency {
    Currency {
        code,
        name,
        symbol,
        decimals,
        rate,
    }
}

/// The code as the API shows it: blank is the local currency.
pub fn shown(code: &str) -> &str {
    if code.is_empty() { LCY } else { code }
}

/// LCY per unit of `code`: 1 for the local currency, `None` for a code not set up.
pub fn rate(code: &str) -> Option<Decimal> {
    let code = shown(code);
    if code.eq_ignore_ascii_case(LCY) {
        return Some(Decimal::ONE);
    }
    CURRENCIES
        .iter()
        .find(|c| c.code.eq_ignore_ascii_case(code))
        .and_then(|c| c.rate.parse().ok())
}

/// `amount` in `code` as local currency, rounded to cents.
pub fn to_lcy(amount: Decimal, code: &str) -> Decimal {
    let rate = rate(code).unwrap_or(Decimal::ONE);
    (amount * rate).round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

/// Checks and normalises the `currencyCode` of a record of `table` (`Customer`, `Sales Header`):
/// upper case, the local currency as [`LCY`], anything else a currency set up here.
pub fn validate(fields: &mut Map<String, Value>, table: &str) -> Result<(), ODataError> {
    let Some(code) = fields.get("currencyCode").and_then(Value::as_str) else {
        return Ok(());
    };
    let code = shown(code).to_ascii_uppercase();
    if rate(&code).is_none() {
        return Err(ODataError::new(
            StatusCode::BAD_REQUEST,
            INVALID_TABLE_RELATION,
            format!(
                "The field Currency Code of table {table} contains a value ({code}) that cannot be found in the related table (Currency)."
            ),
        ));
    }
    fields.insert("currencyCode".into(), Value::String(code));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_local_currency_is_blank_or_its_code_and_others_convert_at_their_rate() {
        assert_eq!(rate(""), Some(Decimal::ONE));
        assert_eq!(rate("aud"), Some(Decimal::ONE));
        assert_eq!(
            to_lcy(Decimal::new(12_000, 0), "JPY"),
            Decimal::new(12_180, 2)
        );
        assert_eq!(
            to_lcy(Decimal::new(12_500, 3), "KWD"),
            Decimal::new(6_195, 2)
        );
        assert_eq!(rate("XYZ"), None);
    }

    #[test]
    fn an_unknown_code_is_refused_as_a_table_relation() {
        let mut fields = Map::new();
        fields.insert("currencyCode".into(), Value::from("xyz"));
        let error = validate(&mut fields, "Customer").unwrap_err();
        assert_eq!(error.code, INVALID_TABLE_RELATION);
        assert_eq!(
            error.message,
            "The field Currency Code of table Customer contains a value (XYZ) that cannot be found in the related table (Currency)."
        );
        fields.insert("currencyCode".into(), Value::from(""));
        validate(&mut fields, "Customer").unwrap();
        assert_eq!(fields["currencyCode"], "AUD");
    }
}
