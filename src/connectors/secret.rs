//! Secrets: values that must never be printed. Only the HTTP layer calls [`Secret::expose`].

use std::fmt;

/// A credential read from the environment, a secret file, or (for local emulators) the project
/// file. `Debug` and `Display` print `[redacted]`; there is no `Serialize`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The value itself, for an `Authorization` header and nothing else.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

pub const REDACTED: &str = "[redacted]";

/// Replaces every known secret value in `text` with `[redacted]`, longest first so a secret that
/// contains another is hidden whole. Used on anything that leaves the process: logs, dead
/// letters, the audit log.
pub fn redact<'s>(text: &str, secrets: impl IntoIterator<Item = &'s Secret>) -> String {
    let mut values: Vec<&str> = secrets
        .into_iter()
        .map(Secret::expose)
        .filter(|v| !v.is_empty())
        .collect();
    values.sort_by_key(|v| std::cmp::Reverse(v.len()));
    values.dedup();
    let mut out = text.to_string();
    for value in values {
        if out.contains(value) {
            out = out.replace(value, REDACTED);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_display_hide_the_value() {
        let secret = Secret::new("sk_test_canary");
        assert_eq!(format!("{secret:?} {secret}"), "[redacted] [redacted]");
        assert_eq!(secret.expose(), "sk_test_canary");
    }

    #[test]
    fn redact_hides_every_occurrence_longest_first() {
        let short = Secret::new("abc");
        let long = Secret::new("abcdef");
        let text = "key=abcdef, again abc, empty ''";
        assert_eq!(
            redact(text, [&short, &long, &Secret::new("")]),
            "key=[redacted], again [redacted], empty ''"
        );
    }
}
