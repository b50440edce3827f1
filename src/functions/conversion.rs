//! Conversion between kinds of values: string, int, decimal, bool, and inspecting nothing.

use rust_decimal::Decimal;

use super::arguments::{Outcome, arg, describe, failed};
use super::params::{bool_result, decimal_result, int_result, param, signature, string_result};
use super::spec::{Example, FunctionSpec};
use crate::check::{Fallibility, Type};
use crate::value::CallArgs;
use crate::value::Value;
use crate::value::json::to_json;

pub fn specs() -> Vec<FunctionSpec> {
    vec![
        FunctionSpec {
            signature: signature(
                "string",
                vec![param("value", Type::Any)],
                string_result,
                Fallibility::Infallible,
            ),
            family: "conversion",
            doc: "The text form of a value: ints in decimal, decimals with their exact scale \
                  (`12.50`), `true`/`false`, timestamps in RFC 3339 (UTC), dates as \
                  `YYYY-MM-DD`, durations in ISO 8601 (`PT5M`), lists and objects as compact \
                  JSON. Null and missing have no text form: `string(null)` is a run-time error \
                  of the record, so write `string(x ?? \"\")` when nothing is acceptable.",
            examples: &[
                Example {
                    call: "string(12)",
                    result: Ok(r#""12""#),
                },
                Example {
                    call: "string(12.50)",
                    result: Ok(r#""12.50""#),
                },
                Example {
                    call: "string(true)",
                    result: Ok(r#""true""#),
                },
                Example {
                    call: "string(from_unix(0))",
                    result: Ok(r#""1970-01-01T00:00:00Z""#),
                },
                Example {
                    call: "string([1, \"a\"])",
                    result: Ok(r#""[1,\"a\"]""#),
                },
                Example {
                    call: "string(null)",
                    result: Err("string() of null"),
                },
            ],
            call: string,
        },
        FunctionSpec {
            signature: signature(
                "int",
                vec![param("value", Type::Any)],
                int_result,
                Fallibility::Fallible(
                    "text that is not a whole number, a decimal with a fraction, null, or another kind of value",
                ),
            ),
            family: "conversion",
            doc: "Converts to an int: an int as it is, text holding a whole number (`\"12\"`, \
                  `\" -3 \"`, `\"12.00\"`; surrounding spaces are ignored), a decimal with no \
                  fraction, or a bool (1 or 0). Anything else fails, including `\"12.5\"` (round \
                  it first) and numbers beyond the int range.",
            examples: &[
                Example {
                    call: r#"int("12")"#,
                    result: Ok("12"),
                },
                Example {
                    call: "int(12.00)",
                    result: Ok("12"),
                },
                Example {
                    call: "int(true)",
                    result: Ok("1"),
                },
                Example {
                    call: r#"int("12.5")"#,
                    result: Err("cannot convert string \"12.5\" to an int"),
                },
                Example {
                    call: r#"int("abc")"#,
                    result: Err("cannot convert string \"abc\" to an int"),
                },
            ],
            call: int,
        },
        FunctionSpec {
            signature: signature(
                "decimal",
                vec![param("value", Type::Any)],
                decimal_result,
                Fallibility::Fallible(
                    "text that is not a plain decimal number, null, or another kind of value",
                ),
            ),
            family: "conversion",
            doc: "Converts to an exact decimal: a decimal as it is, an int, or text holding a \
                  plain number (`\"12.50\"` keeps its two places; surrounding spaces are \
                  ignored; no exponents, thousands separators or currency signs). Anything else \
                  fails.",
            examples: &[
                Example {
                    call: r#"decimal("12.50")"#,
                    result: Ok("12.50"),
                },
                Example {
                    call: "decimal(7)",
                    result: Ok("7"),
                },
                Example {
                    call: r#"decimal("1,200.00")"#,
                    result: Err("cannot convert string \"1,200.00\" to a decimal"),
                },
                Example {
                    call: "decimal(null)",
                    result: Err("cannot convert null to a decimal"),
                },
            ],
            call: decimal,
        },
        FunctionSpec {
            signature: signature(
                "bool",
                vec![param("value", Type::Any)],
                bool_result,
                Fallibility::Fallible(
                    "text other than true/false/yes/no/1/0, ints other than 1 and 0, null, other kinds",
                ),
            ),
            family: "conversion",
            doc: "Converts to a bool: a bool as it is; the text `true`, `yes`, `1` or `false`, \
                  `no`, `0` (any case, surrounding spaces ignored); the ints 1 and 0. Anything \
                  else fails.",
            examples: &[
                Example {
                    call: r#"bool("Yes")"#,
                    result: Ok("true"),
                },
                Example {
                    call: "bool(0)",
                    result: Ok("false"),
                },
                Example {
                    call: r#"bool("maybe")"#,
                    result: Err("cannot convert string \"maybe\" to a bool"),
                },
            ],
            call: boolean,
        },
        FunctionSpec {
            signature: signature(
                "is_null",
                vec![param("value", Type::Any)],
                bool_result,
                Fallibility::Infallible,
            ),
            family: "conversion",
            doc: "True when the value is null or missing (a field absent from the record), or \
                  `omit`; false for everything else, including empty text and empty lists.",
            examples: &[
                Example {
                    call: "is_null(null)",
                    result: Ok("true"),
                },
                Example {
                    call: r#"is_null("")"#,
                    result: Ok("false"),
                },
                Example {
                    call: "is_null({a: 1}.b)",
                    result: Ok("true"),
                },
            ],
            call: is_null,
        },
        FunctionSpec {
            signature: signature(
                "type_of",
                vec![param("value", Type::Any)],
                string_result,
                Fallibility::Infallible,
            ),
            family: "conversion",
            doc: "The name of the value's kind at run time: `null`, `missing`, `omit`, `bool`, \
                  `int`, `decimal`, `string`, `timestamp`, `date`, `duration`, `list` or \
                  `object`. Amounts in minor units are ints at run time.",
            examples: &[
                Example {
                    call: "type_of(12.5)",
                    result: Ok(r#""decimal""#),
                },
                Example {
                    call: "type_of({a: 1}.b)",
                    result: Ok(r#""missing""#),
                },
                Example {
                    call: "type_of([])",
                    result: Ok(r#""list""#),
                },
            ],
            call: type_of,
        },
    ]
}

/// The text form of a value (see `string`); `None` for null, missing and omit.
pub fn text_form(value: &Value) -> Option<String> {
    Some(match value {
        Value::Null | Value::Missing | Value::Omit => return None,
        Value::String(s) => s.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => i.to_string(),
        Value::Decimal(d) => d.to_string(),
        Value::Timestamp(t) => t.to_string(),
        Value::Date(d) => d.to_string(),
        Value::Duration(d) => d.to_string(),
        Value::List(_) | Value::Object(_) => to_json(value).to_string(),
    })
}

fn string(args: &mut CallArgs) -> Outcome {
    let value = arg(args, 0);
    text_form(value).map(Value::string).ok_or_else(|| {
        failed(format!(
            "string() of {}: there is no text to give; write `string(x ?? \"\")` if empty text is right",
            value.kind()
        ))
    })
}

fn cannot(value: &Value, target: &str) -> crate::value::FunctionError {
    failed(format!("cannot convert {} to {target}", describe(value)))
}

fn int(args: &mut CallArgs) -> Outcome {
    let value = arg(args, 0);
    let whole = |d: Decimal| {
        (d.fract().is_zero())
            .then(|| i64::try_from(d).ok())
            .flatten()
    };
    let converted = match value {
        Value::Int(n) => Some(*n),
        Value::Bool(b) => Some(i64::from(*b)),
        Value::Decimal(d) => whole(*d),
        Value::String(s) => {
            let s = s.trim();
            s.parse::<i64>().ok().or_else(|| {
                Decimal::from_str_exact(s)
                    .ok()
                    .filter(|_| !s.contains('_'))
                    .and_then(whole)
            })
        }
        _ => None,
    };
    converted
        .map(Value::Int)
        .ok_or_else(|| cannot(value, "an int"))
}

fn decimal(args: &mut CallArgs) -> Outcome {
    let value = arg(args, 0);
    let converted = match value {
        Value::Decimal(d) => Some(*d),
        Value::Int(n) => Some(Decimal::from(*n)),
        Value::String(s) if !s.contains('_') => Decimal::from_str_exact(s.trim()).ok(),
        _ => None,
    };
    converted
        .map(Value::Decimal)
        .ok_or_else(|| cannot(value, "a decimal"))
}

fn boolean(args: &mut CallArgs) -> Outcome {
    let value = arg(args, 0);
    let converted = match value {
        Value::Bool(b) => Some(*b),
        Value::Int(1) => Some(true),
        Value::Int(0) => Some(false),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "yes" | "1" => Some(true),
            "false" | "no" | "0" => Some(false),
            _ => None,
        },
        _ => None,
    };
    converted
        .map(Value::Bool)
        .ok_or_else(|| cannot(value, "a bool"))
}

fn is_null(args: &mut CallArgs) -> Outcome {
    Ok(Value::Bool(arg(args, 0).is_nothing()))
}

fn type_of(args: &mut CallArgs) -> Outcome {
    Ok(Value::string(arg(args, 0).kind()))
}
