//! The evaluator and the value model.

pub mod value;

pub use value::{Map, Value};
