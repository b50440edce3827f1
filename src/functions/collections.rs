//! Lists and objects: first/last, len, sum, map/filter/group_by/sort_by, any/all, keys/values.

use std::cmp::Ordering;

use rust_decimal::Decimal;

use super::arguments::{
    Outcome, arg, call_closure, describe, failed, list, object, owned_list, test_closure, text,
};
use super::conversion::text_form;
use super::params::{
    any_list, arg_type, bool_result, int_result, item_type, list_item_closure, numeric_result,
    param, same_list_result, signature, union,
};
use super::spec::{Example, FunctionSpec};
use crate::check::{ArgInfo, Fallibility, Field, ObjectType, ParamSig, Signature, Type};
use crate::value::{CallArgs, FunctionError};
use crate::value::{Map, Value};

fn spec(
    signature: Signature,
    doc: &'static str,
    examples: &'static [Example],
    call: fn(&mut CallArgs) -> Outcome,
) -> FunctionSpec {
    FunctionSpec {
        signature,
        family: "collections",
        doc,
        examples,
        call,
    }
}

/// `name(list, |x| ...)`: the closure gets the list's items.
fn with_closure(name: &'static str, returns: fn(&[Option<ArgInfo>]) -> Type) -> Signature {
    let mut sig = signature(
        name,
        vec![param("list", any_list()), param("f", Type::Closure)],
        returns,
        Fallibility::Infallible,
    );
    sig.closure_param = Some(list_item_closure);
    sig
}

fn one(name: &'static str, p: ParamSig, returns: fn(&[Option<ArgInfo>]) -> Type) -> Signature {
    signature(name, vec![p], returns, Fallibility::Infallible)
}

fn optional_item(args: &[Option<ArgInfo>]) -> Type {
    Type::optional(item_type(args, 0))
}

