//! JSON straight into and out of [`Value`], with exact numbers and no intermediate tree.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::value::{Map, Value};

/// serde_json's key for numbers kept as text (the `arbitrary_precision` feature).
pub(crate) const NUMBER_TOKEN: &str = "$serde_json::private::Number";

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct JsonError(pub(crate) String);

/// Parses one JSON document (a record: any JSON value is accepted, objects expected).
pub fn parse_record(bytes: &[u8]) -> Result<Value, JsonError> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = ValueSeed
        .deserialize(&mut deserializer)
        .map_err(|e| JsonError(e.to_string()))?;
    deserializer.end().map_err(|e| JsonError(e.to_string()))?;
    match value {
        Value::Object(_) => Ok(value),
        other => Err(JsonError(format!(
            "expected a JSON object, found {}",
            other.kind()
        ))),
    }
}

/// Parses any JSON value.
pub fn parse_value(bytes: &[u8]) -> Result<Value, JsonError> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = ValueSeed
        .deserialize(&mut deserializer)
        .map_err(|e| JsonError(e.to_string()))?;
    deserializer.end().map_err(|e| JsonError(e.to_string()))?;
    Ok(value)
}

/// A JSON number's text as an int when it fits, else an exact decimal, else its text.
pub fn number_from_text(text: &str) -> Value {
    if !text.contains(['.', 'e', 'E'])
        && let Ok(i) = text.parse::<i64>()
    {
        return Value::Int(i);
    }
    let decimal = if text.contains(['e', 'E']) {
        Decimal::from_scientific(text)
    } else {
        Decimal::from_str_exact(text)
    };
    match decimal.or_else(|_| Decimal::from_str(text)) {
        Ok(d) if d.to_string() == text || text.contains(['e', 'E']) => Value::Decimal(d),
        _ => Value::string(text),
    }
}

pub(crate) struct ValueSeed;

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
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Int(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(i64::try_from(v)
            .map(Value::Int)
            .unwrap_or_else(|_| Value::Decimal(Decimal::from(v))))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Err(E::custom(format!(
            "the number {v} arrived as a float; ferry reads numbers exactly"
        )))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::string(v))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::string(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(4));
        while let Some(item) = seq.next_element_seed(ValueSeed)? {
            items.push(item);
        }
        Ok(Value::list(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        // The number token and the number's text are read without allocating.
        let first = match access.next_key_seed(KeySeed)? {
            None => return Ok(Value::object(Map::new())),
            Some(Key::Number) => return access.next_value_seed(NumberSeed),
            Some(Key::Name(name)) => name,
        };
        let mut map = Map::with_capacity(access.size_hint().unwrap_or(8));
        map.insert(first, access.next_value_seed(ValueSeed)?);
        while let Some(key) = access.next_key_seed(KeySeed)? {
            let name = match key {
                Key::Name(name) => name,
                Key::Number => NUMBER_TOKEN.to_string(),
            };
            let value = access.next_value_seed(ValueSeed)?;
            map.insert(name, value);
        }
        Ok(Value::object(map))
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
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = Key;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object key")
            }
            fn visit_str<E>(self, v: &str) -> Result<Key, E> {
                Ok(if v == NUMBER_TOKEN {
                    Key::Number
                } else {
                    Key::Name(v.to_owned())
                })
            }
            fn visit_string<E>(self, v: String) -> Result<Key, E> {
                Ok(if v == NUMBER_TOKEN {
                    Key::Number
                } else {
                    Key::Name(v)
                })
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

pub(crate) struct NumberSeed;

impl<'de> DeserializeSeed<'de> for NumberSeed {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        struct NumberVisitor;
        impl Visitor<'_> for NumberVisitor {
            type Value = Value;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a number")
            }
            fn visit_str<E>(self, v: &str) -> Result<Value, E> {
                Ok(number_from_text(v))
            }
        }
        deserializer.deserialize_str(NumberVisitor)
    }
}

/// Writes compact JSON: `omit` fields left out, missing as null, decimals with their exact text,
/// timestamps as RFC 3339 and dates as `YYYY-MM-DD` strings.
pub fn write_record(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Null | Value::Missing | Value::Omit => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Int(i) => out.extend_from_slice(itoa::Buffer::new().format(*i).as_bytes()),
        Value::Decimal(d) => out.extend_from_slice(d.to_string().as_bytes()),
        Value::String(s) => write_string(s, out),
        Value::Timestamp(t) => write_string(&t.to_string(), out),
        Value::Date(d) => write_string(&d.to_string(), out),
        Value::Duration(d) => write_string(&d.to_string(), out),
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
        Value::Object(map) => {
            out.push(b'{');
            let mut first = true;
            for (key, item) in map.iter() {
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

fn write_string(text: &str, out: &mut Vec<u8>) {
    out.push(b'"');
    let bytes = text.as_bytes();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escape: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x00..=0x1f => b"",
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..i]);
        if escape.is_empty() {
            out.extend_from_slice(format!("\\u{b:04x}").as_bytes());
        } else {
            out.extend_from_slice(escape);
        }
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}
