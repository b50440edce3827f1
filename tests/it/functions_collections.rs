use crate::functions_support;

use ferry::value::FunctionError;
use ferry::value::Value;
use functions_support::{Setup, call, d, failure, json_of, s, show, v};

/// Calls a closure-taking function with a Rust closure standing in for `|x| ...`.
fn with(
    name: &str,
    list: Value,
    f: impl Fn(&Value) -> Result<Value, FunctionError>,
) -> Result<Value, FunctionError> {
    let mut closure = |args: &[Value]| f(&args[0]);
    Setup::default().call_with(name, vec![list, Value::Null], Some(&mut closure))
}

fn int(v: &Value) -> i64 {
    match v {
        Value::Int(n) => *n,
        other => panic!("{other:?}"),
    }
}

#[test]
fn first_and_last() {
    assert_eq!(json_of("first", vec![v("[1, 2]")]), "1");
    assert_eq!(json_of("first", vec![v("[]")]), "null");
    assert_eq!(json_of("first", vec![Value::Null]), "null");
    assert_eq!(json_of("first", vec![Value::Missing]), "null");
    assert_eq!(json_of("last", vec![v("[1, 2]")]), "2");
    assert_eq!(json_of("last", vec![v("[]")]), "null");
    assert!(call("first", vec![s("ab")]).is_err());
}

