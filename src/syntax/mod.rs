//! Text to syntax tree: the pest grammar in `grammar/ferry.pest`, the AST, and parse errors as
//! diagnostics.

pub mod ast;
