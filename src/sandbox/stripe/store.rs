//! The emulator's in-memory data: one ordered collection per resource, oldest first, plus the
//! ids of deleted objects (retrieving one returns Stripe's `{"deleted": true}` stub).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Map, Value, json};

use super::webhooks::Outbox;

/// Objects of one resource in creation order, with each id's position for cursors.
#[derive(Default)]
pub struct Collection {
    order: Vec<String>,
    positions: HashMap<String, usize>,
    items: HashMap<String, Value>,
}

impl Collection {
    pub fn insert(&mut self, object: Value) {
        let Some(id) = object.get("id").and_then(Value::as_str).map(str::to_string) else {
            return;
        };
        if self.items.insert(id.clone(), object).is_none() {
            self.positions.insert(id.clone(), self.order.len());
            self.order.push(id);
        }
    }

    pub fn get(&self, id: &str) -> Option<&Value> {
        self.items.get(id)
    }

    pub fn get_mut(&mut self, id: &str) -> Option<&mut Value> {
        self.items.get_mut(id)
    }

    /// Removes `id`; later objects move up one place (deletes are rare).
    pub fn remove(&mut self, id: &str) -> Option<Value> {
        let removed = self.items.remove(id)?;
        if let Some(at) = self.positions.remove(id) {
            self.order.remove(at);
            for (i, later) in self.order.iter().enumerate().skip(at) {
                self.positions.insert(later.clone(), i);
            }
        }
        Some(removed)
    }

    /// Position in creation order, for cursors.
    pub fn position(&self, id: &str) -> Option<usize> {
        self.positions.get(id).copied()
    }

    /// (position, object) of the objects before `end` (all when None), newest first.
    pub fn newest_first(&self, end: Option<usize>) -> impl Iterator<Item = (usize, &Value)> {
        let end = end.unwrap_or(self.order.len()).min(self.order.len());
        self.order[..end]
            .iter()
            .enumerate()
            .rev()
            .filter_map(|(i, id)| self.items.get(id).map(|v| (i, v)))
    }

    pub fn len(&self) -> usize {
        self.order.len()
    }

    /// Every id, oldest first.
    pub fn ids(&self) -> &[String] {
        &self.order
    }
}

/// The events feed, oldest first. Each event is kept as the JSON text it is sent as, beside what
/// the list filters on, since a backfill writes far more events than anyone reads: as text an
/// event costs a fraction of its tree of `Value`s.
#[derive(Default)]
pub struct EventLog {
    events: Vec<StoredEvent>,
    positions: HashMap<Box<str>, usize>,
}

pub struct StoredEvent {
    pub created: i64,
    pub kind: Box<str>,
    text: Box<str>,
}

impl StoredEvent {
    pub fn value(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or(Value::Null)
    }
}

impl EventLog {
    pub fn push(&mut self, event: &Value) {
        let Some(id) = event.get("id").and_then(Value::as_str) else {
            return;
        };
        let stored = StoredEvent {
            created: event.get("created").and_then(Value::as_i64).unwrap_or(0),
            kind: event
                .get("type")
                .and_then(Value::as_str)
                .unwrap_or("")
                .into(),
            text: event.to_string().into(),
        };
        self.positions.insert(id.into(), self.events.len());
        self.events.push(stored);
    }

    pub fn get(&self, id: &str) -> Option<Value> {
        self.positions.get(id).map(|&at| self.events[at].value())
    }

    pub fn position(&self, id: &str) -> Option<usize> {
        self.positions.get(id).copied()
    }

    /// (position, event) of the events before `end` (all when None), newest first.
    pub fn newest_first(&self, end: Option<usize>) -> impl Iterator<Item = (usize, &StoredEvent)> {
        let end = end.unwrap_or(self.events.len()).min(self.events.len());
        self.events[..end].iter().enumerate().rev()
    }

    pub fn len(&self) -> usize {
        self.events.len()
    }
}

const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

pub struct Store {
    rng: StdRng,
    pub customers: Collection,
    pub products: Collection,
    pub prices: Collection,
    pub charges: Collection,
    pub payment_intents: Collection,
    pub refunds: Collection,
    pub disputes: Collection,
    pub balance_transactions: Collection,
    pub payouts: Collection,
    pub invoice_items: Collection,
    pub invoices: Collection,
    pub subscriptions: Collection,
    /// Balance transaction id -> the payout that paid it out.
    pub paid_out: HashMap<String, String>,
    pub events: EventLog,
    /// Email -> ids of the customers with it, so the list's `email` filter does not scan every
    /// customer (kept by `customers::{create, update, delete}`).
    pub customer_emails: HashMap<String, Vec<String>>,
    /// Deleted id -> its object type.
    pub deleted: HashMap<String, &'static str>,
    /// Ids of objects ferry did not make: seed data and drift's additions (`drift.rs` changes
    /// and deletes only the others).
    pub not_ferrys: HashSet<String>,
    /// Fixed clock for deterministic tests and seeds; None reads the system clock.
    pub clock: Option<i64>,
    /// Where recorded events go out to webhook endpoints; None while seeding.
    pub outbox: Option<Arc<Outbox>>,
}

