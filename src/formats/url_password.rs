//! The password of a URL written as `scheme://user:password@host...`, found in text without
//! parsing the URL: a URL too broken to parse (a bad port) must not show its password either.

use std::ops::Range;

/// The byte ranges of every password written in `text`'s URLs.
pub fn password_ranges(text: &str) -> Vec<Range<usize>> {
    let mut ranges = Vec::new();
    for (at, separator) in text.match_indices("://") {
        let start = at + separator.len();
        // The authority ends where the path, query or the text's token ends.
        let end = text[start..]
            .find(|c: char| {
                matches!(c, '/' | '?' | '#') || c.is_whitespace() || c == '"' || c == '\''
            })
            .map_or(text.len(), |len| start + len);
        let authority = &text[start..end];
        let Some(user_end) = authority.rfind('@') else {
            continue;
        };
        if let Some(colon) = authority[..user_end].find(':')
            && colon + 1 < user_end
        {
            ranges.push(start + colon + 1..start + user_end);
        }
    }
    ranges
}

/// `text` with each URL's password replaced by `***`.
pub fn hide_passwords(text: &str) -> String {
    let mut shown = String::with_capacity(text.len());
    let mut from = 0;
    for range in password_ranges(text) {
        shown.push_str(&text[from..range.start]);
        shown.push_str("***");
        from = range.end;
    }
    shown.push_str(&text[from..]);
    shown
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hides_the_password_of_a_url_that_does_not_parse() {
        assert_eq!(
            hide_passwords("postgres://ferry:hunter2@127.0.0.1:notaport/db"),
            "postgres://ferry:***@127.0.0.1:notaport/db"
        );
    }

    #[test]
    fn a_password_may_hold_colons_and_the_user_may_be_alone() {
        assert_eq!(
            hide_passwords("postgres://u:a:b@h/d"),
            "postgres://u:***@h/d"
        );
        assert_eq!(
            hide_passwords("postgres://u@h:5432/d"),
            "postgres://u@h:5432/d"
        );
        assert_eq!(
            hide_passwords("store: postgres://u:p@h/d\nx: 1"),
            "store: postgres://u:***@h/d\nx: 1"
        );
    }
}