pub fn specs() -> Vec<FunctionSpec> {
    vec![
        spec(
            one(
                "first",
                param("list", Type::optional(any_list())),
                optional_item,
            ),
            "The first item of a list, or null when the list is empty, null or missing \
             (so `first(.emailAddresses)?.address` handles a contact without emails).",
            &[
                Example {
                    call: "first([1, 2])",
                    result: Ok("1"),
                },
                Example {
                    call: "first([])",
                    result: Ok("null"),
                },
                Example {
                    call: "first(null)",
                    result: Ok("null"),
                },
            ],
            first,
        ),
        spec(
            one(
                "last",
                param("list", Type::optional(any_list())),
                optional_item,
            ),
            "The last item of a list, or null when the list is empty, null or missing.",
            &[
                Example {
                    call: "last([1, 2])",
                    result: Ok("2"),
                },
                Example {
                    call: "last([])",
                    result: Ok("null"),
                },
            ],
            last,
        ),
        spec(
            one(
                "len",
                param("value", union(&[any_list(), Type::String, Type::Any])),
                int_result,
            ),
            "The number of items in a list, characters (not bytes) in a text, or fields in an \
             object. Anything else, null included, is a run-time error.",
            &[
                Example {
                    call: "len([1, 2, 3])",
                    result: Ok("3"),
                },
                Example {
                    call: r#"len("né")"#,
                    result: Ok("2"),
                },
                Example {
                    call: "len({a: 1})",
                    result: Ok("1"),
                },
                Example {
                    call: "len([])",
                    result: Ok("0"),
                },
            ],
            len,
        ),
        spec(
            one(
                "sum",
                param("list", Type::list(super::params::numeric())),
                |args| numeric_result([&item_type(args, 0)]),
            ),
            "Adds up a list of numbers exactly. The type follows the items: minor units stay \
             minor units, ints stay ints, any decimal makes a decimal. An empty list sums to \
             0. A null item or overflow is a run-time error.",
            &[
                Example {
                    call: "sum([1, 2, 3])",
                    result: Ok("6"),
                },
                Example {
                    call: "sum([1.50, 2])",
                    result: Ok("3.50"),
                },
                Example {
                    call: "sum([])",
                    result: Ok("0"),
                },
            ],
            sum,
        ),
        spec(
            with_closure("map", |args| {
                Type::list(arg_type(args, 1).cloned().unwrap_or(Type::Any))
            }),
            "Applies the closure to every item and gives the list of results, in order.",
            &[
                Example {
                    call: "map([1, 2], |x| x * 10)",
                    result: Ok("[10, 20]"),
                },
                Example {
                    call: "map([], |x| x)",
                    result: Ok("[]"),
                },
            ],
            map,
        ),
        spec(
            with_closure("filter", same_list_result),
            "Keeps the items for which the closure is true, in order. The closure must give a \
             bool (null is not false: write `x.flag ?? false`).",
            &[
                Example {
                    call: "filter([1, 5, 2], |x| x > 1)",
                    result: Ok("[5, 2]"),
                },
                Example {
                    call: "filter([], |x| true)",
                    result: Ok("[]"),
                },
            ],
            filter,
        ),
        spec(
            with_closure("group_by", |args| {
                Type::object(ObjectType::default().other_keys(Type::list(item_type(args, 0))))
            }),
            "Groups items by the closure's key: an object whose keys are the keys' text forms \
             (5 becomes \"5\") in order of first appearance, each holding its items in order. \
             A null key is a run-time error: give a default with `??`.",
            &[
                Example {
                    call: r#"group_by([{t: "a", n: 1}, {t: "b", n: 2}, {t: "a", n: 3}], |x| x.t)"#,
                    result: Ok(
                        r#"{"a": [{"t": "a", "n": 1}, {"t": "a", "n": 3}], "b": [{"t": "b", "n": 2}]}"#,
                    ),
                },
                Example {
                    call: "group_by([1, 2, 3], |x| x % 2)",
                    result: Ok(r#"{"1": [1, 3], "0": [2]}"#),
                },
                Example {
                    call: "group_by([], |x| x)",
                    result: Ok("{}"),
                },
            ],
            group_by,
        ),
        spec(
            one(
                "flatten",
                param("lists", Type::list(any_list())),
                |args| match item_type(args, 0) {
                    Type::List(inner) => Type::list(*inner),
                    _ => any_list(),
                },
            ),
            "Joins a list of lists into one list, one level deep. Null and missing inner lists \
             are skipped; an item that is not a list is a run-time error.",
            &[
                Example {
                    call: "flatten([[1, 2], [], [3]])",
                    result: Ok("[1, 2, 3]"),
                },
                Example {
                    call: "flatten([[[1]], [2]])",
                    result: Ok("[[1], 2]"),
                },
            ],
            flatten,
        ),
        spec(
            one("enumerate", param("list", any_list()), |args| {
                Type::list(Type::object(
                    ObjectType::named("enumerated")
                        .field("number", Field::new(Type::Int))
                        .field("item", Field::new(item_type(args, 0))),
                ))
            }),
            "Numbers the items from 1: each becomes `{ number, item }`, for journal line numbers \
             and positions (`for line in enumerate(lines) { lineNumber = line.number * 10000 }`).",
            &[
                Example {
                    call: r#"enumerate(["a", "b"])"#,
                    result: Ok(r#"[{"number": 1, "item": "a"}, {"number": 2, "item": "b"}]"#),
                },
                Example {
                    call: "enumerate([])",
                    result: Ok("[]"),
                },
            ],
            enumerate,
        ),
        spec(
            one("unique", param("list", any_list()), same_list_result),
            "The list without repeated items, keeping the first of each, in order. Numbers \
             compare by value (1 and 1.0 are the same).",
            &[
                Example {
                    call: "unique([1, 2, 1, 3, 2])",
                    result: Ok("[1, 2, 3]"),
                },
                Example {
                    call: r#"unique(["a", "A"])"#,
                    result: Ok(r#"["a", "A"]"#),
                },
            ],
            unique,
        ),
        spec(
            with_closure("sort_by", same_list_result),
            "Sorts the list by the closure's key, ascending and stable (equal keys keep their \
             order). Keys must all be numbers, all text, all timestamps, all dates or all \
             bools; null or mixed keys are a run-time error.",
            &[
                Example {
                    call: "sort_by([3, 1, 2], |x| x)",
                    result: Ok("[1, 2, 3]"),
                },
                Example {
                    call: r#"sort_by([{n: "b"}, {n: "a"}], |x| x.n)"#,
                    result: Ok(r#"[{"n": "a"}, {"n": "b"}]"#),
                },
                Example {
                    call: r#"sort_by([1, "a"], |x| x)"#,
                    result: Err("sort_by: cannot compare"),
                },
            ],
            sort_by,
        ),
        spec(
            with_closure("any", bool_result),
            "Whether the closure is true for at least one item (false for an empty list). It \
             stops at the first true.",
            &[
                Example {
                    call: "any([1, 5], |x| x > 4)",
                    result: Ok("true"),
                },
                Example {
                    call: "any([], |x| true)",
                    result: Ok("false"),
                },
            ],
            any,
        ),
        spec(
            with_closure("all", bool_result),
            "Whether the closure is true for every item (true for an empty list). It stops at \
             the first false.",
            &[
                Example {
                    call: "all([1, 5], |x| x > 4)",
                    result: Ok("false"),
                },
                Example {
                    call: "all([], |x| false)",
                    result: Ok("true"),
                },
            ],
            all,
        ),
        spec(
            one("keys", param("object", Type::Any), |_| {
                Type::list(Type::String)
            }),
            "The field names of an object, in order.",
            &[
                Example {
                    call: "keys({b: 1, a: 2})",
                    result: Ok(r#"["b", "a"]"#),
                },
                Example {
                    call: "keys({})",
                    result: Ok("[]"),
                },
            ],
            keys,
        ),
        spec(
            one(
                "values",
                param("object", Type::Any),
                |args| match arg_type(args, 0) {
                    Some(Type::Object(o)) if o.fields.is_empty() => {
                        Type::list(o.other_keys.as_deref().cloned().unwrap_or(Type::Any))
                    }
                    _ => any_list(),
                },
            ),
            "The field values of an object, in order.",
            &[
                Example {
                    call: "values({b: 1, a: 2})",
                    result: Ok("[1, 2]"),
                },
                Example {
                    call: "values({})",
                    result: Ok("[]"),
                },
            ],
            values,
        ),
        spec(
            signature(
                "get",
                vec![param("object", Type::Any), param("key", Type::String)],
                get_type,
                Fallibility::Infallible,
            ),
            "The field of an object named by a key computed at run time (`get(.metadata, \
             name)`). Like `.field`, an absent field is missing, so write `?? default`; a null \
             or missing object gives null.",
            &[
                Example {
                    call: r#"get({a: 1}, "a")"#,
                    result: Ok("1"),
                },
                Example {
                    call: r#"get({a: 1}, "b") ?? 0"#,
                    result: Ok("0"),
                },
                Example {
                    call: r#"get(null, "a")"#,
                    result: Ok("null"),
                },
            ],
            get,
        ),
    ]
}

fn get_type(args: &[Option<ArgInfo>]) -> Type {
    let key = args
        .get(1)
        .and_then(Option::as_ref)
        .and_then(|a| a.literal.as_deref());
    match (arg_type(args, 0).map(Type::non_null), key) {
        (Some(Type::Object(o)), Some(key)) => match o.fields.get(key) {
            Some(field) => field.ty.clone(),
            None => o
                .other_keys
                .as_deref()
                .cloned()
                .map(Type::optional)
                .unwrap_or(Type::Any),
        },
        _ => Type::Any,
    }
}

fn optional_list<'v>(args: &'v CallArgs, function: &str) -> Result<&'v [Value], FunctionError> {
    match arg(args, 0) {
        Value::Null | Value::Missing => Ok(&[]),
        _ => list(args, 0, function, "list"),
    }
}

fn first(args: &mut CallArgs) -> Outcome {
    Ok(optional_list(args, "first")?
        .first()
        .cloned()
        .unwrap_or(Value::Null))
}

fn last(args: &mut CallArgs) -> Outcome {
    Ok(optional_list(args, "last")?
        .last()
        .cloned()
        .unwrap_or(Value::Null))
}

fn len(args: &mut CallArgs) -> Outcome {
    let n = match arg(args, 0) {
        Value::List(items) => items.len(),
        Value::String(s) => s.chars().count(),
        Value::Object(fields) => fields.len(),
        other => {
            return Err(failed(format!(
                "len: needs a list, text or object, got {}",
                describe(other)
            )));
        }
    };
    Ok(Value::Int(i64::try_from(n).unwrap_or(i64::MAX)))
}

fn sum(args: &mut CallArgs) -> Outcome {
    let mut int_total: i64 = 0;
    let mut decimal_total: Option<Decimal> = None;
    for (i, item) in list(args, 0, "sum", "list")?.iter().enumerate() {
        let overflow = || failed(format!("sum: the total overflows at item {i}"));
        match (item, decimal_total.as_mut()) {
            (Value::Int(n), None) => int_total = int_total.checked_add(*n).ok_or_else(overflow)?,
            (Value::Int(n), Some(total)) => {
                *total = total.checked_add(Decimal::from(*n)).ok_or_else(overflow)?
            }
            (Value::Decimal(d), None) => {
                decimal_total = Some(
                    Decimal::from(int_total)
                        .checked_add(*d)
                        .ok_or_else(overflow)?,
                )
            }
            (Value::Decimal(d), Some(total)) => {
                *total = total.checked_add(*d).ok_or_else(overflow)?
            }
            (other, _) => {
                return Err(failed(format!(
                    "sum: item {i} must be a number, got {}",
                    describe(other)
                )));
            }
        }
    }
    Ok(decimal_total
        .map(Value::Decimal)
        .unwrap_or(Value::Int(int_total)))
}

fn map(args: &mut CallArgs) -> Outcome {
    let items = owned_list(args, 0, "map", "list")?;
    let mut results = Vec::with_capacity(items.len());
    for item in items.iter() {
        results.push(call_closure(args, "map", item)?);
    }
    Ok(Value::list(results))
}

fn filter(args: &mut CallArgs) -> Outcome {
    let items = owned_list(args, 0, "filter", "list")?;
    let mut kept = Vec::new();
    for item in items.iter() {
        if test_closure(args, "filter", item)? {
            kept.push(item.clone());
        }
    }
    Ok(Value::list(kept))
}

fn group_by(args: &mut CallArgs) -> Outcome {
    let items = owned_list(args, 0, "group_by", "list")?;
    let mut groups: indexmap::IndexMap<String, Vec<Value>> = indexmap::IndexMap::new();
    for item in items.iter() {
        let key = call_closure(args, "group_by", item)?;
        let key = text_form(&key).ok_or_else(|| {
            failed(format!(
                "group_by: the key of an item is {}; give a default with `??`",
                key.kind()
            ))
        })?;
        groups.entry(key).or_default().push(item.clone());
    }
    Ok(Value::object(
        groups
            .into_iter()
            .map(|(k, v)| (k, Value::list(v)))
            .collect::<Map>(),
    ))
}

fn flatten(args: &mut CallArgs) -> Outcome {
    let mut flat = Vec::new();
    for (i, inner) in list(args, 0, "flatten", "lists")?.iter().enumerate() {
        match inner {
            Value::List(items) => flat.extend(items.iter().cloned()),
            Value::Null | Value::Missing => {}
            other => {
                return Err(failed(format!(
                    "flatten: item {i} must be a list, got {}",
                    describe(other)
                )));
            }
        }
    }
    Ok(Value::list(flat))
}

fn enumerate(args: &mut CallArgs) -> Outcome {
    let numbered = list(args, 0, "enumerate", "list")?
        .iter()
        .zip(1_i64..)
        .map(|(item, number)| {
            let mut entry = Map::with_capacity(2);
            entry.insert("number".to_string(), Value::Int(number));
            entry.insert("item".to_string(), item.clone());
            Value::object(entry)
        })
        .collect();
    Ok(Value::list(numbered))
}

fn unique(args: &mut CallArgs) -> Outcome {
    let mut kept: Vec<Value> = Vec::new();
    for item in list(args, 0, "unique", "list")? {
        if !kept.iter().any(|k| same(k, item)) {
            kept.push(item.clone());
        }
    }
    Ok(Value::list(kept))
}

/// Equality with numbers compared by value across int and decimal.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Int(x), Value::Decimal(y)) | (Value::Decimal(y), Value::Int(x)) => {
            Decimal::from(*x) == *y
        }
        _ => a == b,
    }
}

