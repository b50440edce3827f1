//! What a system that sends webhooks tells `ferry serve`: where its endpoint is mounted, which
//! settings hold the endpoint's secrets, how a delivery is verified and taken apart into events,
//! which stream each event type feeds, where an event's object sits, and whether missed events
//! can be caught up from a list.
//!
//! A connector that receives webhooks gives one [`Webhooks`] in its descriptor
//! (`webhooks: Some(&webhook::WEBHOOKS)`); `ferry serve` mounts one endpoint per such kind and
//! learns everything else about the system from it.

use std::collections::HashMap;
use std::time::Duration;

use jiff::Timestamp;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::Value;

use super::{Secret, SourceRecord};

/// How far a signed delivery's timestamp may be from now unless `ferry serve --tolerance` says
/// otherwise: the five minutes senders usually advise.
pub const DEFAULT_TOLERANCE: Duration = Duration::from_secs(300);

/// How a system delivers its events to ferry.
pub struct Webhooks {
    /// The endpoint's path after `/webhooks/`, in axum's syntax: `{connection}` is the
    /// connection's name, any other capture is handed to `receive` (`capsule/{connection}/{token}`).
    pub route: &'static str,
    /// The settings holding the endpoint's secrets (signing secrets, a path token), in the order
    /// they are tried: a connection with none of them set has no endpoint.
    pub secrets: &'static [&'static str],
    /// The message of the 404 for a connection without an endpoint.
    pub no_endpoint: fn(connection: &str) -> String,
    /// Verifies a delivery and takes it apart into events.
    pub receive: fn(&Request) -> Result<Delivery, Refusal>,
    /// A delivery carries the events of several objects: its answer says only that it was
    /// received (false: one event, and the answer says whether it was a duplicate).
    pub batches: bool,
    /// The message of the 503 when the store cannot take a delivery's events; the reason is the
    /// store's error.
    pub unstored: fn(reason: &str) -> String,
    /// The source stream whose pipelines an event of this type feeds; `None`: none does.
    pub stream_of: fn(event_type: &str) -> Option<&'static str>,
    /// Where an event's object sits in its body, as a JSON pointer (`""`: the body is the
    /// object). The object's `id` orders the object's events and names its lock.
    pub object_at: &'static str,
    /// The id of the record the pipelines are given for an event.
    pub record_id: RecordId,
    /// Whether an event of this type says that its object was deleted.
    pub deletes: fn(event_type: &str) -> bool,
    /// The collection to read an event's object again from when a newer version of it was
    /// already applied; `None`: the event is used as it came.
    pub collection_of: fn(object: &Value) -> Option<String>,
    /// The check of the API version an event is rendered in, if events carry one.
    pub api_version: Option<ApiVersion>,
    /// The event list that missed deliveries are caught up from, if the system has one.
    pub catch_up: Option<CatchUp>,
    /// How ferry subscribes its endpoint to the system's events, if the system lets an API
    /// client do it (Capsule's REST hooks); `None`: subscribed by hand.
    pub subscriptions: Option<Subscriptions>,
}

/// A system whose webhook subscriptions ferry manages through its API: `ferry serve
/// --public-url` and `ferry hooks` subscribe the events the served pipelines read.
pub struct Subscriptions {
    /// The events to subscribe for the pipelines reading `stream` (none: the stream is not
    /// fed by webhooks).
    pub events_of: fn(stream: &str) -> &'static [&'static str],
    /// The capture of [`Webhooks::route`] that holds the endpoint's first secret (`token`), so
    /// a subscription's target URL reaches the endpoint; the URL is then itself a secret.
    pub secret_capture: Option<&'static str>,
    /// How many subscriptions the system allows an account, if it limits them.
    pub limit: Option<usize>,
    /// The system's subscription API for a connection.
    pub open: fn(&super::ResolvedConnection) -> Result<Box<dyn HookApi>, super::ConnectorError>,
}

/// One subscription as the system lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hook {
    pub id: String,
    pub event: String,
    pub target_url: String,
}

/// A system's webhook subscription calls.
pub trait HookApi: Send + Sync {
    /// Every subscription of the account, ferry's or not.
    fn list(&self) -> super::client::Call<'_, Vec<Hook>>;
    /// Subscribes `target_url` to `event`.
    fn subscribe<'a>(
        &'a self,
        event: &'a str,
        target_url: &'a str,
        description: &'a str,
    ) -> super::client::Call<'a, Hook>;
    fn unsubscribe<'a>(&'a self, id: &'a str) -> super::client::Call<'a, ()>;
}

/// What a delivery arrived with.
pub struct Request<'a> {
    /// The captures of the route other than `{connection}`.
    pub path: &'a HashMap<String, String>,
    pub headers: &'a HeaderMap,
    /// The raw body, as signed.
    pub body: &'a [u8],
    /// The endpoint's secrets, in the order of [`Webhooks::secrets`].
    pub secrets: &'a [Secret],
    pub now: Timestamp,
    /// How far a signed timestamp may be from `now`.
    pub tolerance: Duration,
}

