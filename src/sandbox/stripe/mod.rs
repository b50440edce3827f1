//! A stateful, in-memory emulator of Stripe's API v1 (customers, products, prices, charges,
//! payment intents, refunds, disputes, balance transactions, payouts, invoice items, invoices,
//! subscriptions, events), enforcing the real wire rules: auth, form encoding, parameter
//! validation against Stripe's spec, list and search paging, idempotency, the test-mode rate
//! limit.
//!
//! Routes are relative (`/v1/customers`); the sandbox mounts the router under `/stripe`.
//! Every recorded event is also sent to the configured webhook endpoints, signed, retried on
//! failure (`webhooks.rs`, `delivery.rs`).
//!
//! Sandbox-only: `POST /v1/sandbox/charges` adds a charge without a card (`status=failed` or
//! `pending` too), `POST /v1/sandbox/payouts` pays out the available balance with refunds, fees
//! and adjustments, as Stripe's automatic payouts do on their schedule (`payouts.rs`), and the
//! request headers `Ferry-Sandbox-Delay-Ms` / `Ferry-Sandbox-Fail-Status` slow a request down
//! or fail it with a 5xx (see `server.rs`).

mod emulator;
mod amounts;
mod catalog;
mod charges;
mod customers;
mod delivery;
mod drift;
mod disputes;
pub mod error;
mod feed;
pub mod form;
mod idempotency;
mod invoice_edits;
mod invoice_items;
mod invoices;
mod list;
mod objects;
pub mod params;
mod payment_intents;
mod payouts;
pub mod query;
mod ratelimit;
mod refunds;
mod resources;
mod seed;
mod server;
mod store;
mod subscriptions;
mod webhooks;

pub use emulator::EMULATOR;

use std::sync::{Arc, Mutex, MutexGuard};

use axum::Router;
use axum::extract::{Path, Request, State};
use axum::response::IntoResponse;
use axum::routing::{get, post};

pub use delivery::USER_AGENT as WEBHOOK_USER_AGENT;
pub use ratelimit::Traffic;
use error::ApiError;
use resources::{Action, Resource};
pub use server::{DELAY_HEADER, FAIL_HEADER};
pub use webhooks::{DEFAULT_WEBHOOK_SECRET, WebhookDelivery, WebhookEndpoint, WebhookStats};

/// How the emulator behaves.
#[derive(Debug, Clone)]
pub struct StripeOptions {
    /// Seeds the id generator and, when set, fills the store with realistic data.
    pub seed: Option<u64>,
    /// Requests per second per API key; None turns the limit off. Stripe's test mode: 25.
    pub rate_limit: Option<u32>,
    /// Accepted keys; None accepts any `sk_test_` / `rk_test_` key.
    pub api_keys: Option<Vec<String>>,
    /// How much seed data to make.
    pub seed_customers: usize,
    pub seed_charges: usize,
    pub seed_products: usize,
    /// A fixed clock (unix seconds) instead of the system's.
    pub now: Option<i64>,
    /// Endpoints that receive every event recorded after the emulator starts (seed data's
    /// events are not sent); more can be added with [`StripeState::add_webhook_endpoint`].
    pub webhooks: Vec<WebhookEndpoint>,
    pub webhook_delivery: WebhookDelivery,
}

impl Default for StripeOptions {
    fn default() -> Self {
        StripeOptions {
            seed: None,
            rate_limit: Some(25),
            api_keys: None,
            seed_customers: 2_000,
            seed_charges: 3_000,
            seed_products: 20,
            now: None,
            webhooks: Vec::new(),
            webhook_delivery: WebhookDelivery::default(),
        }
    }
}

struct Shared {
    options: StripeOptions,
    store: Mutex<store::Store>,
    idempotency: Mutex<idempotency::Table>,
    limiter: Option<Mutex<ratelimit::Limiter>>,
    outbox: Arc<webhooks::Outbox>,
}

/// The emulator's state; cheap to clone (shared).
#[derive(Clone)]
pub struct StripeState {
    shared: Arc<Shared>,
}