/// The order of two sort keys, when they are comparable.
pub fn compare(a: &Value, b: &Value) -> Option<Ordering> {
    let number = |v: &Value| match v {
        Value::Int(n) => Some(Decimal::from(*n)),
        Value::Decimal(d) => Some(*d),
        _ => None,
    };
    match (a, b) {
        (Value::String(x), Value::String(y)) => Some(x.cmp(y)),
        (Value::Timestamp(x), Value::Timestamp(y)) => Some(x.cmp(y)),
        (Value::Date(x), Value::Date(y)) => Some(x.cmp(y)),
        (Value::Bool(x), Value::Bool(y)) => Some(x.cmp(y)),
        (Value::Duration(x), Value::Duration(y)) => Some(x.cmp(y)),
        _ => Some(number(a)?.cmp(&number(b)?)),
    }
}

fn sort_by(args: &mut CallArgs) -> Outcome {
    let items = owned_list(args, 0, "sort_by", "list")?;
    let mut keyed = Vec::with_capacity(items.len());
    for item in items.iter() {
        keyed.push((call_closure(args, "sort_by", item)?, item.clone()));
    }
    // Check every key against the first so the sort's comparisons cannot fail.
    if let Some((first_key, _)) = keyed.first() {
        for (key, _) in &keyed {
            if compare(first_key, key).is_none() {
                return Err(failed(format!(
                    "sort_by: cannot compare the keys {} and {}",
                    describe(first_key),
                    describe(key)
                )));
            }
        }
    }
    keyed.sort_by(|(a, _), (b, _)| compare(a, b).unwrap_or(Ordering::Equal));
    Ok(Value::list(
        keyed.into_iter().map(|(_, item)| item).collect(),
    ))
}

