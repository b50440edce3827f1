//! Text to syntax tree: the pest grammar in `grammar/ferry.pest`, the AST, and parse errors as
//! diagnostics.

pub mod ast;
mod build;
mod build_expr;
mod errors;
mod guard;
mod literal;
mod loader;
mod parser;

pub use loader::{Loaded, load, load_text};
pub use parser::{parse_expression, parse_module};
