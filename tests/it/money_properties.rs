//! Money is exact. cents -> decimal -> cents gives back the cents for every ISO 4217 currency
//! and Stripe's exceptions (or, for digits Stripe never accepts, a loud refusal, never other
//! cents); and journals built by a pipeline from 10,000 random payouts balance to the cent.

use crate::functions_support;
use crate::proof_support;

use functions_support::call;
use std::sync::LazyLock;

use iso_currency::Currency;
use proptest::prelude::*;
use rust_decimal::Decimal;

use ferry::value::FunctionError;
use ferry::value::Value;

/// Stripe's zero-decimal currencies, from its documentation, whatever ISO says.
const STRIPE_ZERO_DECIMAL: &[&str] = &[
    "BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "VND", "VUV", "XAF",
    "XOF", "XPF",
];
/// Sent with two decimals that are always 00.
const STRIPE_WHOLE_AS_TWO_DECIMALS: &[&str] = &["ISK", "UGX"];
/// Three decimals, of which Stripe accepts only a last 0.
const STRIPE_THREE_DECIMAL: &[&str] = &["BHD", "JOD", "KWD", "OMR", "TND"];

/// Every currency iso_currency knows, found by trying every three-letter code.
fn every_currency() -> &'static [Currency] {
    static ALL: LazyLock<Vec<Currency>> = LazyLock::new(find_every_currency);
    &ALL
}

fn find_every_currency() -> Vec<Currency> {
    let letters = b'A'..=b'Z';
    let mut found = Vec::new();
    for a in letters.clone() {
        for b in letters.clone() {
            for c in letters.clone() {
                let code = String::from_utf8(vec![a, b, c]).unwrap();
                if let Some(currency) = Currency::from_code(&code) {
                    found.push(currency);
                }
            }
        }
    }
    found
}

/// (wire exponent, decimal places Stripe accepts) for a currency, from Stripe's documentation
/// and ISO 4217; None when the currency has no minor unit.
fn stripe_exponents(currency: Currency) -> Option<(u32, u32)> {
    let code = currency.code();
    if STRIPE_ZERO_DECIMAL.contains(&code) {
        Some((0, 0))
    } else if STRIPE_WHOLE_AS_TWO_DECIMALS.contains(&code) {
        Some((2, 0))
    } else if STRIPE_THREE_DECIMAL.contains(&code) {
        Some((3, 2))
    } else {
        currency.exponent().map(|e| (u32::from(e), u32::from(e)))
    }
}

fn to_decimal(cents: i64, code: &str) -> Result<Value, FunctionError> {
    call(
        "cents_to_decimal",
        vec![Value::Int(cents), Value::string(code)],
    )
}

fn to_cents(amount: Value, code: &str) -> Result<Value, FunctionError> {
    call("decimal_to_cents", vec![amount, Value::string(code)])
}

/// The round trip of one amount in one currency, written either case (Stripe sends lower).
fn round_trip(currency: Currency, cents: i64) {
    let upper = currency.code();
    let lower = upper.to_ascii_lowercase();
    for code in [upper, lower.as_str()] {
        let Some((wire, accepted)) = stripe_exponents(currency) else {
            let message = format!("{:?}", to_decimal(cents, code));
            assert!(message.contains("no minor unit"), "{code}: {message}");
            continue;
        };
        let decimal = match to_decimal(cents, code) {
            Ok(Value::Decimal(decimal)) => decimal,
            other => panic!("cents_to_decimal({cents}, {code}) gave {other:?}"),
        };
        assert_eq!(
            decimal,
            Decimal::new(cents, wire),
            "{cents} {code}: the value"
        );
        // Written with the currency's decimal places: ISK 500, but 500.50 rather than a loss.
        let display = if STRIPE_WHOLE_AS_TWO_DECIMALS.contains(&upper) {
            0
        } else {
            wire
        };
        let scale = if cents % 10_i64.pow(wire - display) == 0 {
            display
        } else {
            wire
        };
        assert_eq!(decimal.scale(), scale, "{cents} {code}: {decimal}");
        let back = to_cents(Value::Decimal(decimal), code);
        let step = 10_i64.pow(wire - accepted);
        if cents % step == 0 {
            assert_eq!(back, Ok(Value::Int(cents)), "{cents} {code} via {decimal}");
        } else {
            match back {
                Err(FunctionError::Failed(message)) => assert!(
                    message.contains("more decimal places"),
                    "{cents} {code}: {message}"
                ),
                other => panic!("{cents} {code} via {decimal} gave {other:?}, not a refusal"),
            }
        }
    }
}

