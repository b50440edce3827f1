//! Capsule's REST hooks: `POST /webhooks/capsule/{connection}/{token}`. They carry no
//! signature, so the endpoint is protected by a secret path token (the connection's
//! `webhook_token`), compared in constant time. A delivery (`{"event": "party/updated",
//! "payload": [parties]}`) becomes one inbox event per record, and feeds the entity's stream:
//! `party/*` `capsule.parties`, `opportunity/*` `capsule.opportunities`, `kase/*`
//! `capsule.kases`, `task/*` `capsule.tasks` (Capsule's events: created, updated, deleted,
//! closed and moved for opportunities and kases; created, updated and completed for tasks).

use jiff::Timestamp;
use reqwest::StatusCode;
use serde_json::Value;

use super::entity;
use crate::connectors::webhook::{
    Delivery, Event, RecordId, Refusal, Request, Subscriptions, Webhooks, constant_time_eq,
};

pub static WEBHOOKS: Webhooks = Webhooks {
    route: "capsule/{connection}/{token}",
    secrets: &["webhook_token"],
    // The same answer for a wrong token: it reveals nothing.
    no_endpoint: |_| NO_ENDPOINT.into(),
    receive,
    batches: true,
    unstored: |reason| format!("the delivery could not be stored ({reason})"),
    stream_of: |event_type| {
        entity::of_event(event_type)
            .filter(|entity| entity.plural != entity::USERS.plural)
            .map(|entity| entity.plural)
    },
    object_at: "",
    record_id: RecordId::Object,
    deletes: |event_type| event_type.ends_with("/deleted"),
    // A late event is applied as it came.
    collection_of: |_| None,
    api_version: None,
    catch_up: None,
    subscriptions: Some(Subscriptions {
        events_of: hook_events,
        secret_capture: Some("token"),
        limit: Some(MAX_HOOKS),
        open: super::resthooks::open,
    }),
};

/// Capsule's limit of REST hooks an account.
pub const MAX_HOOKS: usize = 20;

/// The events a pipeline reading `stream` needs subscribed: every event of the entity that
/// Capsule sends (tasks have no `task/deleted`).
fn hook_events(stream: &str) -> &'static [&'static str] {
    match stream {
        "parties" => &["party/created", "party/updated", "party/deleted"],
        "opportunities" => &[
            "opportunity/created",
            "opportunity/updated",
            "opportunity/deleted",
            "opportunity/closed",
            "opportunity/moved",
        ],
        "kases" => &[
            "kase/created",
            "kase/updated",
            "kase/deleted",
            "kase/closed",
            "kase/moved",
        ],
        "tasks" => &["task/created", "task/updated", "task/completed"],
        _ => &[],
    }
}

const NO_ENDPOINT: &str = "no such endpoint";

fn receive(request: &Request) -> Result<Delivery, Refusal> {
    let token = request.path.get("token").map_or("", String::as_str);
    if !request
        .secrets
        .iter()
        .any(|secret| constant_time_eq(token.as_bytes(), secret.expose().as_bytes()))
    {
        return Err(
            Refusal::new(StatusCode::NOT_FOUND, "no_endpoint", NO_ENDPOINT).counted_as("bad_token"),
        );
    }
    let not_a_hook = |message: &str| Refusal::new(StatusCode::BAD_REQUEST, "not_a_hook", message);
    let delivery: Value = serde_json::from_slice(request.body).map_err(|error| {
        Refusal::new(
            StatusCode::BAD_REQUEST,
            "not_json",
            format!("the body is not JSON: {error}"),
        )
    })?;
    let event = delivery
        .get("event")
        .and_then(Value::as_str)
        .ok_or_else(|| not_a_hook("no `event` in the delivery"))?;
    let parties = delivery
        .get("payload")
        .and_then(Value::as_array)
        .ok_or_else(|| not_a_hook("no `payload` list in the delivery"))?;
    let events = parties
        .iter()
        .map(|record| {
            record_event(event, record, request.now)
                .ok_or_else(|| not_a_hook("a record in the payload has no id"))
        })
        .collect();
    Ok(Delivery {
        event_type: event.to_string(),
        count: parties.len(),
        events,
    })
}

/// A record's event: one per record and version (its `updatedAt`, or now when it has none).
fn record_event(event: &str, record: &Value, now: Timestamp) -> Option<Event> {
    let id = record.get("id").and_then(|id| {
        id.as_u64()
            .map(|n| n.to_string())
            .or_else(|| id.as_str().map(str::to_string))
    })?;
    let updated = record
        .get("updatedAt")
        .and_then(Value::as_str)
        .and_then(|text| text.parse::<Timestamp>().ok())
        .unwrap_or(now);
    Some(Event {
        id: format!("{event}:{id}:{}", updated.as_millisecond()),
        event_type: event.to_string(),
        created: updated.as_second(),
        body: stamped(event, record, now).to_string(),
    })
}

