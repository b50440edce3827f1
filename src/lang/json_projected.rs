//! Parsing only the paths of a [`Projection`]; the rest of the line is skipped unread.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::json::{JsonError, NUMBER_TOKEN, NumberSeed, ValueSeed, parse_record};
use super::projection::Projection;
use crate::value::json::from_json;
use crate::value::{Map, Value};

/// Like [`parse_record`], keeping only what the projection names.
pub fn parse_record_projected(bytes: &[u8], projection: &Projection) -> Result<Value, JsonError> {
    if projection.all {
        return parse_record(bytes);
    }
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value = ProjectedSeed(projection)
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

struct ProjectedSeed<'p>(&'p Projection);

impl<'de> DeserializeSeed<'de> for ProjectedSeed<'_> {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(ProjectedVisitor(self.0))
    }
}

struct ProjectedVisitor<'p>(&'p Projection);

impl<'de> Visitor<'de> for ProjectedVisitor<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    // A projected path may hold any kind of value; scalars and lists are kept whole.
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Int(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        Ok(super::json::number_from_text(&v.to_string()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Err(E::custom(format!(
            "the number {v} arrived as a float; ferry reads numbers exactly"
        )))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::string(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(ValueSeed)? {
            items.push(item);
        }
        Ok(Value::list(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        let mut map = Map::with_capacity(self.0.fields.len());
        let mut first = true;
        while let Some(key) = access.next_key_seed(KeySeed(self.0))? {
            match key {
                Key::Number if first => return access.next_value_seed(NumberSeed),
                Key::Wanted(name, child) if child.all => {
                    map.insert(name, access.next_value_seed(ValueSeed)?);
                }
                Key::Wanted(name, child) => {
                    map.insert(name, access.next_value_seed(ProjectedSeed(child))?);
                }
                Key::Number | Key::Skip => {
                    access.next_value::<IgnoredAny>()?;
                }
            }
            first = false;
        }
        Ok(Value::object(map))
    }
}

enum Key<'p> {
    Number,
    Wanted(String, &'p Projection),
    Skip,
}

/// Reads a key without allocating unless the projection wants it.
struct KeySeed<'p>(&'p Projection);

impl<'de, 'p> DeserializeSeed<'de> for KeySeed<'p> {
    type Value = Key<'p>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Key<'p>, D::Error> {
        struct KeyVisitor<'p>(&'p Projection);
        impl<'p> Visitor<'_> for KeyVisitor<'p> {
            type Value = Key<'p>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object key")
            }
            fn visit_str<E>(self, v: &str) -> Result<Key<'p>, E> {
                if v == NUMBER_TOKEN {
                    return Ok(Key::Number);
                }
                Ok(match self.0.fields.iter().find(|(key, _)| key == v) {
                    Some((name, child)) => Key::Wanted(name.clone(), child),
                    None => Key::Skip,
                })
            }
        }
        deserializer.deserialize_str(KeyVisitor(self.0))
    }
}

/// Like [`from_json`], keeping only the fields `projection` names (as
/// [`parse_record_projected`] does): a pipeline's input without what it never reads.
pub fn from_json_projected(json: &serde_json::Value, projection: &Projection) -> Value {
    match json {
        serde_json::Value::Object(fields) if !projection.all => {
            let mut map = Map::with_capacity(projection.fields.len());
            for (key, value) in fields {
                if let Some(child) = projection.field(key) {
                    map.insert(key.clone(), from_json_projected(value, child));
                }
            }
            Value::object(map)
        }
        other => from_json(other),
    }
}
