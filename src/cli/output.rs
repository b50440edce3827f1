//! Rendering diagnostics for the terminal or as JSON.

use std::io::IsTerminal;

use crate::diagnostics::{Diagnostic, SourceMap, render};

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Human-readable reports with source snippets.
    Human,
    /// One JSON document, for CI.
    Json,
}

pub fn print_human(diagnostics: &[Diagnostic], sources: &SourceMap) {
    let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    for diagnostic in diagnostics {
        eprint!("{}", render::to_terminal(diagnostic, sources, color));
    }
}
