//! The evaluator and the value model.

mod compile;
mod eval;
mod fetched_shape;
pub mod json;
pub mod json_projected;
pub mod json_value;
mod node;
mod ops;
mod outcome;
pub mod projection;
mod run;
pub mod stream;
pub mod testing;
pub mod value;

pub use compile::{CompileOptions, CompiledPipeline, compile};
pub use json::{parse_record, write_record};
pub use json_projected::parse_record_projected;
pub use outcome::{Outcome, RecordError, RunEnv};
pub use projection::Projection;
pub use run::{ExpressionError, eval_expression, eval_text};
pub use testing::{MapCrossReferences, TestLink, TestReport, run_test};
pub use value::{Map, Value};
