//! Rendering diagnostics for the terminal or as JSON, and writing to standard output.

/// `print!` that stops quietly when standard output is closed (`ferry lint | head`).
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stdout().lock(), $($arg)*);
    }};
}

/// `println!` that stops quietly when standard output is closed.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($arg)*);
    }};
}

pub(crate) use {out, outln};

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
