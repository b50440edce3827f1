//! Parse errors: exact codes, sensible positions, and messages in words rather than rule names.

use crate::syntax_common;

use ferry::diagnostics::{Code, FileId};
use syntax_common::{located, module_error};

fn expr_error(text: &str) -> ferry::diagnostics::Diagnostic {
    match ferry::syntax::parse_expression(FileId(0), text) {
        Ok(e) => panic!("expected an error for {text:?}, got {e:?}"),
        Err(d) => d,
    }
}

/// No grammar-internal names leak into what users read.
fn assert_readable(d: &ferry::diagnostics::Diagnostic) {
    let all = format!("{} {:?} {:?}", d.message, d.labels, d.help);
    for internal in [
        "Rule::",
        "`expr`",
        " expr ",
        "_decl",
        "pipeline_item",
        "assignment_target",
        "EOI",
        "`ident`",
    ] {
        assert!(!all.contains(internal), "`{internal}` leaked into {all}");
    }
}

#[test]
fn comma_between_map_fields() {
    let text = "pipeline p {\n  map to stripe.customer {\n    email = .email,\n  }\n}\n";
    let d = module_error(text);
    assert_eq!(located(text, &d), (Code::SyntaxError, 3, 19));
    assert!(d.message.contains("found `,`"), "{}", d.message);
    assert!(d.message.contains("`}`"), "{}", d.message);
    assert_readable(&d);
}

#[test]
fn missing_closing_brace() {
    let text = "pipeline p {\n  where .a == 1\n";
    let d = module_error(text);
    assert_eq!(d.code, Code::SyntaxError);
    assert!(d.message.contains("`}`"), "{}", d.message);
    assert_readable(&d);
}

#[test]
fn unknown_top_level_word() {
    let text = "\n  pipelin p {}\n";
    let d = module_error(text);
    assert_eq!(located(text, &d), (Code::SyntaxError, 2, 3));
    assert!(d.message.contains("`pipeline`"), "{}", d.message);
    assert_readable(&d);
}

#[test]
fn chained_comparison_is_an_error() {
    let d = expr_error("a == b == c");
    assert_eq!(d.code, Code::SyntaxError);
    assert_readable(&d);
}

#[test]
fn dangling_operator() {
    let d = expr_error("1 +");
    assert_eq!(located("1 +", &d), (Code::SyntaxError, 1, 4));
    assert_readable(&d);
}

#[test]
fn unterminated_string_points_at_the_opening_quote() {
    let text = "pipeline p {\n  timezone \"Australia/Sydney\n}\n";
    let d = module_error(text);
    assert_eq!(located(text, &d), (Code::UnterminatedString, 2, 12));
    let d = expr_error("\"abc");
    assert_eq!(located("\"abc", &d), (Code::UnterminatedString, 1, 1));
}

#[test]
fn invalid_escape_points_at_the_escape() {
    let text = r#""a\qb""#;
    let d = expr_error(text);
    assert_eq!(located(text, &d), (Code::InvalidEscape, 1, 3));
    let d = expr_error(r#""\u{110000}""#);
    assert_eq!(d.code, Code::InvalidEscape);
    let d = expr_error(r#""\u{zz}""#);
    assert_eq!(d.code, Code::InvalidEscape);
}

#[test]
fn integer_out_of_range() {
    let text = "x + 9223372036854775808";
    let d = expr_error(text);
    assert_eq!(located(text, &d), (Code::IntegerOutOfRange, 1, 5));
    assert!(ferry::syntax::parse_expression(FileId(0), "9223372036854775807").is_ok());
}

#[test]
fn decimal_too_precise() {
    let text = "1.00000000000000000000000000000001";
    let d = expr_error(text);
    assert_eq!(located(text, &d), (Code::InvalidDecimal, 1, 1));
    let d = expr_error("99999999999999999999999999999999.5");
    assert_eq!(d.code, Code::InvalidDecimal);
}

#[test]
fn bad_durations() {
    let d = expr_error("5x");
    assert_eq!(located("5x", &d), (Code::InvalidDuration, 1, 1));
    for poll in ["0s", "99999999999999999d", "5x"] {
        let text = format!("pipeline p {{\n  source capsule.parties {{ poll every {poll} }}\n}}\n");
        let d = module_error(&text);
        assert_eq!(located(&text, &d), (Code::InvalidDuration, 2, 39), "{poll}");
    }
}

#[test]
fn interpolation_is_not_allowed_in_paths() {
    let d = module_error("use \"${x}.ferry\"");
    assert_eq!(d.code, Code::SyntaxError);
}
