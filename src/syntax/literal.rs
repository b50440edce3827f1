//! Numbers, durations and string escapes, with their specific diagnostics.

use std::str::FromStr;

use rust_decimal::Decimal;

use super::ast::{DurationLit, DurationUnit};
use crate::diagnostics::{Code, Diagnostic, FileId, Span};

pub fn integer(text: &str, span: Span) -> Result<i64, Diagnostic> {
    let digits: String = text.chars().filter(|c| *c != '_').collect();
    digits.parse::<i64>().map_err(|_| {
        Diagnostic::new(
            Code::IntegerOutOfRange,
            span,
            format!("`{text}` does not fit in a 64-bit integer"),
        )
        .with_label("too large")
        .with_help(format!(
            "write it as a decimal (`{digits}.0`) or a string (`\"{digits}\"`)"
        ))
    })
}

pub fn decimal(text: &str, span: Span) -> Result<Decimal, Diagnostic> {
    let digits: String = text.chars().filter(|c| *c != '_').collect();
    Decimal::from_str_exact(&digits)
        .or_else(|_| {
            Decimal::from_str(&digits).and_then(|d| {
                if d.to_string() == digits {
                    Ok(d)
                } else {
                    Err(rust_decimal::Error::ExceedsMaximumPossibleValue)
                }
            })
        })
        .map_err(|_| {
            Diagnostic::new(
                Code::InvalidDecimal,
                span,
                format!("`{text}` cannot be held exactly as a decimal"),
            )
            .with_label("more than 28 significant digits")
            .with_help("shorten the literal, or keep it as a string")
        })
}

pub fn duration(file: FileId, text: &str, span: Span) -> Result<DurationLit, Diagnostic> {
    let _ = file;
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let invalid = |why: String| {
        Diagnostic::new(
            Code::InvalidDuration,
            span,
            format!("`{text}` is not a duration: {why}"),
        )
        .with_label("not a duration")
        .with_help("write a whole number and a unit: `30s`, `5m`, `1h` or `7d`")
    };
    let unit = match unit {
        "s" => DurationUnit::Seconds,
        "m" => DurationUnit::Minutes,
        "h" => DurationUnit::Hours,
        "d" => DurationUnit::Days,
        other => return Err(invalid(format!("`{other}` is not a unit"))),
    };
    let amount = digits
        .parse::<i64>()
        .map_err(|_| invalid("the number is too large".into()))?;
    let literal = DurationLit { amount, unit, span };
    if literal.seconds() == i64::MAX || amount > 100 * 365 * 86_400 {
        return Err(invalid("the duration is too long".into()));
    }
    Ok(literal)
}

/// The character an escape sequence stands for, or E0102.
pub fn escape(text: &str, span: Span) -> Result<char, Diagnostic> {
    let invalid = || {
        Diagnostic::new(
            Code::InvalidEscape,
            span,
            format!("`{text}` is not a valid escape sequence"),
        )
        .with_label("unknown escape")
        .with_help(
            "valid escapes are \\n \\r \\t \\\\ \\\" \\$ and \\u{XXXX}; write \\\\ for a backslash",
        )
    };
    let rest = text.strip_prefix('\\').ok_or_else(invalid)?;
    Ok(match rest {
        "n" => '\n',
        "r" => '\r',
        "t" => '\t',
        "\\" => '\\',
        "\"" => '"',
        "$" => '$',
        _ => {
            let hex = rest
                .strip_prefix("u{")
                .and_then(|h| h.strip_suffix('}'))
                .ok_or_else(invalid)?;
            u32::from_str_radix(hex, 16)
                .ok()
                .filter(|_| (1..=6).contains(&hex.len()))
                .and_then(char::from_u32)
                .ok_or_else(invalid)?
        }
    })
}
