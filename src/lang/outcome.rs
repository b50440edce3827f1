//! How one record ends, and the faults that travel up through an evaluation.

use crate::diagnostics::{Code, Diagnostic, Span};
use crate::functions::FunctionError;

use super::Value;

/// The result of running one record through a pipeline.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// The output object, fields in assignment order (`omit` fields left out).
    Mapped(Value),
    /// A `where` was false.
    Filtered,
    /// `skip("reason")`.
    Skipped(String),
    /// The record goes to the dead-letter queue.
    Failed(RecordError),
}

/// Why one record failed: a runtime code, a message and the expression at fault.
#[derive(Clone, Debug, PartialEq)]
pub struct RecordError {
    pub code: Code,
    pub message: String,
    pub span: Span,
}

impl RecordError {
    pub fn new(code: Code, span: Span, message: impl Into<String>) -> RecordError {
        RecordError {
            code,
            message: message.into(),
            span,
        }
    }

    pub fn to_diagnostic(&self) -> Diagnostic {
        Diagnostic::new(self.code, self.span, self.message.clone())
    }
}

impl From<RecordError> for Diagnostic {
    fn from(error: RecordError) -> Diagnostic {
        error.to_diagnostic()
    }
}

impl std::fmt::Display for RecordError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message)
    }
}

/// Why an expression gave no value.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Fault {
    /// A failure `??` may replace: a lookup miss, a function failure, a missing field read, a
    /// wrong-typed value, an arithmetic error.
    Failed(RecordError),
    /// `skip("reason")`: never caught by `??`.
    Skip(String),
    /// `fail("reason")` or a `!` that found nothing: never caught by `??`.
    Fail(RecordError),
}

impl Fault {
    pub(crate) fn failed(code: Code, span: Span, message: impl Into<String>) -> Fault {
        Fault::Failed(RecordError::new(code, span, message))
    }

    /// As a standard-library error, for closures handed to functions and for examples.
    pub(crate) fn to_function_error(&self) -> FunctionError {
        match self {
            Fault::Failed(e) => FunctionError::Failed(e.message.clone()),
            Fault::Skip(reason) => FunctionError::Skip(reason.clone()),
            Fault::Fail(e) => FunctionError::Fail(e.message.clone()),
        }
    }

    pub(crate) fn into_outcome(self) -> Outcome {
        match self {
            Fault::Skip(reason) => Outcome::Skipped(reason),
            Fault::Failed(e) | Fault::Fail(e) => Outcome::Failed(e),
        }
    }
}

pub(crate) type Eval = Result<Value, Fault>;
