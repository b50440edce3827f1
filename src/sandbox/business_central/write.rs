//! Turning a JSON request body into property values, with OData's type rules.

use std::str::FromStr;

use jiff::Timestamp;
use jiff::civil::Date;
use rust_decimal::Decimal;
use serde_json::{Map, Value};

use super::error::ODataError;
use super::filter::is_guid;
use super::schema::{EntitySet, Kind, Property};
use super::store::{decimal_value, format_time};

/// What a body asked for: the keys it set and any inline lines.
#[derive(Debug, Default)]
pub struct Changes {
    pub keys: Vec<&'static str>,
    pub lines: Option<Vec<Map<String, Value>>>,
}

/// Writes the body's writable properties into `target`. Unknown properties are refused;
/// read-only ones are ignored; `@odata.*` annotations are skipped.
pub fn apply_body(
    set: &EntitySet,
    body: &Map<String, Value>,
    target: &mut Map<String, Value>,
    accept_lines: bool,
) -> Result<Changes, ODataError> {
    let mut changes = Changes::default();
    for (key, value) in body {
        if key.starts_with("@odata.") || key.contains("@odata.") {
            continue;
        }
        if accept_lines && set.lines == Some(key.as_str()) {
            let Some(items) = value.as_array() else {
                return Err(ODataError::bad_request(format!(
                    "The navigation property '{key}' must be an array of objects."
                )));
            };
            let mut lines = Vec::with_capacity(items.len());
            for item in items {
                match item.as_object() {
                    Some(line) => lines.push(line.clone()),
                    None => {
                        return Err(ODataError::bad_request(format!(
                            "The navigation property '{key}' must be an array of objects."
                        )));
                    }
                }
            }
            changes.lines = Some(lines);
            continue;
        }
        let Some(property) = set.property(key) else {
            return Err(ODataError::bad_request(format!(
                "The property '{key}' does not exist on type 'Microsoft.NAV.{}'. Make sure to only use property names that are defined by the type.",
                set.entity
            )));
        };
        if !property.writable {
            continue;
        }
        target.insert(key.clone(), convert(property, value)?);
        changes.keys.push(property.name);
    }
    Ok(changes)
}

fn convert(property: &Property, value: &Value) -> Result<Value, ODataError> {
    let kind = property.kind;
    let mismatch = || {
        ODataError::bad_request(format!(
            "Cannot convert the literal '{}' to the expected type '{}' of property '{}'.",
            literal_text(value),
            kind.edm(),
            property.name
        ))
    };
    if value.is_null() {
        return Err(ODataError::bad_request(format!(
            "A null value was found for the property named '{}', which has the expected type '{}[Nullable=False]'. The expected type '{}[Nullable=False]' does not allow null values.",
            property.name,
            kind.edm(),
            kind.edm()
        )));
    }
    match kind {
        Kind::Text(max) => {
            let text = value.as_str().ok_or_else(mismatch)?;
            let length = text.chars().count();
            if length > max {
                return Err(ODataError::bad_request(format!(
                    "The length of the string is {length}, but it must be less than or equal to {max} characters. Value: {text}"
                )));
            }
            Ok(Value::String(text.to_string()))
        }
        Kind::Choice(options) => {
            let text = value.as_str().ok_or_else(mismatch)?;
            options
                .iter()
                .find(|o| o.eq_ignore_ascii_case(text))
                .map(|o| Value::String((*o).to_string()))
                .ok_or_else(|| {
                    ODataError::bad_request(format!(
                        "The value '{text}' is not valid for '{}'; valid values are {}.",
                        property.name,
                        options.join(", ")
                    ))
                })
        }
        Kind::Decimal => match value {
            Value::Number(n) => Decimal::from_str(&n.to_string())
                .or_else(|_| Decimal::from_scientific(&n.to_string()))
                .map(decimal_value)
                .map_err(|_| mismatch()),
            _ => Err(mismatch()),
        },
        Kind::Integer => value
            .as_i64()
            .filter(|n| i32::try_from(*n).is_ok())
            .map(Value::from)
            .ok_or_else(mismatch),
        Kind::Boolean => value.as_bool().map(Value::Bool).ok_or_else(mismatch),
        Kind::Date => value
            .as_str()
            .and_then(|s| Date::from_str(s).ok())
            .map(|d| Value::String(d.to_string()))
            .ok_or_else(mismatch),
        Kind::DateTime => value
            .as_str()
            .and_then(|s| Timestamp::from_str(s).ok())
            .map(|t| Value::String(format_time(t)))
            .ok_or_else(mismatch),
        Kind::Guid => value
            .as_str()
            .filter(|s| is_guid(s))
            .map(|s| Value::String(s.to_ascii_lowercase()))
            .ok_or_else(mismatch),
    }
}

fn literal_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