/// A poisoned lock only means another request panicked; the data is still usable.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl StripeState {
    pub fn new(options: StripeOptions) -> Self {
        let mut store = store::Store::new(options.seed, options.now);
        if options.seed.is_some() {
            seed::fill(&mut store, &options);
            let seeded = [&store.customers, &store.products, &store.prices];
            let ids = seeded.into_iter().flat_map(|c| c.ids().iter().cloned());
            store.not_ferrys = ids.collect();
        }
        let outbox = Arc::new(webhooks::Outbox::new(
            options.webhook_delivery.clone(),
            options.seed,
        ));
        for endpoint in &options.webhooks {
            outbox.add(endpoint.clone());
        }
        store.outbox = Some(outbox.clone());
        StripeState {
            shared: Arc::new(Shared {
                limiter: options
                    .rate_limit
                    .map(|r| Mutex::new(ratelimit::Limiter::new(r))),
                store: Mutex::new(store),
                idempotency: Mutex::new(idempotency::Table::default()),
                outbox,
                options,
            }),
        }
    }

    /// How many objects of `object` ("customer", "charge", "event", ...) the store holds.
    pub fn count(&self, object: &str) -> usize {
        let store = lock(&self.shared.store);
        match object {
            "event" => store.events.len(),
            _ => store.collection(object).map_or(0, store::Collection::len),
        }
    }

    /// Every object of `object` the store holds, newest first (for tests that check what
    /// arrived).
    pub fn objects(&self, object: &str) -> Vec<serde_json::Value> {
        let store = lock(&self.shared.store);
        if object == "event" {
            return store
                .events
                .newest_first(None)
                .map(|(_, e)| e.value())
                .collect();
        }
        store
            .collection(object)
            .map(|collection| {
                collection
                    .newest_first(None)
                    .map(|(_, v)| v.clone())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Sends every event recorded from now on to `endpoint` too.
    pub fn add_webhook_endpoint(&self, endpoint: WebhookEndpoint) {
        self.shared.outbox.add(endpoint);
    }

    /// Sets the emulator's clock to `now` (unix seconds): later objects and events are created
    /// then, and events older than 30 days before it are no longer kept. For tests of what
    /// happens once time has passed.
    pub fn set_clock(&self, now: i64) {
        self.with_store(|store| store.clock = Some(now));
    }

    /// What webhook delivery has done so far.
    pub fn webhook_stats(&self) -> WebhookStats {
        self.shared.outbox.stats()
    }

    fn with_store<T>(&self, f: impl FnOnce(&mut store::Store) -> T) -> T {
        f(&mut lock(&self.shared.store))
    }

    fn idempotency<T>(&self, f: impl FnOnce(&mut idempotency::Table) -> T) -> T {
        f(&mut lock(&self.shared.idempotency))
    }

    /// What the rate limit let through and refused so far; all zero when it is off.
    pub fn traffic(&self) -> Traffic {
        self.shared
            .limiter
            .as_ref()
            .map(|limiter| lock(limiter).traffic())
            .unwrap_or_default()
    }

    fn allow(&self, key: &str) -> bool {
        match &self.shared.limiter {
            None => true,
            Some(limiter) => lock(limiter).allow(key),
        }
    }

    fn accepts_key(&self, key: &str) -> bool {
        match &self.shared.options.api_keys {
            Some(keys) => keys.iter().any(|k| k == key),
            None => (key.starts_with("sk_test_") || key.starts_with("rk_test_")) && key.len() > 8,
        }
    }

    fn request_id(&self) -> String {
        self.with_store(|s| s.id("req"))
    }
}

macro_rules! route {
    ($action:expr) => {
        |State(state): State<StripeState>, request: Request| server::serve(state, $action, request)
    };
}

/// A handler for a route with an object id in its path.
macro_rules! by_id {
    ($variant:ident, $resource:expr) => {
        |State(state): State<StripeState>, Path(id): Path<String>, request: Request| {
            server::serve(state, Action::$variant($resource, id), request)
        }
    };
}

/// A handler for an action on one object (`POST /v1/invoices/{id}/pay`).
macro_rules! on_id {
    ($action:path) => {
        |State(state): State<StripeState>, Path(id): Path<String>, request: Request| {
            server::serve(state, $action(id), request)
        }
    };
}

/// The emulator's routes, relative (`/v1/...`).
pub fn router(state: StripeState) -> Router {
    use Resource::*;
    Router::new()
        .route(
            "/v1/customers",
            get(route!(Action::List(Customer))).post(route!(Action::Create(Customer))),
        )
        .route(
            "/v1/customers/search",
            get(route!(Action::Search(Customer))),
        )
        .route(
            "/v1/customers/{id}",
            get(by_id!(Retrieve, Customer))
                .post(by_id!(Update, Customer))
                .delete(by_id!(Delete, Customer)),
        )
        .route(
            "/v1/products",
            get(route!(Action::List(Product))).post(route!(Action::Create(Product))),
        )
        .route("/v1/products/search", get(route!(Action::Search(Product))))
        .route(
            "/v1/products/{id}",
            get(by_id!(Retrieve, Product))
                .post(by_id!(Update, Product))
                .delete(by_id!(Delete, Product)),
        )
        .route(
            "/v1/prices",
            get(route!(Action::List(Price))).post(route!(Action::Create(Price))),
        )
        .route("/v1/prices/search", get(route!(Action::Search(Price))))
        .route(
            "/v1/prices/{id}",
            get(by_id!(Retrieve, Price)).post(by_id!(Update, Price)),
        )
        .route(
            "/v1/charges",
            get(route!(Action::List(Charge))).post(route!(Action::Create(Charge))),
        )
        .route("/v1/charges/{id}", get(by_id!(Retrieve, Charge)))
        .route(
            "/v1/payment_intents",
            get(route!(Action::List(PaymentIntent))).post(route!(Action::Create(PaymentIntent))),
        )
        .route(
            "/v1/payment_intents/{id}",
            get(by_id!(Retrieve, PaymentIntent)),
        )
        .route(
            "/v1/payment_intents/{id}/confirm",
            post(on_id!(Action::ConfirmPaymentIntent)),
        )
        .route(
            "/v1/refunds",
            get(route!(Action::List(Refund))).post(route!(Action::Create(Refund))),
        )
        .route("/v1/refunds/{id}", get(by_id!(Retrieve, Refund)))
        .route("/v1/disputes", get(route!(Action::List(Dispute))))
        .route(
            "/v1/disputes/{id}",
            get(by_id!(Retrieve, Dispute)).post(by_id!(Update, Dispute)),
        )
        .route(
            "/v1/disputes/{id}/close",
            post(on_id!(Action::CloseDispute)),
        )
        .route("/v1/events", get(route!(Action::List(Event))))
        .route("/v1/events/{id}", get(by_id!(Retrieve, Event)))
        .route(
            "/v1/balance_transactions",
            get(route!(Action::List(BalanceTransaction))),
        )
        .route(
            "/v1/balance_transactions/{id}",
            get(by_id!(Retrieve, BalanceTransaction)),
        )
        .route("/v1/payouts", get(route!(Action::List(Payout))))
        .route("/v1/payouts/{id}", get(by_id!(Retrieve, Payout)))
        .route(
            "/v1/invoiceitems",
            get(route!(Action::List(InvoiceItem))).post(route!(Action::Create(InvoiceItem))),
        )
        .route(
            "/v1/invoiceitems/{id}",
            get(by_id!(Retrieve, InvoiceItem))
                .post(by_id!(Update, InvoiceItem))
                .delete(by_id!(Delete, InvoiceItem)),
        )
        .route(
            "/v1/invoices",
            get(route!(Action::List(Invoice))).post(route!(Action::Create(Invoice))),
        )
        .route("/v1/invoices/search", get(route!(Action::Search(Invoice))))
        .route(
            "/v1/invoices/{id}",
            get(by_id!(Retrieve, Invoice))
                .post(by_id!(Update, Invoice))
                .delete(by_id!(Delete, Invoice)),
        )
        .route(
            "/v1/invoices/{id}/finalize",
            post(on_id!(Action::FinalizeInvoice)),
        )
        .route("/v1/invoices/{id}/pay", post(on_id!(Action::PayInvoice)))
        .route(
            "/v1/subscriptions",
            get(route!(Action::List(Subscription))).post(route!(Action::Create(Subscription))),
        )
        .route(
            "/v1/subscriptions/{id}",
            get(by_id!(Retrieve, Subscription))
                .post(by_id!(Update, Subscription))
                .delete(by_id!(Delete, Subscription)),
        )
        .route("/v1/sandbox/charges", post(route!(Action::SeedCharge)))
        .route("/v1/sandbox/payouts", post(route!(Action::SeedPayout)))
        .fallback(unrecognized)
        .method_not_allowed_fallback(unrecognized)
        .with_state(state)
}

async fn unrecognized(request: Request) -> axum::response::Response {
    ApiError::unrecognized_url(request.method().as_str(), request.uri().path()).into_response()
}
