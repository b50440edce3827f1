//! Every expression form and precedence rule of the language.

use crate::syntax_common;

use ferry::syntax::ast::{DurationUnit, ExprKind};
use syntax_common::{expr, sexpr};

#[test]
fn arithmetic_precedence() {
    assert_eq!(sexpr("1 + 2 * 3"), "(+ 1 (* 2 3))");
    assert_eq!(sexpr("1 * 2 + 3"), "(+ (* 1 2) 3)");
    assert_eq!(sexpr("1 - 2 - 3"), "(- (- 1 2) 3)");
    assert_eq!(sexpr("8 / 4 % 3"), "(% (/ 8 4) 3)");
    assert_eq!(sexpr("(1 + 2) * 3"), "(* (+ 1 2) 3)");
}

#[test]
fn logical_and_comparison_precedence() {
    assert_eq!(sexpr("a || b && c"), "(|| a (&& b c))");
    assert_eq!(sexpr("a == 1 && b != 2"), "(&& (== a 1) (!= b 2))");
    assert_eq!(sexpr("a + 1 <= b * 2"), "(<= (+ a 1) (* b 2))");
    assert_eq!(sexpr("a < b || c >= d"), "(|| (< a b) (>= c d))");
    assert_eq!(sexpr("x ?? y || z"), "(?? x (|| y z))");
}

#[test]
fn coalesce_is_right_associative() {
    assert_eq!(sexpr("a ?? b ?? c"), "(?? a (?? b c))");
    assert_eq!(sexpr("a ?? b + 1 ?? c"), "(?? a (?? (+ b 1) c))");
}

#[test]
fn prefix_binds_looser_than_postfix() {
    assert_eq!(sexpr("-x.y!"), "(Neg (! (. x y)))");
    assert_eq!(sexpr("!a.b"), "(Not (. a b))");
    assert_eq!(sexpr("!!a"), "(Not (Not a))");
    assert_eq!(sexpr("- -a"), "(Neg (Neg a))");
    assert_eq!(sexpr("-2 * 3"), "(* (Neg 2) 3)");
}

