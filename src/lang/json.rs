//! JSON lines straight to [`Value`] and back, fast and exact.
//!
//! Parsing deserializes directly into `Value` (no intermediate `serde_json::Value`). The crate
//! builds serde_json with `arbitrary_precision`, so every number arrives as a one-entry map
//! keyed by serde_json's private number token, holding the number's text: integers that fit
//! become `Int`, others exact `Decimal`s (`12.50` keeps its scale), never f64.

use std::fmt;
use std::io::Write as _;

use rust_decimal::Decimal;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::diagnostics::{Code, Diagnostic};

use super::{Map, Value};

/// serde_json's key for a number under `arbitrary_precision`.
const NUMBER_TOKEN: &str = "$serde_json::private::Number";

/// A line that is not one JSON object.
#[derive(Clone, Debug, PartialEq)]
pub struct JsonError {
    pub message: String,
    /// 1-based column of the problem (0 when unknown).
    pub column: usize,
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for JsonError {}

impl JsonError {
    pub fn to_diagnostic(&self) -> Diagnostic {
        Diagnostic::unlocated(Code::InvalidInput, self.message.clone())
    }
}

/// One JSON object (a line of `ferry map` input).
pub fn parse_record(line: &[u8]) -> Result<Value, JsonError> {
    let mut deserializer = serde_json::Deserializer::from_slice(line);
    let value = ValueSeed.deserialize(&mut deserializer).map_err(error)?;
    deserializer.end().map_err(error)?;
    match value {
        Value::Object(_) => Ok(value),
        other => Err(JsonError {
            message: format!("expected a JSON object, found {}", other.kind()),
            column: 1,
        }),
    }
}

/// Any JSON value, numbers exact.
pub fn parse_value(text: &[u8]) -> Result<Value, JsonError> {
    let mut deserializer = serde_json::Deserializer::from_slice(text);
    let value = ValueSeed.deserialize(&mut deserializer).map_err(error)?;
    deserializer.end().map_err(error)?;
    Ok(value)
}

fn error(e: serde_json::Error) -> JsonError {
    JsonError {
        message: e.to_string(),
        column: e.column(),
    }
}

/// Number text to a value: `Int` when it fits, else an exact `Decimal`, else (more than 28
/// significant digits) the text itself, so nothing is lost.
pub(crate) fn number(text: &str) -> Value {
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

struct ValueSeed;

impl<'de> DeserializeSeed<'de> for ValueSeed {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_bool<E>(self, b: bool) -> Result<Value, E> {
        Ok(Value::Bool(b))
    }

    // Without `arbitrary_precision` numbers come this way; kept exact where possible.
    fn visit_i64<E>(self, n: i64) -> Result<Value, E> {
        Ok(Value::Int(n))
    }

    fn visit_u64<E>(self, n: u64) -> Result<Value, E> {
        Ok(i64::try_from(n).map_or_else(|_| Value::Decimal(Decimal::from(n)), Value::Int))
    }

    fn visit_f64<E: de::Error>(self, n: f64) -> Result<Value, E> {
        Decimal::try_from(n)
            .map(Value::Decimal)
            .map_err(|_| E::custom("number out of range"))
    }

    fn visit_str<E>(self, s: &str) -> Result<Value, E> {
        Ok(Value::string(s))
    }

    fn visit_string<E>(self, s: String) -> Result<Value, E> {
        Ok(Value::string(s))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(item) = seq.next_element_seed(ValueSeed)? {
            items.push(item);
        }
        Ok(Value::list(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let first = match map.next_key_seed(KeySeed)? {
            None => return Ok(Value::object(Map::new())),
            Some(Key::Number) => return map.next_value_seed(NumberSeed),
            Some(Key::Name(name)) => name,
        };
        let mut fields = Map::with_capacity(8);
        fields.insert(first, map.next_value_seed(ValueSeed)?);
        while let Some(key) = map.next_key_seed(KeySeed)? {
            let name = match key {
                Key::Name(name) => name,
                Key::Number => NUMBER_TOKEN.to_string(),
            };
            fields.insert(name, map.next_value_seed(ValueSeed)?);
        }
        Ok(Value::object(fields))
    }
}

enum Key {
    Number,
    Name(String),
}

struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Key;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Key, D::Error> {
        deserializer.deserialize_str(KeyVisitor)
    }
}

struct KeyVisitor;

impl<'de> Visitor<'de> for KeyVisitor {
    type Value = Key;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_str<E>(self, s: &str) -> Result<Key, E> {
        Ok(if s == NUMBER_TOKEN {
            Key::Number
        } else {
            Key::Name(s.to_owned())
        })
    }

    fn visit_string<E>(self, s: String) -> Result<Key, E> {
        Ok(if s == NUMBER_TOKEN {
            Key::Number
        } else {
            Key::Name(s)
        })
    }
}

struct NumberSeed;

impl<'de> DeserializeSeed<'de> for NumberSeed {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_str(NumberVisitor)
    }
}

struct NumberVisitor;

impl<'de> Visitor<'de> for NumberVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a number")
    }