/// A verified delivery.
#[derive(Debug)]
pub struct Delivery {
    /// The type of its events.
    pub event_type: String,
    /// How many events it carries, counted as received.
    pub count: usize,
    /// Its events, or why they cannot be taken out of it (answered only when a pipeline reads
    /// the event type: an unread delivery is acknowledged as it is).
    pub events: Result<Vec<Event>, Refusal>,
}

/// One event of a delivery, as the inbox keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// Unique per connection: a redelivery has the same id.
    pub id: String,
    pub event_type: String,
    /// Unix seconds: when the event's object reached this version.
    pub created: i64,
    /// The JSON the pipelines read.
    pub body: String,
}

/// A delivery refused, answered with `{"error": {"code", "message"}}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    /// Counted among the refused events under this reason, and logged; `None`: answered only.
    pub counted_as: Option<&'static str>,
}

impl Refusal {
    /// A refusal that is answered, neither counted nor logged.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Refusal {
            status,
            code,
            message: message.into(),
            counted_as: None,
        }
    }

    /// A refusal counted (under its code) and logged.
    pub fn counted(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Refusal::new(status, code, message).counted_as(code)
    }

    pub fn counted_as(self, reason: &'static str) -> Self {
        Refusal {
            counted_as: Some(reason),
            ..self
        }
    }
}

/// Which id the pipelines see as a record's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordId {
    /// The event's: each event is a record of its own (an event stream).
    Event,
    /// The object's (the event's id when the object has none): the record is the object.
    Object,
}

/// The API version events are rendered in, against the one a connection expects.
pub struct ApiVersion {
    /// The connection's setting naming the version it expects (unset: any).
    pub setting: &'static str,
    /// Why an event is not in the `expected` version of `connection`, if it is not.
    pub mismatch: fn(body: &Value, expected: &str, connection: &str) -> Option<String>,
}

/// An event list kept by the system, read on start and periodically for the events whose
/// deliveries were missed.
pub struct CatchUp {
    /// The stream the client polls for it.
    pub stream: &'static str,
    /// How long the system keeps events, in days: older ones cannot be caught up.
    pub retention_days: i64,
    /// A gap this old (in days) is warned about.
    pub warn_days: i64,
    /// The inbox event of one record of the list; `None`: not an event.
    pub event_of: fn(&SourceRecord) -> Option<Event>,
}

impl Webhooks {
    /// The id of the event's object, if the body has one.
    pub fn object_id(&self, body: &Value) -> Option<String> {
        match body.pointer(self.object_at)?.get("id")? {
            Value::String(id) => Some(id.clone()),
            Value::Number(id) => Some(id.to_string()),
            _ => None,
        }
    }

    /// The id the pipelines see for the event's record.
    pub fn record_id(&self, event_id: &str, body: &Value) -> String {
        match self.record_id {
            RecordId::Event => event_id.to_string(),
            RecordId::Object => self.object_id(body).unwrap_or_else(|| event_id.to_string()),
        }
    }

    /// The collection to read the event's object again from, if it can be.
    pub fn refetch_collection(&self, body: &Value) -> Option<String> {
        (self.collection_of)(body.pointer(self.object_at)?)
    }

    /// The path of `connection`'s endpoint after `/webhooks/`, with the secret capture filled
    /// by `secret` (`capsule/crm/tok_...`): a secret itself when it holds one.
    pub fn endpoint_path(&self, connection: &str, secret: Option<&Secret>) -> String {
        let mut path = self.route.replace("{connection}", connection);
        let capture = self.subscriptions.as_ref().and_then(|s| s.secret_capture);
        if let (Some(capture), Some(secret)) = (capture, secret) {
            path = path.replace(&format!("{{{capture}}}"), secret.expose());
        }
        path
    }

    /// Puts `object` (the object read again) in the event's place for it.
    pub fn replace_object(&self, body: &mut Value, object: Value) {
        if let Some(place) = body.pointer_mut(self.object_at) {
            *place = object;
        }
    }
}

/// Equal length and bytes, looking at every byte whatever the first difference: a secret
/// compared this way takes as long to refuse whichever byte is wrong.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::super::CONNECTORS;

    #[test]
    fn each_webhook_route_is_unique_and_its_own() {
        let mut routes = Vec::new();
        for connector in CONNECTORS {
            let Some(webhooks) = connector.webhooks else {
                continue;
            };
            assert!(
                webhooks.route.starts_with(&format!("{}/", connector.name)),
                "{}: the route `{}` does not start with the kind",
                connector.name,
                webhooks.route
            );
            assert!(
                webhooks.route.contains("{connection}"),
                "{}: the route names no connection",
                connector.name
            );
            for secret in webhooks.secrets {
                assert!(
                    connector.secrets.contains(secret),
                    "{}: `{secret}` is not a secret setting",
                    connector.name
                );
            }
            routes.push(webhooks.route);
        }
        assert_eq!(
            routes,
            ["stripe/{connection}", "capsule/{connection}/{token}"]
        );
        let mut unique = routes.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), routes.len(), "{routes:?}");
    }

    #[test]
    fn secrets_compare_whole() {
        assert!(super::constant_time_eq(b"tok_1", b"tok_1"));
        assert!(!super::constant_time_eq(b"tok_1", b"tok_2"));
        assert!(!super::constant_time_eq(b"tok_1", b"tok_12"));
        assert!(!super::constant_time_eq(b"", b"x"));
    }
}
