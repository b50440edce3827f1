//! Refuses input that would recurse too deeply, before the recursive-descent parser sees it.

use crate::diagnostics::{Code, Diagnostic, FileId, Span};

/// Deepest nesting of brackets accepted.
pub const MAX_NESTING: usize = 256;
/// Longest run of operators accepted in a row or in one expression chain.
pub const MAX_OPERATORS: usize = 1024;

/// E0107 when brackets nest deeper than [`MAX_NESTING`] (strings and comments skipped).
pub fn check_nesting(file: FileId, text: &str) -> Result<(), Diagnostic> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                    // `${` inside a string nests like a bracket; count it conservatively.
                    if bytes[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
            }
            b'(' | b'[' | b'{' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Err(too_deep(file, i, "brackets"));
                }
            }
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    Ok(())
}

pub fn too_deep(file: FileId, offset: usize, what: &str) -> Diagnostic {
    Diagnostic::new(
        Code::NestingTooDeep,
        Span::new(file, offset, offset + 1),
        format!("{what} nested more than {MAX_NESTING} levels deep"),
    )
    .with_label("too deep from here")
    .with_help("split the expression with `let` bindings")
}
