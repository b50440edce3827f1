//! List and search envelopes: newest first, `limit` 1..100, `starting_after` / `ending_before`
//! cursors, `created` ranges, and search's `page` cursor.

use serde_json::{Map, Value, json};

use super::error::ApiError;
use super::store::Collection;

pub const DEFAULT_LIMIT: i64 = 10;

/// `limit` from typed parameters; out of range is a 400 (message unverified).
pub fn limit(params: &Map<String, Value>) -> Result<usize, ApiError> {
    match params.get("limit").and_then(Value::as_i64) {
        None => Ok(DEFAULT_LIMIT as usize),
        Some(n) if (1..=100).contains(&n) => Ok(n as usize),
        Some(n) => Err(ApiError::rule(
            Some("parameter_invalid_integer"),
            "limit",
            format!("Invalid limit: must be between 1 and 100 (got {n})"),
        )),
    }
}

/// Whether `object.created` satisfies the `created` parameter (an integer or a range).
pub fn created_matches(filter: Option<&Value>, object: &Value) -> bool {
    let Some(filter) = filter else { return true };
    let created = object.get("created").and_then(Value::as_i64).unwrap_or(0);
    match filter {
        Value::Number(n) => n.as_i64() == Some(created),
        Value::Object(range) => range.iter().all(|(op, bound)| {
            let Some(bound) = bound.as_i64() else {
                return true;
            };
            match op.as_str() {
                "gt" => created > bound,
                "gte" => created >= bound,
                "lt" => created < bound,
                "lte" => created <= bound,
                _ => true,
            }
        }),
        _ => true,
    }
}

/// Whether `object` has the value each of `fields` has in the parameters, where given (list
/// filters such as `customer=cus_...`).
pub fn same_fields(params: &Map<String, Value>, object: &Value, fields: &[&str]) -> bool {
    fields.iter().all(|field| {
        params
            .get(*field)
            .is_none_or(|want| object.get(*field) == Some(want))
    })
}

/// One page of `collection`, filtered, as Stripe's list envelope.
pub fn page(
    collection: &Collection,
    resource: &str,
    url: &str,
    params: &Map<String, Value>,
    keep: impl Fn(&Value) -> bool,
) -> Result<Value, ApiError> {
    let limit = limit(params)?;
    let after = params.get("starting_after").and_then(Value::as_str);
    let before = params.get("ending_before").and_then(Value::as_str);
    if after.is_some() && before.is_some() {
        return Err(ApiError::rule(
            Some("parameters_exclusive"),
            "ending_before",
            "You may only specify one of these parameters: ending_before, starting_after."
                .to_string(),
        ));
    }
    let created = params.get("created");
    let matching = collection
        .newest_first()
        .filter(|(_, v)| created_matches(created, v) && keep(v));
    let cursor = |id: &str, param: &str| {
        collection
            .position(id)
            .ok_or_else(|| ApiError::no_such(resource, id, param))
    };
    let (data, has_more) = if let Some(id) = after {
        let at = cursor(id, "starting_after")?;
        let mut older = matching.filter(|(i, _)| *i < at).map(|(_, v)| v.clone());
        let data: Vec<Value> = older.by_ref().take(limit).collect();
        (data, older.next().is_some())
    } else if let Some(id) = before {
        let at = cursor(id, "ending_before")?;
        let newer: Vec<Value> = matching
            .filter(|(i, _)| *i > at)
            .map(|(_, v)| v.clone())
            .collect();
        let skip = newer.len().saturating_sub(limit);
        (newer[skip..].to_vec(), skip > 0)
    } else {
        let mut all = matching.map(|(_, v)| v.clone());
        let data: Vec<Value> = all.by_ref().take(limit).collect();
        (data, all.next().is_some())
    };
    Ok(json!({"object": "list", "data": data, "has_more": has_more, "url": url}))
}

/// One page of search results; `page` is the opaque cursor a previous page returned.
pub fn search_page(
    collection: &Collection,
    url: &str,
    params: &Map<String, Value>,
    keep: impl Fn(&Value) -> bool,
) -> Result<Value, ApiError> {
    let limit = limit(params)?;
    let offset = match params.get("page").and_then(Value::as_str) {
        None => 0,
        Some(token) => token
            .strip_prefix("spage_")
            .and_then(|n| n.parse::<usize>().ok())
            .ok_or_else(|| ApiError::rule(None, "page", format!("Invalid page: {token}")))?,
    };
    let mut matching = collection
        .newest_first()
        .filter(|(_, v)| keep(v))
        .skip(offset)
        .map(|(_, v)| v.clone());
    let data: Vec<Value> = matching.by_ref().take(limit).collect();
    let has_more = matching.next().is_some();
    let next_page = if has_more {
        Value::String(format!("spage_{}", offset + data.len()))
    } else {
        Value::Null
    };
    Ok(json!({
        "object": "search_result",
        "data": data,
        "has_more": has_more,
        "next_page": next_page,
        "url": url,
    }))
}