#[test]
fn every_iso_currency_is_known_and_the_exceptions_are_among_them() {
    let currencies = every_currency();
    assert!(
        currencies.len() > 150,
        "only {} currencies",
        currencies.len()
    );
    let codes: Vec<&str> = currencies.iter().map(|c| c.code()).collect();
    for code in STRIPE_ZERO_DECIMAL
        .iter()
        .chain(STRIPE_WHOLE_AS_TWO_DECIMALS)
        .chain(STRIPE_THREE_DECIMAL)
        .chain(&["HUF", "TWD", "USD", "EUR", "AUD"])
    {
        assert!(codes.contains(code), "{code}");
    }
    // HUF and TWD are two-decimal on the wire, like ISO says (Stripe pays out whole units).
    for code in ["HUF", "TWD"] {
        let currency = Currency::from_code(code).unwrap();
        assert_eq!(stripe_exponents(currency), Some((2, 2)));
        assert_eq!(
            to_decimal(12345, code),
            Ok(Value::Decimal(Decimal::new(12345, 2)))
        );
    }
}

#[test]
fn extremes_round_trip_in_every_currency() {
    let mut report = proof_support::Report::new("money: cents round trips");
    for &currency in every_currency() {
        for cents in [
            0,
            1,
            -1,
            99,
            100,
            1000,
            i64::MAX,
            i64::MIN,
            i64::MAX - 7,
            i64::MIN + 100,
        ] {
            round_trip(currency, cents);
        }
        // The largest multiples of 100 and 10, which every currency must take back.
        round_trip(currency, i64::MAX / 100 * 100);
        round_trip(currency, i64::MIN / 10 * 10);
    }
    let exceptions = every_currency()
        .iter()
        .filter(|c| {
            let code = c.code();
            STRIPE_ZERO_DECIMAL.contains(&code)
                || STRIPE_WHOLE_AS_TWO_DECIMALS.contains(&code)
                || STRIPE_THREE_DECIMAL.contains(&code)
        })
        .count();
    report
        .figure("currencies", every_currency().len())
        .figure("stripe_exceptions", exceptions)
        .figure("amounts_per_currency", 12)
        .passed();
}

