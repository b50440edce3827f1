//! The standard library: one file per family, each function a [`FunctionSpec`].

pub mod spec;

pub use spec::{CallArgs, CallContext, Example, FunctionError, FunctionSpec};
