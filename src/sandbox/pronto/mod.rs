//! Pronto Avenue emulator (`/pronto/api/json/<code>/<version>.json`): debtors, products,
//! categories and orders with Pronto's paging and Sydney-time filters, asynchronous order
//! creation through transactions, HTTP Basic auth and 30 calls a rolling minute.
//!
//! It keeps the wire rules `connectors/pronto` is written to (the facts, and how sure each is,
//! are in shared/reference/apis-wave2.md §1.1; docs/sandbox.md sums them up). Where Pronto's
//! documentation is silent (unverified) the emulator chooses: listings in natural-key order;
//! `per_page` at most 1,000; every error status carries `{"message","backtrace"}`; a 429 is not
//! counted against the limit; a repeated `customer_reference` for one debtor is an Error; field
//! paths in 422 messages count lines from 0 (`lines[0].quantity`).

mod breakage;
mod data;
mod drift;
mod emulator;
mod error;
mod gate;
mod listing;
mod order;
mod order_request;
mod product;
mod rate;
mod records;
mod routes;
mod seed;
mod time;
mod transactions;
mod wire;

pub use breakage::Breakage;
pub use data::ProntoData;
pub use emulator::EMULATOR;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use jiff::Timestamp;
use rand::rngs::StdRng;
use rand::SeedableRng;
use rust_decimal::Decimal;
use serde_json::Value;

use rate::RollingLimit;
use records::Listed;

/// The Basic credentials the sandbox accepts unless configured otherwise.
pub const USERNAME: &str = "ferry-sandbox@example.com";
pub const PASSWORD: &str = "pronto-sandbox-password";

/// How the Pronto emulator behaves.
#[derive(Debug, Clone)]
pub struct ProntoConfig {
    pub username: String,
    pub password: String,
    /// Calls in any 60 seconds (Pronto: 30); 0 is no limit.
    pub requests_per_minute: u32,
    /// The largest `per_page` (undocumented; 1,000 assumed).
    pub max_per_page: usize,
    /// Writes `count` and `pages` as strings, as Pronto's documentation shows them.
    pub counts_as_strings: bool,
    /// How long an order/v6 transaction stays Pending.
    pub transaction_delay: Duration,
    /// A tenant's own versions, each serving what its target serves:
    /// `("debtor/v5_rgs", "debtor/v4")`.
    pub aliases: Vec<(String, String)>,
    /// Seeded records (with a seed only).
    pub debtors: usize,
    pub products: usize,
    pub orders: usize,
}

impl Default for ProntoConfig {
    fn default() -> Self {
        ProntoConfig {
            username: USERNAME.into(),
            password: PASSWORD.into(),
            requests_per_minute: 30,
            max_per_page: 1_000,
            counts_as_strings: false,
            transaction_delay: Duration::from_secs(2),
            aliases: Vec::new(),
            debtors: seed::DEBTORS,
            products: seed::PRODUCTS,
            orders: seed::ORDERS,
        }
    }
}

/// Shared state of one Pronto emulator; cheap to clone.
#[derive(Debug, Clone)]
pub struct ProntoState {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    config: ProntoConfig,
    clock: time::Clock,
    limit: RollingLimit,
    data: Mutex<ProntoData>,
    calls: AtomicU64,
    rejected_429: AtomicU64,
    breakage: Mutex<Option<Breakage>>,
    uuids: Mutex<StdRng>,
}

impl ProntoState {
    /// A tenant with no records.
    pub fn new(config: ProntoConfig) -> Self {
        Self::with_data(config, None)
    }

    /// A tenant with `config`'s counts of records spread over the past year, the same for the
    /// same seed.
    pub fn seeded(config: ProntoConfig, seed: u64) -> Self {
        Self::with_data(config, Some(seed))
    }

    fn with_data(config: ProntoConfig, seed: Option<u64>) -> Self {
        let clock = time::Clock::default();
        let data = match seed {
            Some(seed) => {
                let sizes = seed::Sizes {
                    debtors: config.debtors,
                    products: config.products,
                    orders: config.orders,
                };
                seed::populated(seed, sizes, clock.now())
            }
            None => ProntoData::default(),
        };
        let uuids = match seed {
            Some(seed) => StdRng::seed_from_u64(seed.wrapping_add(0x9e37_79b9)),
            None => StdRng::from_os_rng(),
        };
        ProntoState {
            inner: Arc::new(Inner {
                limit: RollingLimit::new(config.requests_per_minute),
                config,
                clock,
                data: Mutex::new(data),
                calls: AtomicU64::new(0),
                rejected_429: AtomicU64::new(0),
                breakage: Mutex::new(None),
                uuids: Mutex::new(uuids),
            }),
        }
    }