fn amount() -> impl Strategy<Value = i64> {
    prop_oneof![
        any::<i64>(),
        -100_000_i64..100_000,
        any::<i64>().prop_map(|n| n / 10 * 10),
        any::<i64>().prop_map(|n| n / 100 * 100),
        (-1_000_000_000_i64..1_000_000_000).prop_map(|n| n * 100),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn cents_to_decimal_to_cents_is_exact_in_every_currency(cents in amount()) {
        for &currency in every_currency() {
            round_trip(currency, cents);
        }
    }
}

/// One balance transaction: its type, gross amount and fees (their total is its `fee`).
#[derive(Debug, Clone)]
struct Transaction {
    kind: &'static str,
    amount: i64,
    fees: Vec<(&'static str, i64)>,
}

#[derive(Debug, Clone)]
struct Payout {
    currency: &'static str,
    transactions: Vec<Transaction>,
}

/// Currencies of every shape: two decimals, zero (JPY, KRW), three (KWD, BHD), ISK's two that
/// are 00, and HUF.
const PAYOUT_CURRENCIES: &[&str] = &[
    "usd", "aud", "eur", "jpy", "krw", "kwd", "bhd", "isk", "huf",
];

fn transaction() -> impl Strategy<Value = Transaction> {
    let fee = (
        prop::sample::select(vec!["stripe_fee", "tax", "application_fee"]),
        0_i64..5_000_000,
    );
    prop_oneof![
        (
            1_i64..10_000_000_000,
            prop::collection::vec(fee.clone(), 0..3)
        ),
        (
            -10_000_000_000_i64..0,
            prop::collection::vec(fee.clone(), 0..2)
        ),
        (-5_000_000_i64..5_000_000, Just(Vec::new())),
        (-5_000_000_i64..0, Just(Vec::new())),
    ]
    .prop_flat_map(|(amount, fees)| {
        let kind = if amount > 0 && !fees.is_empty() {
            prop::sample::select(vec!["charge"]).boxed()
        } else if amount < 0 {
            prop::sample::select(vec!["refund", "adjustment", "stripe_fee"]).boxed()
        } else {
            prop::sample::select(vec!["charge", "adjustment"]).boxed()
        };
        kind.prop_map(move |kind| Transaction {
            kind,
            amount,
            fees: fees.clone(),
        })
    })
}

fn payout() -> impl Strategy<Value = Payout> {
    (
        prop::sample::select(PAYOUT_CURRENCIES.to_vec()),
        prop::collection::vec(transaction(), 1..12),
    )
        .prop_map(|(currency, transactions)| Payout {
            currency,
            transactions,
        })
}

impl Payout {
    /// Amounts as Stripe sends them in this currency: ISK in whole units (times 100), the
    /// three-decimal ones with a last 0 on charges, as Stripe requires.
    fn minor(&self, cents: i64) -> i64 {
        match self.currency {
            "isk" => cents / 100 * 100,
            "kwd" | "bhd" => cents / 10 * 10,
            _ => cents,
        }
    }

    fn net(&self) -> i64 {
        self.transactions
            .iter()
            .map(|t| self.minor(t.amount) - t.fees.iter().map(|f| self.minor(f.1)).sum::<i64>())
            .sum()
    }

    fn json(&self, id: usize) -> serde_json::Value {
        let transactions: Vec<serde_json::Value> = self
            .transactions
            .iter()
            .enumerate()
            .map(|(n, t)| {
                let fees: Vec<serde_json::Value> = t
                    .fees
                    .iter()
                    .map(|(kind, amount)| {
                        serde_json::json!({"type": kind, "amount": self.minor(*amount), "currency": self.currency})
                    })
                    .collect();
                let fee: i64 = t.fees.iter().map(|f| self.minor(f.1)).sum();
                serde_json::json!({
                    "id": format!("txn_{id}_{n}"),
                    "type": t.kind,
                    "amount": self.minor(t.amount),
                    "fee": fee,
                    "net": self.minor(t.amount) - fee,
                    "currency": self.currency,
                    "fee_details": fees,
                })
            })
            .collect();
        serde_json::json!({
            "id": format!("po_{id}"),
            "object": "payout",
            "amount": self.net(),
            "currency": self.currency,
            "balance_transactions": transactions,
        })
    }
}

fn exponent(currency: &str) -> u32 {
    match currency {
        "jpy" | "krw" => 0,
        "kwd" | "bhd" => 3,
        _ => 2,
    }
}

fn decimal(value: &serde_json::Value) -> Decimal {
    Decimal::from_str_exact(&value.to_string()).unwrap_or_else(|e| panic!("{value}: {e}"))
}

/// The journal the pipeline writes for one payout: lines summing to zero, the bank line the
/// payout amount to the cent, debits equal to credits, the net equal to the payout.
fn check_journal(compiled: &ferry::lang::CompiledPipeline, payout: &Payout, id: usize) {
    let input = payout.json(id);
    let record = ferry::lang::parse_record(input.to_string().as_bytes()).unwrap();
    let env = ferry::lang::RunEnv {
        now: "2026-01-01T00:00:00Z".parse().unwrap(),
        cross_references: &ferry::value::NoCrossReferences,
        related: &ferry::value::NoRelated,
    };
    let journal = match compiled.run(&record, &env) {
        ferry::lang::Outcome::Mapped(value) => ferry::value::json::to_json(&value),
        other => panic!("payout {input} gave {other:?}"),
    };
    let paid = Decimal::new(payout.net(), exponent(payout.currency));
    let lines = journal["lines"].as_array().unwrap();
    assert_eq!(
        lines.len(),
        1 + payout.transactions.len()
            + payout
                .transactions
                .iter()
                .map(|t| t.fees.len())
                .sum::<usize>()
    );
    assert_eq!(lines[0]["account"], "bank");
    assert_eq!(
        decimal(&lines[0]["amount"]),
        paid,
        "the bank line of {input}"
    );
    let amounts: Vec<Decimal> = lines.iter().map(|l| decimal(&l["amount"])).collect();
    let total: Decimal = amounts.iter().sum();
    assert_eq!(total, Decimal::ZERO, "{journal}");
    let debits: Decimal = amounts.iter().filter(|a| a.is_sign_positive()).sum();
    let credits: Decimal = amounts.iter().filter(|a| a.is_sign_negative()).sum();
    assert_eq!(debits, -credits, "{journal}");
    assert_eq!(
        decimal(&journal["debits"]) + decimal(&journal["credits"]),
        Decimal::ZERO
    );
    assert_eq!(decimal(&journal["net"]), paid, "{journal}");
    for amount in &amounts {
        let cents = *amount * Decimal::from(10_i64.pow(exponent(payout.currency)));
        assert_eq!(cents.fract(), Decimal::ZERO, "{amount} is not whole cents");
    }
}

fn compiled_journal() -> ferry::lang::CompiledPipeline {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/journals/payout_journal.ferry");
    let program = ferry::program::Program::load(&path);
    let errors: Vec<&str> = program
        .diagnostics
        .iter()
        .map(|d| d.message.as_str())
        .collect();
    assert!(!program.has_errors(), "{errors:?}");
    program.compile("payout_journal").unwrap()
}

#[test]
fn ten_thousand_random_payouts_give_journals_that_balance_to_the_cent() {
    let mut report = proof_support::Report::new("money: payout journals balance");
    let compiled = compiled_journal();
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases: 10_000,
        ..ProptestConfig::default()
    });
    let count = std::cell::Cell::new(0);
    let currencies = std::cell::RefCell::new(std::collections::BTreeSet::new());
    let result = runner.run(&payout(), |payout| {
        count.set(count.get() + 1);
        currencies.borrow_mut().insert(payout.currency);
        check_journal(&compiled, &payout, count.get());
        Ok(())
    });
    if let Err(failure) = result {
        panic!("{failure}");
    }
    let count = count.get();
    assert!(count >= 10_000, "only {count} payouts ran");
    let currencies = currencies.into_inner();
    assert_eq!(currencies.len(), PAYOUT_CURRENCIES.len(), "{currencies:?}");
    report
        .figure("payouts", count)
        .figure("currencies", currencies.len())
        .passed();
}
