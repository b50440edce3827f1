//! Exact conversion between JSON and [`Value`]: numbers go through their text, never f64
//! (serde_json's `arbitrary_precision` keeps the text).

use std::str::FromStr;

use rust_decimal::Decimal;

use super::{Map, Value};

/// JSON to a value: integers that fit in i64 become `Int`, other numbers exact `Decimal`s
/// (`12.50` keeps its scale; exponents such as `1e3` are expanded). A number that fits neither
/// (more than 28 significant digits) is kept as its text in a `String`, so nothing is lost.
/// Strings stay strings: timestamps and dates in JSON are text until a function parses them.
pub fn from_json(json: &serde_json::Value) -> Value {
    match json {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(int) => Value::Int(int),
            None => number_value(&n.to_string()),
        },
        serde_json::Value::String(s) => Value::string(s.as_str()),
        serde_json::Value::Array(items) => Value::list(items.iter().map(from_json).collect()),
        serde_json::Value::Object(fields) => Value::object(
            fields
                .iter()
                .map(|(k, v)| (k.clone(), from_json(v)))
                .collect::<Map>(),
        ),
    }
}

fn number_value(text: &str) -> Value {
    if let Ok(int) = text.parse::<i64>() {
        return Value::Int(int);
    }
    let exact = if text.contains(['e', 'E']) {
        Decimal::from_scientific(text).ok()
    } else {
        Decimal::from_str_exact(text).ok()
    };
    match exact {
        Some(decimal) => Value::Decimal(decimal),
        None => Value::string(text),
    }
}

/// A value to JSON: decimals as numbers with their exact text (`12.50`), timestamps as
/// RFC 3339 strings (`2026-01-01T00:00:00Z`), dates as `YYYY-MM-DD`, durations as ISO 8601
/// (`PT5M`), missing as null; `omit` is left out of objects and lists (and is null on its own).
pub fn to_json(value: &Value) -> serde_json::Value {
    match value {
        Value::Null | Value::Missing | Value::Omit => serde_json::Value::Null,
        Value::Bool(b) => serde_json::Value::Bool(*b),
        Value::Int(i) => serde_json::Value::from(*i),
        Value::Decimal(d) => decimal_json(d),
        Value::String(s) => serde_json::Value::String(s.to_string()),
        Value::Timestamp(t) => serde_json::Value::String(t.to_string()),
        Value::Date(d) => serde_json::Value::String(d.to_string()),
        Value::Duration(d) => serde_json::Value::String(d.to_string()),
        Value::List(items) => serde_json::Value::Array(
            items
                .iter()
                .filter(|v| !matches!(v, Value::Omit))
                .map(to_json)
                .collect(),
        ),
        Value::Object(fields) => serde_json::Value::Object(
            fields
                .iter()
                .filter(|(_, v)| !matches!(v, Value::Omit))
                .map(|(k, v)| (k.clone(), to_json(v)))
                .collect(),
        ),
    }
}

pub fn decimal_json(decimal: &Decimal) -> serde_json::Value {
    // A Decimal's text is always a valid JSON number; the string fallback cannot lose data.
    match serde_json::Number::from_str(&decimal.to_string()) {
        Ok(number) => serde_json::Value::Number(number),
        Err(_) => serde_json::Value::String(decimal.to_string()),
    }
}
