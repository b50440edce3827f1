//! Webhook endpoints: every event the emulator records is sent to each endpoint that wants its
//! type, signed with the endpoint's secret, as Stripe does.
//!
//! Recording an event only puts it on each endpoint's queue (an unbounded channel, so a request
//! handler never waits); one background task per endpoint sends them in creation order, retrying
//! a failed attempt a few times with a short backoff before giving up on that event and moving on
//! (see `delivery.rs`). Events recorded before an endpoint was added are not sent to it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use serde_json::Value;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};

use super::delivery;
use super::feed::wildcard;
use super::lock;
use crate::project::Secret;

/// The secret `ferry sandbox --webhook URL` signs with when none is given; the shipped
/// ferry.yaml's sandbox environment expects it.
pub const DEFAULT_WEBHOOK_SECRET: &str = "whsec_sandbox";

/// Where the emulator sends events.
#[derive(Debug, Clone)]
pub struct WebhookEndpoint {
    pub url: String,
    pub secret: Secret,
    /// Event types to send, with `*` wildcards as in Stripe's `enabled_events`; empty sends all.
    pub events: Vec<String>,
}

impl WebhookEndpoint {
    /// Every event type, signed with `secret`.
    pub fn new(url: impl Into<String>, secret: Secret) -> Self {
        WebhookEndpoint {
            url: url.into(),
            secret,
            events: Vec::new(),
        }
    }

    /// `URL[,secret=whsec_...][,events=charge.*;customer.created]`; the secret defaults to
    /// [`DEFAULT_WEBHOOK_SECRET`].
    pub fn parse(spec: &str) -> Result<Self, String> {
        let mut parts = spec.split(',');
        let url = parts.next().unwrap_or_default().trim();
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(format!("`{url}` is not an http:// or https:// URL"));
        }
        let mut endpoint = WebhookEndpoint::new(url, Secret::new(DEFAULT_WEBHOOK_SECRET));
        for part in parts {
            match part.trim().split_once('=') {
                Some(("secret", secret)) if !secret.is_empty() => {
                    endpoint.secret = Secret::new(secret);
                }
                Some(("events", events)) => {
                    endpoint.events = events
                        .split(';')
                        .filter(|e| !e.is_empty())
                        .map(str::to_string)
                        .collect();
                }
                _ => {
                    return Err(format!(
                        "`{part}` is not `secret=whsec_...` or `events=type;type`"
                    ));
                }
            }
        }
        Ok(endpoint)
    }

    fn wants(&self, event_type: &str) -> bool {
        self.events.is_empty() || self.events.iter().any(|e| wildcard(e, event_type))
    }
}

/// How deliveries are attempted, and the chaos a test may ask for.
#[derive(Debug, Clone)]
pub struct WebhookDelivery {
    /// Attempts per event before it is given up (Stripe keeps trying for three days).
    pub max_attempts: u32,
    /// The wait after the first failed attempt, doubled after each further one up to
    /// `max_retry_delay`.
    pub first_retry_delay: Duration,
    pub max_retry_delay: Duration,
    /// How long one attempt may take.
    pub timeout: Duration,
    /// The share of events (0 to 1) sent a second time after they were delivered.
    pub duplicate_rate: f64,
    /// Send the events waiting in an endpoint's queue in random order instead of creation order.
    pub shuffle: bool,
}

impl Default for WebhookDelivery {
    fn default() -> Self {
        WebhookDelivery {
            max_attempts: 8,
            first_retry_delay: Duration::from_millis(100),
            max_retry_delay: Duration::from_secs(2),
            timeout: Duration::from_secs(10),
            duplicate_rate: 0.0,
            shuffle: false,
        }
    }
}

/// What the delivery tasks have done so far, over all endpoints.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WebhookStats {
    /// Events put on an endpoint's queue (one per endpoint that wants the event).
    pub queued: u64,
    /// Attempts answered with a 2xx (duplicates included).
    pub delivered: u64,
    /// Attempts answered otherwise, or not answered.
    pub failed_attempts: u64,
    /// Events given up after the last attempt failed.
    pub abandoned: u64,
    /// Events sent a second time on purpose (`duplicate_rate`).
    pub duplicates: u64,
}

