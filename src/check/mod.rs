//! Name resolution, types, fallibility and lints over the syntax tree.

pub mod lookup_file;
pub mod schema;
pub mod signature;
pub mod types;

pub use schema::{SchemaRegistry, SinkSchema, SourceSchema, TargetSchema};
pub use signature::{ArgInfo, Fallibility, FunctionTable, ParamSig, Signature};
pub use types::{Field, ObjectType, Type};
