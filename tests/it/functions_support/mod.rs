//! Calling standard-library functions directly, as the evaluator will.

use std::collections::HashMap;
use std::path::Path;

use ferry::functions::{Registry, default_value};
use ferry::value::Value;
use ferry::value::json::{from_json, to_json};
use ferry::value::{CallArgs, CallContext, CrossReferences, FunctionError};

pub struct Xrefs(pub HashMap<(String, String), String>);

impl CrossReferences for Xrefs {
    fn target_id(&self, collection: &str, source_id: &str) -> Option<String> {
        self.0
            .get(&(collection.to_string(), source_id.to_string()))
            .cloned()
    }

    /// Keys are given as `collection.key`: `("business_central.customers.number", "cus_1")`.
    fn target_key(&self, collection: &str, key: &str, source_id: &str) -> Option<String> {
        self.0
            .get(&(format!("{collection}.{key}"), source_id.to_string()))
            .cloned()
    }
}

pub struct Setup {
    pub timezone: Option<jiff::tz::TimeZone>,
    pub now: jiff::Timestamp,
    pub xrefs: Xrefs,
    pub base_dir: std::path::PathBuf,
}

impl Default for Setup {
    fn default() -> Self {
        Setup {
            timezone: None,
            now: "2026-01-01T00:00:00Z".parse().unwrap(),
            xrefs: Xrefs(HashMap::new()),
            base_dir: std::path::PathBuf::from("."),
        }
    }
}

impl Setup {
    pub fn in_zone(name: &str) -> Setup {
        Setup {
            timezone: Some(jiff::tz::TimeZone::get(name).unwrap()),
            ..Setup::default()
        }
    }

    /// Calls `name` with leading arguments; parameters left out get their defaults.
    pub fn call(&self, name: &str, values: Vec<Value>) -> Result<Value, FunctionError> {
        self.call_with(name, values, None)
    }

    pub fn call_with(
        &self,
        name: &str,
        mut values: Vec<Value>,
        closure: Option<&mut ferry::value::Closure<'_>>,
    ) -> Result<Value, FunctionError> {
        let spec = Registry::standard()
            .get(name)
            .unwrap_or_else(|| panic!("no function {name}"));
        if !spec.signature.variadic {
            for param in spec.signature.params.iter().skip(values.len()) {
                values.push(default_value(param));
            }
        }
        let context = CallContext {
            timezone: self.timezone.as_ref(),
            now: self.now,
            cross_references: &self.xrefs,
            related: &ferry::value::NoRelated,
            base_dir: Path::new(&self.base_dir),
        };
        let mut args = CallArgs {
            values,
            closure,
            context: &context,
        };
        (spec.call)(&mut args)
    }
}

pub fn call(name: &str, values: Vec<Value>) -> Result<Value, FunctionError> {
    Setup::default().call(name, values)
}

/// Calls and renders the result as JSON text (compact, exact numbers).
pub fn json_of(name: &str, values: Vec<Value>) -> String {
    match call(name, values) {
        Ok(v) => to_json(&v).to_string(),
        Err(e) => format!("error: {e:?}"),
    }
}

/// The failure message of a call that must fail with `Failed`.
pub fn failure(result: Result<Value, FunctionError>) -> String {
    match result {
        Err(FunctionError::Failed(m)) => m,
        other => panic!("expected a failure, got {other:?}"),
    }
}

/// A value from JSON text (exact numbers).
pub fn v(json: &str) -> Value {
    from_json(&serde_json::from_str(json).unwrap())
}

pub fn s(text: &str) -> Value {
    Value::string(text)
}

pub fn d(text: &str) -> Value {
    Value::Decimal(rust_decimal::Decimal::from_str_exact(text).unwrap())
}

pub fn ts(text: &str) -> Value {
    Value::Timestamp(text.parse().unwrap())
}

pub fn date(text: &str) -> Value {
    Value::Date(text.parse().unwrap())
}

pub fn show(value: &Value) -> String {
    to_json(value).to_string()
}
