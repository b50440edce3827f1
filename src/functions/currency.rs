//! How Stripe writes each currency's amounts: the ISO 4217 exponent, with Stripe's exceptions.

use iso_currency::Currency;

/// Stripe's zero-decimal currencies (ISO may say otherwise, Stripe sends whole units).
const ZERO_DECIMAL: &[&str] = &[
    "BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "VND", "VUV", "XAF",
    "XOF", "XPF",
];
/// Zero-decimal in use, but Stripe sends two decimals whose last two digits are 00.
const WHOLE_UNITS_AS_TWO_DECIMALS: &[&str] = &["ISK", "UGX"];
/// Three-decimal currencies whose last digit Stripe requires to be 0.
const THREE_DECIMAL: &[&str] = &["BHD", "JOD", "KWD", "OMR", "TND"];

/// A currency's amount rules on Stripe's wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WireRule {
    /// Upper-case ISO code.
    pub code: &'static str,
    /// Minor units per unit is 10^wire_exponent.
    pub wire_exponent: u32,
    /// Decimal places the currency's amounts are written with (ISK 0, KWD 3).
    pub display_exponent: u32,
    /// Decimal places an amount may have (ISK: 0 although the wire has 2; KWD: 2 of 3).
    pub precision: u32,
}

/// The rule for a currency code (any case, as Stripe sends lowercase).
pub fn wire_rule(code: &str) -> Result<WireRule, String> {
    let upper = code.trim().to_ascii_uppercase();
    let currency = Currency::from_code(&upper).ok_or_else(|| {
        format!("unknown currency {code:?} (expected an ISO 4217 code such as \"aud\")")
    })?;
    let code = currency.code();
    let rule = |wire_exponent, display_exponent, precision| WireRule {
        code,
        wire_exponent,
        display_exponent,
        precision,
    };
    if ZERO_DECIMAL.contains(&code) {
        return Ok(rule(0, 0, 0));
    }
    if WHOLE_UNITS_AS_TWO_DECIMALS.contains(&code) {
        return Ok(rule(2, 0, 0));
    }
    if THREE_DECIMAL.contains(&code) {
        return Ok(rule(3, 3, 2));
    }
    match currency.exponent() {
        Some(exponent) => {
            let exponent = u32::from(exponent);
            Ok(rule(exponent, exponent, exponent))
        }
        None => Err(format!(
            "currency {code} has no minor unit, so it has no amounts in cents"
        )),
    }
}
