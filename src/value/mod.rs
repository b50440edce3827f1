//! The value model: exact decimals, instants and dates, and the three kinds of nothing
//! (null, missing, omit) kept apart; its exact JSON form; and what a function call sees.
//!
//! A leaf: it uses no other module of ferry. The standard library (`functions`) builds on it
//! without depending on the evaluator (`lang`) that calls it.

mod call;
mod cross_reference;
mod fetch;
pub mod json;

pub use call::{CallArgs, CallContext, Closure, FunctionError, Implementation};
pub use cross_reference::{CrossReferences, NoCrossReferences};
pub use fetch::{FetchRequest, FetchedByKey, NoRelated, Related};

use std::sync::Arc;

use indexmap::IndexMap;
use rust_decimal::Decimal;

pub type Map = IndexMap<String, Value>;

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    /// A field that is absent from the record (as opposed to present and null).
    Missing,
    /// `omit`: leave the sink field out of the write.
    Omit,
    Bool(bool),
    /// Also minor units: the checker, not the value, knows an int is an amount.
    Int(i64),
    Decimal(Decimal),
    String(Arc<str>),
    Timestamp(jiff::Timestamp),
    Date(jiff::civil::Date),
    Duration(jiff::SignedDuration),
    List(Arc<Vec<Value>>),
    Object(Arc<Map>),
}

impl Value {
    pub fn string(text: impl Into<Arc<str>>) -> Value {
        Value::String(text.into())
    }

    pub fn list(items: Vec<Value>) -> Value {
        Value::List(Arc::new(items))
    }

    pub fn object(map: Map) -> Value {
        Value::Object(Arc::new(map))
    }

    /// Null, missing and omit: the values `??` replaces.
    pub fn is_nothing(&self) -> bool {
        matches!(self, Value::Null | Value::Missing | Value::Omit)
    }

    /// The name of the value's kind, for messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Missing => "missing",
            Value::Omit => "omit",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Decimal(_) => "decimal",
            Value::String(_) => "string",
            Value::Timestamp(_) => "timestamp",
            Value::Date(_) => "date",
            Value::Duration(_) => "duration",
            Value::List(_) => "list",
            Value::Object(_) => "object",
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// A field of an object; `Missing` when the object lacks it.
    pub fn get(&self, key: &str) -> Value {
        match self {
            Value::Object(map) => map.get(key).cloned().unwrap_or(Value::Missing),
            _ => Value::Missing,
        }
    }
}
