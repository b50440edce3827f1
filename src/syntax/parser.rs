//! Entry points: text to [`Module`] or [`Expr`].

use pest::Parser as _;
use pest_derive::Parser;

use super::ast::{Expr, Module};
use super::build::Builder;
use super::{errors, guard};
use crate::diagnostics::{Diagnostic, FileId, Span};

#[derive(Parser)]
#[grammar = "../grammar/ferry.pest"]
pub(crate) struct FerryParser;

/// Parses one file. The first syntax error stops the parse.
pub fn parse_module(file: FileId, text: &str) -> Result<Module, Diagnostic> {
    guard::check_nesting(file, text)?;
    let mut pairs =
        FerryParser::parse(Rule::file, text).map_err(|e| errors::from_pest(file, text, e))?;
    let root = pairs
        .next()
        .ok_or_else(|| errors::internal(file, "empty parse"))?;
    let builder = Builder { file };
    let items = builder.items(root)?;
    Ok(Module {
        file,
        items,
        span: Span::new(file, 0, text.len()),
    })
}

/// Parses a text that is exactly one expression.
pub fn parse_expression(file: FileId, text: &str) -> Result<Expr, Diagnostic> {
    guard::check_nesting(file, text)?;
    let mut pairs = FerryParser::parse(Rule::expression_only, text)
        .map_err(|e| errors::from_pest(file, text, e))?;
    let root = pairs
        .next()
        .ok_or_else(|| errors::internal(file, "empty parse"))?;
    let expr = root
        .into_inner()
        .find(|p| p.as_rule() == Rule::expr)
        .ok_or_else(|| errors::internal(file, "no expression"))?;
    Builder { file }.expr(expr)
}
