use crate::functions_support;

use ferry::value::Value;
use functions_support::{call, d, date, failure, json_of, s, ts, v};

#[test]
fn string_gives_exact_text_forms() {
    assert_eq!(json_of("string", vec![Value::Int(12)]), r#""12""#);
    assert_eq!(json_of("string", vec![d("12.50")]), r#""12.50""#);
    assert_eq!(json_of("string", vec![Value::Bool(true)]), r#""true""#);
    assert_eq!(
        json_of("string", vec![ts("1970-01-01T00:00:00Z")]),
        r#""1970-01-01T00:00:00Z""#
    );
    assert_eq!(
        json_of("string", vec![date("2026-01-31")]),
        r#""2026-01-31""#
    );
    let five_minutes = Value::Duration(jiff::SignedDuration::from_mins(5));
    assert_eq!(json_of("string", vec![five_minutes]), r#""PT5M""#);
    assert_eq!(
        json_of("string", vec![v(r#"[1, "a", 1.50]"#)]),
        r#""[1,\"a\",1.50]""#
    );
    assert_eq!(json_of("string", vec![s("é")]), r#""é""#);
    for nothing in [Value::Null, Value::Missing, Value::Omit] {
        assert!(failure(call("string", vec![nothing])).starts_with("string() of"));
    }
}

#[test]
fn int_from_text_decimals_and_bools() {
    assert_eq!(call("int", vec![s("12")]), Ok(Value::Int(12)));
    assert_eq!(call("int", vec![s(" -3 ")]), Ok(Value::Int(-3)));
    assert_eq!(call("int", vec![s("12.00")]), Ok(Value::Int(12)));
    assert_eq!(call("int", vec![d("12.00")]), Ok(Value::Int(12)));
    assert_eq!(call("int", vec![Value::Bool(true)]), Ok(Value::Int(1)));
    assert!(
        failure(call("int", vec![s("12.5")]))
            .starts_with("cannot convert string \"12.5\" to an int")
    );
    assert!(
        failure(call("int", vec![s("abc")])).starts_with("cannot convert string \"abc\" to an int")
    );
    assert!(
        call("int", vec![s("99999999999999999999")]).is_err(),
        "beyond i64"
    );
    assert!(
        call(
            "int",
            vec![d("1e20".replace("1e20", "100000000000000000000").as_str())]
        )
        .is_err()
    );
    assert!(call("int", vec![s("1_000")]).is_err());
    assert!(failure(call("int", vec![Value::Null])).starts_with("cannot convert null"));
}

#[test]
fn decimal_keeps_the_scale() {
    assert_eq!(json_of("decimal", vec![s("12.50")]), "12.50");
    assert_eq!(json_of("decimal", vec![s(" -0.10 ")]), "-0.10");
    assert_eq!(json_of("decimal", vec![Value::Int(7)]), "7");
    assert_eq!(json_of("decimal", vec![d("1.000")]), "1.000");
    assert!(
        failure(call("decimal", vec![s("1,200.00")]))
            .starts_with("cannot convert string \"1,200.00\" to a decimal")
    );
    assert!(call("decimal", vec![s("1e3")]).is_err());
    assert!(call("decimal", vec![s("$5")]).is_err());
    assert!(call("decimal", vec![s("")]).is_err());
    assert!(
        failure(call("decimal", vec![Value::Null])).starts_with("cannot convert null to a decimal")
    );
}

#[test]
fn bool_accepts_the_usual_words() {
    for yes in ["true", "Yes", " 1 ", "TRUE"] {
        assert_eq!(call("bool", vec![s(yes)]), Ok(Value::Bool(true)), "{yes}");
    }
    for no in ["false", "no", "0", "No"] {
        assert_eq!(call("bool", vec![s(no)]), Ok(Value::Bool(false)), "{no}");
    }
    assert_eq!(call("bool", vec![Value::Int(0)]), Ok(Value::Bool(false)));
    assert!(call("bool", vec![Value::Int(2)]).is_err());
    assert!(
        failure(call("bool", vec![s("maybe")]))
            .starts_with("cannot convert string \"maybe\" to a bool")
    );
}

#[test]
fn is_null_and_type_of() {
    assert_eq!(call("is_null", vec![Value::Null]), Ok(Value::Bool(true)));
    assert_eq!(call("is_null", vec![Value::Missing]), Ok(Value::Bool(true)));
    assert_eq!(call("is_null", vec![s("")]), Ok(Value::Bool(false)));
    assert_eq!(call("is_null", vec![v("[]")]), Ok(Value::Bool(false)));
    assert_eq!(json_of("type_of", vec![d("12.5")]), r#""decimal""#);
    assert_eq!(json_of("type_of", vec![Value::Missing]), r#""missing""#);
    assert_eq!(json_of("type_of", vec![v("[]")]), r#""list""#);
    assert_eq!(json_of("type_of", vec![date("2026-01-01")]), r#""date""#);
}
