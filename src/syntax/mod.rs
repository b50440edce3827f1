//! Text to syntax tree: the pest grammar in `grammar/ferry.pest`, the AST, and parse errors as
//! diagnostics.
//!
//! Parsing runs in three steps: a byte pre-scan (`scan`) that refuses deep nesting and bad
//! strings before recursive descent can trip on them, pest, then an iterative AST builder
//! (`parser` for items, `expr` for expressions) that applies operator precedence.

pub mod ast;
mod errors;
mod expr;
mod grammar;
mod literal;
mod loader;
mod parser;
mod scan;

use pest::Parser;

use self::ast::{Expr, Module};
use self::grammar::{FerryParser, Rule};
use crate::diagnostics::{Diagnostic, FileId};

pub use self::errors::rule_description;
pub use self::loader::{Loaded, MAX_FILE_SIZE, load, load_text};
pub use self::scan::MAX_NESTING;

/// Parses one `.ferry` file. Spans are byte offsets into `text`, tagged with `file`.
pub fn parse_module(file: FileId, text: &str) -> Result<Module, Diagnostic> {
    scan::prescan(file, text)?;
    let mut pairs =
        FerryParser::parse(Rule::module, text).map_err(|e| errors::from_pest(file, text, e))?;
    let module = pairs
        .next()
        .ok_or_else(|| errors::internal(file, text, "the parser produced no module"))?;
    parser::Builder::new(file).module(module, text.len())
}

/// Parses a text that is exactly one expression, such as a standard-library example.
pub fn parse_expression(file: FileId, text: &str) -> Result<Expr, Diagnostic> {
    scan::prescan(file, text)?;
    let mut pairs =
        FerryParser::parse(Rule::expression, text).map_err(|e| errors::from_pest(file, text, e))?;
    let expression = pairs
        .next()
        .ok_or_else(|| errors::internal(file, text, "the parser produced no expression"))?;
    let mut builder = parser::Builder::new(file);
    let inner = expression
        .into_inner()
        .find(|p| p.as_rule() == Rule::expr)
        .ok_or_else(|| errors::internal(file, text, "the parser produced no expression"))?;
    builder.expr(inner)
}