/// A `*/deleted` record carries the version it had (its old `updatedAt`), yet the deletion is
/// its newest change: stamped `deletedAt` and `updatedAt` now, as `/x/deleted` is in a poll,
/// so that a deletion mapped for its party wins `on conflict newest by updatedAt`.
fn stamped(event: &str, record: &Value, now: Timestamp) -> Value {
    let mut record = record.clone();
    if event.ends_with("/deleted")
        && let Value::Object(fields) = &mut record
    {
        let at = Value::String(now.strftime("%Y-%m-%dT%H:%M:%SZ").to_string());
        fields.insert("deletedAt".into(), at.clone());
        fields.insert("updatedAt".into(), at);
    }
    record
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::time::Duration;

    use reqwest::header::HeaderMap;
    use serde_json::json;

    use super::*;
    use crate::connectors::Secret;

    fn delivery(token: &str, body: &[u8]) -> Result<Delivery, Refusal> {
        let path = HashMap::from([("token".to_string(), token.to_string())]);
        receive(&Request {
            path: &path,
            headers: &HeaderMap::new(),
            body,
            secrets: &[Secret::new("tok_secret")],
            now: Timestamp::from_second(1_700_000_000).unwrap(),
            tolerance: Duration::from_secs(300),
        })
    }

    #[test]
    fn each_party_of_a_delivery_is_an_inbox_event() {
        let body = json!({"event": "party/updated", "payload": [
            {"id": 11, "type": "person", "updatedAt": "2024-03-01T10:00:00Z"},
            {"id": "12", "type": "organisation"},
        ]});
        let got = delivery("tok_secret", body.to_string().as_bytes()).unwrap();
        assert_eq!((got.event_type.as_str(), got.count), ("party/updated", 2));
        let events = got.events.unwrap();
        let ids: Vec<(&str, i64)> = events
            .iter()
            .map(|e| (e.id.as_str(), e.created))
            .collect();
        assert_eq!(
            ids,
            [
                ("party/updated:11:1709287200000", 1_709_287_200),
                ("party/updated:12:1700000000000", 1_700_000_000),
            ]
        );
        let first: Value = serde_json::from_str(&events[0].body).unwrap();
        assert_eq!(first, body["payload"][0]);
        assert_eq!(WEBHOOKS.object_id(&first).as_deref(), Some("11"));
        assert_eq!(WEBHOOKS.record_id("party/updated:11:1", &first), "11");
        assert_eq!(WEBHOOKS.refetch_collection(&first), None);
        assert_eq!((WEBHOOKS.stream_of)("party/deleted"), Some("parties"));
        assert_eq!((WEBHOOKS.stream_of)("kase/updated"), Some("kases"));
        assert_eq!((WEBHOOKS.stream_of)("opportunity/closed"), Some("opportunities"));
        assert_eq!((WEBHOOKS.stream_of)("task/completed"), Some("tasks"));
        assert_eq!((WEBHOOKS.stream_of)("user/updated"), None);
        assert_eq!((WEBHOOKS.stream_of)("invoice/paid"), None);
        assert!((WEBHOOKS.deletes)("party/deleted"));
        assert!((WEBHOOKS.deletes)("opportunity/deleted"));
        assert!(!(WEBHOOKS.deletes)("task/completed"));
    }

    #[test]
    fn a_deletion_is_stamped_with_when_it_arrived_and_keeps_its_id() {
        let body = json!({"event": "opportunity/deleted", "payload": [
            {"id": 7, "party": {"id": 11}, "updatedAt": "2024-03-01T10:00:00Z"},
        ]});
        let events = delivery("tok_secret", body.to_string().as_bytes())
            .unwrap()
            .events
            .unwrap();
        assert_eq!(events[0].id, "opportunity/deleted:7:1709287200000");
        let record: Value = serde_json::from_str(&events[0].body).unwrap();
        assert_eq!(
            record,
            json!({"id": 7, "party": {"id": 11}, "updatedAt": "2023-11-14T22:13:20Z",
                   "deletedAt": "2023-11-14T22:13:20Z"})
        );
    }

    #[test]
    fn a_wrong_token_looks_like_no_endpoint() {
        let refusal = delivery("tok_secreT", b"{}").err().unwrap();
        assert_eq!(
            (refusal.status, refusal.code, refusal.message.as_str()),
            (StatusCode::NOT_FOUND, "no_endpoint", NO_ENDPOINT)
        );
        assert_eq!(refusal.counted_as, Some("bad_token"));
        assert_eq!((WEBHOOKS.no_endpoint)("crm"), NO_ENDPOINT);
    }

    #[test]
    fn a_party_without_an_id_is_refused_once_read() {
        let body = br#"{"event": "party/created", "payload": [{"id": 1}, {"name": "x"}]}"#;
        let got = delivery("tok_secret", body).unwrap();
        assert_eq!(got.count, 2);
        assert_eq!(got.events.err().map(|r| r.code), Some("not_a_hook"));
        let refusal = delivery("tok_secret", br#"{"payload": []}"#).err().unwrap();
        assert_eq!(
            (refusal.code, refusal.message.as_str(), refusal.counted_as),
            ("not_a_hook", "no `event` in the delivery", None)
        );
        let refusal = delivery("tok_secret", b"nope").err().unwrap();
        assert_eq!(refusal.code, "not_json");
    }
}
