//! Validates decoded form parameters against the request schemas in `params.json` (derived from
//! Stripe's OpenAPI spec by `scripts/derive_stripe_schemas.py`) and types them: integers become
//! numbers, booleans bools, and an empty string on an unsettable parameter becomes `null`.

use std::sync::OnceLock;

use indexmap::IndexMap;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::error::ApiError;

const PARAMS_JSON: &str = include_str!("params.json");

#[derive(Debug, Deserialize, Clone, Copy, PartialEq)]
#[serde(rename_all = "snake_case")]
enum Kind {
    String,
    Integer,
    Boolean,
    Number,
    Decimal,
    Object,
    Array,
    OneOf,
    Any,
}

/// One parameter as the script writes it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Param {
    #[serde(rename = "type")]
    kind: Kind,
    #[serde(rename = "enum")]
    allowed: Option<Vec<String>>,
    max_length: Option<usize>,
    #[serde(default)]
    emptyable: bool,
    fields: Option<IndexMap<String, Param>>,
    #[serde(default)]
    required: Vec<String>,
    other_keys: Option<Box<Param>>,
    item: Option<Box<Param>>,
    #[serde(default)]
    variants: Vec<Param>,
}

fn table() -> Result<&'static IndexMap<String, Param>, ApiError> {
    static TABLE: OnceLock<Result<IndexMap<String, Param>, String>> = OnceLock::new();
    TABLE
        .get_or_init(|| {
            serde_json::from_str(PARAMS_JSON)
                .map_err(|e| format!("the embedded Stripe parameter table is malformed: {e}"))
        })
        .as_ref()
        .map_err(|e| ApiError::internal(e.clone()))
}

/// Validates the parameters of `endpoint` ("POST /v1/customers/{customer}") and returns them
/// typed.
pub fn validate(endpoint: &str, params: &Value) -> Result<Map<String, Value>, ApiError> {
    let schema = table()?
        .get(endpoint)
        .ok_or_else(|| ApiError::internal(format!("no parameter table for {endpoint}")))?;
    match check(schema, params, "", false)? {
        Value::Object(map) => Ok(map),
        _ => Ok(Map::new()),
    }
}

fn child_name(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_string()
    } else {
        format!("{parent}[{key}]")
    }
}

/// `in_map`: the value of a free-form map entry (metadata), where `""` means "delete the key".
fn check(param: &Param, value: &Value, name: &str, in_map: bool) -> Result<Value, ApiError> {
    if value.as_str() == Some("") && param.kind != Kind::Any {
        if param.emptyable {
            return Ok(Value::Null);
        }
        if in_map && param.kind == Kind::String {
            return Ok(Value::String(String::new()));
        }
        return Err(ApiError::empty(name));
    }
    match param.kind {
        Kind::Any => Ok(value.clone()),
        Kind::String => check_string(param, value, name),
        Kind::Integer => {
            let text = scalar(value, name, "integer")?;
            text.parse::<i64>()
                .map(Value::from)
                .map_err(|_| ApiError::invalid_integer(name, text))
        }
        Kind::Boolean => match scalar(value, name, "boolean")? {
            "true" => Ok(Value::Bool(true)),
            "false" => Ok(Value::Bool(false)),
            other => Err(ApiError::invalid_value(
                name,
                format!("Invalid boolean: {other}"),
            )),
        },
        Kind::Number | Kind::Decimal => {
            let text = scalar(value, name, "decimal")?;
            text.parse::<rust_decimal::Decimal>()
                .map_err(|_| ApiError::invalid_value(name, format!("Invalid decimal: {text}")))?;
            if param.kind == Kind::Number {
                serde_json::from_str::<Value>(text)
                    .map_err(|_| ApiError::invalid_value(name, format!("Invalid decimal: {text}")))
            } else {
                Ok(Value::String(text.to_string()))
            }
        }
        Kind::Object => check_object(param, value, name),
        Kind::Array => check_array(param, value, name),
        Kind::OneOf => check_one_of(param, value, name, in_map),
    }
}

fn scalar<'v>(value: &'v Value, name: &str, what: &str) -> Result<&'v str, ApiError> {
    value.as_str().ok_or_else(|| {
        ApiError::invalid_value(
            name,
            format!("Invalid {what}: {name} must be a {what}, not a hash or array"),
        )
    })
}

fn check_string(param: &Param, value: &Value, name: &str) -> Result<Value, ApiError> {
    let text = value.as_str().ok_or_else(|| {
        ApiError::invalid_value(name, format!("Invalid string: {}", compact(value)))
    })?;
    if let Some(max) = param.max_length
        && text.chars().count() > max
    {
        return Err(ApiError::invalid_value(
            name,
            format!("Invalid string: {name} must be at most {max} characters"),
        ));
    }
    if let Some(allowed) = &param.allowed
        && !allowed.iter().any(|a| a == text)
    {
        return Err(ApiError::invalid_value(
            name,
            format!("Invalid {name}: must be one of {}", one_of_list(allowed)),
        ));
    }
    Ok(Value::String(text.to_string()))
}

/// "a, b, or c", as Stripe words enum errors.
fn one_of_list(allowed: &[String]) -> String {
    match allowed {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{}, or {last}", init.join(", ")),
    }
}

fn compact(value: &Value) -> String {
    let text = value.to_string();
    text.chars().take(100).collect()
}

