//! JSON lines in and out: exact numbers, escapes, unicode, malformed input.

use crate::lang_support;

use ferry::lang::json::parse_value;
use ferry::lang::{parse_record, write_record};
use ferry::value::Value;
use proptest::prelude::*;

fn round_trip(text: &str) -> String {
    let value = parse_record(text.as_bytes()).unwrap();
    lang_support::text(&value)
}

#[test]
fn numbers_stay_exact() {
    let text = r#"{"a":12.50,"b":9223372036854775807,"c":-9223372036854775808,"d":12345678901234567890,"e":0.1,"f":1.000}"#;
    assert_eq!(round_trip(text), text);
}

#[test]
fn ints_and_decimals_are_told_apart() {
    let value =
        parse_record(br#"{"int": 1099, "dec": 10.99, "big": 99999999999999999999, "exp": 1e3}"#)
            .unwrap();
    assert_eq!(value.get("int"), Value::Int(1099));
    assert_eq!(
        value.get("dec"),
        Value::Decimal(rust_decimal::Decimal::from_str_exact("10.99").unwrap())
    );
    assert!(matches!(value.get("big"), Value::Decimal(_)));
    assert!(
        matches!(value.get("exp"), Value::Decimal(d) if d == rust_decimal::Decimal::from(1000))
    );
}

#[test]
fn strings_escape_and_unicode_round_trip() {
    let text = r#"{"s":"quote \" backslash \\ nl \n tab \t ctl \u0001 é 日本 🎉","k\"ey":"v"}"#;
    let value = parse_record(text.as_bytes()).unwrap();
    assert_eq!(
        value.get("s").as_str(),
        Some("quote \" backslash \\ nl \n tab \t ctl \u{1} é 日本 🎉")
    );
    let written = lang_support::text(&value);
    // Our output must parse back to the same value with serde_json.
    let reparsed: serde_json::Value = serde_json::from_str(&written).unwrap();
    assert_eq!(
        reparsed["s"],
        "quote \" backslash \\ nl \n tab \t ctl \u{1} é 日本 🎉"
    );
    assert_eq!(reparsed["k\"ey"], "v");
    assert_eq!(parse_record(written.as_bytes()).unwrap(), value);
}

#[test]
fn escaped_surrogate_pairs_decode() {
    let value = parse_record(br#"{"e":"\ud83c\udf89"}"#).unwrap();
    assert_eq!(value.get("e").as_str(), Some("🎉"));
}

#[test]
fn key_order_is_kept_and_nesting_round_trips() {
    let text = r#"{"z":1,"a":[1,2.50,{"y":null,"x":true}],"m":{}}"#;
    assert_eq!(round_trip(text), text);
}

#[test]
fn written_values_of_every_kind() {
    let mut map = ferry::value::Map::new();
    map.insert(
        "ts".into(),
        Value::Timestamp("2026-01-01T10:30:00Z".parse().unwrap()),
    );
    map.insert("date".into(), Value::Date("2026-02-03".parse().unwrap()));
    map.insert("omitted".into(), Value::Omit);
    map.insert("missing".into(), Value::Missing);
    map.insert(
        "dur".into(),
        Value::Duration(jiff::SignedDuration::from_secs(300)),
    );
    let mut out = Vec::new();
    write_record(&Value::object(map), &mut out);
    assert_eq!(
        String::from_utf8(out).unwrap(),
        r#"{"ts":"2026-01-01T10:30:00Z","date":"2026-02-03","missing":null,"dur":"PT5M"}"#
    );
}

#[test]
fn malformed_lines_are_errors() {
    for line in [
        "",
        "{",
        "}",
        "{\"a\":}",
        "{\"a\":1,}",
        "[1,2]",
        "12",
        "\"text\"",
        "{\"a\":1} x",
        "{\"a\":01}",
        "{\"a\":NaN}",
        "{'a':1}",
        "{\"a\":\"\\x\"}",
        "nul",
    ] {
        assert!(parse_record(line.as_bytes()).is_err(), "{line:?} parsed");
    }
    assert!(parse_record(&[b'{', b'"', 0xff, b'"', b':', b'1', b'}']).is_err());
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let deep = format!("{{\"a\":{}1{}}}", "[".repeat(100_000), "]".repeat(100_000));
    assert!(parse_record(deep.as_bytes()).is_err());
}

fn json_value() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::Bool),
        any::<i64>().prop_map(serde_json::Value::from),
        (any::<i64>(), 0u32..6).prop_map(|(m, s)| {
            let d = rust_decimal::Decimal::new(m, s);
            serde_json::Value::Number(d.to_string().parse().unwrap())
        }),
        ".*".prop_map(serde_json::Value::String),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(serde_json::Value::Array),
            prop::collection::vec(("[a-z\"\\\\é]{0,6}", inner), 0..5)
                .prop_map(|entries| { serde_json::Value::Object(entries.into_iter().collect()) }),
        ]
    })
}

proptest! {
    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
        let _ = parse_record(&bytes);
        let _ = parse_value(&bytes);
    }

    #[test]
    fn random_json_like_text_never_panics(text in "[\\[\\]{}\":,0-9.eE+\\-a-z\\\\ ]{0,40}") {
        let _ = parse_record(text.as_bytes());
    }

    #[test]
    fn values_round_trip_exactly(json in json_value()) {
        let text = serde_json::to_string(&json).unwrap();
        let value = parse_value(text.as_bytes()).unwrap();
        let mut out = Vec::new();
        write_record(&value, &mut out);
        let again = parse_value(&out).unwrap();
        prop_assert_eq!(&again, &value);
        // Same as the reference conversion.
        prop_assert_eq!(value, ferry::value::json::from_json(&json));
    }
}
