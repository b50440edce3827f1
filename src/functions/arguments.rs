//! Reading call arguments at run time. The checker has already matched types, but values can
//! still be null or missing (optional types, `any` data), so every accessor checks and fails
//! with a message naming the function, the parameter and the value's kind.

use rust_decimal::Decimal;

use crate::value::Value;
use crate::value::{CallArgs, FunctionError};

pub type Outcome = Result<Value, FunctionError>;

pub fn failed(message: impl Into<String>) -> FunctionError {
    FunctionError::Failed(message.into())
}

static MISSING: Value = Value::Missing;

/// Argument `i` (missing if the evaluator passed fewer).
pub fn arg<'v>(args: &'v CallArgs, i: usize) -> &'v Value {
    args.values.get(i).unwrap_or(&MISSING)
}

fn wrong(function: &str, param: &str, expected: &str, value: &Value) -> FunctionError {
    failed(format!(
        "{function}: `{param}` must be {expected}, got {}",
        describe(value)
    ))
}

/// A value's kind and, for short scalars, the value itself: `string "abc"`, `int 5`, `null`.
pub fn describe(value: &Value) -> String {
    match value {
        Value::String(s) if s.chars().count() <= 40 => format!("string {s:?}"),
        Value::Int(i) => format!("int {i}"),
        Value::Decimal(d) => format!("decimal {d}"),
        Value::Bool(b) => format!("bool {b}"),
        other => other.kind().to_string(),
    }
}

pub fn text<'v>(
    args: &'v CallArgs,
    i: usize,
    function: &str,
    param: &str,
) -> Result<&'v str, FunctionError> {
    let value = arg(args, i);
    value
        .as_str()
        .ok_or_else(|| wrong(function, param, "a string", value))
}

/// A string argument that may be null or missing.
pub fn optional_text<'v>(
    args: &'v CallArgs,
    i: usize,
    function: &str,
    param: &str,
) -> Result<Option<&'v str>, FunctionError> {
    match arg(args, i) {
        Value::Null | Value::Missing => Ok(None),
        _ => text(args, i, function, param).map(Some),
    }
}

pub fn int(args: &CallArgs, i: usize, function: &str, param: &str) -> Result<i64, FunctionError> {
    match arg(args, i) {
        Value::Int(n) => Ok(*n),
        other => Err(wrong(function, param, "an int", other)),
    }
}

pub fn optional_int(
    args: &CallArgs,
    i: usize,
    function: &str,
    param: &str,
) -> Result<Option<i64>, FunctionError> {
    match arg(args, i) {
        Value::Null | Value::Missing => Ok(None),
        _ => int(args, i, function, param).map(Some),
    }
}

/// An int or a decimal, as a decimal.
pub fn number(
    args: &CallArgs,
    i: usize,
    function: &str,
    param: &str,
) -> Result<Decimal, FunctionError> {
    match arg(args, i) {
        Value::Int(n) => Ok(Decimal::from(*n)),
        Value::Decimal(d) => Ok(*d),
        other => Err(wrong(function, param, "a number", other)),
    }
}

pub fn list<'v>(
    args: &'v CallArgs,
    i: usize,
    function: &str,
    param: &str,
) -> Result<&'v [Value], FunctionError> {
    match arg(args, i) {
        Value::List(items) => Ok(items),
        other => Err(wrong(function, param, "a list", other)),
    }
}

/// A list argument as a shared handle, so a closure can be called while iterating it.
pub fn owned_list(
    args: &CallArgs,
    i: usize,
    function: &str,
    param: &str,
) -> Result<std::sync::Arc<Vec<Value>>, FunctionError> {
    match arg(args, i) {
        Value::List(items) => Ok(items.clone()),
        other => Err(wrong(function, param, "a list", other)),
    }
}

pub fn object<'v>(
    args: &'v CallArgs,
    i: usize,
    function: &str,
    param: &str,
) -> Result<&'v crate::value::Map, FunctionError> {
    match arg(args, i) {
        Value::Object(map) => Ok(map),
        other => Err(wrong(function, param, "an object", other)),
    }
}

/// Calls the closure argument with one value.
pub fn call_closure(args: &mut CallArgs, function: &str, value: &Value) -> Outcome {
    match args.closure.as_mut() {
        Some(closure) => closure(std::slice::from_ref(value)),
        None => Err(failed(format!(
            "{function}: expects a closure such as `|x| x.id`"
        ))),
    }
}

/// Calls the closure and requires a bool.
pub fn test_closure(
    args: &mut CallArgs,
    function: &str,
    value: &Value,
) -> Result<bool, FunctionError> {
    match call_closure(args, function, value)? {
        Value::Bool(b) => Ok(b),
        other => Err(failed(format!(
            "{function}: the closure must return a bool, got {}",
            describe(&other)
        ))),
    }
}
