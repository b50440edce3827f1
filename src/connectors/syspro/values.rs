//! Field values between ferry's records (JSON) and Syspro's XML text.

use rust_decimal::Decimal;
use serde_json::{Map, Value};

use super::xml::{Element, write_element};
use crate::connectors::build::{Kind, Prop};

/// A mapped value as element text; `None` leaves the element out. Booleans are Syspro's Y/N.
pub fn wire_text(value: &Value) -> Result<Option<String>, String> {
    match value {
        Value::Null => Ok(None),
        Value::String(text) => Ok(Some(text.clone())),
        Value::Number(number) => Ok(Some(number.to_string())),
        Value::Bool(flag) => Ok(Some(if *flag { "Y" } else { "N" }.to_string())),
        Value::Array(_) | Value::Object(_) => {
            Err("a list or object where Syspro takes text".into())
        }
    }
}

/// Appends `<element>value</element>` for `field` of `record` when it has a value.
pub fn write_field(
    out: &mut String,
    record: &Value,
    field: &str,
    element: &str,
) -> Result<(), String> {
    let Some(value) = record.get(field) else {
        return Ok(());
    };
    if let Some(text) = wire_text(value).map_err(|reason| format!("`{field}`: {reason}"))? {
        write_element(out, element, &text);
    }
    Ok(())
}

/// The props of `table` that `element` holds, as a record: decimals as numbers, everything
/// else as text; empty elements are left out.
pub fn read_props(element: &Element, table: &[Prop]) -> Map<String, Value> {
    let mut record = Map::new();
    for prop in table {
        if let Some(text) = element.text_of(prop.name) {
            record.insert(prop.name.to_string(), typed(prop.kind, text));
        }
    }
    record
}

/// Element text as a JSON value of `kind`: a decimal that parses becomes an exact number.
pub fn typed(kind: Kind, text: &str) -> Value {
    if matches!(kind, Kind::Decimal | Kind::Int) && text.parse::<Decimal>().is_ok() {
        let normal = text.trim_start_matches('+');
        if let Ok(number) = serde_json::from_str::<serde_json::Number>(normal) {
            return Value::Number(number);
        }
    }
    Value::String(text.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connectors::build::{Kind, rw};
    use serde_json::json;

    #[test]
    fn values_become_text_and_back() {
        assert_eq!(wire_text(&json!(true)).unwrap().as_deref(), Some("Y"));
        assert_eq!(wire_text(&json!(null)).unwrap(), None);
        assert!(wire_text(&json!([1])).is_err());
        let element =
            super::super::xml::parse("<R><Price>125.50</Price><Name>A</Name><Empty/></R>").unwrap();
        let table = [
            rw("Price", Kind::Decimal),
            rw("Name", Kind::String),
            rw("Empty", Kind::String),
        ];
        let record = read_props(&element, &table);
        assert_eq!(record["Price"].to_string(), "125.50");
        assert_eq!(record["Name"], json!("A"));
        assert!(!record.contains_key("Empty"));
    }
}
