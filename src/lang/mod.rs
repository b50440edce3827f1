//! The evaluator and the value model.

pub mod json_value;
pub mod value;

pub use value::{Map, Value};
