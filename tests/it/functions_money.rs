use crate::functions_support;

use ferry::value::Value;
use functions_support::{call, d, failure, json_of, s, show};

fn cents(amount: i64, currency: &str) -> String {
    json_of("cents_to_decimal", vec![Value::Int(amount), s(currency)])
}

fn to_cents(amount: Value, currency: &str) -> Result<Value, ferry::value::FunctionError> {
    call("decimal_to_cents", vec![amount, s(currency)])
}

#[test]
fn cents_to_decimal_uses_each_currencys_exponent() {
    assert_eq!(cents(1250, "aud"), "12.50");
    assert_eq!(cents(1250, "USD"), "12.50");
    assert_eq!(cents(-5, "usd"), "-0.05");
    assert_eq!(cents(0, "eur"), "0.00");
    for zero in [
        "bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "vnd", "vuv", "xaf",
        "xof", "xpf",
    ] {
        assert_eq!(cents(1000, zero), "1000", "{zero}");
    }
    assert_eq!(cents(50000, "isk"), "500");
    assert_eq!(cents(50000, "UGX"), "500");
    assert_eq!(
        cents(50050, "isk"),
        "500.50",
        "never loses digits Stripe should not send"
    );
    for three in ["bhd", "jod", "kwd", "omr", "tnd"] {
        assert_eq!(cents(12340, three), "12.340", "{three}");
    }
    assert_eq!(cents(12345, "huf"), "123.45");
    assert_eq!(cents(12345, "twd"), "123.45");
    assert_eq!(cents(i64::MAX, "usd"), "92233720368547758.07");
}

#[test]
fn cents_to_decimal_fails_on_unknown_currencies() {
    let message = failure(call("cents_to_decimal", vec![Value::Int(1), s("xyz")]));
    assert!(message.starts_with("unknown currency \"xyz\""), "{message}");
    let message = failure(call("cents_to_decimal", vec![Value::Int(1), s("xau")]));
    assert!(message.contains("no minor unit"), "{message}");
    assert!(call("cents_to_decimal", vec![Value::Null, s("aud")]).is_err());
}

#[test]
fn decimal_to_cents_round_trips_and_never_rounds() {
    assert_eq!(to_cents(d("12.50"), "aud"), Ok(Value::Int(1250)));
    assert_eq!(to_cents(d("12.5"), "aud"), Ok(Value::Int(1250)));
    assert_eq!(to_cents(Value::Int(12), "aud"), Ok(Value::Int(1200)));
    assert_eq!(
        to_cents(d("12.000"), "aud"),
        Ok(Value::Int(1200)),
        "trailing zeros are not precision"
    );
    assert_eq!(to_cents(d("-0.05"), "usd"), Ok(Value::Int(-5)));
    assert_eq!(to_cents(Value::Int(1000), "JPY"), Ok(Value::Int(1000)));
    assert_eq!(to_cents(d("1000.0"), "jpy"), Ok(Value::Int(1000)));
    let message = failure(to_cents(d("12.345"), "aud"));
    assert!(
        message.starts_with("12.345 has more decimal places than AUD allows (2)"),
        "{message}"
    );
    assert!(message.contains("round(x, 2)"), "{message}");
    assert!(failure(to_cents(d("1000.5"), "jpy")).contains("JPY allows (0)"));
}

#[test]
fn decimal_to_cents_applies_stripes_exceptions() {
    assert_eq!(to_cents(Value::Int(500), "isk"), Ok(Value::Int(50000)));
    assert_eq!(to_cents(d("500"), "ugx"), Ok(Value::Int(50000)));
    assert!(
        failure(to_cents(d("500.5"), "isk"))
            .starts_with("500.5 has more decimal places than ISK allows (0)")
    );
    assert!(failure(to_cents(d("500.50"), "ugx")).contains("UGX allows (0)"));
    assert_eq!(to_cents(d("12.34"), "kwd"), Ok(Value::Int(12340)));
    assert_eq!(to_cents(d("12.340"), "bhd"), Ok(Value::Int(12340)));
    assert!(failure(to_cents(d("12.345"), "kwd")).contains("KWD allows (2)"));
    assert_eq!(to_cents(d("123.45"), "huf"), Ok(Value::Int(12345)));
    assert!(failure(to_cents(d("1.5"), "zzz")).starts_with("unknown currency"));
}

#[test]
fn decimal_to_cents_fails_on_overflow() {
    let message = failure(to_cents(d("92233720368547758.08"), "usd"));
    assert!(message.contains("too large"), "{message}");
    assert!(failure(to_cents(d("79228162514264337593543950335"), "usd")).contains("too large"));
}

fn round(value: Value, places: i64, mode: &str) -> String {
    json_of("round", vec![value, Value::Int(places), s(mode)])
}