    fn visit_str<E>(self, s: &str) -> Result<Value, E> {
        Ok(number(s))
    }
}

/// Writes `value` as compact JSON: decimals with their exact text, timestamps RFC 3339, dates
/// `YYYY-MM-DD`, durations ISO 8601 (as `string()` gives them), `omit` entries left out,
/// missing as null.
pub fn write_record(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Null | Value::Missing | Value::Omit => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Int(i) => write_int(*i, out),
        Value::Decimal(d) => {
            let _ = write!(out, "{d}");
        }
        Value::String(s) => write_string(s, out),
        Value::Timestamp(t) => {
            let _ = write!(out, "\"{t}\"");
        }
        Value::Date(d) => {
            let _ = write!(out, "\"{d}\"");
        }
        Value::Duration(d) => {
            let _ = write!(out, "\"{d}\"");
        }
        Value::List(items) => {
            out.push(b'[');
            let mut first = true;
            for item in items.iter().filter(|v| !matches!(v, Value::Omit)) {
                if !first {
                    out.push(b',');
                }
                first = false;
                write_record(item, out);
            }
            out.push(b']');
        }
        Value::Object(fields) => {
            out.push(b'{');
            let mut first = true;
            for (key, item) in fields.iter() {
                if matches!(item, Value::Omit) {
                    continue;
                }
                if !first {
                    out.push(b',');
                }
                first = false;
                write_string(key, out);
                out.push(b':');
                write_record(item, out);
            }
            out.push(b'}');
        }
    }
}

fn write_int(value: i64, out: &mut Vec<u8>) {
    let mut buffer = [0u8; 20];
    let mut n = value.unsigned_abs();
    let mut at = buffer.len();
    loop {
        at -= 1;
        buffer[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    if value < 0 {
        out.push(b'-');
    }
    out.extend_from_slice(&buffer[at..]);
}

/// Which bytes need escaping: 0 none, `u` as `\u00XX`, else the letter after the backslash.
static ESCAPE: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut i = 0;
    while i < 0x20 {
        table[i] = b'u';
        i += 1;
    }
    table[0x08] = b'b';
    table[0x09] = b't';
    table[0x0a] = b'n';
    table[0x0c] = b'f';
    table[0x0d] = b'r';
    table[b'"' as usize] = b'"';
    table[b'\\' as usize] = b'\\';
    table
};

fn write_string(text: &str, out: &mut Vec<u8>) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let bytes = text.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    let mut start = 0;
    for (i, &byte) in bytes.iter().enumerate() {
        let escape = ESCAPE[byte as usize];
        if escape == 0 {
            continue;
        }
        out.extend_from_slice(&bytes[start..i]);
        if escape == b'u' {
            out.extend_from_slice(b"\\u00");
            out.push(HEX[(byte >> 4) as usize]);
            out.push(HEX[(byte & 0xf) as usize]);
        } else {
            out.push(b'\\');
            out.push(escape);
        }
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}