#[test]
fn len_of_lists_texts_and_objects() {
    assert_eq!(json_of("len", vec![v("[1, 2, 3]")]), "3");
    assert_eq!(json_of("len", vec![s("né")]), "2");
    assert_eq!(json_of("len", vec![v(r#"{"a": 1}"#)]), "1");
    assert_eq!(json_of("len", vec![v("[]")]), "0");
    assert!(failure(call("len", vec![Value::Null])).contains("null"));
}

#[test]
fn sum_follows_item_types_exactly() {
    assert_eq!(json_of("sum", vec![v("[1, 2, 3]")]), "6");
    assert_eq!(json_of("sum", vec![v("[1.50, 2]")]), "3.50");
    assert_eq!(json_of("sum", vec![v("[2, 1.50]")]), "3.50");
    assert_eq!(json_of("sum", vec![v("[0.1, 0.2]")]), "0.3");
    assert_eq!(json_of("sum", vec![v("[]")]), "0");
    let big = Value::list(vec![Value::Int(i64::MAX), Value::Int(1)]);
    assert!(failure(call("sum", vec![big])).contains("overflows"));
    assert!(failure(call("sum", vec![v("[1, null]")])).contains("item 1"));
}

#[test]
fn map_filter_any_all() {
    let doubled = with("map", v("[1, 2]"), |x| Ok(Value::Int(int(x) * 10))).unwrap();
    assert_eq!(show(&doubled), "[10,20]");
    assert_eq!(
        show(&with("map", v("[]"), |x| Ok(x.clone())).unwrap()),
        "[]"
    );
    let big = with("filter", v("[1, 5, 2]"), |x| Ok(Value::Bool(int(x) > 1))).unwrap();
    assert_eq!(show(&big), "[5,2]");
    assert!(failure(with("filter", v("[1]"), |_| Ok(Value::Null))).contains("must return a bool"));
    assert_eq!(
        with("any", v("[1, 5]"), |x| Ok(Value::Bool(int(x) > 4))),
        Ok(Value::Bool(true))
    );
    assert_eq!(
        with("any", v("[]"), |_| Ok(Value::Bool(true))),
        Ok(Value::Bool(false))
    );
    assert_eq!(
        with("all", v("[1, 5]"), |x| Ok(Value::Bool(int(x) > 4))),
        Ok(Value::Bool(false))
    );
    assert_eq!(
        with("all", v("[]"), |_| Ok(Value::Bool(false))),
        Ok(Value::Bool(true))
    );
    // A skip inside the closure ends the call as it is.
    let skip = with("map", v("[1]"), |_| Err(FunctionError::Skip("no".into())));
    assert_eq!(skip, Err(FunctionError::Skip("no".into())));
    // any stops at the first true: the second item would fail.
    let short = with("any", v(r#"[1, "x"]"#), |x| Ok(Value::Bool(int(x) == 1)));
    assert_eq!(short, Ok(Value::Bool(true)));
    assert!(
        call("map", vec![v("[1]"), Value::Null]).is_err(),
        "no closure given"
    );
}

#[test]
fn group_by_uses_text_keys_in_first_seen_order() {
    let items = v(r#"[{"t": "a", "n": 1}, {"t": "b", "n": 2}, {"t": "a", "n": 3}]"#);
    let grouped = with("group_by", items, |x| Ok(x.get("t"))).unwrap();
    assert_eq!(
        show(&grouped),
        r#"{"a":[{"t":"a","n":1},{"t":"a","n":3}],"b":[{"t":"b","n":2}]}"#
    );
    let parity = with("group_by", v("[1, 2, 3]"), |x| Ok(Value::Int(int(x) % 2))).unwrap();
    assert_eq!(show(&parity), r#"{"1":[1,3],"0":[2]}"#);
    assert_eq!(
        show(&with("group_by", v("[]"), |x| Ok(x.clone())).unwrap()),
        "{}"
    );
    assert!(failure(with("group_by", v("[{}]"), |x| Ok(x.get("t")))).contains("missing"));
}

#[test]
fn flatten_and_unique() {
    assert_eq!(json_of("flatten", vec![v("[[1, 2], [], [3]]")]), "[1,2,3]");
    assert_eq!(json_of("flatten", vec![v("[[[1]], [2], null]")]), "[[1],2]");
    assert!(failure(call("flatten", vec![v("[1]")])).contains("item 0"));
    assert_eq!(json_of("unique", vec![v("[1, 2, 1, 3, 2]")]), "[1,2,3]");
    assert_eq!(
        json_of("unique", vec![v(r#"["a", "A", "a"]"#)]),
        r#"["a","A"]"#
    );
    assert_eq!(
        json_of("unique", vec![Value::list(vec![Value::Int(1), d("1.0")])]),
        "[1]"
    );
    assert_eq!(json_of("unique", vec![v("[]")]), "[]");
}

#[test]
fn sort_by_is_stable_and_rejects_mixed_keys() {
    assert_eq!(
        show(&with("sort_by", v("[3, 1, 2]"), |x| Ok(x.clone())).unwrap()),
        "[1,2,3]"
    );
    let items =
        v(r#"[{"k": 2, "n": "a"}, {"k": 1, "n": "b"}, {"k": 2, "n": "c"}, {"k": 1.5, "n": "d"}]"#);
    let sorted = with("sort_by", items, |x| Ok(x.get("k"))).unwrap();
    assert_eq!(
        show(&sorted),
        r#"[{"k":1,"n":"b"},{"k":1.5,"n":"d"},{"k":2,"n":"a"},{"k":2,"n":"c"}]"#
    );
    assert!(
        failure(with("sort_by", v(r#"[1, "a"]"#), |x| Ok(x.clone())))
            .starts_with("sort_by: cannot compare")
    );
    assert!(with("sort_by", v("[1, null]"), |x| Ok(x.clone())).is_err());
    assert_eq!(
        show(&with("sort_by", v(r#"["b", "a"]"#), |x| Ok(x.clone())).unwrap()),
        r#"["a","b"]"#
    );
}

#[test]
fn keys_values_get() {
    assert_eq!(
        json_of("keys", vec![v(r#"{"b": 1, "a": 2}"#)]),
        r#"["b","a"]"#
    );
    assert_eq!(json_of("values", vec![v(r#"{"b": 1, "a": 2}"#)]), "[1,2]");
    assert_eq!(json_of("keys", vec![v("{}")]), "[]");
    assert!(call("keys", vec![v("[]")]).is_err());
    assert_eq!(
        call("get", vec![v(r#"{"a": 1}"#), s("a")]),
        Ok(Value::Int(1))
    );
    assert_eq!(
        call("get", vec![v(r#"{"a": 1}"#), s("b")]),
        Ok(Value::Missing)
    );
    assert_eq!(call("get", vec![Value::Null, s("a")]), Ok(Value::Null));
    assert!(call("get", vec![v("[1]"), s("a")]).is_err());
}
