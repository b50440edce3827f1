//! A standard-library function is a spec: signature, fallibility, doc, examples, and the
//! implementation. The examples run as tests and fill the language reference.

use crate::check::{ParamSig, Signature};
use crate::value::{Implementation, Value};

/// One example: a ferry expression and its expected result as JSON, or the start of the
/// expected failure message.
#[derive(Clone, Copy, Debug)]
pub struct Example {
    pub call: &'static str,
    pub result: Result<&'static str, &'static str>,
}

pub struct FunctionSpec {
    pub signature: Signature,
    /// Which family it belongs to (money, text, collections, time, conversion, contact, ...).
    pub family: &'static str,
    /// One paragraph.
    pub doc: &'static str,
    pub examples: &'static [Example],
    pub call: Implementation,
}

/// The value of a parameter's default, for the evaluator to fill in a left-out argument.
///
/// The default text is a simple literal: an int (`0`), a decimal (`0.10`, exact), a string in
/// double quotes (`"half_even"`, no escapes), `true`, `false` or `null`. Text that is none of
/// these gives `None` (a test checks every default in the standard library parses).
pub fn parse_default(text: &str) -> Option<Value> {
    let text = text.trim();
    match text {
        "null" => return Some(Value::Null),
        "true" => return Some(Value::Bool(true)),
        "false" => return Some(Value::Bool(false)),
        _ => {}
    }
    if let Some(inner) = text.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
        return (!inner.contains('"')).then(|| Value::string(inner));
    }
    if let Ok(int) = text.parse::<i64>() {
        return Some(Value::Int(int));
    }
    if text.contains('.') {
        return rust_decimal::Decimal::from_str_exact(text)
            .ok()
            .map(Value::Decimal);
    }
    None
}

/// The value a left-out argument takes: its parameter's default, or null when the parameter
/// has none (or its default text does not parse, which the registry tests rule out).
pub fn default_value(param: &ParamSig) -> Value {
    param.default.and_then(parse_default).unwrap_or(Value::Null)
}
