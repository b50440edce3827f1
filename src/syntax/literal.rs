//! Literal text to values: numbers, durations and string escapes. The pre-scan (`scan.rs`) has
//! already refused unterminated strings and bad escapes, but these functions still return
//! diagnostics instead of trusting that.

use rust_decimal::Decimal;

use super::ast::{DurationLit, DurationUnit, ExprKind};
use crate::diagnostics::{Code, Diagnostic, Span};

/// Classifies a `number` token: int, decimal or duration.
pub fn number(text: &str, span: Span, negative: bool) -> Result<ExprKind, Diagnostic> {
    if let Some(unit) = duration_unit(text) {
        let digits = &text[..text.len() - 1];
        if is_digits(digits) {
            let amount = parse_int(digits, span, false)?;
            return Ok(ExprKind::Duration(DurationLit { amount, unit, span }));
        }
    }
    if let Some((whole, fraction)) = text.split_once('.') {
        if is_digits(whole) && is_digits(fraction) {
            return decimal(whole, fraction, span, negative);
        }
        return Err(bad_number(text, span));
    }
    if is_digits(text) {
        return parse_int(text, span, negative).map(ExprKind::Int);
    }
    Err(bad_number(text, span))
}

/// A `poll every` duration: must be a positive, whole duration that fits in seconds.
pub fn poll_duration(text: &str, span: Span) -> Result<DurationLit, Diagnostic> {
    let parsed = number(text, span, false)?;
    let ExprKind::Duration(duration) = parsed else {
        return Err(Diagnostic::new(
            Code::InvalidDuration,
            span,
            format!("`poll every` needs a duration such as `30s` or `5m`, found `{text}`"),
        )
        .with_label("not a duration")
        .with_help("write a whole number followed by a unit: `s`, `m`, `h` or `d`"));
    };
    if duration.amount == 0 {
        return Err(Diagnostic::new(
            Code::InvalidDuration,
            span,
            "a poll interval cannot be zero",
        )
        .with_label("zero duration")
        .with_help("poll at least every `1s`; `30s` or `5m` are usual"));
    }
    if duration.seconds() == i64::MAX {
        return Err(Diagnostic::new(
            Code::InvalidDuration,
            span,
            format!("the duration `{text}` is too long"),
        )
        .with_label("overflows the number of seconds a duration can hold"));
    }
    Ok(duration)
}

fn duration_unit(text: &str) -> Option<DurationUnit> {
    match text.as_bytes().last()? {
        b's' => Some(DurationUnit::Seconds),
        b'm' => Some(DurationUnit::Minutes),
        b'h' => Some(DurationUnit::Hours),
        b'd' => Some(DurationUnit::Days),
        _ => None,
    }
}

/// Digits with `_` separators, starting with a digit.
fn is_digits(text: &str) -> bool {
    text.as_bytes().first().is_some_and(u8::is_ascii_digit)
        && text.bytes().all(|b| b.is_ascii_digit() || b == b'_')
}

fn parse_int(text: &str, span: Span, negative: bool) -> Result<i64, Diagnostic> {
    let mut digits: String = text.chars().filter(|c| *c != '_').collect();
    if negative {
        digits.insert(0, '-');
    }
    digits.parse::<i64>().map_err(|_| {
        Diagnostic::new(
            Code::IntegerOutOfRange,
            span,
            format!("the integer `{digits}` does not fit in 64 bits"),
        )
        .with_label("out of range")
        .with_help(format!(
            "integers range from {} to {}; write a decimal (`{digits}.0`) for larger amounts",
            i64::MIN,
            i64::MAX
        ))
    })
}

fn decimal(
    whole: &str,
    fraction: &str,
    span: Span,
    negative: bool,
) -> Result<ExprKind, Diagnostic> {
    let mut text = String::with_capacity(whole.len() + fraction.len() + 2);
    if negative {
        text.push('-');
    }
    text.extend(whole.chars().filter(|c| *c != '_'));
    text.push('.');
    text.extend(fraction.chars().filter(|c| *c != '_'));
    Decimal::from_str_exact(&text)
        .map(ExprKind::Decimal)
        .map_err(|_| {
            Diagnostic::new(
                Code::InvalidDecimal,
                span,
                format!("the decimal `{text}` cannot be held exactly"),
            )
            .with_label("too many digits")
            .with_help("decimals hold at most 28 significant digits")
        })
}

fn bad_number(text: &str, span: Span) -> Diagnostic {
    let digits_end = text
        .find(|c: char| !(c.is_ascii_digit() || c == '_'))
        .unwrap_or(text.len());
    let suffix = &text[digits_end..];
    if suffix.starts_with('.') {
        return Diagnostic::new(
            Code::InvalidDecimal,
            span,
            format!("`{text}` is not a valid decimal"),
        )
        .with_label("invalid decimal")
        .with_help(
            "decimals are digits, a point, and digits: `12.50`; durations are whole: `90s`",
        );
    }
    Diagnostic::new(
        Code::InvalidDuration,
        span,
        format!("`{text}` is not a number or a duration"),
    )
    .with_label(format!("unknown unit `{suffix}`"))
    .with_help("durations are a whole number and a unit: `30s`, `5m`, `1h`, `7d`")
}

/// Decodes one escape sequence (`\n`, `\u{1F600}`, ...) as written, backslash included.
pub fn escape(text: &str, span: Span) -> Result<char, Diagnostic> {
    let body = text.strip_prefix('\\').unwrap_or(text);
    let decoded = match body {
        "n" => Some('\n'),
        "r" => Some('\r'),
        "t" => Some('\t'),
        "\\" => Some('\\'),
        "\"" => Some('"'),
        "$" => Some('$'),
        _ => body
            .strip_prefix("u{")
            .and_then(|rest| rest.strip_suffix('}'))
            .filter(|hex| (1..=6).contains(&hex.len()))
            .and_then(|hex| u32::from_str_radix(hex, 16).ok())
            .and_then(char::from_u32),
    };
    decoded.ok_or_else(|| invalid_escape(text, span))
}

pub fn invalid_escape(text: &str, span: Span) -> Diagnostic {
    Diagnostic::new(
        Code::InvalidEscape,
        span,
        format!("invalid escape sequence `{text}`"),
    )
    .with_label("unknown escape")
    .with_help(r#"valid escapes are \n \r \t \\ \" \$ and \u{XXXX} (1 to 6 hex digits)"#)
}
