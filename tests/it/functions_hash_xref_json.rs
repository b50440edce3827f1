use crate::functions_support;

use std::collections::HashMap;

use ferry::value::Value;
use functions_support::{Setup, Xrefs, call, failure, json_of, s, show};

#[test]
fn sha256_is_lowercase_hex() {
    assert_eq!(
        json_of("sha256", vec![s("")]),
        r#""e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855""#
    );
    assert_eq!(
        json_of("sha256", vec![s("abc")]),
        r#""ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad""#
    );
}

#[test]
fn idempotency_keys_are_unambiguous() {
    let key = |parts: Vec<Value>| call("idempotency_key", parts).unwrap();
    let sha = |text: &str| call("sha256", vec![s(text)]).unwrap();
    assert_eq!(key(vec![s("ab"), s("c")]), sha("2:ab1:c"));
    assert_ne!(key(vec![s("ab"), s("c")]), key(vec![s("a"), s("bc")]));
    assert_eq!(key(vec![s("ch_1"), Value::Int(42)]), sha("4:ch_12:42"));
    assert_eq!(key(vec![Value::Null, s("")]), sha("-0:"));
    assert_ne!(key(vec![Value::Null]), key(vec![s("")]));
    assert_eq!(key(vec![s("é")]), sha("1:é"), "length in characters");
    assert_eq!(key(vec![]), sha(""));
    assert!(call("idempotency_key", vec![Value::Omit]).is_err());
}

#[test]
fn xref_reads_the_store() {
    let mut known = HashMap::new();
    known.insert(
        ("stripe.customers".to_string(), "cus_1".to_string()),
        "C0001".to_string(),
    );
    known.insert(
        ("capsule.parties".to_string(), "42".to_string()),
        "cus_9".to_string(),
    );
    let setup = Setup {
        xrefs: Xrefs(known),
        ..Setup::default()
    };
    assert_eq!(
        setup.call("xref", vec![s("stripe.customers"), s("cus_1")]),
        Ok(s("C0001"))
    );
    assert_eq!(
        setup.call("xref", vec![s("capsule.parties"), Value::Int(42)]),
        Ok(s("cus_9"))
    );
    let miss = failure(setup.call("xref", vec![s("stripe.customers"), s("cus_2")]));
    assert_eq!(miss, "no cross reference for cus_2 in stripe.customers");
    assert!(
        setup
            .call("xref", vec![s("stripe.customers"), Value::Null])
            .is_err()
    );
}

#[test]
fn json_fixtures_keep_numbers_exact() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("fixtures")).unwrap();
    std::fs::write(
        dir.path().join("fixtures/charge.json"),
        r#"{"id": "ch_1", "amount": 1250, "rate": 0.10, "big": 12345678901234567890.5, "exp": 1.5e2, "huge": 123456789012345678901234567890123, "tags": [true, null]}"#,
    )
    .unwrap();
    std::fs::write(dir.path().join("bad.json"), "{").unwrap();
    let setup = Setup {
        base_dir: dir.path().to_path_buf(),
        ..Setup::default()
    };
    let value = setup.call("json", vec![s("fixtures/charge.json")]).unwrap();
    assert_eq!(value.get("amount"), Value::Int(1250));
    assert_eq!(
        value.get("rate"),
        Value::Decimal(rust_decimal::Decimal::new(10, 2))
    );
    assert_eq!(
        show(&value),
        r#"{"id":"ch_1","amount":1250,"rate":0.10,"big":12345678901234567890.5,"exp":150,"huge":"123456789012345678901234567890123","tags":[true,null]}"#
    );
    assert!(
        failure(setup.call("json", vec![s("missing.json")]))
            .starts_with("cannot read missing.json")
    );
    assert!(
        failure(setup.call("json", vec![s("bad.json")])).starts_with("bad.json is not valid JSON")
    );
}
