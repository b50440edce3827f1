//! E0306: literal date/time format strings are validated before anything runs.

use crate::diagnostics::{Code, Diagnostic};
use crate::syntax::ast::{Argument, ExprKind};

/// Checks a strftime-style format by formatting a sample instant with it.
pub(crate) fn strftime_error(format: &str) -> Option<String> {
    let sample = jiff::civil::date(2026, 1, 2)
        .at(3, 4, 5, 0)
        .to_zoned(jiff::tz::TimeZone::UTC)
        .ok()?;
    jiff::fmt::strtime::format(format, &sample)
        .err()
        .map(|e| e.to_string())
}

/// Diagnostics for literal `format` arguments that jiff cannot use.
pub(crate) fn format_arguments<'a>(
    function: &str,
    params: impl Iterator<Item = (&'a str, &'a [&'a Argument])>,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for (name, args) in params {
        if name != "format" {
            continue;
        }
        for arg in args {
            let ExprKind::String(text) = &arg.value.kind else {
                continue;
            };
            if let Some(reason) = strftime_error(text) {
                out.push(
                    Diagnostic::new(
                        Code::InvalidFormatString,
                        arg.value.span,
                        format!("`{function}` cannot use the format \"{text}\""),
                    )
                    .with_label(reason)
                    .with_help(
                        "use strftime directives: %Y year, %m month, %d day, %H hour, %M minute, %S second, %z offset",
                    ),
                );
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::strftime_error;

    #[test]
    fn known_directives_pass_and_unknown_ones_fail() {
        assert_eq!(strftime_error("%Y-%m-%d %H:%M:%S %z"), None);
        assert!(strftime_error("%Y-%m-%J").is_some());
    }
}
