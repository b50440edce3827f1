//! The evaluator: checked pipelines compiled to nodes and run over records.

mod compile;
mod eval;
mod fetched_shape;
pub mod json;
pub mod json_projected;
mod node;
mod ops;
mod outcome;
pub mod projection;
mod run;
pub mod stream;
pub mod testing;

pub use compile::{CompileOptions, CompiledPipeline, compile};
pub use json::{parse_record, write_record};
pub use json_projected::{from_json_projected, parse_record_projected};
pub use outcome::{Outcome, RecordError, RunEnv};
pub use projection::Projection;
pub use run::{ExpressionError, eval_expression, eval_text};
pub use testing::{MapCrossReferences, TestLink, TestReport, run_test};