#[test]
fn record_paths() {
    assert_eq!(sexpr("."), ".");
    assert_eq!(sexpr(".a"), "(. . a)");
    assert_eq!(sexpr(".a?.b[0]"), "([] (?. (. . a) b) 0)");
    assert_eq!(sexpr(r#".["odd key"]"#), r#"([] . "odd key")"#);
    assert_eq!(sexpr(".a?.[1]"), "(?[] (. . a) 1)");
    assert_eq!(sexpr(".type.key.value"), "(. (. (. . type) key) value)");
    assert_eq!(sexpr(".if.match"), "(. (. . if) match)");
    assert_eq!(sexpr("x!.y"), "(. (! x) y)");
    assert_eq!(sexpr("a != b"), "(!= a b)");
}

#[test]
fn record_spans() {
    let e = expr("  .a?.b");
    assert_eq!(e.span.range(), 2..7);
    let ExprKind::Field {
        base,
        optional: true,
        ..
    } = &e.kind
    else {
        panic!("{e:?}");
    };
    assert_eq!(base.span.range(), 2..4);
    let ExprKind::Field { base: record, .. } = &base.kind else {
        panic!("{base:?}");
    };
    assert_eq!(record.kind, ExprKind::Record);
    assert_eq!(record.span.range(), 2..3);
}

#[test]
fn literals() {
    assert_eq!(sexpr("null"), "null");
    assert_eq!(sexpr("true"), "true");
    assert_eq!(sexpr("false"), "false");
    assert_eq!(sexpr("omit"), "omit");
    assert_eq!(sexpr("1_000_000"), "1000000");
    assert_eq!(sexpr("12.50"), "12.50d");
    assert_eq!(sexpr("9223372036854775807"), "9223372036854775807");
    assert_eq!(sexpr("nullable"), "nullable");
    assert_eq!(
        sexpr(r#""a\n\t\"\\\$\u{1F600}""#),
        format!("{:?}", "a\n\t\"\\$\u{1F600}")
    );
}

#[test]
fn durations() {
    for (text, seconds, unit) in [
        ("30s", 30, DurationUnit::Seconds),
        ("5m", 300, DurationUnit::Minutes),
        ("1h", 3600, DurationUnit::Hours),
        ("7d", 604_800, DurationUnit::Days),
    ] {
        let ExprKind::Duration(d) = expr(text).kind else {
            panic!("{text} is not a duration");
        };
        assert_eq!((d.seconds(), d.unit), (seconds, unit), "{text}");
    }
}

#[test]
fn templates_with_nested_strings() {
    assert_eq!(
        sexpr(r#""a ${f("b")} c""#),
        r#"(template "a " (f "b") " c")"#
    );
    assert_eq!(
        sexpr(r#""Order ${charge.id} for ${.name}""#),
        r#"(template "Order " (. charge id) " for " (. . name))"#
    );
    assert_eq!(sexpr(r#""${"${x}"}""#), "(template (template x))");
    assert_eq!(sexpr(r#""cost: $5 \${x}""#), r#""cost: $5 ${x}""#);
}

#[test]
fn calls_with_named_args_and_closures() {
    assert_eq!(
        sexpr(r#"round(x, 2, mode: "half_even")"#),
        r#"(round x 2 mode: "half_even")"#
    );
    assert_eq!(
        sexpr("map(items, |x| x.amount)"),
        "(map items (|x| (. x amount)))"
    );
    assert_eq!(
        sexpr("reduce(xs, 0, |a, b| a + b,)"),
        "(reduce xs 0 (|a,b| (+ a b)))"
    );
    assert_eq!(sexpr("now()"), "(now )");
    assert_eq!(
        sexpr("xref(stripe.customers, charge.customer)"),
        "(xref (. stripe customers) (. charge customer))"
    );
}

#[test]
fn lists_and_objects_with_trailing_commas() {
    assert_eq!(sexpr("[1, 2, 3,]"), "[1 2 3]");
    assert_eq!(sexpr("[]"), "[]");
    assert_eq!(
        sexpr(r#"{ key: 1, "odd key": [2], if: 3, }"#),
        "{key: 1, odd key: [2], if: 3}"
    );
    assert_eq!(sexpr("{}"), "{}");
}

#[test]
fn if_else_chains() {
    assert_eq!(sexpr("if a { 1 } else { 2 }"), "(if a 1 2)");
    assert_eq!(sexpr("if a { 1 }"), "(if a 1 null)");
    assert_eq!(
        sexpr("if a { 1 } else if b { 2 } else { 3 }"),
        "(if a 1 (if b 2 3))"
    );
    assert_eq!(
        sexpr("if .x == 1 { .y } else if b { 2 }"),
        "(if (== (. . x) 1) (. . y) (if b 2 null))"
    );
}

#[test]
fn match_arms() {
    assert_eq!(
        sexpr(r#"match x { "a" | "b" => 1, 2 => 3, _ => 4 }"#),
        r#"(match x "a"|"b" => 1, 2 => 3, _ => 4)"#
    );
    assert_eq!(
        sexpr("match x {\n  -1 => null\n  true => 2.5\n  _ => omit,\n}"),
        "(match x (Neg 1) => null, true => 2.5d, _ => omit)"
    );
    let e = expr("match x { _ => 4 }");
    let ExprKind::Match { arms, .. } = e.kind else {
        panic!()
    };
    assert!(arms[0].is_wildcard());
}

#[test]
fn lookup_reads_and_asserts() {
    assert_eq!(
        sexpr("owners[.owner?.username] ?? \"unassigned\""),
        r#"(?? ([] owners (?. (. . owner) username)) "unassigned")"#
    );
    assert_eq!(sexpr("payment_types[t]!"), "(! ([] payment_types t))");
}

#[test]
fn comments_and_newlines_are_whitespace() {
    assert_eq!(sexpr("1 +   // one\n  2"), "(+ 1 2)");
}

#[test]
fn long_chains_are_built_without_recursion_problems() {
    // 400 operators: iterative in the builder, and within the depth cap.
    let chain = vec!["a"; 400].join(" ?? ");
    assert!(ferry::syntax::parse_expression(ferry::diagnostics::FileId(0), &chain).is_ok());
    let sum = vec!["1"; 400].join(" + ");
    assert!(ferry::syntax::parse_expression(ferry::diagnostics::FileId(0), &sum).is_ok());
}
