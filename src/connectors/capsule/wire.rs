//! Capsule's bodies: records of any entity, and error bodies as [`ConnectorError::Api`].

use jiff::Timestamp;
use serde_json::Value;

use super::entity::Entity;
use crate::connectors::http::HttpError;
use crate::connectors::{ConnectorError, RejectedRecord, SourceRecord};

pub fn bad_response(endpoint: &str, field: &str) -> ConnectorError {
    ConnectorError::BadResponse {
        endpoint: format!("capsule {endpoint}"),
        reason: format!("`{field}` is missing or malformed"),
    }
}

/// The list under `key` of a listing's body (`{"opportunities": [...]}`).
pub fn list_of(body: Value, key: &str) -> Option<Vec<Value>> {
    match body {
        Value::Object(mut map) => match map.remove(key) {
            Some(Value::Array(items)) => Some(items),
            _ => None,
        },
        _ => None,
    }
}

pub fn record_id(record: &Value) -> Option<String> {
    match record.get("id")? {
        Value::Number(number) if number.is_u64() => Some(number.to_string()),
        Value::String(text) if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) => {
            Some(text.clone())
        }
        _ => None,
    }
}

pub fn updated_at(record: &Value) -> Option<Timestamp> {
    record
        .get("updatedAt")
        .and_then(Value::as_str)
        .and_then(|text| text.parse().ok())
}

/// A listed record that ferry can hand out: an id, an `updatedAt`, and what the entity's
/// records must hold. A record with an id but a bad field is dead-lettered with the reason;
/// one without an id cannot be, so the whole listing fails.
pub fn listed(
    entity: &Entity,
    endpoint: &str,
    record: Value,
) -> Result<Result<(Timestamp, SourceRecord), RejectedRecord>, ConnectorError> {
    let id = record_id(&record).ok_or_else(|| bad_response(endpoint, "id"))?;
    let problem = match updated_at(&record) {
        None => Some("updatedAt".to_string()),
        Some(_) => malformed_field(entity, &record),
    };
    if let Some(field) = problem {
        return Ok(Err(RejectedRecord {
            id,
            raw: record.to_string(),
            reason: format!("capsule {endpoint}: `{field}` is missing or malformed"),
        }));
    }
    let at = updated_at(&record).unwrap_or(Timestamp::UNIX_EPOCH);
    Ok(Ok((
        at,
        SourceRecord {
            id,
            data: record,
            deleted: false,
        },
    )))
}

/// The first field of `record` that does not have the shape its entity gives it.
fn malformed_field(entity: &Entity, record: &Value) -> Option<String> {
    let is_object_or_null = |key: &str| {
        record
            .get(key)
            .is_none_or(|value| value.is_null() || value.is_object())
    };
    for key in ["party", "owner"] {
        if !is_object_or_null(key) {
            return Some(key.into());
        }
    }
    if entity.singular == "opportunity" {
        match record.get("value") {
            None | Some(Value::Null) => {}
            Some(value) => {
                // Money stays exact: the amount must be a JSON number, read as a decimal.
                let amount_ok = value.get("amount").is_some_and(|a| {
                    a.is_null() || a.as_number().is_some_and(|n| {
                        n.to_string().parse::<rust_decimal::Decimal>().is_ok()
                    })
                });
                if !amount_ok {
                    return Some("value.amount".into());
                }
                let currency_ok = value.get("currency").and_then(Value::as_str).is_some_and(
                    |code| code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase()),
                );
                if !currency_ok {
                    return Some("value.currency".into());
                }
            }
        }
    }
    for key in ["status"] {
        if record.get(key).is_some_and(|v| !v.is_string() && !v.is_null()) {
            return Some(key.into());
        }
    }
    None
}

/// A deleted record of `/x/deleted`: `{"id", "deletedAt"}`. Its deletion is its newest
/// change, so it is given `updatedAt` = `deletedAt`: a deletion mapped from the record's last
/// version (`Client::remaps_deletions`) then wins `on conflict newest by updatedAt` over the
/// party's other records, as a change would.
pub fn deleted_record(
    endpoint: &str,
    mut record: Value,
) -> Result<(Timestamp, SourceRecord), ConnectorError> {
    let id = record_id(&record).ok_or_else(|| bad_response(endpoint, "id"))?;
    let at = record
        .get("deletedAt")
        .and_then(Value::as_str)
        .and_then(|text| text.parse::<Timestamp>().ok())
        .ok_or_else(|| bad_response(endpoint, "deletedAt"))?;
    if let Value::Object(fields) = &mut record
        && let Some(deleted_at) = fields.get("deletedAt").cloned()
    {
        fields.insert("updatedAt".into(), deleted_at);
    }
    Ok((
        at,
        SourceRecord {
            id,
            data: record,
            deleted: true,
        },
    ))
}

/// Capsule's error bodies: `{"message", "errors": [{"resource", "field", "message"}]}` (422)
/// or `{"message"}`; anything else stays an HTTP error.
pub fn api_error(error: HttpError) -> ConnectorError {
    let (Some(parsed), Some(status)) = (error.json_body(), error.status()) else {
        return error.into();
    };
    let text =
        |value: &Value, key: &str| value.get(key).and_then(Value::as_str).map(str::to_string);
    let problems: Vec<(Option<String>, String)> = parsed
        .get("errors")
        .and_then(Value::as_array)
        .map(|errors| {
            errors
                .iter()
                .filter_map(|e| Some((text(e, "field"), text(e, "message")?)))
                .collect()
        })
        .unwrap_or_default();
    let headline = text(&parsed, "message").or_else(|| text(&parsed, "error"));
    let message = match (headline, problems.is_empty()) {
        (Some(headline), true) => headline,
        (None, true) => return error.into(),
        (headline, false) => {
            let details: Vec<String> = problems.iter().map(|(_, m)| m.clone()).collect();
            match headline {
                Some(headline) => format!("{headline}: {}", details.join("; ")),
                None => details.join("; "),
            }
        }
    };
    let fields: Vec<String> = problems.into_iter().filter_map(|(f, _)| f).collect();
    ConnectorError::Api {
        endpoint: error.endpoint().to_string(),
        status,
        kind: None,
        code: None,
        param: (!fields.is_empty()).then(|| fields.join(",")),
        message,
    }
}
