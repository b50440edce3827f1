//! The evaluator and the value model: compiling a checked pipeline, running records through it,
//! reading and writing JSON lines fast, and running test blocks.

mod calls;
mod compile;
mod eval;
pub mod json;
pub mod json_value;
mod ops;
pub mod outcome;
pub mod pipeline;
mod program;
mod record;
pub mod testing;
pub mod value;

pub use json::{JsonError, parse_record, write_record};
pub use outcome::{Outcome, RecordError};
pub use pipeline::{CompileOptions, CompiledPipeline, RunEnv, compile, eval_expression};
pub use testing::{TestFailure, TestReport, run_test};
pub use value::{Map, Value};
