//! Stripe's webhooks: `POST /webhooks/stripe/{connection}`. A delivery is one event, signed in
//! `Stripe-Signature` over the raw body with the connection's `webhook_secret` (and
//! `webhook_secret_previous` while it is rolled); see [`super::signature`]. Every event type
//! feeds `stripe.events`, its object sits at `data.object`, and missed events are caught up
//! from `/v1/events`.

use reqwest::StatusCode;
use serde::Deserialize;
use serde_json::Value;

use super::signature;
use crate::connectors::SourceRecord;
use crate::connectors::webhook::{
    ApiVersion, CatchUp, Delivery, Event, RecordId, Refusal, Request, Webhooks,
};

pub static WEBHOOKS: Webhooks = Webhooks {
    route: "stripe/{connection}",
    secrets: &["webhook_secret", "webhook_secret_previous"],
    no_endpoint: |connection| format!("no Stripe webhook endpoint `{connection}`"),
    receive,
    batches: false,
    unstored: |reason| format!("the event could not be stored ({reason}); Stripe will retry"),
    stream_of: |_| Some(EVENTS),
    object_at: "/data/object",
    record_id: RecordId::Event,
    deletes: |_| false,
    // An object names its kind (`"object": "customer"`); its collection is the plural.
    collection_of: |object| Some(format!("{}s", object.get("object")?.as_str()?)),
    api_version: Some(ApiVersion {
        setting: "api_version",
        mismatch: version_mismatch,
    }),
    catch_up: Some(CatchUp {
        stream: EVENTS,
        retention_days: 30,
        warn_days: 25,
        event_of,
    }),
    // Stripe's endpoints are registered in its dashboard, with their signing secret.
    subscriptions: None,
};

/// The stream of Stripe's events, fed by the webhooks and the catch-up.
const EVENTS: &str = "events";

/// The fields of an event the endpoint needs before storing it.
#[derive(Deserialize)]
struct EventHead {
    id: String,
    #[serde(rename = "type")]
    event_type: String,
    created: i64,
    object: Option<String>,
}

/// Checks the signature, then that the body is an event. Every refusal is counted.
fn receive(request: &Request) -> Result<Delivery, Refusal> {
    let refuse = |code, message: String| Refusal::counted(StatusCode::BAD_REQUEST, code, message);
    let header = request
        .headers
        .get("stripe-signature")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| refuse("signature_missing", "no Stripe-Signature header".into()))?;
    signature::verify(
        header,
        request.body,
        request.secrets,
        request.now,
        request.tolerance,
    )
    .map_err(|error| refuse(error.code(), error.to_string()))?;
    let head: EventHead = serde_json::from_slice(request.body).map_err(|error| {
        refuse(
            "not_an_event",
            format!("the body is not a Stripe event: {error}"),
        )
    })?;
    if head.object.as_deref().is_some_and(|o| o != "event") || head.id.is_empty() {
        return Err(refuse(
            "not_an_event",
            "the body is not a Stripe event object".into(),
        ));
    }
    let events = String::from_utf8(request.body.to_vec())
        .map(|body| {
            vec![Event {
                id: head.id,
                event_type: head.event_type.clone(),
                created: head.created,
                body,
            }]
        })
        .map_err(|_| refuse("not_an_event", "the body is not UTF-8".into()));
    Ok(Delivery {
        event_type: head.event_type,
        count: 1,
        events,
    })
}

/// An event rendered in another API version than the connection's: its objects may not have
/// the shape the pipelines were checked against.
fn version_mismatch(body: &Value, expected: &str, connection: &str) -> Option<String> {
    let got = body
        .get("api_version")
        .and_then(Value::as_str)
        .unwrap_or("none");
    (got != expected).then(|| {
        format!(
            "the event is rendered in Stripe API version {got}, but connection `{connection}` expects {expected}: set the webhook endpoint's API version to {expected} in Stripe's dashboard, then replay"
        )
    })
}

/// An event of `/v1/events`, as a delivery would have brought it.
fn event_of(record: &SourceRecord) -> Option<Event> {
    Some(Event {
        id: record.id.clone(),
        event_type: record.data.get("type")?.as_str()?.to_string(),
        created: record.data.get("created")?.as_i64()?,
        body: record.data.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::time::Duration;

    use jiff::Timestamp;
    use reqwest::header::{HeaderMap, HeaderValue};
    use serde_json::json;

    use super::*;
    use crate::connectors::Secret;

    const SECRET: &str = "whsec_test";

    fn delivery(body: &[u8], header: Option<String>) -> Result<Delivery, Refusal> {
        let mut headers = HeaderMap::new();
        if let Some(header) = header.and_then(|h| HeaderValue::from_str(&h).ok()) {
            headers.insert("stripe-signature", header);
        }
        let now = Timestamp::from_second(1_700_000_000).unwrap();
        receive(&Request {
            path: &HashMap::new(),
            headers: &headers,
            body,
            secrets: &[Secret::new(SECRET)],
            now,
            tolerance: Duration::from_secs(300),
        })
    }

    fn signed(body: &[u8]) -> Option<String> {
        Some(signature::sign(body, &Secret::new(SECRET), 1_700_000_000))
    }

    #[test]
    fn a_signed_event_is_one_inbox_event() {
        let body = json!({"id": "evt_1", "object": "event", "type": "customer.updated",
            "created": 1_699_999_999, "data": {"object": {"id": "cus_9", "object": "customer"}}})
        .to_string();
        let got = delivery(body.as_bytes(), signed(body.as_bytes())).unwrap();
        assert_eq!((got.event_type.as_str(), got.count), ("customer.updated", 1));
        assert_eq!(
            got.events,
            Ok(vec![Event {
                id: "evt_1".into(),
                event_type: "customer.updated".into(),
                created: 1_699_999_999,
                body: body.clone(),
            }])
        );
        let parsed: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(WEBHOOKS.object_id(&parsed).as_deref(), Some("cus_9"));
        assert_eq!(WEBHOOKS.record_id("evt_1", &parsed), "evt_1");
        assert_eq!(
            WEBHOOKS.refetch_collection(&parsed).as_deref(),
            Some("customers")
        );
        assert_eq!((WEBHOOKS.stream_of)("charge.succeeded"), Some("events"));
    }

    #[test]
    fn refusals_keep_their_codes() {
        let body = br#"{"id": "evt_1", "object": "event", "type": "x", "created": 1}"#;
        let code = |result: Result<Delivery, Refusal>| result.err().map(|r| (r.code, r.counted_as));
        assert_eq!(
            code(delivery(body, None)),
            Some(("signature_missing", Some("signature_missing")))
        );
        assert_eq!(
            code(delivery(body, Some(format!("t=1700000000,v1={}", "0".repeat(64))))),
            Some(("signature_mismatch", Some("signature_mismatch")))
        );
        let list = br#"{"id": "x", "object": "list", "type": "x", "created": 1}"#;
        assert_eq!(
            code(delivery(list, signed(list))),
            Some(("not_an_event", Some("not_an_event")))
        );
    }

    #[test]
    fn another_api_version_is_a_mismatch() {
        let body = json!({"api_version": "2020-08-27"});
        assert_eq!(version_mismatch(&body, "2020-08-27", "stripe"), None);
        let reason = version_mismatch(&body, "2022-04-12", "stripe").unwrap();
        assert!(reason.starts_with("the event is rendered in Stripe API version 2020-08-27, but connection `stripe` expects 2022-04-12"), "{reason}");
    }
}