fn any(args: &mut CallArgs) -> Outcome {
    let items = owned_list(args, 0, "any", "list")?;
    for item in items.iter() {
        if test_closure(args, "any", item)? {
            return Ok(Value::Bool(true));
        }
    }
    Ok(Value::Bool(false))
}

fn all(args: &mut CallArgs) -> Outcome {
    let items = owned_list(args, 0, "all", "list")?;
    for item in items.iter() {
        if !test_closure(args, "all", item)? {
            return Ok(Value::Bool(false));
        }
    }
    Ok(Value::Bool(true))
}

fn keys(args: &mut CallArgs) -> Outcome {
    let fields = object(args, 0, "keys", "object")?;
    Ok(Value::list(
        fields.keys().map(|k| Value::string(k.as_str())).collect(),
    ))
}

fn values(args: &mut CallArgs) -> Outcome {
    let fields = object(args, 0, "values", "object")?;
    Ok(Value::list(fields.values().cloned().collect()))
}

fn get(args: &mut CallArgs) -> Outcome {
    let key = text(args, 1, "get", "key")?;
    match arg(args, 0) {
        Value::Null | Value::Missing => Ok(Value::Null),
        Value::Object(fields) => Ok(fields.get(key).cloned().unwrap_or(Value::Missing)),
        other => Err(failed(format!(
            "get: needs an object, got {}",
            describe(other)
        ))),
    }
}
