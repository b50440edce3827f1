//! Which amounts Stripe accepts for a payment in a currency: a positive integer in the
//! currency's minor unit, at least the currency's minimum charge, at most eight digits, and
//! whole units for the currencies Stripe rounds (ISK and UGX to 100, three-decimal ones to 10).
//! Minimums are Stripe's published table for the common settlement currencies; others have none.

use crate::functions::{WireRule, wire_rule};

use super::error::ApiError;

/// Stripe's minimum charge amounts, in minor units.
const MINIMUMS: &[(&str, i64)] = &[
    ("AED", 200),
    ("AUD", 50),
    ("BGN", 100),
    ("BRL", 50),
    ("CAD", 50),
    ("CHF", 50),
    ("CZK", 1_500),
    ("DKK", 250),
    ("EUR", 50),
    ("GBP", 30),
    ("HKD", 400),
    ("HUF", 17_500),
    ("INR", 50),
    ("JPY", 50),
    ("MXN", 1_000),
    ("MYR", 200),
    ("NOK", 300),
    ("NZD", 50),
    ("PLN", 200),
    ("RON", 200),
    ("SEK", 300),
    ("SGD", 50),
    ("THB", 1_000),
    ("USD", 50),
];

/// Eight digits, the most Stripe takes for an amount (IDR and INR allow more; not modelled).
const MAX_AMOUNT: i64 = 99_999_999;

/// The currency's rule, or Stripe's refusal of an unknown currency (message unverified).
pub fn currency(code: &str) -> Result<WireRule, ApiError> {
    wire_rule(code).map_err(|_| {
        ApiError::rule(
            None,
            "currency",
            format!(
                "Invalid currency: {}. Stripe currently supports these currencies: usd, aed, \
                 afn, ... (see https://stripe.com/docs/currencies)",
                code.to_lowercase()
            ),
        )
    })
}

/// Refuses an amount Stripe would not charge in `rule`'s currency.
pub fn check_charge(amount: i64, rule: &WireRule) -> Result<(), ApiError> {
    let lower = rule.code.to_lowercase();
    let minimum = MINIMUMS
        .iter()
        .find(|(code, _)| *code == rule.code)
        .map_or(1, |(_, minimum)| *minimum);
    if amount < minimum {
        return Err(ApiError::amount_too_small(format!(
            "Amount must be at least {} {lower}",
            display(minimum, rule)
        )));
    }
    if amount > MAX_AMOUNT {
        return Err(ApiError::amount_too_large(format!(
            "Amount must be no more than {} {lower}",
            display(MAX_AMOUNT, rule)
        )));
    }
    let step = 10_i64.pow(rule.wire_exponent - rule.precision);
    if amount % step != 0 {
        return Err(ApiError::rule(
            Some("invalid_charge_amount"),
            "amount",
            format!(
                "Invalid amount. Amounts in {} must be evenly divisible by {step}. See \
                 https://stripe.com/docs/currencies#special-cases for more information.",
                rule.code
            ),
        ));
    }
    Ok(())
}

/// An amount as Stripe's messages write it: "$25.00", "€0.50", "¥50", "KWD 1.250".
pub fn display(amount: i64, rule: &WireRule) -> String {
    let exponent = rule.wire_exponent;
    let digits = exponent as usize;
    let units = amount.unsigned_abs() / 10_u64.pow(exponent);
    let minor = amount.unsigned_abs() % 10_u64.pow(exponent);
    let number = if digits == 0 {
        units.to_string()
    } else {
        format!("{units}.{minor:0digits$}")
    };
    let sign = if amount < 0 { "-" } else { "" };
    let symbol = match rule.code {
        "USD" | "AUD" | "CAD" | "NZD" | "SGD" | "HKD" | "MXN" => "$",
        "EUR" => "€",
        "GBP" => "£",
        "JPY" => "¥",
        _ => return format!("{sign}{} {number}", rule.code),
    };
    format!("{sign}{symbol}{number}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(code: &str) -> WireRule {
        currency(code).unwrap()
    }

    #[test]
    fn amounts_are_written_as_stripe_writes_them() {
        assert_eq!(display(2500, &rule("usd")), "$25.00");
        assert_eq!(display(50, &rule("eur")), "€0.50");
        assert_eq!(display(50, &rule("jpy")), "¥50");
        assert_eq!(display(1250, &rule("kwd")), "KWD 1.250");
    }

    #[test]
    fn minimums_exponents_and_the_eight_digit_cap() {
        assert!(check_charge(50, &rule("usd")).is_ok());
        let e = check_charge(49, &rule("usd")).unwrap_err();
        assert_eq!(e.code, Some("amount_too_small"));
        assert_eq!(e.message, "Amount must be at least $0.50 usd");
        assert!(check_charge(50, &rule("jpy")).is_ok());
        assert!(check_charge(1_255, &rule("kwd")).is_err());
        assert!(check_charge(1_250, &rule("kwd")).is_ok());
        assert!(check_charge(10_050, &rule("isk")).is_err());
        assert!(check_charge(100_000_000, &rule("usd")).is_err());
        assert!(currency("xyz").is_err());
    }
}
