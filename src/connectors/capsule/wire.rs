//! Capsule's bodies: parties as records and error bodies as [`ConnectorError::Api`].

use jiff::Timestamp;
use serde_json::Value;

use crate::connectors::http::HttpError;
use crate::connectors::{ConnectorError, SourceRecord};

pub fn bad_response(endpoint: &str, field: &str) -> ConnectorError {
    ConnectorError::BadResponse {
        endpoint: format!("capsule {endpoint}"),
        reason: format!("`{field}` is missing or malformed"),
    }
}

pub fn check_collection(name: &str) -> Result<(), ConnectorError> {
    if name == "parties" {
        Ok(())
    } else {
        Err(ConnectorError::Unsupported(format!(
            "capsule has no `{name}` collection (only `parties`)"
        )))
    }
}

pub fn parties_of(body: Value) -> Option<Vec<Value>> {
    match body {
        Value::Object(mut map) => match map.remove("parties") {
            Some(Value::Array(parties)) => Some(parties),
            _ => None,
        },
        _ => None,
    }
}

pub fn party_id(party: &Value) -> Option<String> {
    match party.get("id")? {
        Value::Number(number) => Some(number.to_string()),
        Value::String(text) if !text.is_empty() => Some(text.clone()),
        _ => None,
    }
}

pub fn party_record(party: Value) -> Result<SourceRecord, ConnectorError> {
    let id = party_id(&party).ok_or_else(|| ConnectorError::BadResponse {
        endpoint: "capsule parties".into(),
        reason: "a party has no `id`".into(),
    })?;
    Ok(SourceRecord {
        id,
        data: party,
        deleted: false,
    })
}

pub fn updated_at(party: &Value) -> Result<Timestamp, ConnectorError> {
    party
        .get("updatedAt")
        .and_then(Value::as_str)
        .and_then(|text| text.parse().ok())
        .ok_or_else(|| ConnectorError::BadResponse {
            endpoint: "capsule parties".into(),
            reason: "a party has no `updatedAt` time".into(),
        })
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