#[test]
fn round_supports_every_mode() {
    let cases = [
        // value, half_even, half_up, half_down, up, down, ceiling, floor
        ("2.5", ["2", "3", "2", "3", "2", "3", "2"]),
        ("3.5", ["4", "4", "3", "4", "3", "4", "3"]),
        ("-2.5", ["-2", "-3", "-2", "-3", "-2", "-2", "-3"]),
        ("2.4", ["2", "2", "2", "3", "2", "3", "2"]),
        ("-2.6", ["-3", "-3", "-3", "-3", "-2", "-2", "-3"]),
    ];
    let modes = [
        "half_even",
        "half_up",
        "half_down",
        "up",
        "down",
        "ceiling",
        "floor",
    ];
    for (value, expected) in cases {
        for (mode, want) in modes.iter().zip(expected) {
            assert_eq!(round(d(value), 0, mode), want, "round({value}, 0, {mode})");
        }
    }
}

#[test]
fn round_sets_the_scale_and_handles_ints() {
    assert_eq!(
        json_of("round", vec![d("2.5")]),
        "2",
        "defaults: 0 places, half_even"
    );
    assert_eq!(round(d("12.5"), 2, "half_even"), "12.50");
    assert_eq!(round(d("2.345"), 2, "half_up"), "2.35");
    assert_eq!(round(d("2.345"), 2, "half_even"), "2.34");
    assert_eq!(round(d("-0.001"), 2, "half_even"), "0.00");
    assert_eq!(round(Value::Int(7), 2, "half_even"), "7");
    assert_eq!(round(Value::Int(1250), -2, "half_even"), "1200");
    assert_eq!(round(Value::Int(1350), -2, "half_even"), "1400");
    assert_eq!(round(d("1234.5"), -1, "floor"), "1230");
    assert!(call("round", vec![Value::Int(i64::MAX), Value::Int(-1), s("up")]).is_err());
    let message = failure(call("round", vec![d("1.5"), Value::Int(0), s("nearest")]));
    assert!(
        message.starts_with("unknown rounding mode \"nearest\""),
        "{message}"
    );
    assert!(
        failure(call("round", vec![d("1.5"), Value::Int(29), s("up")]))
            .contains("between -18 and 28")
    );
    assert!(call("round", vec![Value::Null, Value::Int(0), s("up")]).is_err());
}

#[test]
fn gst_split_sums_exactly() {
    assert_eq!(
        json_of("gst_split", vec![d("110.00")]),
        r#"{"net":100.00,"tax":10.00,"gross":110.00}"#
    );
    assert_eq!(
        json_of("gst_split", vec![d("10.00")]),
        r#"{"net":9.09,"tax":0.91,"gross":10.00}"#
    );
    assert_eq!(
        json_of("gst_split", vec![Value::Int(115), d("0.15")]),
        r#"{"net":100.00,"tax":15.00,"gross":115}"#
    );
    assert_eq!(
        json_of("gst_split", vec![d("0.00")]),
        r#"{"net":0.00,"tax":0.00,"gross":0.00}"#
    );
    for cents in [1_i64, 5, 11, 99, 100, 101, 12_345, 999_999, -550] {
        let gross = rust_decimal::Decimal::new(cents, 2);
        let split = call("gst_split", vec![Value::Decimal(gross)]).unwrap();
        let (Value::Decimal(net), Value::Decimal(tax)) = (split.get("net"), split.get("tax"))
        else {
            panic!("{split:?}");
        };
        assert_eq!(net + tax, gross, "{cents}");
        assert_eq!(tax.scale(), 2);
    }
    assert!(failure(call("gst_split", vec![d("1"), d("-1")])).contains("greater than -1"));
}

#[test]
fn abs_min_max() {
    assert_eq!(json_of("abs", vec![d("-12.50")]), "12.50");
    assert_eq!(json_of("abs", vec![Value::Int(-3)]), "3");
    assert!(failure(call("abs", vec![Value::Int(i64::MIN)])).contains("overflows"));
    assert_eq!(
        json_of("min", vec![Value::Int(3), d("1.5"), Value::Int(2)]),
        "1.5"
    );
    assert_eq!(
        json_of("max", vec![Value::Int(3), d("1.5"), Value::Int(2)]),
        "3"
    );
    assert_eq!(json_of("max", vec![d("2.0"), Value::Int(2)]), "2.0");
    assert_eq!(json_of("min", vec![Value::Int(7)]), "7");
    assert!(failure(call("min", vec![])).contains("at least one"));
    assert!(call("max", vec![Value::Int(1), Value::Null]).is_err());
    assert_eq!(
        show(&call("min", vec![Value::Int(-1), Value::Int(-1)]).unwrap()),
        "-1"
    );
}
