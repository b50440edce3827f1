use crate::functions_support;

use ferry::value::Value;
use functions_support::{call, failure, json_of, s, v};

#[test]
fn concat_skips_nothing_and_rejects_other_kinds() {
    assert_eq!(
        json_of("concat", vec![s("INV-"), s("0042")]),
        r#""INV-0042""#
    );
    assert_eq!(
        json_of("concat", vec![s("a"), Value::Null, Value::Missing, s("b")]),
        r#""ab""#
    );
    assert_eq!(json_of("concat", vec![]), r#""""#);
    assert!(failure(call("concat", vec![s("a"), Value::Int(1)])).contains("string(x)"));
}

#[test]
fn join_skips_null_missing_and_empty_items() {
    assert_eq!(
        json_of("join", vec![v(r#"["Ada", "Lovelace"]"#), s(" ")]),
        r#""Ada Lovelace""#
    );
    let parts = Value::list(vec![s("Ada"), Value::Missing]);
    assert_eq!(json_of("join", vec![parts, s(" ")]), r#""Ada""#);
    assert_eq!(
        json_of("join", vec![v(r#"[null, "", "b"]"#), s(", ")]),
        r#""b""#
    );
    assert_eq!(
        json_of("join", vec![v(r#"["a", "b"]"#)]),
        r#""ab""#,
        "default separator is empty"
    );
    assert_eq!(json_of("join", vec![v("[]")]), r#""""#);
    assert!(failure(call("join", vec![v("[1]"), s("")])).contains("item 0"));
    assert!(call("join", vec![Value::Null, s("")]).is_err());
}

#[test]
fn split_keeps_empty_pieces_and_splits_characters() {
    assert_eq!(
        json_of("split", vec![s("a,b,,c"), s(",")]),
        r#"["a","b","","c"]"#
    );
    assert_eq!(json_of("split", vec![s("né"), s("")]), r#"["n","é"]"#);
    assert_eq!(json_of("split", vec![s(""), s(",")]), r#"[""]"#);
    assert_eq!(json_of("split", vec![s("a::b"), s("::")]), r#"["a","b"]"#);
}

#[test]
fn case_and_trim_are_unicode_aware() {
    assert_eq!(json_of("upper", vec![s("aud")]), r#""AUD""#);
    assert_eq!(json_of("upper", vec![s("straße")]), r#""STRASSE""#);
    assert_eq!(json_of("lower", vec![s("ÉCOLE")]), r#""école""#);
    assert_eq!(json_of("trim", vec![s("\u{3000} Ada \n\t")]), r#""Ada""#);
    assert_eq!(json_of("trim", vec![s("   ")]), r#""""#);
    assert!(call("upper", vec![Value::Null]).is_err());
}

#[test]
fn replace_all_occurrences() {
    assert_eq!(
        json_of("replace", vec![s("0400 123 456"), s(" "), s("")]),
        r#""0400123456""#
    );
    assert_eq!(
        json_of("replace", vec![s("abc"), s(""), s("x")]),
        r#""abc""#
    );
    assert_eq!(
        json_of("replace", vec![s("aaa"), s("aa"), s("b")]),
        r#""ba""#
    );
}

#[test]
fn substring_counts_characters_and_clamps() {
    let sub = |text: &str, start: i64, length: Value| {
        json_of("substring", vec![s(text), Value::Int(start), length])
    };
    assert_eq!(sub("Lovelace", 0, Value::Int(4)), r#""Love""#);
    assert_eq!(
        json_of("substring", vec![s("héllo"), Value::Int(1)]),
        r#""éllo""#
    );
    assert_eq!(sub("abc", 2, Value::Int(10)), r#""c""#);
    assert_eq!(sub("abc", 5, Value::Null), r#""""#);
    assert_eq!(sub("abc", -2, Value::Int(2)), r#""ab""#);
    assert_eq!(sub("abc", 1, Value::Int(-1)), r#""""#);
    assert_eq!(sub("日本語", 1, Value::Int(1)), r#""本""#);
}

#[test]
fn padding_and_truncation() {
    assert_eq!(
        json_of("pad_left", vec![s("42"), Value::Int(6), s("0")]),
        r#""000042""#
    );
    assert_eq!(
        json_of("pad_left", vec![s("abc"), Value::Int(2)]),
        r#""abc""#
    );
    assert_eq!(json_of("pad_left", vec![s("é"), Value::Int(3)]), r#""  é""#);
    assert_eq!(
        json_of("pad_right", vec![s("ab"), Value::Int(4), s(".")]),
        r#""ab..""#
    );
    assert_eq!(
        json_of("pad_right", vec![s("ab"), Value::Int(-4)]),
        r#""ab""#
    );
    assert!(
        failure(call("pad_left", vec![s("1"), Value::Int(3), s("ab")]))
            .starts_with("pad_left: `fill` must be one character")
    );
    assert!(
        failure(call("pad_right", vec![s("1"), Value::Int(3), s("")]))
            .starts_with("pad_right: `fill` must be one character")
    );
    assert_eq!(
        json_of("truncate", vec![s("Lovelace"), Value::Int(4)]),
        r#""Love""#
    );
    assert_eq!(json_of("truncate", vec![s("ab"), Value::Int(5)]), r#""ab""#);
    assert_eq!(
        json_of("truncate", vec![s("日本語"), Value::Int(2)]),
        r#""日本""#
    );
    assert_eq!(json_of("truncate", vec![s("ab"), Value::Int(-1)]), r#""""#);
}

#[test]
fn contains_starts_and_ends() {
    assert_eq!(
        json_of("contains", vec![s("ada@example.com"), s("@")]),
        "true"
    );
    assert_eq!(json_of("contains", vec![s("Ada"), s("ada")]), "false");
    assert_eq!(json_of("contains", vec![s("Ada"), s("")]), "true");
    assert_eq!(
        json_of("starts_with", vec![s("cus_123"), s("cus_")]),
        "true"
    );
    assert_eq!(json_of("starts_with", vec![s("ch_1"), s("cus_")]), "false");
    assert_eq!(
        json_of("ends_with", vec![s("ada@example.com"), s(".com")]),
        "true"
    );
    assert_eq!(json_of("ends_with", vec![s(""), s("x")]), "false");
}
