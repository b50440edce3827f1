//! What a function call sees: its arguments, its context, and how it ends without a value.
//! The evaluator (`lang`) builds these and the standard library (`functions`) reads them.

use super::Value;
use super::cross_reference::CrossReferences;
use super::fetch::{FetchRequest, Related};

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

/// Invokes a closure argument (`|x| ...`) with its parameters.
pub type Closure<'a> = dyn FnMut(&[Value]) -> Result<Value, FunctionError> + 'a;

/// The arguments of one call, in parameter order, defaults filled in.
pub struct CallArgs<'a, 'c> {
    pub values: Vec<Value>,
    pub closure: Option<&'a mut Closure<'c>>,
    pub context: &'a CallContext<'a>,
}

/// A function's body: what a `FunctionSpec` calls.
pub type Implementation = fn(&mut CallArgs) -> Result<Value, FunctionError>;
