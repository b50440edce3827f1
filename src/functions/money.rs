//! Money: Stripe's minor units to decimals and back, rounding, GST, abs/min/max.

use rust_decimal::{Decimal, RoundingStrategy};

use super::arguments::{Outcome, arg, describe, failed, int, number, text};
use super::currency::wire_rule;
use super::params::{
    decimal_result, first_arg_result, numeric, param, signature, union, with_default,
};
use super::spec::{Example, FunctionSpec};
use crate::check::{ArgInfo, Fallibility, Field, ObjectType, Type};
use crate::value::{CallArgs, FunctionError};
use crate::value::{Map, Value};

pub fn specs() -> Vec<FunctionSpec> {
    vec![
        FunctionSpec {
            signature: signature(
                "cents_to_decimal",
                vec![
                    param("amount", union(&[Type::MinorUnits, Type::Int])),
                    param("currency", Type::String),
                ],
                decimal_result,
                Fallibility::Fallible("an unknown currency code, or one with no minor unit"),
            ),
            family: "money",
            doc: "Turns a Stripe amount in the currency's minor unit into a decimal amount, \
                  exactly. The currency code is case-insensitive (Stripe sends `aud`). The \
                  exponent is ISO 4217's with Stripe's exceptions: its zero-decimal currencies \
                  (BIF CLP DJF GNF JPY KMF KRW MGA PYG RWF VND VUV XAF XOF XPF) have none; ISK \
                  and UGX arrive with two decimals that are 00, so 50000 ISK is 500 (an amount \
                  whose last two digits are not 00 keeps them, as 500.50, rather than losing \
                  them); BHD JOD KWD OMR TND have three. The result has the currency's decimal \
                  places: `12.50`, `1000`, `12.340`.",
            examples: &[
                Example {
                    call: r#"cents_to_decimal(1250, "aud")"#,
                    result: Ok("12.50"),
                },
                Example {
                    call: r#"cents_to_decimal(1000, "JPY")"#,
                    result: Ok("1000"),
                },
                Example {
                    call: r#"cents_to_decimal(50000, "isk")"#,
                    result: Ok("500"),
                },
                Example {
                    call: r#"cents_to_decimal(12340, "kwd")"#,
                    result: Ok("12.340"),
                },
                Example {
                    call: r#"cents_to_decimal(-5, "usd")"#,
                    result: Ok("-0.05"),
                },
                Example {
                    call: r#"cents_to_decimal(100, "xyz")"#,
                    result: Err("unknown currency \"xyz\""),
                },
            ],
            call: cents_to_decimal,
        },
        FunctionSpec {
            signature: signature(
                "decimal_to_cents",
                vec![
                    param("amount", union(&[Type::Decimal, Type::Int])),
                    param("currency", Type::String),
                ],
                |_| Type::MinorUnits,
                Fallibility::Fallible(
                    "an unknown currency, an amount with more decimal places than the currency \
                     allows on Stripe, or an amount too large",
                ),
            ),
            family: "money",
            doc: "Turns a decimal amount into Stripe's integer minor units for the currency \
                  (case-insensitive code), with the same exponents as `cents_to_decimal`. It \
                  never rounds: an amount with more decimal places than the currency allows \
                  fails, so round it first with `round(x, 2)` (JPY and the other zero-decimal \
                  currencies allow none; ISK and UGX allow none and are sent times 100; BHD JOD \
                  KWD OMR TND allow two, as Stripe requires the third to be 0). HUF and TWD are \
                  two-decimal, but Stripe pays them out only in multiples of 100 minor units.",
            examples: &[
                Example {
                    call: r#"decimal_to_cents(12.50, "aud")"#,
                    result: Ok("1250"),
                },
                Example {
                    call: r#"decimal_to_cents(1000, "jpy")"#,
                    result: Ok("1000"),
                },
                Example {
                    call: r#"decimal_to_cents(500, "ISK")"#,
                    result: Ok("50000"),
                },
                Example {
                    call: r#"decimal_to_cents(12.34, "kwd")"#,
                    result: Ok("12340"),
                },
                Example {
                    call: r#"decimal_to_cents(12.345, "aud")"#,
                    result: Err("12.345 has more decimal places than AUD allows (2)"),
                },
                Example {
                    call: r#"decimal_to_cents(500.5, "isk")"#,
                    result: Err("500.5 has more decimal places than ISK allows (0)"),
                },
            ],
            call: decimal_to_cents,
        },
        FunctionSpec {
            signature: signature(
                "round",
                vec![
                    param("value", numeric()),
                    with_default("places", Type::Int, "0"),
                    with_default("mode", Type::String, "\"half_even\""),
                ],
                first_arg_result,
                Fallibility::Infallible,
            ),
            family: "money",
            doc: "Rounds to `places` decimal places (negative places round to tens, hundreds, \
                  ...). Modes: `half_even` (banker's rounding, the default), `half_up` and \
                  `half_down` (ties away from / toward zero), `up` (away from zero), `down` \
                  (toward zero), `ceiling`, `floor`. A decimal result has exactly `places` \
                  decimal places (`round(12.5, 2)` is `12.50`); an int stays an int. An unknown \
                  mode, or places outside -18..=28, is a run-time error of the record.",
            examples: &[
                Example {
                    call: "round(2.5)",
                    result: Ok("2"),
                },
                Example {
                    call: "round(3.5)",
                    result: Ok("4"),
                },
                Example {
                    call: r#"round(2.345, 2, mode: "half_up")"#,
                    result: Ok("2.35"),
                },
                Example {
                    call: r#"round(-2.5, mode: "half_down")"#,
                    result: Ok("-2"),
                },
                Example {
                    call: r#"round(1.01, 0, "ceiling")"#,
                    result: Ok("2"),
                },
                Example {
                    call: "round(12.5, 2)",
                    result: Ok("12.50"),
                },
                Example {
                    call: "round(1250, -2)",
                    result: Ok("1200"),
                },
                Example {
                    call: r#"round(1.5, 0, "nearest")"#,
                    result: Err("unknown rounding mode \"nearest\""),
                },
            ],
            call: round,
        },
        FunctionSpec {
            signature: signature(
                "gst_split",
                vec![
                    param("gross", union(&[Type::Decimal, Type::Int])),
                    with_default("rate", Type::Decimal, "0.10"),
                    with_default("places", Type::Int, "2"),
                ],
                gst_split_type,
                Fallibility::Infallible,
            ),
            family: "money",
            doc: "Splits a tax-inclusive amount into `{net, tax, gross}`: tax = gross × rate / \
                  (1 + rate), rounded half-even to `places`, and net = gross − tax, so net + tax \
                  equals gross exactly. Australian GST is 10% (the default); for whole cents a \
                  tie cannot occur at that rate, so the rounding mode only matters for other \
                  rates. A rate of -1 or less is a run-time error.",
            examples: &[
                Example {
                    call: "gst_split(110.00)",
                    result: Ok(r#"{"net": 100.00, "tax": 10.00, "gross": 110.00}"#),
                },
                Example {
                    call: "gst_split(10.00)",
                    result: Ok(r#"{"net": 9.09, "tax": 0.91, "gross": 10.00}"#),
                },
                Example {
                    call: "gst_split(115, rate: 0.15)",
                    result: Ok(r#"{"net": 100.00, "tax": 15.00, "gross": 115}"#),
                },
                Example {
                    call: "gst_split(0.00)",
                    result: Ok(r#"{"net": 0.00, "tax": 0.00, "gross": 0.00}"#),
                },
            ],
            call: gst_split,
        },
        FunctionSpec {
            signature: signature(
                "abs",
                vec![param("value", numeric())],
                first_arg_result,
                Fallibility::Infallible,
            ),
            family: "money",
            doc: "The absolute value, of the same type (a refund's negative amount made positive). \
                  The absolute value of the smallest int overflows, a run-time error.",
            examples: &[
                Example {
                    call: "abs(-12.50)",
                    result: Ok("12.50"),
                },
                Example {
                    call: "abs(3)",
                    result: Ok("3"),
                },
            ],
            call: abs,
        },
        extreme_spec(
            "min",
            "The smallest of its arguments (at least one), compared numerically across ints and decimals; the winning argument is returned as it is.",
            &[
                Example {
                    call: "min(3, 1.5, 2)",
                    result: Ok("1.5"),
                },
                Example {
                    call: "min(7)",
                    result: Ok("7"),
                },
            ],
            min,
        ),
        extreme_spec(
            "max",
            "The largest of its arguments (at least one), compared numerically across ints and decimals; the winning argument is returned as it is (the first of equals).",
            &[
                Example {
                    call: "max(3, 1.5, 2)",
                    result: Ok("3"),
                },
                Example {
                    call: "max(2.0, 2)",
                    result: Ok("2.0"),
                },
            ],
            max,
        ),
    ]
}

fn extreme_spec(
    name: &'static str,
    doc: &'static str,
    examples: &'static [Example],
    call: fn(&mut CallArgs) -> Outcome,
) -> FunctionSpec {
    let mut sig = signature(
        name,
        vec![param("values", numeric())],
        |args| super::params::numeric_result(args.iter().flatten().map(|a| &a.ty)),
        Fallibility::Infallible,
    );
    sig.variadic = true;
    FunctionSpec {
        signature: sig,
        family: "money",
        doc,
        examples,
        call,
    }
}

fn gst_split_type(_: &[Option<ArgInfo>]) -> Type {
    let decimal = || Field::new(Type::Decimal);
    Type::object(
        ObjectType::default()
            .field("net", decimal())
            .field("tax", decimal())
            .field("gross", decimal()),
    )
}

fn cents_to_decimal(args: &mut CallArgs) -> Outcome {
    let amount = int(args, 0, "cents_to_decimal", "amount")?;
    let rule = wire_rule(text(args, 1, "cents_to_decimal", "currency")?).map_err(failed)?;
    let mut decimal = Decimal::new(amount, rule.wire_exponent);
    if rule.display_exponent < rule.wire_exponent
        && decimal.normalize().scale() <= rule.display_exponent
    {
        decimal.rescale(rule.display_exponent);
    }
    Ok(Value::Decimal(decimal))
}

fn decimal_to_cents(args: &mut CallArgs) -> Outcome {
    let amount = number(args, 0, "decimal_to_cents", "amount")?;
    let rule = wire_rule(text(args, 1, "decimal_to_cents", "currency")?).map_err(failed)?;
    if amount.normalize().scale() > rule.precision {
        return Err(failed(format!(
            "{amount} has more decimal places than {} allows ({}) on Stripe; round it first, e.g. round(x, {})",
            rule.code, rule.precision, rule.precision
        )));
    }
    let factor = Decimal::from(10_i64.pow(rule.wire_exponent));
    amount
        .checked_mul(factor)
        .and_then(|cents| i64::try_from(cents.normalize()).ok())
        .map(Value::Int)
        .ok_or_else(|| {
            failed(format!(
                "{amount} {} is too large to write in minor units",
                rule.code
            ))
        })
}

pub fn rounding_strategy(mode: &str) -> Result<RoundingStrategy, FunctionError> {
    Ok(match mode {
        "half_even" => RoundingStrategy::MidpointNearestEven,
        "half_up" => RoundingStrategy::MidpointAwayFromZero,
        "half_down" => RoundingStrategy::MidpointTowardZero,
        "up" => RoundingStrategy::AwayFromZero,
        "down" => RoundingStrategy::ToZero,
        "ceiling" => RoundingStrategy::ToPositiveInfinity,
        "floor" => RoundingStrategy::ToNegativeInfinity,
        other => {
            return Err(failed(format!(
                "unknown rounding mode {other:?} (expected half_even, half_up, half_down, up, down, ceiling or floor)"
            )));
        }
    })
}

/// Rounds to `places` (negative: tens, hundreds, ...), with exactly `places` decimals when
/// places >= 0.
pub fn round_decimal(
    value: Decimal,
    places: i64,
    strategy: RoundingStrategy,
) -> Result<Decimal, FunctionError> {
    if !(-18..=28).contains(&places) {
        return Err(failed(format!(
            "round: places must be between -18 and 28, got {places}"
        )));
    }
    if places >= 0 {
        let places = places as u32;
        let mut rounded = value.round_dp_with_strategy(places, strategy);
        if rounded.scale() < places {
            rounded.rescale(places);
        }
        return Ok(rounded);
    }
    let factor = Decimal::from(10_i64.pow(places.unsigned_abs() as u32));
    value
        .checked_div(factor)
        .map(|d| d.round_dp_with_strategy(0, strategy))
        .and_then(|d| d.checked_mul(factor))
        .map(|d| d.trunc())
        .ok_or_else(|| failed(format!("round: {value} to {places} places overflows")))
}

fn round(args: &mut CallArgs) -> Outcome {
    let places = int(args, 1, "round", "places")?;
    let strategy = rounding_strategy(text(args, 2, "round", "mode")?)?;
    match arg(args, 0) {
        Value::Int(n) if places >= 0 => Ok(Value::Int(*n)),
        Value::Int(n) => {
            let rounded = round_decimal(Decimal::from(*n), places, strategy)?;
            i64::try_from(rounded)
                .map(Value::Int)
                .map_err(|_| failed(format!("round: {n} to {places} places overflows")))
        }
        Value::Decimal(d) => round_decimal(*d, places, strategy).map(Value::Decimal),
        other => Err(failed(format!(
            "round: `value` must be a number, got {}",
            describe(other)
        ))),
    }
}

fn gst_split(args: &mut CallArgs) -> Outcome {
    let gross = number(args, 0, "gst_split", "gross")?;
    let rate = number(args, 1, "gst_split", "rate")?;
    let places = int(args, 2, "gst_split", "places")?;
    if rate <= Decimal::NEGATIVE_ONE {
        return Err(failed(format!(
            "gst_split: rate must be greater than -1, got {rate}"
        )));
    }
    let overflow = || failed(format!("gst_split: {gross} at rate {rate} overflows"));
    let unrounded = gross
        .checked_mul(rate)
        .and_then(|x| x.checked_div(Decimal::ONE + rate))
        .ok_or_else(overflow)?;
    let tax = round_decimal(unrounded, places, RoundingStrategy::MidpointNearestEven)?;
    let net = gross.checked_sub(tax).ok_or_else(overflow)?;
    let mut split = Map::new();
    split.insert("net".into(), Value::Decimal(net));
    split.insert("tax".into(), Value::Decimal(tax));
    split.insert("gross".into(), Value::Decimal(gross));
    Ok(Value::object(split))
}

fn abs(args: &mut CallArgs) -> Outcome {
    match arg(args, 0) {
        Value::Int(n) => n
            .checked_abs()
            .map(Value::Int)
            .ok_or_else(|| failed(format!("abs: {n} overflows"))),
        Value::Decimal(d) => Ok(Value::Decimal(d.abs())),
        other => Err(failed(format!(
            "abs: `value` must be a number, got {}",
            describe(other)
        ))),
    }
}

fn extreme(args: &CallArgs, name: &str, better: fn(Decimal, Decimal) -> bool) -> Outcome {
    let mut best: Option<(Decimal, &Value)> = None;
    for (i, value) in args.values.iter().enumerate() {
        let n = match value {
            Value::Int(n) => Decimal::from(*n),
            Value::Decimal(d) => *d,
            other => {
                return Err(failed(format!(
                    "{name}: argument {} must be a number, got {}",
                    i + 1,
                    describe(other)
                )));
            }
        };
        if best.is_none_or(|(b, _)| better(n, b)) {
            best = Some((n, value));
        }
    }
    best.map(|(_, v)| v.clone())
        .ok_or_else(|| failed(format!("{name}: needs at least one number")))
}

fn min(args: &mut CallArgs) -> Outcome {
    extreme(args, "min", |a, b| a < b)
}

fn max(args: &mut CallArgs) -> Outcome {
    extreme(args, "max", |a, b| a > b)
}