#[derive(Default)]
pub(super) struct Counters {
    pub queued: AtomicU64,
    pub delivered: AtomicU64,
    pub failed_attempts: AtomicU64,
    pub abandoned: AtomicU64,
    pub duplicates: AtomicU64,
}

impl Counters {
    pub fn add(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    fn snapshot(&self) -> WebhookStats {
        WebhookStats {
            queued: self.queued.load(Ordering::Relaxed),
            delivered: self.delivered.load(Ordering::Relaxed),
            failed_attempts: self.failed_attempts.load(Ordering::Relaxed),
            abandoned: self.abandoned.load(Ordering::Relaxed),
            duplicates: self.duplicates.load(Ordering::Relaxed),
        }
    }
}

/// One endpoint's queue; its receiver waits here until a tokio runtime can run its task.
struct Queue {
    endpoint: Arc<WebhookEndpoint>,
    sender: UnboundedSender<Bytes>,
    waiting: Option<UnboundedReceiver<Bytes>>,
}

/// The endpoints and their queues, shared by the emulator's state and its store.
pub(super) struct Outbox {
    delivery: WebhookDelivery,
    seed: Option<u64>,
    counters: Arc<Counters>,
    queues: Mutex<Vec<Queue>>,
}

impl Outbox {
    pub fn new(delivery: WebhookDelivery, seed: Option<u64>) -> Self {
        Outbox {
            delivery,
            seed,
            counters: Arc::default(),
            queues: Mutex::new(Vec::new()),
        }
    }

    pub fn add(&self, endpoint: WebhookEndpoint) {
        let (sender, receiver) = unbounded_channel();
        let mut queue = Queue {
            endpoint: Arc::new(endpoint),
            sender,
            waiting: Some(receiver),
        };
        let mut queues = lock(&self.queues);
        self.start(&mut queue, queues.len());
        queues.push(queue);
    }

    /// Queues `event` for every endpoint that wants its type, after setting its
    /// `pending_webhooks` to how many do.
    pub fn publish(&self, event: &mut Value) {
        let mut queues = lock(&self.queues);
        let event_type = event.get("type").and_then(Value::as_str).unwrap_or("");
        let wanted: Vec<usize> = (0..queues.len())
            .filter(|&i| queues[i].endpoint.wants(event_type))
            .collect();
        if let Some(fields) = event.as_object_mut() {
            fields.insert("pending_webhooks".into(), Value::from(wanted.len()));
        }
        if wanted.is_empty() {
            return;
        }
        let body = match serde_json::to_vec(event) {
            Ok(body) => Bytes::from(body),
            Err(error) => {
                tracing::error!("sandbox webhook: cannot encode an event: {error}");
                return;
            }
        };
        for i in wanted {
            self.start(&mut queues[i], i);
            if queues[i].sender.send(body.clone()).is_ok() {
                Counters::add(&self.counters.queued);
            }
        }
    }

    pub fn stats(&self) -> WebhookStats {
        self.counters.snapshot()
    }

    /// Spawns the endpoint's delivery task once a runtime is there to run it.
    fn start(&self, queue: &mut Queue, index: usize) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let Some(receiver) = queue.waiting.take() else {
            return;
        };
        let seed = self.seed.map(|s| s.wrapping_add(index as u64));
        runtime.spawn(delivery::run(
            queue.endpoint.clone(),
            receiver,
            self.delivery.clone(),
            self.counters.clone(),
            seed,
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::WebhookEndpoint;

    #[test]
    fn parses_the_command_line_form() {
        let plain = WebhookEndpoint::parse("http://127.0.0.1:8080/webhooks/stripe/stripe").unwrap();
        assert_eq!(plain.secret.expose(), "whsec_sandbox");
        assert!(plain.events.is_empty());
        let full = WebhookEndpoint::parse(
            "http://127.0.0.1:8080/hook,secret=whsec_abc,events=charge.*;customer.created",
        )
        .unwrap();
        assert_eq!(full.url, "http://127.0.0.1:8080/hook");
        assert_eq!(full.secret.expose(), "whsec_abc");
        assert!(full.wants("charge.succeeded"));
        assert!(full.wants("customer.created"));
        assert!(!full.wants("customer.updated"));
        assert!(WebhookEndpoint::parse("127.0.0.1:8080").is_err());
        assert!(WebhookEndpoint::parse("http://x,colour=blue").is_err());
    }
}
