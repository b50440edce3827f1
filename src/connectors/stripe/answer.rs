//! What Stripe answers: objects with an `id`, list envelopes, and error objects
//! (`{"error": {"type", "code", "param", "message"}}`).

use serde::Deserialize;
use serde_json::Value;

use crate::connectors::http::{Endpoint, HttpError, Response};
use crate::connectors::record::{ConnectorError, SourceRecord, TargetRecord};

/// A successful answer's JSON body and the endpoint that gave it.
#[derive(Debug)]
pub struct Answer {
    pub endpoint: Endpoint,
    pub body: Value,
}

/// One page of a list or search envelope, in Stripe's order (newest first).
#[derive(Debug)]
pub struct ListPage {
    pub endpoint: Endpoint,
    pub items: Vec<Value>,
    pub has_more: bool,
}

impl Answer {
    pub fn from_response(response: &Response) -> Result<Answer, ConnectorError> {
        match serde_json::from_slice(&response.body) {
            Ok(body) => Ok(Answer {
                endpoint: response.endpoint.clone(),
                body,
            }),
            Err(error) => Err(bad(
                &response.endpoint,
                format!("the body is not JSON: {error}"),
            )),
        }
    }

    fn bad(&self, reason: String) -> ConnectorError {
        bad(&self.endpoint, reason)
    }

    /// The body as one object, which must carry an `id` string.
    pub fn into_record(self) -> Result<TargetRecord, ConnectorError> {
        let id = object_id(&self.body).map_err(|reason| self.bad(reason))?;
        Ok(TargetRecord {
            id,
            data: self.body,
            etag: None,
        })
    }

    /// The body as a list (`object: list`) or search (`object: search_result`) envelope.
    pub fn into_list(self) -> Result<ListPage, ConnectorError> {
        let has_more = self.body.get("has_more").and_then(Value::as_bool);
        let Some(has_more) = has_more else {
            return Err(self.bad("the list has no boolean `has_more`".into()));
        };
        match self.body {
            Value::Object(mut envelope) => match envelope.remove("data") {
                Some(Value::Array(items)) => Ok(ListPage {
                    endpoint: self.endpoint,
                    items,
                    has_more,
                }),
                _ => Err(bad(&self.endpoint, "the list has no array `data`".into())),
            },
            _ => Err(self.bad("the list is not a JSON object".into())),
        }
    }
}

impl ListPage {
    /// A list item as a source record; it must carry an `id` string.
    pub fn source_record(&self, item: Value) -> Result<SourceRecord, ConnectorError> {
        let id = object_id(&item)
            .map_err(|reason| bad(&self.endpoint, format!("a list item: {reason}")))?;
        Ok(SourceRecord {
            id,
            data: item,
            deleted: false,
        })
    }

    /// A list item's `created` (unix seconds), which every listed Stripe object has.
    pub fn created(&self, item: &Value) -> Result<i64, ConnectorError> {
        item.get("created").and_then(Value::as_i64).ok_or_else(|| {
            bad(
                &self.endpoint,
                "a list item has no integer `created`".into(),
            )
        })
    }
}

fn bad(endpoint: &Endpoint, reason: String) -> ConnectorError {
    ConnectorError::BadResponse {
        endpoint: endpoint.to_string(),
        reason,
    }
}

fn object_id(body: &Value) -> Result<String, String> {
    if !body.is_object() {
        return Err("the body is not a JSON object".into());
    }
    match body.get("id").and_then(Value::as_str) {
        Some(id) if !id.is_empty() => Ok(id.to_string()),
        _ => Err("the object has no string `id`".into()),
    }
}

#[derive(Deserialize)]
struct ErrorEnvelope {
    error: ErrorObject,
}

#[derive(Deserialize)]
struct ErrorObject {
    #[serde(rename = "type")]
    kind: Option<String>,
    code: Option<String>,
    param: Option<String>,
    message: Option<String>,
}

/// Stripe's error object as [`ConnectorError::Api`]; any other failure stays an HTTP error.
pub fn api_error(error: HttpError) -> ConnectorError {
    let (Some(status), Some(body)) = (error.status(), error.error_body()) else {
        return ConnectorError::Http(error);
    };
    let Ok(ErrorEnvelope { error: object }) = serde_json::from_str::<ErrorEnvelope>(body) else {
        return ConnectorError::Http(error);
    };
    if object.kind.is_none() && object.code.is_none() && object.message.is_none() {
        return ConnectorError::Http(error);
    }
    ConnectorError::Api {
        endpoint: error.endpoint().to_string(),
        status,
        message: object
            .message
            .unwrap_or_else(|| format!("HTTP {status} without a message")),
        kind: object.kind,
        code: object.code,
        param: object.param,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connectors::http::Endpoint;
    use serde_json::json;

    fn status_error(status: u16, body: &str) -> HttpError {
        HttpError::Status {
            endpoint: Endpoint::new("stripe: create customers", "POST", "https://x.test/v1/c"),
            status,
            body: body.chars().take(10).collect(),
            attempts: 1,
            detail: body.into(),
        }
    }

    #[test]
    fn stripe_error_objects_become_api_errors() {
        let long = "x".repeat(500);
        let body = json!({"error": {"type": "invalid_request_error", "code": "parameter_unknown",
            "param": "nmae", "message": "Received unknown parameter: nmae", "doc_url": long}});
        let error = api_error(status_error(400, &body.to_string()));
        assert_eq!(
            error.to_string(),
            "stripe: create customers (POST https://x.test/v1/c): 400 Received unknown parameter: \
             nmae (type=invalid_request_error, code=parameter_unknown, param=nmae)"
        );
        assert!(matches!(error, ConnectorError::Api { status: 400, .. }));
        assert_eq!(error.code(), "parameter_unknown");
        assert!(error.is_permanent());
    }

    #[test]
    fn other_bodies_stay_http_errors() {
        for body in [
            "<html>bad gateway</html>",
            "{\"error\": \"x\"}",
            "{\"error\": {}}",
        ] {
            let error = api_error(status_error(502, body));
            assert!(
                matches!(error, ConnectorError::Http(_)),
                "{body}: {error:?}"
            );
        }
    }

    #[test]
    fn records_need_an_object_with_an_id() {
        let answer = |body: Value| Answer {
            endpoint: Endpoint::new(
                "stripe: get customers",
                "GET",
                "https://x.test/v1/customers/cus_1",
            ),
            body,
        };
        let record = answer(json!({"id": "cus_1", "email": "a@b.c"})).into_record();
        assert_eq!(record.ok().map(|r| r.id).as_deref(), Some("cus_1"));
        for body in [json!([]), json!({"id": 5}), json!({"object": "customer"})] {
            let error = answer(body).into_record().err();
            let message = error.map(|e| e.to_string()).unwrap_or_default();
            assert!(
                message.starts_with("stripe: get customers (GET"),
                "{message}"
            );
            assert!(
                message.contains("`id`") || message.contains("object"),
                "{message}"
            );
        }
        let error = answer(json!({"data": [], "has_more": "no"}))
            .into_list()
            .err();
        let message = error.map(|e| e.to_string()).unwrap_or_default();
        assert!(message.contains("`has_more`"), "{message}");
    }
}
