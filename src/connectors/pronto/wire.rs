//! What Pronto Avenue's bodies hold: list pages with `count` and `pages` as numbers or text,
//! its two date formats, and its error body `{message, backtrace}` as [`ConnectorError::Api`].
//!
//! UNVERIFIED (shared/reference/apis-wave2.md §1.1): which statuses carry the error body (any
//! non-2xx is read for one), and the time zone of its dates (the connection's `timezone`,
//! Australia/Sydney unless set).

use jiff::civil::DateTime;
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};
use serde_json::Value;

use crate::connectors::http::HttpError;
use crate::connectors::{ConnectorError, SourceRecord};

/// `updated_since` and `created_since`: `DD-MM-YYYY-HH-MM`.
const FILTER_FORMAT: &str = "%d-%m-%Y-%H-%M";
/// `updated_at` and `created_at` in bodies: `HH:MM DD-Mon-YYYY` (`03:10 23-Jul-2025`).
const BODY_FORMAT: &str = "%H:%M %d-%b-%Y";

/// An answer that is not what the endpoint promises, naming the endpoint and the field.
pub fn bad_response(endpoint: &str, field: &str, problem: &str) -> ConnectorError {
    ConnectorError::BadResponse {
        endpoint: format!("pronto {endpoint}"),
        reason: format!("`{field}` {problem}"),
    }
}

/// One list page: its records, and how many records and pages the whole listing has.
#[derive(Debug)]
pub struct ListPage {
    pub records: Vec<Value>,
    pub count: u64,
    pub pages: u64,
}

/// `{"<root>": [...], "count": N, "pages": P}`; `count` and `pages` arrive as numbers or as
/// text (the docs show `"count": ""` for none).
pub fn list_page(body: Value, root: &str, endpoint: &str) -> Result<ListPage, ConnectorError> {
    let Value::Object(mut map) = body else {
        return Err(bad_response(endpoint, root, "is missing: the body is not an object"));
    };
    if let Some(message) = map.get("message").and_then(Value::as_str)
        && !map.contains_key(root)
    {
        return Err(ConnectorError::Api {
            endpoint: format!("pronto {endpoint}"),
            status: 200,
            kind: None,
            code: Some("pronto_error".into()),
            param: None,
            message: message.to_string(),
        });
    }
    let records = match map.remove(root) {
        Some(Value::Array(records)) => records,
        Some(_) => return Err(bad_response(endpoint, root, "is not a list")),
        None => return Err(bad_response(endpoint, root, "is missing")),
    };
    let count = whole_number(map.get("count"))
        .ok_or_else(|| bad_response(endpoint, "count", "is not a whole number"))?;
    let pages = whole_number(map.get("pages"))
        .ok_or_else(|| bad_response(endpoint, "pages", "is not a whole number"))?;
    Ok(ListPage {
        records,
        count,
        pages,
    })
}

/// A count sent as a number, as digits, or as `""` (none).
fn whole_number(value: Option<&Value>) -> Option<u64> {
    match value? {
        Value::Number(number) => number.as_u64(),
        Value::String(text) if text.trim().is_empty() => Some(0),
        Value::String(text) => text.trim().parse().ok(),
        _ => None,
    }
}

/// The minute `at` falls in, in the tenant's zone, as `updated_since` takes it.
pub fn filter_time(at: Timestamp, zone: &TimeZone) -> String {
    at.to_zoned(zone.clone()).strftime(FILTER_FORMAT).to_string()
}

/// `"03:10 23-Jul-2025"` in the tenant's zone.
pub fn parse_body_time(text: &str, zone: &TimeZone) -> Option<Timestamp> {
    let civil = DateTime::strptime(BODY_FORMAT, text.trim()).ok()?;
    Some(civil.to_zoned(zone.clone()).ok()?.timestamp())
}