    pub fn config(&self) -> &ProntoConfig {
        &self.inner.config
    }

    /// Locks the records (for handlers, and tests that need more than the calls below).
    pub fn data(&self) -> MutexGuard<'_, ProntoData> {
        self.inner.data.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The emulator's now: real time, shifted by [`ProntoState::set_clock`].
    pub fn now(&self) -> Timestamp {
        self.inner.clock.now()
    }

    /// Puts the emulator's clock at `at`; it runs on from there. Records written afterwards
    /// carry times from it, the rate limit and pending transactions are timed by it.
    pub fn set_clock(&self, at: Timestamp) {
        self.inner.clock.set(at);
    }

    /// Every debtor as debtor/v4 shows it, in its order.
    pub fn debtors(&self) -> Vec<Value> {
        self.settled().debtors.values().map(Listed::shown).collect()
    }

    pub fn products(&self) -> Vec<Value> {
        self.settled().products.values().map(Listed::shown).collect()
    }

    /// Every order as order/v4 shows it, those of transactions now due included.
    pub fn orders(&self) -> Vec<Value> {
        self.settled().orders.values().map(Listed::shown).collect()
    }

    pub fn categories(&self) -> Vec<Value> {
        self.settled().categories.values().map(Listed::shown).collect()
    }

    /// Adds or replaces (by `code`) a debtor given as debtor/v4 shows it; `updated_at` is now,
    /// `created_at` kept. The debtor as it is now shown.
    pub fn upsert_debtor(&self, debtor: Value) -> Result<Value, String> {
        let now = self.now();
        self.data().upsert_debtor(&debtor, now)
    }

    pub fn upsert_product(&self, product: Value) -> Result<Value, String> {
        let now = self.now();
        self.data().upsert_product(&product, now)
    }

    /// By `pronto_order_number`; without one, the order gets the next number.
    pub fn upsert_order(&self, order: Value) -> Result<Value, String> {
        let now = self.now();
        self.data().upsert_order(&order, now)
    }

    /// Changes a product's one public price (both values as given), as a price change in
    /// Pronto would: the product's `updated_at` moves.
    pub fn set_base_price(&self, code: &str, inc_tax: &str, ex_tax: &str) -> Result<(), String> {
        let amount = |text: &str| {
            text.trim()
                .parse::<Decimal>()
                .map_err(|_| format!("'{text}' is not a decimal"))
        };
        let price = product::Price {
            inc_tax: amount(inc_tax)?,
            ex_tax: amount(ex_tax)?,
        };
        let now = self.now();
        let mut data = self.data();
        let product = data
            .products
            .get_mut(code)
            .ok_or_else(|| format!("no product '{code}'"))?;
        product.base_price = price;
        product.stamps.updated_at = now;
        Ok(())
    }

    /// Requests that passed authentication and the rate limit.
    pub fn calls(&self) -> u64 {
        self.inner.calls.load(Ordering::Relaxed)
    }

    /// Requests refused with 429 by the rate limit.
    pub fn rejected_429(&self) -> u64 {
        self.inner.rejected_429.load(Ordering::Relaxed)
    }

    /// Makes the next request that passes authentication and the rate limit answer malformed.
    pub fn break_next(&self, breakage: Breakage) {
        *self.inner.breakage.lock().unwrap_or_else(|e| e.into_inner()) = Some(breakage);
    }

    fn take_breakage(&self) -> Option<Breakage> {
        self.inner
            .breakage
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
    }

    fn count_call(&self) {
        self.inner.calls.fetch_add(1, Ordering::Relaxed);
    }

    fn count_rejection(&self) {
        self.inner.rejected_429.fetch_add(1, Ordering::Relaxed);
    }

    fn settle_due(&self, now: Timestamp) {
        transactions::settle_due(&mut self.data(), now);
    }

    fn settled(&self) -> MutexGuard<'_, ProntoData> {
        let now = self.now();
        let mut data = self.data();
        transactions::settle_due(&mut data, now);
        data
    }

    fn new_uuid(&self) -> String {
        let mut rng = self.inner.uuids.lock().unwrap_or_else(|e| e.into_inner());
        crate::sandbox::sample_data::uuid_v4(&mut *rng)
    }
}

/// Every path under the mount goes to the one handler, which routes by `code/version`.
pub fn router(state: ProntoState) -> Router {
    Router::new().fallback(gate::serve).with_state(state)
}
