//! A standard-library function is a spec: signature, fallibility, doc, examples, and the
//! implementation. The examples run as tests and fill the language reference.

use crate::check::Signature;
use crate::lang::Value;

/// One example: a ferry expression and its expected result as JSON, or the start of the
/// expected failure message.
#[derive(Clone, Copy, Debug)]
pub struct Example {
    pub call: &'static str,
    pub result: Result<&'static str, &'static str>,
}

/// How a call ends when it does not return a value.
#[derive(Clone, Debug, PartialEq)]
pub enum FunctionError {
    /// A fallible function failed on this input (the record gets E0705 unless handled).
    Failed(String),
    /// `skip("reason")`: drop the record, on purpose.
    Skip(String),
    /// `fail("reason")`: dead-letter the record.
    Fail(String),
    /// `fetch(...)` needs an object not fetched yet: the runner fetches it and maps again.
    Fetch(FetchRequest),
}

/// What a call receives besides its arguments.
pub struct CallContext<'a> {
    /// The pipeline's `timezone`, when set (a `tz` argument overrides it).
    pub timezone: Option<&'a jiff::tz::TimeZone>,
    /// The clock: fixed in tests.
    pub now: jiff::Timestamp,
    /// Cross references known to the store: (collection, source id) -> target id.
    pub cross_references: &'a dyn CrossReferences,
    /// Folder of the pipeline file, for `json("fixture.json")` in tests.
    pub base_dir: &'a std::path::Path,
    /// Objects fetched from the APIs for `fetch(...)` and `fetch_all(...)`.
    pub related: &'a dyn Related,
}

pub trait CrossReferences: Sync {
    /// The id, in `collection`, of the record linked with `source_id`.
    fn target_id(&self, collection: &str, source_id: &str) -> Option<String>;
    /// Key `key` (`number`) of that record, as the target gave it when it was written.
    fn target_key(&self, collection: &str, key: &str, source_id: &str) -> Option<String>;
}

/// No store: every cross reference misses.
pub struct NoCrossReferences;

impl CrossReferences for NoCrossReferences {
    fn target_id(&self, _collection: &str, _source_id: &str) -> Option<String> {
        None
    }

    fn target_key(&self, _collection: &str, _key: &str, _source_id: &str) -> Option<String> {
        None
    }
}

/// An object (by id) or a filtered list that a mapping needs from an API.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FetchRequest {
    /// `connection.stream`, such as `stripe.balance_transactions`.
    pub collection: String,
    /// `fetch(collection, id)`: one object.
    pub id: Option<String>,
    /// `fetch_all(collection, { name: value })`: list filters, sorted by name.
    pub filters: Vec<(String, String)>,
}

impl FetchRequest {
    pub fn one(collection: &str, id: &str) -> FetchRequest {
        FetchRequest {
            collection: collection.to_string(),
            id: Some(id.to_string()),
            filters: Vec::new(),
        }
    }

    pub fn all(collection: &str, mut filters: Vec<(String, String)>) -> FetchRequest {
        filters.sort();
        FetchRequest {
            collection: collection.to_string(),
            id: None,
            filters,
        }
    }

    /// `stripe.customers/cus_1` or `stripe.balance_transactions?payout=po_1`: how test blocks
    /// name fetched objects.
    pub fn key(&self) -> String {
        match &self.id {
            Some(id) => format!("{}/{id}", self.collection),
            None => {
                let query: Vec<String> = self
                    .filters
                    .iter()
                    .map(|(name, value)| format!("{name}={value}"))
                    .collect();
                format!("{}?{}", self.collection, query.join("&"))
            }
        }
    }
}

impl std::fmt::Display for FetchRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.key())
    }
}

/// What has been fetched so far: `None` when `request` has not been fetched yet, `Some(None)`
/// when the API has no such object.
pub trait Related: Sync {
    fn fetched(&self, request: &FetchRequest) -> Option<Option<Value>>;
}

/// Nothing fetched, and nothing can be (`ferry map`, standard-library examples).
pub struct NoRelated;

impl Related for NoRelated {
    fn fetched(&self, _request: &FetchRequest) -> Option<Option<Value>> {
        None
    }
}

/// Fetched objects by [`FetchRequest::key`]: test blocks' `fetched = { ... }`.
#[derive(Default, Debug, Clone)]
pub struct FetchedByKey(pub std::collections::HashMap<String, Value>);

impl Related for FetchedByKey {
    fn fetched(&self, request: &FetchRequest) -> Option<Option<Value>> {
        match self.0.get(&request.key()) {
            Some(Value::Null) => Some(None),
            Some(value) => Some(Some(value.clone())),
            None => None,
        }
    }
}

/// Invokes a closure argument (`|x| ...`) with its parameters.
pub type Closure<'a> = dyn FnMut(&[Value]) -> Result<Value, FunctionError> + 'a;

/// The arguments of one call, in parameter order, defaults filled in.
pub struct CallArgs<'a, 'c> {
    pub values: Vec<Value>,
    pub closure: Option<&'a mut Closure<'c>>,
    pub context: &'a CallContext<'a>,
}

pub type Implementation = fn(&mut CallArgs) -> Result<Value, FunctionError>;

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
pub fn default_value(param: &crate::check::ParamSig) -> Value {
    param.default.and_then(parse_default).unwrap_or(Value::Null)
}
