//! Diagnostics show lines of the project file; a credential written in it literally must not be
//! shown with them. The copy of the text given to the source map has such values replaced by `*`
//! byte for byte, so every span still points at the same place.

use crate::connectors::CONNECTORS;
use crate::formats::yaml;

pub(super) fn mask_literal_secrets(text: &str) -> String {
    let mut bytes = text.as_bytes().to_vec();
    for key in secret_keys() {
        for (at, _) in text.match_indices(key) {
            if let Some(range) = literal_value_after_key(text, at, key) {
                bytes[range].fill(b'*');
            }
        }
    }
    for prefix in CONNECTORS.iter().flat_map(|c| c.key_prefixes) {
        for (at, _) in text.match_indices(prefix) {
            let len = text[at..]
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(text.len() - at);
            bytes[at..at + len].fill(b'*');
        }
    }
    // A store URL's password (`postgres://ferry:PASSWORD@host/db`).
    for range in crate::formats::url_password::password_ranges(text) {
        bytes[range].fill(b'*');
    }
    // Whole characters are replaced, so the text stays UTF-8; if not, show nothing.
    String::from_utf8(bytes).unwrap_or_else(|_| "*".repeat(text.len()))
}

fn secret_keys() -> Vec<&'static str> {
    let mut keys: Vec<&str> = CONNECTORS
        .iter()
        .flat_map(|k| k.secrets())
        .copied()
        .collect();
    keys.sort_unstable();
    keys.dedup();
    keys
}

/// The range of a literal value written after `key:` at byte `at`; `None` when this is not such
/// a key or the value is a `${VAR}` or `file:` reference.
fn literal_value_after_key(text: &str, at: usize, key: &str) -> Option<std::ops::Range<usize>> {
    let before = text[..at].chars().next_back();
    if !matches!(
        before,
        None | Some(' ' | '\t' | '\n' | '{' | ',' | '"' | '\'')
    ) {
        return None;
    }
    let mut i = at + key.len();
    let bytes = text.as_bytes();
    if matches!(bytes.get(i), Some(b'"' | b'\'')) {
        i += 1;
    }
    while matches!(bytes.get(i), Some(b' ' | b'\t')) {
        i += 1;
    }
    if bytes.get(i) != Some(&b':') {
        return None;
    }
    i += 1;
    while matches!(bytes.get(i), Some(b' ' | b'\t')) {
        i += 1;
    }
    let end = yaml::token_end(text, i);
    let value = text.get(i..end)?.trim_matches(|c| c == '"' || c == '\'');
    if value.is_empty() || value.starts_with("${") || value.starts_with("file:") {
        return None;
    }
    let inner = if matches!(bytes.get(i), Some(b'"' | b'\'')) && end - i >= 2 {
        i + 1..end - 1
    } else {
        i..end
    };
    Some(inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_literal_credentials_and_keeps_references() {
        let text = "api_key: hunter2\ntoken: ${TOKEN}\nx: { client_secret: \"s3cr3t\", base_url: http://a }\nnote: sk_test_abc1\ntokens: plain\n";
        let masked = mask_literal_secrets(text);
        assert_eq!(masked.len(), text.len());
        assert_eq!(
            masked,
            "api_key: *******\ntoken: ${TOKEN}\nx: { client_secret: \"******\", base_url: http://a }\nnote: ************\ntokens: plain\n"
        );
    }
}