/// The start of the minute before the one `at` falls in: where the next pass starts, so that a
/// record changed in the minute a pass began (or on a clock a little behind ours) is read again.
pub fn minute_before(at: Timestamp, zone: &TimeZone) -> Timestamp {
    let zoned = at.to_zoned(zone.clone());
    let floor = zoned
        .with()
        .second(0)
        .subsec_nanosecond(0)
        .build()
        .unwrap_or(zoned);
    floor
        .checked_sub(1.minute())
        .map(|z| z.timestamp())
        .unwrap_or(at)
}

/// The record's `updated_at`, or why it cannot be read.
pub fn updated_at(record: &Value, zone: &TimeZone) -> Result<Timestamp, String> {
    let text = record
        .get("updated_at")
        .and_then(Value::as_str)
        .ok_or("it has no `updated_at`")?;
    parse_body_time(text, zone)
        .ok_or_else(|| format!("`updated_at` {text:?} is not `HH:MM DD-Mon-YYYY`"))
}

/// The text of `field` when it is a non-empty string or a number.
pub fn text_field(record: &Value, field: &str) -> Option<String> {
    match record.get(field)? {
        Value::String(text) if !text.trim().is_empty() => Some(text.trim().to_string()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

/// A record with the id its collection keys it by.
pub fn source_record(record: Value, id: String) -> SourceRecord {
    SourceRecord {
        id,
        data: record,
        deleted: false,
    }
}

/// Pronto's error body `{"message", "backtrace"}` as an API error naming the endpoint; any other
/// body (an HTML page from a proxy, say) stays an HTTP error with the start of the body.
pub fn api_error(error: HttpError) -> ConnectorError {
    let (Some(parsed), Some(status)) = (error.json_body(), error.status()) else {
        return error.into();
    };
    let Some(message) = parsed.get("message").and_then(Value::as_str) else {
        return error.into();
    };
    ConnectorError::Api {
        endpoint: error.endpoint().to_string(),
        status,
        kind: None,
        code: (status == 429).then(|| "rate_limited".to_string()),
        param: None,
        message: message.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn sydney() -> TimeZone {
        TimeZone::get("Australia/Sydney").unwrap()
    }

    #[test]
    fn counts_arrive_as_numbers_or_text() {
        let page = list_page(
            json!({"debtors": [{}], "count": "12", "pages": "2"}),
            "debtors",
            "debtor/v4",
        )
        .unwrap();
        assert_eq!((page.count, page.pages, page.records.len()), (12, 2, 1));
        let page = list_page(
            json!({"debtors": [], "count": 0, "pages": ""}),
            "debtors",
            "debtor/v4",
        )
        .unwrap();
        assert_eq!((page.count, page.pages), (0, 0));
        let error = list_page(
            json!({"debtors": [], "count": "many"}),
            "debtors",
            "debtor/v4",
        )
        .unwrap_err()
        .to_string();
        assert!(error.contains("pronto debtor/v4") && error.contains("`count`"), "{error}");
    }

    #[test]
    fn an_error_inside_a_200_is_an_error() {
        let error = list_page(json!({"message": "boom"}), "orders", "order/v4").unwrap_err();
        assert!(error.to_string().contains("boom"), "{error}");
        let error = list_page(json!(["x"]), "orders", "order/v4").unwrap_err();
        assert!(error.to_string().contains("`orders`"), "{error}");
    }

    #[test]
    fn the_two_date_formats_are_read_in_the_tenants_zone() {
        let zone = sydney();
        let body = parse_body_time("03:10 23-Jul-2025", &zone).unwrap();
        // July is winter in Sydney: UTC+10.
        assert_eq!(body.to_string(), "2025-07-22T17:10:00Z");
        assert_eq!(filter_time(body, &zone), "23-07-2025-03-10");
        assert_eq!(parse_body_time("2025-07-23", &zone), None);
        let next = minute_before("2025-07-22T17:10:42Z".parse().unwrap(), &zone);
        assert_eq!(next.to_string(), "2025-07-22T17:09:00Z");
    }
}