impl Store {
    pub fn new(seed: Option<u64>, clock: Option<i64>) -> Self {
        let rng = match seed {
            Some(seed) => StdRng::seed_from_u64(seed),
            None => StdRng::from_os_rng(),
        };
        Store {
            rng,
            customers: Collection::default(),
            products: Collection::default(),
            prices: Collection::default(),
            charges: Collection::default(),
            payment_intents: Collection::default(),
            refunds: Collection::default(),
            disputes: Collection::default(),
            balance_transactions: Collection::default(),
            payouts: Collection::default(),
            invoice_items: Collection::default(),
            invoices: Collection::default(),
            subscriptions: Collection::default(),
            paid_out: HashMap::new(),
            events: EventLog::default(),
            customer_emails: HashMap::new(),
            deleted: HashMap::new(),
            not_ferrys: HashSet::new(),
            clock,
            outbox: None,
        }
    }

    pub fn now(&self) -> i64 {
        self.clock.unwrap_or_else(|| {
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs() as i64)
                .unwrap_or(0)
        })
    }

    pub fn rng(&mut self) -> &mut StdRng {
        &mut self.rng
    }

    /// `cus_` + 14 base62 characters, as Stripe's ids look (prices, charges and events use 24).
    pub fn id(&mut self, prefix: &str) -> String {
        let len = match prefix {
            "cus" | "prod" => 14,
            _ => 24,
        };
        let tail: String = (0..len)
            .map(|_| BASE62[self.rng.random_range(0..BASE62.len())] as char)
            .collect();
        format!("{prefix}_{tail}")
    }

    pub fn collection(&self, object: &str) -> Option<&Collection> {
        match object {
            "customer" => Some(&self.customers),
            "product" => Some(&self.products),
            "price" => Some(&self.prices),
            "charge" => Some(&self.charges),
            "payment_intent" => Some(&self.payment_intents),
            "refund" => Some(&self.refunds),
            "dispute" => Some(&self.disputes),
            "balance_transaction" => Some(&self.balance_transactions),
            "payout" => Some(&self.payouts),
            "invoiceitem" => Some(&self.invoice_items),
            "invoice" => Some(&self.invoices),
            "subscription" => Some(&self.subscriptions),
            _ => None,
        }
    }

    /// Appends `<object>.<action>` (`customer.subscription.<action>` for subscriptions,
    /// `charge.dispute.<action>` for disputes) to the change feed and queues it for the webhook
    /// endpoints.
    pub fn record_event(
        &mut self,
        action: &str,
        object: &Value,
        previous: Option<Value>,
        request: &RequestInfo,
        created: i64,
    ) {
        let kind = object
            .get("object")
            .and_then(Value::as_str)
            .unwrap_or("unknown");
        let kind = match kind {
            "subscription" => "customer.subscription",
            "dispute" => "charge.dispute",
            other => other,
        };
        // Built from moved values: `json!` would copy the object once more through serde.
        let mut data = Map::new();
        data.insert("object".into(), object.clone());
        if let Some(previous) = previous {
            data.insert("previous_attributes".into(), previous);
        }
        let id = self.id("evt");
        let mut event = Map::new();
        event.insert("id".into(), Value::String(id));
        event.insert("object".into(), "event".into());
        event.insert("api_version".into(), "2022-04-12".into());
        event.insert("created".into(), created.into());
        event.insert("data".into(), Value::Object(data));
        event.insert("livemode".into(), false.into());
        event.insert("pending_webhooks".into(), 0.into());
        event.insert(
            "request".into(),
            json!({"id": request.id, "idempotency_key": request.idempotency_key}),
        );
        event.insert("type".into(), format!("{kind}.{action}").into());
        let mut event = Value::Object(event);
        if let Some(outbox) = &self.outbox {
            outbox.publish(&mut event);
        }
        self.events.push(&event);
    }
}

/// What an event records about the request that caused it.
#[derive(Debug, Clone, Default)]
pub struct RequestInfo {
    pub id: Option<String>,
    pub idempotency_key: Option<String>,
}
