//! What running one record gives, and how evaluation stops early.

use crate::diagnostics::{Code, Diagnostic, Span};
use crate::value::{CrossReferences, FetchRequest, Related, Value};

/// The clock and the store a record is mapped against.
pub struct RunEnv<'a> {
    pub now: jiff::Timestamp,
    pub cross_references: &'a dyn CrossReferences,
    pub related: &'a dyn Related,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// The output object.
    Mapped(Value),
    /// A `where` was false.
    Filtered,
    /// `skip("reason")`.
    Skipped(String),
    /// The record goes to the dead-letter queue.
    Failed(RecordError),
    /// `fetch(...)` needs this from the API first; map the record again once it is fetched.
    NeedsFetch(FetchRequest),
}

/// A failure of one record, at the expression that failed.
#[derive(Clone, Debug, PartialEq)]
pub struct RecordError {
    pub code: Code,
    pub message: String,
    pub span: Span,
}

impl RecordError {
    pub fn new(code: Code, span: Span, message: impl Into<String>) -> Self {
        RecordError {
            code,
            message: message.into(),
            span,
        }
    }

    pub fn to_diagnostic(&self) -> Diagnostic {
        Diagnostic::new(self.code, self.span, self.message.clone())
            .with_label("while evaluating this")
    }
}

impl std::fmt::Display for RecordError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

/// Why evaluation stopped before producing a value.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Flow {
    /// A failure `??` may replace (a lookup miss, a failed parse, reading a field of null).
    Fail(RecordError),
    /// `skip(...)`: not caught by `??`.
    Skip(String),
    /// `fail(...)` or `!`: not caught by `??`.
    Abort(RecordError),
    /// An object to fetch before the record can be mapped: not caught by `??`.
    Fetch(FetchRequest),
}

pub(crate) type Eval = Result<Value, Flow>;

pub(crate) fn fail(code: Code, span: Span, message: impl Into<String>) -> Flow {
    Flow::Fail(RecordError::new(code, span, message))
}
