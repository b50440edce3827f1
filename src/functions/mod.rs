//! The standard library: one file per family, each function a [`FunctionSpec`].

mod control;
pub mod reference;
pub mod registry;
pub mod spec;

pub use registry::Registry;
pub use spec::{CallArgs, CallContext, Example, FunctionError, FunctionSpec};
