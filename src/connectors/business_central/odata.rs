//! OData `$filter` text for Business Central: literals quoted the way OData v4 wants them.
//!
//! The literal's type comes from the value and Business Central's naming: `id` and `...Id`
//! properties holding a GUID are bare, `...Date` properties holding a date and
//! `...DateTime` properties holding a time are bare, other text is quoted with `'` doubled,
//! numbers keep the exact digits they were given.

use serde_json::Value;

use crate::connectors::{ConnectorError, MatchKey};

/// `number eq 'C0001' and email eq 'x'` for a sink's match keys.
pub fn match_filter(keys: &[MatchKey]) -> Result<String, ConnectorError> {
    if keys.is_empty() {
        return Err(ConnectorError::Unsupported(
            "business central: a match needs at least one key".into(),
        ));
    }
    let mut clauses = Vec::with_capacity(keys.len());
    for key in keys {
        let property = key.path.replace('.', "/");
        if !property.split('/').all(|part| {
            !part.is_empty() && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        }) {
            return Err(ConnectorError::Unsupported(format!(
                "business central: `{}` is not a property name",
                key.path
            )));
        }
        clauses.push(format!("{property} eq {}", literal(&property, &key.value)?));
    }
    Ok(clauses.join(" and "))
}

/// The OData literal of `value` compared with `property`.
pub fn literal(property: &str, value: &Value) -> Result<String, ConnectorError> {
    match value {
        Value::Null => Ok("null".into()),
        Value::Bool(flag) => Ok(flag.to_string()),
        // serde_json keeps the digits as written (arbitrary precision): no float round trip.
        Value::Number(number) => Ok(number.to_string()),
        Value::String(text) if is_bare(property, text) => Ok(text.clone()),
        Value::String(text) => Ok(quote(text)),
        Value::Array(_) | Value::Object(_) => Err(ConnectorError::Unsupported(format!(
            "business central: `{property}` cannot be matched on a list or an object"
        ))),
    }
}

/// `'text'` with each `'` doubled.
pub fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

fn is_bare(property: &str, text: &str) -> bool {
    let name = property.rsplit('/').next().unwrap_or(property);
    if name == "id" || name.ends_with("Id") {
        is_guid(text)
    } else if name.ends_with("DateTime") {
        text.parse::<jiff::Timestamp>().is_ok()
    } else if name.ends_with("Date") {
        text.parse::<jiff::civil::Date>().is_ok() && text.len() == 10
    } else {
        false
    }
}

/// `8-4-4-4-12` hexadecimal digits.
fn is_guid(text: &str) -> bool {
    let groups: Vec<&str> = text.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(group, len)| group.len() == len && group.chars().all(|c| c.is_ascii_hexdigit()))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn key(path: &str, value: Value) -> MatchKey {
        MatchKey {
            path: path.into(),
            value,
        }
    }

    #[test]
    fn text_is_quoted_with_doubled_quotes_and_numbers_are_bare() {
        let filter = match_filter(&[
            key("number", json!("C0001")),
            key("email", json!("o'brien@example.com")),
            key("creditLimit", serde_json::from_str("1234.10").unwrap()),
        ])
        .unwrap();
        assert_eq!(
            filter,
            "number eq 'C0001' and email eq 'o''brien@example.com' and creditLimit eq 1234.10"
        );
    }

    #[test]
    fn guids_dates_and_times_follow_the_property_name() {
        let guid = "6a1b4a3c-0000-4c6a-9f2e-1234567890ab";
        assert_eq!(literal("customerId", &json!(guid)).unwrap(), guid);
        assert_eq!(
            literal("number", &json!(guid)).unwrap(),
            format!("'{guid}'")
        );
        assert_eq!(
            literal("postingDate", &json!("2026-01-31")).unwrap(),
            "2026-01-31"
        );
        assert_eq!(
            literal("externalDocumentNumber", &json!("2026-01-31")).unwrap(),
            "'2026-01-31'"
        );
        assert_eq!(
            literal("lastModifiedDateTime", &json!("2026-01-01T00:00:00Z")).unwrap(),
            "2026-01-01T00:00:00Z"
        );
        assert_eq!(literal("blocked", &json!(true)).unwrap(), "true");
    }

    #[test]
    fn odd_keys_are_refused() {
        assert!(match_filter(&[]).is_err());
        assert!(match_filter(&[key("a eq 1 or b", json!(1))]).is_err());
        assert!(match_filter(&[key("tags", json!(["x"]))]).is_err());
    }
}