fn check_object(param: &Param, value: &Value, name: &str) -> Result<Value, ApiError> {
    let entries: Vec<(String, &Value)> = match value {
        Value::Object(map) => map.iter().map(|(k, v)| (k.clone(), v)).collect(),
        // `metadata[0]=x` decodes as an array; a map wants it back as keys "0", "1", ...
        Value::Array(items) => items
            .iter()
            .enumerate()
            .map(|(i, v)| (i.to_string(), v))
            .collect(),
        _ => {
            return Err(ApiError::invalid_value(
                name,
                format!("Invalid hash: {name} must be an object"),
            ));
        }
    };
    let mut out = Map::new();
    for (key, child) in &entries {
        let child_param = child_name(name, key);
        let typed = if let Some(field) = param.fields.as_ref().and_then(|f| f.get(key)) {
            check(field, child, &child_param, false)?
        } else if let Some(other) = &param.other_keys {
            check(other, child, &child_param, true)?
        } else {
            return Err(ApiError::unknown_parameter(&child_param));
        };
        out.insert(key.clone(), typed);
    }
    for required in &param.required {
        if !out.contains_key(required) {
            return Err(ApiError::missing(&child_name(name, required)));
        }
    }
    Ok(Value::Object(out))
}

fn check_array(param: &Param, value: &Value, name: &str) -> Result<Value, ApiError> {
    let items: Vec<&Value> = match value {
        Value::Array(items) => items.iter().collect(),
        // Sparse indexes (`expand[3]=x`) decode as a map of numbered keys.
        Value::Object(map) if map.keys().all(|k| k.parse::<usize>().is_ok()) => {
            let mut numbered: Vec<(usize, &Value)> = map
                .iter()
                .filter_map(|(k, v)| k.parse::<usize>().ok().map(|i| (i, v)))
                .collect();
            numbered.sort_by_key(|(i, _)| *i);
            numbered.into_iter().map(|(_, v)| v).collect()
        }
        _ => {
            return Err(ApiError::invalid_value(
                name,
                format!("Invalid array: {name} must be an array"),
            ));
        }
    };
    let Some(item) = &param.item else {
        return Ok(Value::Array(items.into_iter().cloned().collect()));
    };
    items
        .into_iter()
        .enumerate()
        .map(|(i, v)| check(item, v, &child_name(name, &i.to_string()), false))
        .collect::<Result<Vec<_>, _>>()
        .map(Value::Array)
}

fn check_one_of(param: &Param, value: &Value, name: &str, in_map: bool) -> Result<Value, ApiError> {
    let shape_fits = |variant: &Param| match value {
        Value::Object(_) => matches!(variant.kind, Kind::Object | Kind::Any),
        Value::Array(_) => matches!(variant.kind, Kind::Array | Kind::Object | Kind::Any),
        _ => !matches!(variant.kind, Kind::Object | Kind::Array),
    };
    let mut last = None;
    for variant in param.variants.iter().filter(|v| shape_fits(v)) {
        match check(variant, value, name, in_map) {
            Ok(typed) => return Ok(typed),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| {
        ApiError::invalid_value(name, format!("Invalid {name}: {}", compact(value)))
    }))
}

/// For the sandbox-only routes, which have no schema: refuses a parameter not in `known`.
pub fn only(params: &Map<String, Value>, known: &[&str]) -> Result<(), ApiError> {
    match params.keys().find(|k| !known.contains(&k.as_str())) {
        Some(unknown) => Err(ApiError::unknown_parameter(unknown)),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::stripe::form::decode;
    use serde_json::json;

    fn run(endpoint: &str, body: &str) -> Result<Value, ApiError> {
        validate(endpoint, &decode(body.as_bytes())).map(Value::Object)
    }

    #[test]
    fn types_and_unsets() {
        let v = run(
            "POST /v1/customers/{customer}",
            "balance=12&address=&metadata[a]=&metadata[b]=x&tax_exempt=none",
        );
        assert_eq!(
            v,
            Ok(
                json!({"balance": 12, "address": null, "metadata": {"a": "", "b": "x"}, "tax_exempt": "none"})
            )
        );
    }

    #[test]
    fn rejections_name_the_parameter() {
        let e = run("POST /v1/customers", "nmae=x").unwrap_err();
        assert_eq!(
            (e.code, e.param.as_deref()),
            (Some("parameter_unknown"), Some("nmae"))
        );
        let e = run("POST /v1/customers", "address[town]=x").unwrap_err();
        assert_eq!(e.param.as_deref(), Some("address[town]"));
        let e = run("POST /v1/customers", "balance=ten").unwrap_err();
        assert_eq!(e.code, Some("parameter_invalid_integer"));
        let e = run("POST /v1/customers", "email=").unwrap_err();
        assert_eq!(e.code, Some("parameter_invalid_empty"));
        let e = run("POST /v1/prices", "unit_amount=5").unwrap_err();
        assert_eq!(
            (e.code, e.param.as_deref()),
            (Some("parameter_missing"), Some("currency"))
        );
        let e = run("POST /v1/customers", "tax_exempt=maybe").unwrap_err();
        assert_eq!(e.param.as_deref(), Some("tax_exempt"));
        assert!(
            e.message.contains("exempt, none, or reverse"),
            "{}",
            e.message
        );
    }

    #[test]
    fn created_accepts_integer_or_range() {
        assert_eq!(
            run("GET /v1/customers", "created=5"),
            Ok(json!({"created": 5}))
        );
        assert_eq!(
            run("GET /v1/customers", "created[gte]=5&limit=3"),
            Ok(json!({"created": {"gte": 5}, "limit": 3}))
        );
        assert!(run("GET /v1/customers", "created[gte]=x").is_err());
    }
}
