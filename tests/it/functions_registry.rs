use std::collections::HashSet;

use ferry::check::{ArgInfo, Fallibility, FunctionTable, Type};
use ferry::functions::{Registry, parse_default};
use ferry::value::Value;
use ferry::value::json::{from_json, to_json};

#[test]
fn every_function_is_documented_with_examples() {
    let registry = Registry::standard();
    let mut names = HashSet::new();
    for spec in registry.specs() {
        let name = spec.signature.name;
        assert!(names.insert(name), "{name} is registered twice");
        assert!(spec.examples.len() >= 2, "{name} needs at least 2 examples");
        assert!(spec.doc.len() > 30, "{name} needs a doc paragraph");
        for example in spec.examples {
            assert!(
                example.call.contains(name),
                "{name}: example {:?} does not call it",
                example.call
            );
            match example.result {
                Ok(json) => {
                    serde_json::from_str::<serde_json::Value>(json).unwrap_or_else(|e| {
                        panic!("{name}: example result {json:?} is not JSON: {e}")
                    });
                }
                Err(prefix) => assert!(!prefix.is_empty(), "{name}: empty error prefix"),
            }
        }
        if let Fallibility::Fallible(reason) = spec.signature.fallibility {
            assert!(!reason.is_empty(), "{name}: say on which inputs it fails");
        }
        for param in &spec.signature.params {
            if let Some(default) = param.default {
                assert!(
                    parse_default(default).is_some(),
                    "{name}: default {default:?} of {} does not parse",
                    param.name
                );
            }
        }
    }
    for expected in [
        "cents_to_decimal",
        "decimal_to_cents",
        "round",
        "gst_split",
        "abs",
        "min",
        "max",
        "concat",
        "join",
        "split",
        "upper",
        "lower",
        "trim",
        "replace",
        "substring",
        "pad_left",
        "pad_right",
        "truncate",
        "contains",
        "starts_with",
        "ends_with",
        "first",
        "last",
        "len",
        "sum",
        "map",
        "filter",
        "group_by",
        "flatten",
        "unique",
        "sort_by",
        "any",
        "all",
        "keys",
        "values",
        "get",
        "from_unix",
        "parse_timestamp",
        "format_date",
        "to_date",
        "parse_date",
        "add",
        "add_days",
        "days_between",
        "now",
        "to_unix",
        "start_of_month",
        "string",
        "int",
        "decimal",
        "bool",
        "is_null",
        "type_of",
        "normalize_email",
        "normalize_phone",
        "split_address",
        "join_address",
        "sha256",
        "idempotency_key",
        "xref",
        "json",
        "skip",
        "fail",
    ] {
        assert!(
            registry.signature(expected).is_some(),
            "{expected} is missing"
        );
    }
}

#[test]
fn defaults_parse_as_simple_literals() {
    assert_eq!(parse_default("0"), Some(Value::Int(0)));
    assert_eq!(parse_default("-2"), Some(Value::Int(-2)));
    assert_eq!(
        parse_default("0.10"),
        Some(Value::Decimal(rust_decimal::Decimal::new(10, 2)))
    );
    assert_eq!(
        parse_default("\"half_even\""),
        Some(Value::string("half_even"))
    );
    assert_eq!(parse_default("\"\""), Some(Value::string("")));
    assert_eq!(parse_default("true"), Some(Value::Bool(true)));
    assert_eq!(parse_default("null"), Some(Value::Null));
    assert_eq!(parse_default("half_even"), None);
    assert_eq!(parse_default("\"a\"b\""), None);
}

fn info(ty: Type) -> Option<ArgInfo> {
    Some(ArgInfo { ty, literal: None })
}

#[test]
fn result_types_follow_argument_types() {
    let registry = Registry::standard();
    let returns =
        |name: &str, args: &[Option<ArgInfo>]| (registry.signature(name).unwrap().returns)(args);
    let emails = Type::list(Type::String);
    assert_eq!(
        returns("first", &[info(Type::optional(emails.clone()))]),
        Type::optional(Type::String)
    );
    assert_eq!(
        returns("sum", &[info(Type::list(Type::MinorUnits))]),
        Type::MinorUnits
    );
    assert_eq!(returns("sum", &[info(Type::list(Type::Int))]), Type::Int);
    assert_eq!(
        returns("sum", &[info(Type::list(Type::Decimal))]),
        Type::Decimal
    );
    assert_eq!(
        returns("round", &[info(Type::Decimal), None, None]),
        Type::Decimal
    );
    assert_eq!(
        returns("map", &[info(emails.clone()), info(Type::Int)]),
        Type::list(Type::Int)
    );
    assert_eq!(
        returns("filter", &[info(emails.clone()), info(Type::Bool)]),
        emails
    );
    assert_eq!(
        returns(
            "decimal_to_cents",
            &[info(Type::Decimal), info(Type::String)]
        ),
        Type::MinorUnits
    );
    assert_eq!(
        returns("add", &[info(Type::Date), info(Type::Duration)]),
        Type::Date
    );
    assert_eq!(
        returns("max", &[info(Type::Int), info(Type::Decimal)]),
        Type::Decimal
    );
    let closure_param = registry.signature("map").unwrap().closure_param.unwrap();
    assert_eq!(
        closure_param(&[info(Type::list(Type::Timestamp))]),
        Type::Timestamp
    );
    assert!(registry.signature("format_date").unwrap().needs_timezone);
    assert!(registry.signature("to_date").unwrap().needs_timezone);
    assert!(registry.signature("concat").unwrap().variadic);
    assert!(matches!(
        registry.signature("parse_timestamp").unwrap().fallibility,
        Fallibility::Fallible(_)
    ));
    assert!(matches!(
        registry.signature("xref").unwrap().fallibility,
        Fallibility::Fallible(_)
    ));
}

#[test]
fn json_values_round_trip_exactly() {
    let text =
        r#"{"a":1,"b":12.50,"c":[true,null,"x"],"d":-0.000001,"e":{"f":9223372036854775807}}"#;
    let value = from_json(&serde_json::from_str(text).unwrap());
    assert_eq!(
        value.get("b"),
        Value::Decimal(rust_decimal::Decimal::new(1250, 2))
    );
    assert_eq!(to_json(&value).to_string(), text);
    let mut map = ferry::value::Map::new();
    map.insert("kept".into(), Value::Missing);
    map.insert("gone".into(), Value::Omit);
    map.insert(
        "when".into(),
        Value::Timestamp("2026-01-01T00:00:00Z".parse().unwrap()),
    );
    map.insert("day".into(), Value::Date("2026-01-31".parse().unwrap()));
    assert_eq!(
        to_json(&Value::object(map)).to_string(),
        r#"{"kept":null,"when":"2026-01-01T00:00:00Z","day":"2026-01-31"}"#
    );
}
