//! List and search envelopes: newest first, `limit` 1..100, `starting_after` / `ending_before`
//! cursors, `created` ranges, and search's `page` cursor.

use serde_json::{Map, Value, json};

use super::error::ApiError;
use super::store::{Collection, EventLog, StoredEvent};

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

/// What a list pages through: items newest first with their positions in creation order,
/// from just before `end` (a cursor's position) when given.
pub trait Listing {
    type Item;
    fn newest_first(&self, end: Option<usize>) -> impl Iterator<Item = (usize, &Self::Item)>;
    fn position(&self, id: &str) -> Option<usize>;
    fn created(item: &Self::Item) -> i64;
    fn to_value(item: &Self::Item) -> Value;
}

impl Listing for Collection {
    type Item = Value;
    fn newest_first(&self, end: Option<usize>) -> impl Iterator<Item = (usize, &Value)> {
        Collection::newest_first(self, end)
    }
    fn position(&self, id: &str) -> Option<usize> {
        Collection::position(self, id)
    }
    fn created(item: &Value) -> i64 {
        item.get("created").and_then(Value::as_i64).unwrap_or(0)
    }
    fn to_value(item: &Value) -> Value {
        item.clone()
    }
}

impl Listing for EventLog {
    type Item = StoredEvent;
    fn newest_first(&self, end: Option<usize>) -> impl Iterator<Item = (usize, &StoredEvent)> {
        EventLog::newest_first(self, end)
    }
    fn position(&self, id: &str) -> Option<usize> {
        EventLog::position(self, id)
    }
    fn created(item: &StoredEvent) -> i64 {
        item.created
    }
    fn to_value(item: &StoredEvent) -> Value {
        item.value()
    }
}

/// Whether `created` satisfies the `created` parameter (an integer or a range).
pub fn created_matches(filter: Option<&Value>, created: i64) -> bool {
    let Some(filter) = filter else { return true };
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
pub fn page<L: Listing>(
    collection: &L,
    resource: &str,
    url: &str,
    params: &Map<String, Value>,
    keep: impl Fn(&L::Item) -> bool,
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
    let matching = |end| {
        collection
            .newest_first(end)
            .filter(|(_, v)| created_matches(created, L::created(v)) && keep(v))
    };
    let cursor = |id: &str, param: &str| {
        collection
            .position(id)
            .ok_or_else(|| ApiError::no_such(resource, id, param))
    };
    let (data, has_more) = if let Some(id) = after {
        let at = cursor(id, "starting_after")?;
        let mut older = matching(Some(at)).map(|(_, v)| L::to_value(v));
        let data: Vec<Value> = older.by_ref().take(limit).collect();
        (data, older.next().is_some())
    } else if let Some(id) = before {
        let at = cursor(id, "ending_before")?;
        let newer: Vec<&L::Item> = matching(None)
            .take_while(|(i, _)| *i > at)
            .map(|(_, v)| v)
            .collect();
        let skip = newer.len().saturating_sub(limit);
        let data = newer[skip..].iter().map(|v| L::to_value(v)).collect();
        (data, skip > 0)
    } else {
        let mut all = matching(None).map(|(_, v)| L::to_value(v));
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
        .newest_first(None)
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
