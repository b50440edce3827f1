//! A quick pass over the raw text before pest runs. pest is recursive descent, so deeply nested
//! brackets would exhaust the stack; strings are checked here too, because a lexer sees an
//! unterminated string or a bad escape far more precisely than a grammar error can.

use super::literal;
use crate::diagnostics::{Code, Diagnostic, FileId, Span};

/// Deepest bracket or `${` nesting accepted.
pub const MAX_NESTING: usize = 256;

enum Frame {
    Bracket,
    Interpolation,
    String,
}

/// Refuses nesting deeper than [`MAX_NESTING`], unterminated strings and invalid escapes.
pub fn prescan(file: FileId, text: &str) -> Result<(), Diagnostic> {
    let bytes = text.as_bytes();
    let mut stack: Vec<Frame> = Vec::new();
    let mut string_starts: Vec<usize> = Vec::new();
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        let byte = bytes[i];
        if matches!(stack.last(), Some(Frame::String)) {
            match byte {
                b'"' => {
                    stack.pop();
                    string_starts.pop();
                }
                b'\\' => {
                    let end = escape_end(text, i);
                    if end == i + 1 || bytes.get(i + 1) == Some(&b'\n') {
                        // A backslash at the very end of a line or file: the string never closes.
                        break;
                    }
                    let span = Span::new(file, i, end);
                    literal::escape(&text[i..end], span)?;
                    i = end;
                    continue;
                }
                b'$' if bytes.get(i + 1) == Some(&b'{') => {
                    depth += 1;
                    if depth > MAX_NESTING {
                        return Err(too_deep(Span::new(file, i, i + 2)));
                    }
                    stack.push(Frame::Interpolation);
                    i += 2;
                    continue;
                }
                b'\n' => break,
                _ => {}
            }
            i += 1;
            continue;
        }
        match byte {
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                i = memchr_newline(bytes, i);
                continue;
            }
            b'"' => {
                stack.push(Frame::String);
                string_starts.push(i);
            }
            b'(' | b'[' | b'{' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Err(too_deep(Span::new(file, i, i + 1)));
                }
                stack.push(Frame::Bracket);
            }
            b')' | b']' | b'}' => match stack.last() {
                Some(Frame::Interpolation) if byte == b'}' => {
                    stack.pop();
                    depth -= 1;
                }
                Some(Frame::Bracket) => {
                    stack.pop();
                    depth -= 1;
                }
                // An unbalanced closer: pest reports it with better context.
                _ => {}
            },
            _ => {}
        }
        i += 1;
    }
    if matches!(stack.last(), Some(Frame::String)) {
        let start = string_starts.last().copied().unwrap_or(0);
        let end = memchr_newline(bytes, start);
        let end = if end > start && bytes.get(end - 1) == Some(&b'\r') {
            end - 1
        } else {
            end
        };
        return Err(Diagnostic::new(
            Code::UnterminatedString,
            Span::new(file, start, end),
            "unterminated string",
        )
        .with_label("this string has no closing `\"`")
        .with_help("close the string on the same line; write `\\n` for a line break inside it"));
    }
    Ok(())
}

/// End (exclusive) of the escape starting with the backslash at `start`.
fn escape_end(text: &str, start: usize) -> usize {
    let rest = &text[start + 1..];
    let Some(first) = rest.chars().next() else {
        return start + 1;
    };
    if first == 'u' && rest[1..].starts_with('{') {
        let body = &rest[2..];
        let hex_len = body
            .bytes()
            .take_while(|b| b.is_ascii_alphanumeric())
            .count();
        let close = usize::from(body[hex_len..].starts_with('}'));
        return start + 3 + hex_len + close;
    }
    start + 1 + first.len_utf8()
}

fn memchr_newline(bytes: &[u8], from: usize) -> usize {
    bytes[from..]
        .iter()
        .position(|b| *b == b'\n')
        .map_or(bytes.len(), |p| from + p)
}

fn too_deep(span: Span) -> Diagnostic {
    Diagnostic::new(
        Code::NestingTooDeep,
        span,
        format!("brackets are nested more than {MAX_NESTING} deep"),
    )
    .with_label("this bracket is one level too deep")
    .with_help("split the expression with `let` bindings or helper `fn`s")
}
