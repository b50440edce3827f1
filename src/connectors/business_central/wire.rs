//! Business Central's bodies: entities as target records and OData error objects as
//! [`ConnectorError::Api`].

use serde_json::Value;

use crate::connectors::http::HttpError;
use crate::connectors::{ConnectorError, TargetRecord};

/// The code Business Central gives a write whose `If-Match` etag is stale.
const ENTITY_CHANGED: &str = "Request_EntityChanged";

/// An entity body as a target record: `id` is required, `@odata.etag` becomes the etag.
pub fn target_record(entity: Value, collection: &str) -> Result<TargetRecord, ConnectorError> {
    let missing = |field: &str| ConnectorError::BadResponse {
        endpoint: format!("business central {collection}"),
        reason: format!("the entity has no `{field}`"),
    };
    let Value::Object(mut fields) = entity else {
        return Err(missing("id"));
    };
    let id = fields
        .get("id")
        .and_then(Value::as_str)
        .filter(|id| !id.is_empty())
        .ok_or_else(|| missing("id"))?
        .to_string();
    fields.remove("@odata.context");
    let etag = fields
        .get("@odata.etag")
        .and_then(Value::as_str)
        .map(str::to_string);
    Ok(TargetRecord {
        id,
        data: Value::Object(fields),
        etag,
    })
}

/// `{"error": {"code", "message"}}` as an API error; other failures stay HTTP errors.
pub fn api_error(error: HttpError) -> ConnectorError {
    let (Some(body), Some(status)) = (error.json_body(), error.status()) else {
        return error.into();
    };
    let Some(odata) = body.get("error") else {
        return error.into();
    };
    let text = |key: &str| odata.get(key).and_then(Value::as_str).map(str::to_string);
    let (code, message) = (text("code"), text("message"));
    if code.is_none() && message.is_none() {
        return error.into();
    }
    ConnectorError::Api {
        endpoint: error.endpoint().to_string(),
        status,
        kind: None,
        message: message.unwrap_or_else(|| code.clone().unwrap_or_default()),
        code,
        param: None,
    }
}

/// A write refused because the record changed since its etag was read (412, or 409 with
/// `Request_EntityChanged`: which status Business Central sends is unverified).
pub fn is_stale_etag(error: &ConnectorError) -> bool {
    match error {
        ConnectorError::Api { status, code, .. } => {
            *status == 412 || code.as_deref() == Some(ENTITY_CHANGED)
        }
        ConnectorError::Http(error) => error.status() == Some(412),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::connectors::http::Endpoint;

    fn status(status: u16, body: &str) -> HttpError {
        HttpError::Status {
            endpoint: Endpoint::new("l", "PATCH", "http://x.test/customers(1)"),
            status,
            body: body.into(),
            detail: body.into(),
            attempts: 1,
        }
    }

    #[test]
    fn odata_errors_become_api_errors() {
        let error = api_error(status(
            409,
            r#"{"error":{"code":"Request_EntityChanged","message":"Another user has already changed the record."}}"#,
        ));
        assert!(
            matches!(&error, ConnectorError::Api { code: Some(c), status: 409, .. } if c == "Request_EntityChanged")
        );
        assert!(is_stale_etag(&error));
        assert!(matches!(
            api_error(status(502, "<html>")),
            ConnectorError::Http(_)
        ));
        assert!(is_stale_etag(&api_error(status(412, ""))));
    }

    #[test]
    fn entities_need_an_id() {
        let record = target_record(
            json!({"@odata.context": "c", "@odata.etag": "W/\"1\"", "id": "a", "number": "C1"}),
            "customers",
        )
        .unwrap();
        assert_eq!(record.etag.as_deref(), Some("W/\"1\""));
        assert!(record.data.get("@odata.context").is_none());
        let error = target_record(json!({"number": "C1"}), "customers").unwrap_err();
        assert_eq!(
            error.to_string(),
            "business central customers: unexpected response: the entity has no `id`"
        );
    }
}
